"""Smart loads: power and energy for each load in use, both enabled; none for the rest.

A load is in use when it has counted energy or draws power when Home
Assistant starts (one read of 30098-30193 at setup). Before, a load's power
was enabled by its energy, which the 30 s poll that evaluated it never read:
smart load 1 (474 kWh counted) had its power disabled.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from homeassistant.helpers import entity_registry as er

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant
    from pytest_homeassistant_custom_component.common import MockConfigEntry

    from simulator import PlantSimulator


def _smart_load_entities(registry: er.EntityRegistry, entry_id: str) -> dict[str, bool]:
    """Smart-load entity ids and whether each is enabled."""
    return {
        e.entity_id: e.disabled_by is None
        for e in er.async_entries_for_config_entry(registry, entry_id)
        if "_smart_load_" in e.entity_id
    }


async def test_load_with_energy_has_power_and_energy_enabled(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulator: PlantSimulator,
    entity_registry: er.EntityRegistry,
) -> None:
    """Smart load 1 has counted energy and draws nothing now: both sensors, both enabled."""
    assert float(simulator.value(247, "smart_load_1_energy_total") or 0) > 0
    assert simulator.value(247, "smart_load_1_power") == 0  # the water heater runs 11-14 h
    entities = _smart_load_entities(entity_registry, init_integration.entry_id)
    assert entities == {
        "sensor.sigenergy_plant_smart_load_1_power": True,
        "sensor.sigenergy_plant_smart_load_1_energy": True,
    }
    power = hass.states.get("sensor.sigenergy_plant_smart_load_1_power")
    assert power is not None
    assert float(power.state) == 0.0


async def test_load_drawing_power_without_energy_yet(
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    simulator: PlantSimulator,
    entity_registry: er.EntityRegistry,
) -> None:
    """A load that draws power but has counted nothing yet is in use too; an idle one is not."""
    simulator.set_value(247, "smart_load_5_power", 1.2)
    simulator.set_value(247, "smart_load_5_energy_total", 0.0)
    mock_config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    entities = _smart_load_entities(entity_registry, mock_config_entry.entry_id)
    assert entities == {
        "sensor.sigenergy_plant_smart_load_1_power": True,
        "sensor.sigenergy_plant_smart_load_1_energy": True,
        "sensor.sigenergy_plant_smart_load_5_power": True,
        "sensor.sigenergy_plant_smart_load_5_energy": True,
    }
    assert hass.states.get("sensor.sigenergy_plant_smart_load_5_power").state == "1.2"
    await hass.config_entries.async_unload(mock_config_entry.entry_id)
    await hass.async_block_till_done()
