"""Binary sensors: snapshot, grid connectivity and battery flow follow the plant."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from homeassistant.const import STATE_OFF, STATE_ON, Platform

from tests.integration.conftest import tick
from tests.integration.snapshot import snapshot_entities

if TYPE_CHECKING:
    from freezegun.api import FrozenDateTimeFactory
    from homeassistant.core import HomeAssistant
    from pytest_homeassistant_custom_component.common import MockConfigEntry
    from syrupy.assertion import SnapshotAssertion

    from simulator import PlantSimulator

GRID = "binary_sensor.sigenergy_plant_grid"
CHARGING = "binary_sensor.sigenergy_battery_1_charging"


@pytest.fixture
def platforms() -> list[Platform]:
    """Only the binary sensor platform."""
    return [Platform.BINARY_SENSOR]


async def test_snapshot(
    hass: HomeAssistant, everything_enabled: MockConfigEntry, snapshot: SnapshotAssertion
) -> None:
    """Every binary sensor, enabled, against a deterministic plant."""
    await snapshot_entities(hass, snapshot, everything_enabled.entry_id, "binary_sensor")


async def test_grid_follows_an_outage(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulator: PlantSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Grid goes off when the plant runs off grid, and on again when the grid is back."""
    assert hass.states.get(GRID).state == STATE_ON
    simulator.set_scenario("off_grid")
    await tick(hass, freezer, 5)
    assert hass.states.get(GRID).state == STATE_OFF
    simulator.set_scenario("normal")
    await tick(hass, freezer, 5)
    assert hass.states.get(GRID).state == STATE_ON


async def test_charging_follows_battery_power(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulator: PlantSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Charging is on while the battery takes power beyond the 10 W dead band, off otherwise."""
    power = simulator.value(1, "ess_power")
    assert isinstance(power, float)
    assert hass.states.get(CHARGING).state == (STATE_ON if power > 0.01 else STATE_OFF)
    for forced, expected in ((2.5, STATE_ON), (0.005, STATE_OFF), (-1.0, STATE_OFF)):
        simulator.set_value(1, "ess_power", forced)
        await tick(hass, freezer, 30)
        assert hass.states.get(CHARGING).state == expected, forced
