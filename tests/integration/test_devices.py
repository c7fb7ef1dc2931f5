"""Each device shows what the registers tell about it: model, serial, firmware, sizes."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from homeassistant.helpers import device_registry as dr

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant
    from pytest_homeassistant_custom_component.common import MockConfigEntry

    from simulator import PlantSimulator


@pytest.mark.parametrize("simulator_options", [{"ac_charger": True}])
async def test_device_info_from_the_registers(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulator: PlantSimulator,
    device_registry: dr.DeviceRegistry,
) -> None:
    """Plant serial and firmware; battery packs and capacity; PV strings and MPPTs; charger."""
    devices = {
        d.name: d
        for d in dr.async_entries_for_config_entry(device_registry, init_integration.entry_id)
    }
    firmware = simulator.value(1, "firmware_version")
    plant = devices["Sigenergy plant"]
    assert (plant.manufacturer, plant.model) == ("Sigenergy", "SigenStor plant")
    assert plant.serial_number == simulator.serial(1)  # the plant is known by it
    assert plant.sw_version == firmware

    inverter = devices["Sigenergy inverter 1"]
    assert inverter.model == simulator.value(1, "model_type") == "SigenStor EC 12.0 TP"
    assert inverter.serial_number == simulator.serial(1)
    assert inverter.sw_version == firmware

    packs = simulator.value(1, "pack_count")
    capacity = simulator.value(1, "rated_battery_capacity")
    assert (packs, capacity) == (3, 24.0)
    assert devices["Sigenergy battery 1"].model == "SigenStor BAT x 3, 24 kWh"

    strings = simulator.value(1, "pv_string_count")
    mppts = simulator.value(1, "mppt_count")
    assert devices["Sigenergy PV inputs 1"].model == f"{strings} PV strings, {mppts} MPPT"

    charger_id = simulator.ac_charger_id
    assert charger_id is not None
    rating = simulator.value(charger_id, "ac_charger_rated_power")
    charger = devices[f"Sigenergy AC charger {charger_id}"]
    assert charger.model == f"Sigen AC charger {rating:g} kW" == "Sigen AC charger 11 kW"
    for device in devices.values():
        assert device.manufacturer == "Sigenergy"
        assert device.model
