"""Keep energy counters from ever publishing energy the plant did not make.

Home Assistant's statistics take a ``total_increasing`` sensor's every rise
as energy and every fall as a meter reset. A lifetime counter read as 0 and
then as its real value again would put the whole counter into the owner's
statistics for ever; so would a corrupt frame that reads 1e9 kWh.
``CounterGuard`` holds the last good value of each counter and judges every
reading against it:

* **Lower** than the last good value is a failed read (``None``, nothing
  published), with three exceptions. A *slight* drop (at most what the
  device makes in ``hold_hours`` at full power, and within Home Assistant's
  own 10 % "dip" band) is what counters do after a power cut: the last good
  value is *held* (published again, quietly) until the counter counts past
  it. A *daily* counter may restart at the plant's local midnight, and only
  then. The protocol's "new statistics" counters (30228-30268) restart at 0
  once, when the firmware that introduces them is installed: a lower value
  that stays lower and keeps counting for ``accept_reset_after`` reads is
  taken as that reset.
* **Higher** than the device could have made since the last good value, at
  its counter's ``max_power_kw``, is a failed read. A daily counter is also
  never more than that power times the hours since the plant's midnight.
* The **first** reading of a counter the guard knows nothing about is
  provisional: it is published once a second reading agrees with it.
* A counter Home Assistant already knows **awaits its seed**
  (``await_seed``): its readings are kept, not published, until the value
  Home Assistant held for it arrives (``seed``), which judges the kept
  reading at once against the owner's statistics; or until it is clear that
  none will (``unseeded``), and the kept reading is a first reading. So the
  seed may come after the first poll, as a sensor's restore data does.

Times: ``Moment.now`` is wall-clock epoch seconds (limits grow with real
time, and seeds carry Home Assistant's timestamps); ``Moment.local`` is the
plant's own local time, epoch seconds shifted by its time zone, so that
``local % 86400`` is the time since the midnight at which the plant resets
its daily counters.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING

from .plausibility import DC_CHARGER_KW, GRID_CONNECTION_KW, POWER_MARGIN, PlantRatings
from .registers import BY_KEY, PLANT_UNIT_ID

if TYPE_CHECKING:
    from collections.abc import Hashable, Iterable, Mapping

    from .models import PlantInfo

RESETTING_ADDRESSES = range(30228, 30272)
"""The "new statistics" counters, the only ones the protocol says restart at 0."""

DAY = 86400.0
HOUR = 3600.0


class CounterKind(StrEnum):
    """How a counter may legitimately go down."""

    LIFETIME = "lifetime"
    """Never (slight drops after a power cut are held)."""
    RESETTABLE = "resettable"
    """Once, to a value that stays lower and keeps counting (30228-30268)."""
    DAILY = "daily"
    """At the plant's local midnight."""


@dataclass(frozen=True, slots=True)
class CounterSpec:
    """What the guard needs to know about one counter."""

    kind: CounterKind
    max_power_kw: float
    """The counter cannot grow faster than this."""


@dataclass(frozen=True, slots=True)
class Moment:
    """When a poll read its counters (see the module's notes on time)."""

    now: float
    local: float

    @property
    def midnight(self) -> float:
        """The plant's last local midnight, on the ``local`` scale."""
        return self.local - self.local % DAY

    @property
    def offset(self) -> float:
        """Seconds from ``now`` to ``local``."""
        return self.local - self.now


@dataclass(frozen=True, slots=True)
class Verdict:
    """The guard's answer for one reading: the value to publish (None: nothing)."""

    value: float | None
    reason: str | None = None
    """Why the reading was not published as read."""
    held: bool = False
    """The value is the last good one, held over a slight drop."""
    provisional: bool = False
    """The first reading of an unknown counter, waiting for a second to agree."""
    awaiting: bool = False
    """The counter awaits its seed: the reading is kept and judged when the seed comes."""


@dataclass(slots=True)
class _Track:
    value: float
    at: float
    """``Moment.now`` of the last good value."""
    local_at: float | None
    """The plant's local time of the last good value (None: a seed not yet placed)."""
    run_start: float | None = None
    """Plant local time a daily counter's current day began (None: not seen)."""
    confirmed: bool = True
    lower_run: list[float] = field(default_factory=list)

    def place(self, moment: Moment) -> None:
        """Put a seed's time on the plant's local scale, now that the offset is known."""
        if self.local_at is None:
            self.local_at = self.at + moment.offset


