"""Sensors and binary sensors: snapshots, availability, counters that never go back."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from homeassistant.const import STATE_UNAVAILABLE, Platform
from homeassistant.helpers import entity_registry as er
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    snapshot_platform,
)

from tests.integration.conftest import tick

if TYPE_CHECKING:
    from freezegun.api import FrozenDateTimeFactory
    from homeassistant.core import HomeAssistant
    from syrupy.assertion import SnapshotAssertion

    from simulator import PlantSimulator


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
@pytest.mark.parametrize(
    "platforms", [[Platform.SENSOR], [Platform.BINARY_SENSOR], [Platform.SWITCH]]
)
async def test_snapshots(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Every entity of every platform against a deterministic plant.

    Entities disabled by default are enabled here after the coordinators
    planned their reads; they ask for a refresh, which comes after the
    coordinators' request cool-down.
    """
    await tick(hass, freezer, 11)
    await snapshot_platform(hass, entity_registry, snapshot, init_integration.entry_id)


async def test_entity_counts(
    hass: HomeAssistant, init_integration: MockConfigEntry, entity_registry: er.EntityRegistry
) -> None:
    """How many entities a one-inverter plant gets, and how many are enabled."""
    entries = er.async_entries_for_config_entry(entity_registry, init_integration.entry_id)
    counts: dict[str, list[int]] = {}
    for entry in entries:
        total_enabled = counts.setdefault(entry.domain, [0, 0])
        total_enabled[0] += 1
        total_enabled[1] += entry.disabled_by is None
    assert counts == {"sensor": [145, 71], "binary_sensor": [21, 21], "switch": [2, 2]}


async def test_grid_flows_and_modes(
    hass: HomeAssistant, init_integration: MockConfigEntry, simulator: PlantSimulator
) -> None:
    """The grid split, the grid mode and the battery state follow the plant."""
    grid = simulator.value(247, "grid_sensor_active_power")
    imported = float(hass.states.get("sensor.sigenergy_plant_grid_import_power").state)
    exported = float(hass.states.get("sensor.sigenergy_plant_grid_export_power").state)
    assert imported - exported == pytest.approx(grid)
    assert hass.states.get("sensor.sigenergy_plant_grid_mode").state == "on_grid"
    assert hass.states.get("binary_sensor.sigenergy_plant_grid").state == "on"
    soc = hass.states.get("sensor.battery_1_state_of_charge")
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
    assert caplog.text.count("Error fetching sigenergy_modbus realtime data") == 1
    await simulator.restart()
    await tick(hass, freezer, 5, 2)
    assert hass.states.get(soc).state == str(simulator.value(247, "plant_ess_soc"))
    assert caplog.text.count("Fetching sigenergy_modbus realtime data recovered") == 1


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
