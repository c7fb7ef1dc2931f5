"""The Sigenergy integration: a SigenStor plant over Modbus TCP."""

from __future__ import annotations

from typing import TYPE_CHECKING

from homeassistant.const import CONF_HOST, CONF_PORT, Platform
from homeassistant.exceptions import ConfigEntryNotReady
from homeassistant.helpers import device_registry as dr

from . import binary_sensor, sensor
from .const import CONF_READ_ONLY, DOMAIN, LOGGER, PollGroup
from .coordinator import (
    PlantConfig,
    RealtimeCoordinator,
    SettingsCoordinator,
    SigenergyConfigEntry,
    SigenergyCoordinator,
    SigenergyRuntimeData,
)
from .entity import DeviceRole, device_info, want_enabled
from .protocol.client import SigenergyClient
from .protocol.contacts import IoSupport, probe_io
from .protocol.exceptions import SigenergyError

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant

PLATFORMS = [Platform.BINARY_SENSOR, Platform.SENSOR, Platform.SWITCH]


async def async_setup_entry(hass: HomeAssistant, entry: SigenergyConfigEntry) -> bool:
    """Connect to the plant, read it once, then set up the platforms."""
    client = SigenergyClient(
        entry.data[CONF_HOST],
        entry.data[CONF_PORT],
        read_only=entry.options.get(CONF_READ_ONLY, False),
    )
    plant = PlantConfig.from_entry(entry)
    try:
        io_support = await _probe_io(client, plant)
        runtime = _runtime(hass, entry, client, plant, io_support)
        # Fastest first: what it reads along the way spares the slower ones requests.
        for coordinator in runtime.coordinators.values():
            await coordinator.async_config_entry_first_refresh()
    except SigenergyError as err:
        await client.close()
        raise ConfigEntryNotReady(
            translation_domain=DOMAIN,
            translation_key="cannot_connect",
            translation_placeholders={"error": str(err)},
        ) from err
    except ConfigEntryNotReady:
        await client.close()
        raise
    entry.runtime_data = runtime
    _register_devices(hass, entry, plant)
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    return True


def _register_devices(hass: HomeAssistant, entry: SigenergyConfigEntry, plant: PlantConfig) -> None:
    """Create the plant, then its inverters, before any entity names them as parents."""
    registry = dr.async_get(hass)
    registry.async_get_or_create(
        config_entry_id=entry.entry_id, **device_info(plant, plant, DeviceRole.PLANT)
    )
    for inverter in plant.inverters:
        registry.async_get_or_create(
            config_entry_id=entry.entry_id, **device_info(plant, inverter, DeviceRole.INVERTER)
        )


async def _probe_io(client: SigenergyClient, plant: PlantConfig) -> dict[int, IoSupport]:
    """Probe each inverter's dry contacts and digital inputs (reads only)."""
    support: dict[int, IoSupport] = {}
    for inverter in plant.inverters:
        found = await probe_io(client, inverter.unit_id)
        support[inverter.unit_id] = found
        if not found.dry_contacts:
            LOGGER.info(
                "Inverter %s exposes no dry contacts DO1/DO2 over Modbus (%s); no switches for it",
                inverter.unit_id,
                found.dry_contacts_reason,
            )
        if not found.digital_inputs:
            LOGGER.info(
                "Inverter %s does not expose digital inputs DI1-DI5 over Modbus (%s)",
                inverter.unit_id,
                found.digital_inputs_reason,
            )
    return support


def _runtime(
    hass: HomeAssistant,
    entry: SigenergyConfigEntry,
    client: SigenergyClient,
    plant: PlantConfig,
    io_support: dict[int, IoSupport],
) -> SigenergyRuntimeData:
    """Build the coordinators and tell them what the enabled entities need."""
    coordinators: dict[PollGroup, SigenergyCoordinator] = {
        PollGroup.REALTIME: RealtimeCoordinator(hass, entry, client),
        PollGroup.DETAIL: SigenergyCoordinator(hass, entry, client, PollGroup.DETAIL),
        PollGroup.ENERGY: SigenergyCoordinator(hass, entry, client, PollGroup.ENERGY),
        PollGroup.SETTINGS: SettingsCoordinator(hass, entry, client, plant),
    }
    ordered = list(coordinators.values())
    for index, coordinator in enumerate(ordered):
        coordinator.slower = ordered[index + 1 :]
    coordinators[PollGroup.DETAIL].io_units = {
        unit: s for unit, s in io_support.items() if s.dry_contacts or s.digital_inputs
    }
    runtime = SigenergyRuntimeData(
        client=client, plant=plant, coordinators=coordinators, io_support=io_support
    )
    want_enabled(hass, runtime, Platform.SENSOR, sensor.SENSORS)
    want_enabled(hass, runtime, Platform.BINARY_SENSOR, binary_sensor.BINARY_SENSORS)
    coordinators[PollGroup.ENERGY].guarded = {d.registers[0] for d in sensor.SENSORS if d.lifetime}
    return runtime


async def async_unload_entry(hass: HomeAssistant, entry: SigenergyConfigEntry) -> bool:
    """Unload the platforms and close the connection."""
    unloaded = await hass.config_entries.async_unload_platforms(entry, PLATFORMS)
    if unloaded:
        await entry.runtime_data.client.close()
    return unloaded