@dataclass(slots=True)
class CounterGuard[K: Hashable]:
    """Checks successive readings of energy counters (kWh), each by its ``CounterSpec``.

    ``K`` is how counters are named: the integration uses (unit id, register key).
    """

    specs: Mapping[K, CounterSpec] = field(default_factory=dict)
    default: CounterSpec = CounterSpec(CounterKind.LIFETIME, POWER_MARGIN * GRID_CONNECTION_KW)
    """For a counter without a spec (the integration gives every counter one)."""
    slack_kwh: float = 1.0
    """Added to every limit: rounding, and the seconds between clocks."""
    hold_hours: float = 1.0
    """A drop of at most this long at full power, after a power cut, is held."""
    hold_share: float = 0.1
    """... and of at most this share of the value (Home Assistant's own dip band)."""
    reset_grace: float = 1800.0
    """Seconds after midnight a daily counter may still restart, if it had not yet."""
    accept_reset_after: int = 10
    _tracks: dict[K, _Track] = field(default_factory=dict)
    _awaiting: dict[K, tuple[float | None, Moment] | None] = field(default_factory=dict)
    """Counters awaiting their seed, with their latest reading (None: none yet)."""

    def spec(self, key: K) -> CounterSpec:
        """A counter's spec."""
        return self.specs.get(key, self.default)

    def await_seed(self, key: K) -> None:
        """Keep a counter's readings unpublished until ``seed`` or ``unseeded`` is called."""
        self._awaiting[key] = None

    def awaiting(self) -> frozenset[K]:
        """The counters still awaiting their seed."""
        return frozenset(self._awaiting)

    def seed(self, key: K, value: float, at: float) -> Verdict | None:
        """Start from what Home Assistant held for a counter at ``at`` (epoch seconds).

        Returns the verdict on the reading kept while the counter awaited its
        seed (None: no reading was kept).
        """
        self._tracks[key] = _Track(value, at, None)
        return self._release(key)

    def unseeded(self, key: K) -> Verdict | None:
        """Home Assistant holds nothing for a counter: judge it as one never seen.

        Returns the verdict on the reading kept while it awaited its seed (a
        first reading, provisional), or None when none was kept.
        """
        return self._release(key)

    def _release(self, key: K) -> Verdict | None:
        kept = self._awaiting.pop(key, None)
        return None if kept is None else self.check(key, *kept)

    def last(self, key: K) -> float | None:
        """The last good value of a counter (None while unknown or provisional)."""
        track = self._tracks.get(key)
        return track.value if track is not None and track.confirmed else None

    def last_at(self, key: K) -> float | None:
        """When the last good value was read (``Moment.now``), or None."""
        track = self._tracks.get(key)
        return track.at if track is not None and track.confirmed else None

    def check(self, key: K, value: float | None, moment: Moment) -> Verdict:  # noqa: PLR0911 - one verdict a rule, in order
        """Return what to publish for a counter read at ``moment``."""
        if key in self._awaiting:
            self._awaiting[key] = (value, moment)
            return Verdict(None, "awaiting its last value from Home Assistant", awaiting=True)
        if value is None:
            return Verdict(None, "no reading")
        spec = self.spec(key)
        if spec.kind is CounterKind.DAILY and value > self._today(spec, moment):
            return Verdict(None, f"{value} is more than it can count since midnight")
        track = self._tracks.get(key)
        if track is None:
            self._tracks[key] = _Track(
                value, moment.now, moment.local, moment.local, confirmed=False
            )
            return Verdict(None, "a first reading, to be confirmed", provisional=True)
        track.place(moment)
        if not track.confirmed:
            return self._confirm(key, track, value, moment)
        if value < track.value:
            return self._lower(key, track, value, moment)
        track.lower_run.clear()
        if value > self._limit(spec, track, moment):
            return Verdict(None, f"jumped from {track.value} to {value}")
        track.value, track.at, track.local_at = value, moment.now, moment.local
        return Verdict(value)

    def _today(self, spec: CounterSpec, moment: Moment) -> float:
        """The most a daily counter can hold: full power since the plant's midnight."""
        return spec.max_power_kw * (moment.local - moment.midnight) / HOUR + self.slack_kwh

    def _limit(self, spec: CounterSpec, track: _Track, moment: Moment) -> float:
        hours = max(moment.now - track.at, 0.0) / HOUR
        return track.value + spec.max_power_kw * hours + self.slack_kwh

    def _confirm(self, key: K, track: _Track, value: float, moment: Moment) -> Verdict:
        """A second reading confirms a first one when it could have followed it."""
        if track.value <= value <= self._limit(self.spec(key), track, moment):
            track.value, track.at, track.local_at = value, moment.now, moment.local
            track.confirmed = True
            return Verdict(value)
        first = track.value
        self._tracks[key] = _Track(value, moment.now, moment.local, moment.local, confirmed=False)
        return Verdict(None, f"{value} does not confirm {first}", provisional=True)

    def _lower(self, key: K, track: _Track, value: float, moment: Moment) -> Verdict:
        spec = self.spec(key)
        if spec.kind is CounterKind.RESETTABLE:
            return self._reset_run(key, track, value, moment)
        if spec.kind is CounterKind.DAILY and self._midnight_passed(track, moment):
            self._tracks[key] = _Track(value, moment.now, moment.local, moment.local)
            return Verdict(value)
        drop = track.value - value
        if drop <= spec.max_power_kw * self.hold_hours and drop <= self.hold_share * track.value:
            return Verdict(
                track.value, f"reads {value}, slightly lower than {track.value}", held=True
            )
        return Verdict(None, f"went back from {track.value} to {value}")

    def _midnight_passed(self, track: _Track, moment: Moment) -> bool:
        """Whether a daily counter is due to restart: its day ended since its last good value.

        Either the last good value is from before the plant's last midnight,
        or the counter has not restarted since it and midnight is less than
        ``reset_grace`` ago (the plant may reset a little after its clock
        passed midnight, and the poll may have read the old total first).
        """
        midnight = moment.midnight
        if track.local_at is not None and track.local_at < midnight:
            return True
        started = track.run_start
        return moment.local - midnight <= self.reset_grace and (
            started is None or started < midnight
        )

    def _reset_run(self, key: K, track: _Track, value: float, moment: Moment) -> Verdict:
        run = track.lower_run
        if run and value < run[-1]:
            run.clear()
        run.append(value)
        if len(run) >= self.accept_reset_after:
            self._tracks[key] = _Track(value, moment.now, moment.local)
            return Verdict(value, f"accepted a counter reset from {track.value} to {value}")
        return Verdict(None, f"went back from {track.value} to {value}")


