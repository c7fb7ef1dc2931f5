"""Setup, unload, retry, and what the plant's shape gives."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING
from unittest.mock import patch

import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigEntryState
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import entity_registry as er

from custom_components.sigenergy_modbus.const import DOMAIN
from custom_components.sigenergy_modbus.protocol.client import SigenergyClient
from tests.helpers import device_by_identifier

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant
    from pytest_homeassistant_custom_component.common import MockConfigEntry

    from simulator import PlantSimulator
from tests.integration.conftest import tick


async def test_setup_and_unload(
    hass: HomeAssistant, init_integration: MockConfigEntry, simulator: PlantSimulator
) -> None:
    """The entry loads, holds one connection, and unloads cleanly."""
    assert init_integration.state is ConfigEntryState.LOADED
    assert simulator.stats.active_connections == 1
    assert await hass.config_entries.async_unload(init_integration.entry_id)
    await hass.async_block_till_done()
    assert init_integration.state is ConfigEntryState.NOT_LOADED
    for _ in range(20):  # the server sees the close a few loop turns later
        if simulator.stats.active_connections == 0:
            break
        await asyncio.sleep(0.01)
    assert simulator.stats.active_connections == 0


async def test_first_refresh_failure_retries(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry, simulator: PlantSimulator
) -> None:
    """A plant that does not answer at start makes the entry retry later."""
    await simulator.stop()
    mock_config_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    assert mock_config_entry.state is ConfigEntryState.SETUP_RETRY
    assert "Cannot reach the plant" in (mock_config_entry.reason or "")


async def test_first_refresh_exception_retries(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry, simulator: PlantSimulator
) -> None:
    """A plant that answers the probe but fails the first poll retries too."""
    simulator.faults.exceptions[(247, 30005)] = 0x04
    mock_config_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    assert mock_config_entry.state is ConfigEntryState.SETUP_RETRY


async def test_devices(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulator: PlantSimulator,
    device_registry: dr.DeviceRegistry,
) -> None:
    """Plant, inverter, battery and PV inputs are devices, children via the inverter."""
    plant = device_by_identifier(
        device_registry, (DOMAIN, f"{simulator.serial(1)}_plant"), init_integration.entry_id
    )
    assert plant is not None
    assert plant.name == "Sigenergy plant"
    devices = dr.async_entries_for_config_entry(device_registry, init_integration.entry_id)
    by_name = {d.name: d for d in devices}
    assert set(by_name) == {
        "Sigenergy plant",
        "Sigenergy inverter 1",
        "Sigenergy battery 1",
        "Sigenergy PV inputs 1",
    }
    inverter = by_name["Sigenergy inverter 1"]
    assert inverter.via_device_id == by_name["Sigenergy plant"].id
    assert inverter.serial_number == simulator.serial(1)
    assert inverter.model == "SigenStor EC 12.0 TP"
    assert inverter.sw_version
    assert by_name["Sigenergy battery 1"].via_device_id == inverter.id
    assert by_name["Sigenergy PV inputs 1"].via_device_id == inverter.id


@pytest.mark.parametrize("simulator_options", [{"inverters": 3}])
async def test_three_inverters(
    hass: HomeAssistant, init_integration: MockConfigEntry, device_registry: dr.DeviceRegistry
) -> None:
    """A three-inverter plant gives three inverter devices."""
    names = {
        d.name
        for d in dr.async_entries_for_config_entry(device_registry, init_integration.entry_id)
    }
    assert {"Sigenergy inverter 1", "Sigenergy inverter 2", "Sigenergy inverter 3"} <= names


@pytest.mark.parametrize("simulator_options", [{"coils": False}])
async def test_firmware_without_coils(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    entity_registry: er.EntityRegistry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Firmware without coils gives no DO switches and no DI sensors, and says why once."""
    entities = er.async_entries_for_config_entry(entity_registry, init_integration.entry_id)
    assert not [e for e in entities if e.unique_id.endswith(("_do1", "_do2"))]
    assert [e for e in entities if e.domain == "switch"]  # remote EMS is no dry contact
    assert not [e for e in entities if e.unique_id.endswith(("_di1", "_di5"))]
    setup_log = "\n".join(r.getMessage() for r in caplog.get_records("setup"))
    assert setup_log.count("exposes no dry contacts DO1/DO2 over Modbus (exception 0x01") == 1


