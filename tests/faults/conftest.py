"""Fixtures of the fault tests: the simulator, a fault proxy, clock helpers, the report."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed

from custom_components.sigenergy_modbus.config_flow import entry_title, identify
from custom_components.sigenergy_modbus.const import DOMAIN
from tests.clock import settle
from tests.faults.proxy import FaultProxy
from tests.faults.report import MEASUREMENTS, write_report

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Callable

    from freezegun.api import FrozenDateTimeFactory
    from homeassistant.core import HomeAssistant

    from simulator import PlantSimulator


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
        await settle(hass, freezer, on_the_wire)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Write docs/RELIABILITY.md from the fault matrix, when asked to (RELIABILITY_REPORT=1)."""
    if os.environ.get("RELIABILITY_REPORT") == "1" and MEASUREMENTS:
        write_report(REPORT, MEASUREMENTS)
