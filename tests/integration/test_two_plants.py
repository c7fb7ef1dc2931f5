"""Two plants in one Home Assistant can be told apart: titles, devices, entity ids.

Each plant is its own simulator (another seed: other serial numbers) on its
own loopback address, added through the config flow as an owner does.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from homeassistant.config_entries import SOURCE_USER
from homeassistant.const import CONF_HOST, CONF_PORT
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import entity_registry as er

from custom_components.sigenergy_modbus.const import DOMAIN
from tests.conftest import start_simulator
from tests.helpers import through_progress

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant

    from simulator import PlantSimulator


async def _add(hass: HomeAssistant, sim: PlantSimulator) -> str:
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "manual"}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_HOST: sim.host, CONF_PORT: sim.port}
    )
    result = await through_progress(hass, result)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    return str(result["title"])


async def test_two_plants_apart(
    hass: HomeAssistant,
    simulator: PlantSimulator,
    device_registry: dr.DeviceRegistry,
    entity_registry: er.EntityRegistry,
) -> None:
    """ "Sigenergy" and "Sigenergy <serial end>": no shared device name, no "_2" entity id."""
    second = await start_simulator("127.0.0.2", seed=2)
    try:
        assert second.serial(1) != simulator.serial(1)
        first_title = await _add(hass, simulator)
        second_title = await _add(hass, second)
        suffix = second.serial(1)[-4:]
        assert (first_title, second_title) == ("Sigenergy", f"Sigenergy {suffix}")

        entries = hass.config_entries.async_entries(DOMAIN)
        names = [
            d.name
            for e in entries
            for d in dr.async_entries_for_config_entry(device_registry, e.entry_id)
        ]
        assert len(names) == len(set(names)) == 8  # plant, inverter, battery, PV inputs each
        assert "Sigenergy plant" in names
        assert f"Sigenergy {suffix} plant" in names
        assert f"Sigenergy {suffix} inverter 1" in names

        ids = [
            e.entity_id
            for entry in entries
            for e in er.async_entries_for_config_entry(entity_registry, entry.entry_id)
        ]
        assert len(ids) == len(set(ids))
        assert not [i for i in ids if i.endswith("_2") and i.removesuffix("_2") in ids]
        assert "sensor.sigenergy_plant_grid_import_energy" in ids
        assert f"sensor.sigenergy_{suffix.lower()}_plant_grid_import_energy" in ids
        assert f"sensor.sigenergy_{suffix.lower()}_inverter_1_active_power" in ids
        assert hass.states.get(f"sensor.sigenergy_{suffix.lower()}_plant_pv_power") is not None
    finally:
        for entry in hass.config_entries.async_entries(DOMAIN):
            await hass.config_entries.async_unload(entry.entry_id)
        await hass.async_block_till_done()
        await second.stop()
