"""Keep lifetime energy counters from ever going backwards.

A lifetime counter that is read as 0 (or any lower value) and then as its
real value again would put the difference into a user's energy statistics
for ever. ``CounterGuard`` holds the last good value of each counter and
rejects a reading that is lower, or higher than the plant could have
produced since the last good one. A rejected reading is reported as ``None``
(no reading), never as a number.

One legitimate drop exists: the protocol says the "new statistics" counters
(30228-30268) restart from 0 when the firmware that introduces them is
installed. A lower value that stays lower, and keeps counting up, for
``accept_reset_after`` consecutive reads is taken as such a reset.
"""

from __future__ import annotations

from dataclasses import dataclass, field

RESETTING_ADDRESSES = range(30228, 30272)
"""The "new statistics" counters, the only ones the protocol says restart at 0."""


@dataclass(frozen=True, slots=True)
class Verdict:
    """The guard's answer for one reading."""

    value: float | None
    reason: str | None = None


@dataclass(slots=True)
class _Track:
    value: float
    at: float
    lower_run: list[float] = field(default_factory=list)


@dataclass(slots=True)
class CounterGuard:
    """Checks successive readings of lifetime counters (kWh)."""

    max_power_kw: float = 100.0
    """No counter can grow faster than this (twice the plant's rating is a safe bound)."""
    accept_reset_after: int = 10
    _tracks: dict[object, _Track] = field(default_factory=dict)

    def check(
        self, key: object, value: float | None, now: float, *, resettable: bool = True
    ) -> Verdict:
        """Return the value to publish for a counter read at ``now`` (seconds).

        Only a ``resettable`` counter (see ``RESETTING_ADDRESSES``) may ever be
        taken lower; any other stays unpublished while it reads lower.
        """
        if value is None:
            return Verdict(None, "no reading")
        track = self._tracks.get(key)
        if track is None:
            self._tracks[key] = _Track(value, now)
            return Verdict(value)
        if value < track.value:
            if not resettable:
                return Verdict(None, f"went back from {track.value} to {value}")
            return self._lower(key, track, value, now)
        track.lower_run.clear()
        hours = max(now - track.at, 0.0) / 3600
        limit = track.value + self.max_power_kw * hours + 1.0
        if value > limit:
            return Verdict(None, f"jumped from {track.value} to {value}")
        track.value, track.at = value, now
        return Verdict(value)

    def _lower(self, key: object, track: _Track, value: float, now: float) -> Verdict:
        run = track.lower_run
        if run and value < run[-1]:
            run.clear()
        run.append(value)
        if len(run) >= self.accept_reset_after:
            self._tracks[key] = _Track(value, now)
            return Verdict(value, f"accepted a counter reset from {track.value} to {value}")
        return Verdict(None, f"went back from {track.value} to {value}")

    def last(self, key: object) -> float | None:
        """The last good value of a counter."""
        track = self._tracks.get(key)
        return None if track is None else track.value
