"""Running Home Assistant's event loop under a frozen clock, against real sockets.

With ``freezer`` the event loop's clock stands still: a timer runs only when
a test moves the clock on. The tests move it in poll-sized steps. Some waits
are shorter than any step and are no part of what a test measures: pymodbus
before 3.16 sleeps 0.1 s after each connection attempt (a failed one too),
and the client pauses ``BUSY_RETRY_DELAY`` before it asks a busy device
again. ``settle`` lets such a timer run out, moving the clock on by just as
much, once nothing but that timer is left to wait for.
"""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta
from typing import TYPE_CHECKING

from homeassistant.util.async_ import get_scheduled_timer_handles

if TYPE_CHECKING:
    from collections.abc import Callable

    from freezegun.api import FrozenDateTimeFactory
    from homeassistant.core import HomeAssistant

SHORT_TIMER = 0.5
"""Seconds: a timer due within this is let run out; a longer one waits for the test."""

QUIET = 0.05
"""Real seconds without a task finishing before the loop counts as waiting for a timer.

Over loopback a reply takes about a millisecond.
"""


def real_monotonic() -> float:
    """Real seconds: freezegun patches ``time.monotonic`` (and its own ``real_monotonic``)."""
    return time.clock_gettime(time.CLOCK_MONOTONIC)


def busy(hass: HomeAssistant) -> list[asyncio.Future[object]]:
    """The tasks Home Assistant's ``async_block_till_done`` would wait for."""
    tasks = hass._tasks | hass._background_tasks
    return [t for t in tasks if not t.done()]


def run_short_timer(hass: HomeAssistant, freezer: FrozenDateTimeFactory) -> bool:
    """Move the clock on to the next timer if it is due within ``SHORT_TIMER``."""
    now = hass.loop.time()
    due = [h.when() - now for h in get_scheduled_timer_handles(hass.loop) if not h.cancelled()]
    if not due or min(due) > SHORT_TIMER:
        return False
    freezer.tick(timedelta(seconds=max(min(due), 0.0) + 0.001))
    return True


async def settle(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory | None = None,
    on_the_wire: Callable[[], object] | None = None,
    stuck: float = 0.3,
    cap: float = 5.0,
) -> None:
    """Let the tasks started by a tick run until they are done or wait for the clock.

    ``hass.async_block_till_done()`` would wait for a poll that waits for a
    timer, which with the clock frozen only fires at the next tick: it would
    wait forever. This spins the event loop (socket I/O included) until no
    task is left. Given the ``freezer``, a short timer (``SHORT_TIMER``) is
    let run out once no task has finished for ``QUIET`` real seconds. It
    returns early when the request ``on_the_wire()`` returns has waited
    ``stuck`` real seconds for its reply (over loopback a reply takes about a
    millisecond, far less than the margin kept for a loaded CI machine with
    coverage on): that one waits for the clock. ``cap`` bounds the wait
    whatever happens.
    """
    start = real_monotonic()
    request, since = None, start
    seen: frozenset[asyncio.Future[object]] = frozenset()
    still = start
    while tasks := frozenset(busy(hass)):
        now = real_monotonic()
        if on_the_wire is not None:
            current = on_the_wire()
            if current is not request:
                request, since = current, now
            elif request is not None and now - since > stuck:
                return
        if now - start > cap:
            return
        if tasks != seen:
            seen, still = tasks, now
        elif freezer is not None and now - still > QUIET and run_short_timer(hass, freezer):
            still = now
        await asyncio.sleep(0)
    await hass.async_block_till_done()
