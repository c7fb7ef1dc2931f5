"""Sensors: snapshot, availability, counters that never go back."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from homeassistant.const import STATE_UNAVAILABLE, Platform
from homeassistant.helpers import entity_registry as er
from pytest_homeassistant_custom_component.common import MockConfigEntry

from tests.integration.conftest import tick
from tests.integration.snapshot import snapshot_entities

if TYPE_CHECKING:
    from freezegun.api import FrozenDateTimeFactory
    from homeassistant.core import HomeAssistant
    from syrupy.assertion import SnapshotAssertion

    from simulator import PlantSimulator


@pytest.fixture
def platforms() -> list[Platform]:
    """Only the sensor platform."""
    return [Platform.SENSOR]


async def test_snapshot(
    hass: HomeAssistant, everything_enabled: MockConfigEntry, snapshot: SnapshotAssertion
) -> None:
    """Every sensor, enabled, against a deterministic plant."""
    await snapshot_entities(hass, snapshot, everything_enabled.entry_id, "sensor")


async def test_enabled_by_default(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
) -> None:
    """Which sensors an owner gets enabled, and which wait to be enabled."""
    entries = er.async_entries_for_config_entry(entity_registry, init_integration.entry_id)
    disabled = sorted(e.entity_id for e in entries if e.disabled_by is not None)
    enabled = sorted(e.entity_id for e in entries if e.disabled_by is None)
    assert enabled
    assert {"enabled": enabled, "disabled": disabled} == snapshot


async def test_grid_flows_and_modes(
    hass: HomeAssistant, init_integration: MockConfigEntry, simulator: PlantSimulator
) -> None:
    """The grid split, the EMS mode and the battery's state of charge follow the plant."""
    grid = simulator.value(247, "grid_sensor_active_power")
    imported = float(hass.states.get("sensor.sigenergy_plant_grid_import_power").state)
    exported = float(hass.states.get("sensor.sigenergy_plant_grid_export_power").state)
    assert imported - exported == pytest.approx(grid)
    assert hass.states.get("sensor.sigenergy_plant_ems_work_mode").state == "max_self_consumption"
    soc = hass.states.get("sensor.sigenergy_battery_1_state_of_charge")
    assert float(soc.state) == simulator.value(1, "ess_soc")


async def test_unavailable_while_plant_down_then_back(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulator: PlantSimulator,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Entities go unavailable (not 0) while the plant is down, and come back."""
    soc = "sensor.sigenergy_plant_battery_state_of_charge"
    assert hass.states.get(soc).state != STATE_UNAVAILABLE
    await simulator.stop()
    await tick(hass, freezer, 5)
    assert hass.states.get(soc).state == STATE_UNAVAILABLE
    await tick(hass, freezer, 5, 3)
    assert caplog.text.count("Cannot read the plant (realtime poll") == 1
    await simulator.restart()
    await tick(hass, freezer, 5, 2)
    assert hass.states.get(soc).state == str(simulator.value(247, "plant_ess_soc"))
    assert caplog.text.count("The plant answers again") == 1


async def test_energy_never_decreases(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulator: PlantSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A lifetime counter read lower than before is unavailable, never published."""
    entity_id = "sensor.sigenergy_plant_grid_import_energy"
    before = float(hass.states.get(entity_id).state)
    simulator.set_value(247, "grid_import_energy_total_legacy", 0.0)
    await tick(hass, freezer, 60)
    assert hass.states.get(entity_id).state == STATE_UNAVAILABLE
    simulator.clear_override(247, "grid_import_energy_total_legacy")
    simulator.advance(60)
    await tick(hass, freezer, 60)
    assert float(hass.states.get(entity_id).state) >= before


async def test_energy_across_simulator_restart(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulator: PlantSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Across a restart of the plant's Modbus server every counter keeps going up."""
    energy = [
        s.entity_id
        for s in hass.states.async_all("sensor")
        if s.attributes.get("state_class") == "total_increasing" and s.state != STATE_UNAVAILABLE
    ]
    assert len(energy) >= 8
    seen = {e: float(hass.states.get(e).state) for e in energy}
    await simulator.stop()
    await tick(hass, freezer, 60, 2)
    await simulator.restart()
    simulator.advance(600)
    await tick(hass, freezer, 60, 2)
    for entity_id, old in seen.items():
        state = hass.states.get(entity_id).state
        assert state != STATE_UNAVAILABLE, entity_id
        assert float(state) >= old, entity_id