# Counters the grid can add to: what the grid point, the loads and their
# chargers count may come from the grid as well as from the plant.
_GRID_COUNTERS = frozenset(
    {
        "plant_load_energy_total",
        "plant_load_energy_daily",
        "grid_import_energy_total_legacy",
        "grid_export_energy_total_legacy",
        "grid_import_energy_total",
        "grid_export_energy_total",
        "common_load_energy_total",
        "evac_charge_energy_total",
        "third_party_pv_energy_total_legacy",
        "third_party_pv_energy_total",
        "generator_energy_total_legacy",
        "generator_energy_total",
        *(f"smart_load_{n}_energy_total" for n in range(1, 25)),
    }
)


def counter_power_kw(key: str, unit_id: int, ratings: PlantRatings) -> float:
    """How fast a counter can grow at most, from the plant's ratings (kW).

    Twice the rated power of the device that counts (the plant's for unit
    247: PV arrays are oversized on the DC side), and for what the grid can
    feed too (grid point, loads) a household grid connection on top.
    """
    if key.startswith("dc_charger_"):
        return POWER_MARGIN * DC_CHARGER_KW
    power = POWER_MARGIN * ratings.device_kw(unit_id)
    if unit_id == PLANT_UNIT_ID and key in _GRID_COUNTERS:
        power = POWER_MARGIN * ratings.plant_kw + GRID_CONNECTION_KW
    return power


def counter_kind(key: str, *, daily: bool) -> CounterKind:
    """How a counter may go down: daily, resettable (30228-30268), or never."""
    if daily:
        return CounterKind.DAILY
    if BY_KEY[key].address in RESETTING_ADDRESSES:
        return CounterKind.RESETTABLE
    return CounterKind.LIFETIME


def counter_specs(
    plant: PlantInfo, counters: Iterable[tuple[int, str, bool]]
) -> dict[tuple[int, str], CounterSpec]:
    """The spec of each (unit id, register key, daily) counter of a plant."""
    ratings = PlantRatings.of(plant)
    return {
        (unit_id, key): CounterSpec(
            counter_kind(key, daily=daily), counter_power_kw(key, unit_id, ratings)
        )
        for unit_id, key, daily in counters
    }
