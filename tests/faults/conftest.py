"""Fixtures of the fault tests: the simulator, a fault proxy, clock helpers, the report."""

from __future__ import annotations

import asyncio
import os
import time
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed

from custom_components.sigenergy_modbus.config_flow import entry_title, identify
from custom_components.sigenergy_modbus.const import DOMAIN
from tests.faults.proxy import FaultProxy
from tests.faults.report import MEASUREMENTS, write_report

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Callable

    from freezegun.api import FrozenDateTimeFactory
    from homeassistant.core import HomeAssistant

    from simulator import PlantSimulator


def real_monotonic() -> float:
    """Real seconds: freezegun patches ``time.monotonic`` (and its own ``real_monotonic``)."""
    return time.clock_gettime(time.CLOCK_MONOTONIC)


REPORT = Path(__file__).parents[2] / "docs" / "RELIABILITY.md"


@pytest.fixture
def mock_recorder_before_hass(async_test_recorder: object) -> None:
    """Prepare the recorder's database before ``hass``, for tests that use ``recorder_mock``.

    The autouse fixture below needs ``hass``; without this the recorder
    would be set up after it, which ``recorder_mock`` refuses.
    """


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(enable_custom_integrations: None) -> None:
    """Load the integration from custom_components/."""


@pytest.fixture
async def loaded(hass: HomeAssistant, simulator: PlantSimulator) -> AsyncIterator[MockConfigEntry]:
    """The integration (all platforms) set up straight against the simulator."""
    plant = await identify(simulator.host, simulator.port)
    entry = MockConfigEntry(
        domain=DOMAIN, title=entry_title(plant), unique_id=plant.serial, data=plant.as_data()
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    yield entry
    if entry.state.recoverable:
        await hass.config_entries.async_unload(entry.entry_id)
        await hass.async_block_till_done()


@pytest.fixture
async def proxy(simulator: PlantSimulator) -> AsyncIterator[FaultProxy]:
    """A fault proxy in front of the simulator, passing everything through."""
    fault_proxy = FaultProxy(simulator.host, simulator.port)
    await fault_proxy.start()
    yield fault_proxy
    await fault_proxy.stop()


def _busy(hass: HomeAssistant) -> list[asyncio.Task[object]]:
    tasks = hass._tasks | hass._background_tasks  # what block_till_done waits for
    return [t for t in tasks if not t.done()]


async def settle(
    hass: HomeAssistant,
    on_the_wire: Callable[[], object] | None = None,
    stuck: float = 0.3,
    cap: float = 5.0,
) -> None:
    """Let the polls started by a tick run until they are done or wait for a timer.

    ``hass.async_block_till_done(wait_background_tasks=True)`` would wait for
    a poll that waits for its 1 s request timeout; with the clock frozen that
    timer only fires at the next tick, so it would wait forever. This spins
    the event loop (socket I/O included) until no task is left, or until the
    request ``on_the_wire()`` returns has waited ``stuck`` real seconds for
    its reply (over loopback a reply takes about a millisecond, far less than
    the margin kept for a loaded CI machine with coverage on): that
    one waits for the clock. ``cap`` bounds the wait whatever happens.
    """
    await hass.async_block_till_done()
    start = real_monotonic()
    request, since = None, start
    while _busy(hass):
        now = real_monotonic()
        if on_the_wire is not None:
            current = on_the_wire()
            if current is not request:
                request, since = current, now
            elif request is not None and now - since > stuck:
                return
        if now - start > cap:
            return
        await asyncio.sleep(0)
    await hass.async_block_till_done()


async def advance(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    seconds: float,
    steps: int = 1,
    simulator: PlantSimulator | None = None,
    *,
    on_the_wire: Callable[[], object] | None = None,
) -> None:
    """Move the clock on ``steps`` times (and the simulated plant with it), then settle."""
    for _ in range(steps):
        freezer.tick(timedelta(seconds=seconds))
        if simulator is not None:
            simulator.advance(seconds)
        async_fire_time_changed(hass)
        await settle(hass, on_the_wire)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Write docs/RELIABILITY.md from the fault matrix, when asked to (RELIABILITY_REPORT=1)."""
    if os.environ.get("RELIABILITY_REPORT") == "1" and MEASUREMENTS:
        write_report(REPORT, MEASUREMENTS)