async def test_firmware_change_updates_device(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulator: PlantSimulator,
    device_registry: dr.DeviceRegistry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """New firmware shows in the device registry at the next settings poll."""
    inverter = device_by_identifier(
        device_registry, (DOMAIN, simulator.serial(1)), init_integration.entry_id
    )
    assert inverter is not None
    assert inverter.sw_version == simulator.value(1, "firmware_version")
    simulator.set_firmware(1, "V100R001C00SPC200B001")
    await tick(hass, freezer, 300)
    inverter = device_by_identifier(
        device_registry, (DOMAIN, simulator.serial(1)), init_integration.entry_id
    )
    assert inverter is not None
    assert inverter.sw_version == "V100R001C00SPC200B001"


async def test_restart_after_a_firmware_change_keeps_the_new_version_quietly(  # noqa: PLR0917 - fixtures
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulator: PlantSimulator,
    device_registry: dr.DeviceRegistry,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A restart after a firmware update: no "firmware changed", nothing forgotten, none stale.

    The entry keeps the version the settings poll saw, so the next start has
    nothing to compare against but the truth, and the devices show it.
    """
    new = "V100R001C00SPC200B001"
    simulator.set_firmware(1, new)
    await tick(hass, freezer, 300)
    assert init_integration.data["inverters"][0]["firmware"] == new
    plant = (DOMAIN, f"{simulator.serial(1)}_plant")
    device = device_by_identifier(device_registry, plant, init_integration.entry_id)
    assert device is not None
    assert device.sw_version == new  # the plant shows its first inverter's firmware
    caplog.clear()
    with patch.object(SigenergyClient, "forget", autospec=True) as forget:
        assert await hass.config_entries.async_reload(init_integration.entry_id)
        await hass.async_block_till_done()
        await tick(hass, freezer, 300)  # the settings poll after the restart
    assert forget.call_count == 0
    assert "firmware changed" not in caplog.text
    for identifier in (simulator.serial(1), f"{simulator.serial(1)}_plant"):
        device = device_by_identifier(
            device_registry, (DOMAIN, identifier), init_integration.entry_id
        )
        assert device is not None
        assert device.sw_version == new, identifier


async def test_disabled_entities_are_not_polled(
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    simulator: PlantSimulator,
    entity_registry: er.EntityRegistry,
) -> None:
    """A register behind only disabled entities is never read."""
    mock_config_entry.add_to_hass(hass)
    # Disable the only entity that needs the grid frequency (31002) before setup.
    entity_registry.async_get_or_create(
        "sensor",
        DOMAIN,
        f"{simulator.serial(1)}_grid_frequency",
        config_entry=mock_config_entry,
        disabled_by=er.RegistryEntryDisabler.USER,
    )
    assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    detail = mock_config_entry.runtime_data.coordinators["detail"]
    assert "grid_frequency" not in {r.key for r in detail.wanted[1]}
    assert "pcs_internal_temperature" in {r.key for r in detail.wanted[1]}


async def test_no_deprecated_calls(
    hass: HomeAssistant, init_integration: MockConfigEntry, caplog: pytest.LogCaptureFixture
) -> None:
    """Setting up, reloading and unloading call nothing Home Assistant reports as deprecated."""
    assert await hass.config_entries.async_reload(init_integration.entry_id)
    await hass.async_block_till_done()
    assert await hass.config_entries.async_unload(init_integration.entry_id)
    await hass.async_block_till_done()
    reported = [
        r.getMessage()
        for r in caplog.records
        if r.name != "asyncio"  # its slow-callback lines name this test, "deprecated" and all
        and (
            "custom integration 'sigenergy_modbus'" in r.getMessage()
            or "deprecated" in r.getMessage()
        )
    ]
    assert reported == []
