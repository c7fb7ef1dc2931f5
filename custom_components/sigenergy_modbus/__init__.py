"""The Sigenergy integration: a SigenStor plant over Modbus TCP.

Setup probes what the plant has (dry contacts per inverter, smart loads in
use), registers its devices, builds the coordinators slowest first and
refreshes them fastest first, then hands the plant to ``PlantUnits``
(``units.py``), which keeps it complete while it runs: the background sweep
of the unit ids identification left, units found later, silent units, and
entities of capabilities the plant lost. Control comes first and goes last:
see ``async_setup_entry`` and ``rescue``.

Home Assistant APIs the integration relies on beyond the documented
integration surface (config entries, entities and restore data,
coordinators, storage, registries, repairs, diagnostics, events, network),
and why:

* ``homeassistant.components.recorder.statistics`` (``get_metadata``,
  ``get_last_short_term_statistics``, ``get_last_statistics``), run through
  ``recorder.get_instance(hass).async_add_executor_job`` (``seed.py``): the
  last value the owner's statistics hold for an energy counter whose sensor
  has no restore data yet. The recorder's Python API is not documented for
  integrations; these are the calls core integrations (opower, tibber,
  kitchen_sink) read statistics with.
* ``homeassistant.helpers.target`` (``TargetSelection``,
  ``async_extract_referenced_entity_ids``; ``services.py``): which plant an
  action targets by device, entity or area, as core resolves entity services.
* ``automation.automations_with_entity`` and ``script.scripts_with_entity``
  (``units.py``): which automations and scripts used an entity that was
  removed, for its repair issue, as core integrations do.
* The wording of ``DataUpdateCoordinator``'s two log lines "Error fetching
  %s data: %s" and "Fetching %s data recovered", which a log filter leaves
  out (``coordinator.py``): reworded by core, they are merely logged again.

No private attribute of Home Assistant is read (the counters' seed read
``RestoreStateData.last_states`` until Home Assistant 2026.11 renamed it).
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import Platform
from homeassistant.exceptions import ConfigEntryNotReady
from homeassistant.helpers import config_validation as cv
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers import issue_registry as ir

from .binary_sensor import BINARY_SENSORS
from .button import BUTTONS
from .const import CONF_READ_ONLY, DOMAIN, LOGGER, PollGroup
from .control import (
    CONTROL_REALTIME,
    CONTROL_SETTINGS,
    PlantController,
    async_revert_removed,
    async_undo_due,
)
from .coordinator import (
    PlantFeatures,
    PlantLink,
    RealtimeCoordinator,
    SettingsCoordinator,
    SigenergyConfigEntry,
    SigenergyCoordinator,
    SigenergyRuntimeData,
)
from .entity import poll_plan, register_devices, unique_id_for, unit_id_of
from .number import NUMBERS
from .protocol.client import SigenergyClient
from .protocol.exceptions import SigenergyDeviceError, SigenergyError
from .protocol.guard import CounterGuard, counter_specs
from .protocol.keys import Key
from .protocol.models import PlantInfo
from .protocol.plausibility import Plausibility
from .protocol.registers import BY_KEY, PLANT_UNIT_ID, smart_load_registers
from .protocol.values import POWER_DEADBAND_KW, code, number
from .rescue import SETUP_FAILED, UNLOADED, async_hand_over, async_take_over
from .seed import async_seed_the_rest, await_seeds
from .select import SELECTS
from .sensor import SENSORS, SMART_LOADS, counter_targets, counters_of, guarded_counters
from .services import async_setup_services
from .switch import SWITCHES
from .units import PlantUnits, probe_io_units, remove_lost_entities

if TYPE_CHECKING:
    from collections.abc import Sequence

    from homeassistant.config_entries import ConfigEntry
    from homeassistant.core import HomeAssistant
    from homeassistant.helpers.device_registry import DeviceEntry
    from homeassistant.helpers.typing import ConfigType

    from .entity import SigenergyEntityDescription

PLATFORMS = [
    Platform.BINARY_SENSOR,
    Platform.BUTTON,
    Platform.NUMBER,
    Platform.SELECT,
    Platform.SENSOR,
    Platform.SWITCH,
]
DRY_CONTACTS_URL = (
    "https://github.com/sigenergy-ha/sigenergy-homeassistant#dry-contacts-do1--do2-smart-loads"
)
DESCRIPTIONS: dict[Platform, Sequence[SigenergyEntityDescription]] = {
    Platform.SENSOR: SENSORS,
    Platform.BINARY_SENSOR: BINARY_SENSORS,
    Platform.SWITCH: SWITCHES,
    Platform.NUMBER: NUMBERS,
    Platform.SELECT: SELECTS,
    Platform.BUTTON: BUTTONS,
}

CONFIG_SCHEMA = cv.config_entry_only_config_schema(DOMAIN)


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """Register the control actions: force charge, force discharge, hold, release."""
    async_setup_services(hass)
    return True


async def async_setup_entry(hass: HomeAssistant, entry: SigenergyConfigEntry) -> bool:
    """Undo a due control action, connect, find what the plant has, read it once, set up.

    Control comes first: a stored action whose deadline has passed (or any,
    in read-only mode) is undone with nothing but the client, before a
    probe, a poll or a platform can fail. Whatever fails after it — any
    exception, not only the plant's — closes what setup opened (the client,
    the controller's timers and listeners, platforms already set up) and
    hands a stored action to ``rescue``, which undoes it without the entry.
    """
    plant = PlantInfo.from_data(str(entry.unique_id), entry.data)
    client = SigenergyClient(
        plant.host, plant.port, read_only=entry.options.get(CONF_READ_ONLY, False)
    )
    controller: PlantController | None = None
    forwarded = False
    try:
        await async_take_over(hass, entry.entry_id)
        action, undone = await async_undo_due(hass, entry, client)
        plant = await _output_types(hass, entry, client, plant)
        io_support, io_pending = await probe_io_units(client, (i.unit_id for i in plant.inverters))
        features = PlantFeatures(
            io_support=io_support,
            smart_loads=await _smart_loads_in_use(client) | _smart_loads_known(hass, entry),
        )
        _dry_contact_issues(hass, entry, plant, features)
        devices = register_devices(hass, entry, plant)
        guard = CounterGuard(counter_specs(plant, counters_of(plant, features)))
        # The counters Home Assistant knows publish nothing until their sensors seed them.
        waiting = await_seeds(hass, guard, _counters(plant, features))
        coordinators = _coordinators(
            hass,
            entry,
            client,
            plant=plant,
            features=features,
            devices=devices,
            guard=guard,
        )
        # Fastest first: what it reads along the way spares the slower ones requests.
        for coordinator in coordinators.values():
            await coordinator.async_config_entry_first_refresh()
        controller = PlantController(hass, entry, client, coordinators)
        controller.async_start(action, undone)
        remove_lost_entities(hass, entry, plant, features, DESCRIPTIONS, unknown_io=io_pending)
        units = PlantUnits(
            hass,
            entry,
            client,
            features=features,
            io_pending=io_pending,
            coordinators=coordinators,
            devices=devices,
            descriptions=DESCRIPTIONS,
        )
        entry.runtime_data = SigenergyRuntimeData(
            client=client,
            units=units,
            coordinators=coordinators,
            devices=devices,
            controller=controller,
        )
        forwarded = True
        await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
        await async_seed_the_rest(hass, guard, waiting)
        units.async_start()
    except BaseException as err:
        await _failed_setup(hass, entry, client, controller, forwarded=forwarded, err=err)
        if isinstance(err, SigenergyError):
            raise ConfigEntryNotReady(
                translation_domain=DOMAIN,
                translation_key="cannot_connect",
                translation_placeholders={"error": str(err)},
            ) from err
        raise
    return True


def _counters(plant: PlantInfo, features: PlantFeatures) -> list[tuple[str, tuple[int, str]]]:
    """Each energy counter sensor's unique id, with its counter (unit id, register key)."""
    return [
        (unique_id_for(plant, unit, d.key), (unit_id_of(unit), str(d.registers[0])))
        for d, unit in counter_targets(plant, features)
    ]


async def _failed_setup(  # noqa: PLR0913 - what the setup had opened
    hass: HomeAssistant,
    entry: SigenergyConfigEntry,
    client: SigenergyClient,
    controller: PlantController | None,
    *,
    forwarded: bool,
    err: BaseException,
) -> None:
    """Close what a setup that failed had opened; a stored action's revert goes on without it.

    Home Assistant itself runs what was registered with ``async_on_unload``
    (the coordinators' timers among it); the rest is closed here. Nothing
    here raises: the error that failed setup is the one the owner sees.
    """
    if forwarded:
        try:
            await hass.config_entries.async_unload_platforms(entry, PLATFORMS)
        except Exception:  # noqa: BLE001 - the setup's error is the one to raise
            LOGGER.exception("Could not unload the platforms of a setup that failed")
    if controller is not None:
        await controller.async_stop()
    await client.close()
    if isinstance(err, Exception):  # not when cancelled: the next start finds the action stored
        await async_hand_over(hass, entry, SETUP_FAILED)


async def _output_types(
    hass: HomeAssistant, entry: SigenergyConfigEntry, client: SigenergyClient, plant: PlantInfo
) -> PlantInfo:
    """The plant with each inverter's output type (31004), read once for entries made without it.

    Identification reads it; entries made before it did learn it here, once,
    so that single-phase units lose the entities of phases they do not have.
    """
    learned = plant
    for inverter in plant.inverters:
        if inverter.output_type is not None:
            continue
        try:
            values = await client.read(inverter.unit_id, [BY_KEY[Key.OUTPUT_TYPE]])
        except SigenergyError as err:  # silent or refusing: tried again at the next start
            LOGGER.debug("Inverter %s does not tell its output type: %s", inverter.unit_id, err)
            continue
        if (output_type := code(values, Key.OUTPUT_TYPE)) is not None:
            learned = learned.with_inverter(replace(inverter, output_type=output_type))
    if learned != plant:
        hass.config_entries.async_update_entry(entry, data={**entry.data, **learned.as_data()})
    return learned


def _dry_contact_issues(
    hass: HomeAssistant, entry: SigenergyConfigEntry, plant: PlantInfo, features: PlantFeatures
) -> None:
    """Tell the owner, once per inverter, when its firmware exposes no dry contacts.

    A warning the owner may dismiss: the firmware answers that it has no
    coils, and the issue says how to switch smart loads instead. It goes
    away when a probe finds them (a firmware that adds them).
    """
    for inverter in plant.inverters:
        support = features.io_support.get(inverter.unit_id)
        if support is None:
            continue
        issue_id = f"no_dry_contacts_{inverter.serial}"
        if support.dry_contacts:
            ir.async_delete_issue(hass, DOMAIN, issue_id)
            continue
        ir.async_create_issue(
            hass,
            DOMAIN,
            issue_id,
            is_fixable=False,
            is_persistent=False,
            severity=ir.IssueSeverity.WARNING,
            learn_more_url=DRY_CONTACTS_URL,
            translation_key="no_dry_contacts",
            translation_placeholders={"name": entry.title, "unit_id": str(inverter.unit_id)},
        )


async def _smart_loads_in_use(client: SigenergyClient) -> frozenset[int]:
    """The smart loads that have counted energy or draw power (one read of 30098-30193)."""
    loads = {n: smart_load_registers(n) for n in range(1, SMART_LOADS + 1)}
    try:
        values = await client.read(PLANT_UNIT_ID, [r for pair in loads.values() for r in pair])
    except SigenergyDeviceError as err:
        LOGGER.info("The plant does not report smart loads (%s)", err)
        return frozenset()
    return frozenset(
        load
        for load, (power, energy) in loads.items()
        if (number(values, Key(energy.key)) or 0.0) > 0
        or abs(number(values, Key(power.key)) or 0.0) > POWER_DEADBAND_KW
    )


def _smart_loads_known(hass: HomeAssistant, entry: SigenergyConfigEntry) -> frozenset[int]:
    """The smart loads that already have an energy sensor: one bad read does not drop them."""
    registry = er.async_get(hass)
    suffixes = {f"_plant_smart_load_{n}_energy_total": n for n in range(1, SMART_LOADS + 1)}
    return frozenset(
        load
        for e in er.async_entries_for_config_entry(registry, entry.entry_id)
        for suffix, load in suffixes.items()
        if e.unique_id.endswith(suffix)
    )


def _coordinators(  # noqa: PLR0913 - the collaborators the coordinators get
    hass: HomeAssistant,
    entry: SigenergyConfigEntry,
    client: SigenergyClient,
    *,
    plant: PlantInfo,
    features: PlantFeatures,
    devices: dict[tuple[str, str], str],
    guard: CounterGuard[tuple[int, str]],
) -> dict[PollGroup, SigenergyCoordinator]:
    """The four coordinators, fastest first, each knowing the slower ones.

    They share the counters' guard and the plant's plausibility ranges.
    """
    plan = poll_plan(hass, plant, features, DESCRIPTIONS)
    plausibility = Plausibility(plant)
    link = PlantLink()  # one outage, one line: shared by the four
    # The guardrails of control read these whatever is enabled; they share requests.
    plan.add(PollGroup.REALTIME, PLANT_UNIT_ID, CONTROL_REALTIME)
    plan.add(PollGroup.SETTINGS, PLANT_UNIT_ID, CONTROL_SETTINGS)
    settings = SettingsCoordinator(
        hass,
        entry,
        client,
        PollGroup.SETTINGS,
        wanted=plan.for_group(PollGroup.SETTINGS),
        counters=guarded_counters(PollGroup.SETTINGS),
        guard=guard,
        plausibility=plausibility,
        link=link,
        plant=plant,
        devices=devices,
    )
    energy = SigenergyCoordinator(
        hass,
        entry,
        client,
        PollGroup.ENERGY,
        wanted=plan.for_group(PollGroup.ENERGY),
        counters=guarded_counters(PollGroup.ENERGY),
        guard=guard,
        plausibility=plausibility,
        link=link,
        slower=(settings,),
    )
    detail = SigenergyCoordinator(
        hass,
        entry,
        client,
        PollGroup.DETAIL,
        wanted=plan.for_group(PollGroup.DETAIL),
        counters=guarded_counters(PollGroup.DETAIL),
        guard=guard,
        plausibility=plausibility,
        link=link,
        slower=(energy, settings),
        io_units=features.io_units,
    )
    realtime = RealtimeCoordinator(
        hass,
        entry,
        client,
        PollGroup.REALTIME,
        wanted=plan.for_group(PollGroup.REALTIME),
        counters=guarded_counters(PollGroup.REALTIME),
        guard=guard,
        plausibility=plausibility,
        link=link,
        slower=(detail, energy, settings),
    )
    return {
        PollGroup.REALTIME: realtime,
        PollGroup.DETAIL: detail,
        PollGroup.ENERGY: energy,
        PollGroup.SETTINGS: settings,
    }


async def async_remove_config_entry_device(
    hass: HomeAssistant, entry: SigenergyConfigEntry, device: DeviceEntry
) -> bool:
    """Let the owner delete the device of a unit that no longer answers (never the plant)."""
    if entry.state is not ConfigEntryState.LOADED:
        return False
    return await entry.runtime_data.units.async_remove_device(device)


async def async_unload_entry(hass: HomeAssistant, entry: SigenergyConfigEntry) -> bool:
    """Unload the platforms and close the connection; a running action is not forgotten.

    An action still stored (running, or its revert pending) is handed to
    ``rescue``: on a reload the new setup takes it back at once; an entry
    unloaded for longer (disabled) still gets it undone at its deadline.
    """
    unloaded = await hass.config_entries.async_unload_platforms(entry, PLATFORMS)
    if unloaded:
        pending = await entry.runtime_data.controller.async_stop()
        await entry.runtime_data.client.close()
        if pending is not None:
            await async_hand_over(hass, entry, UNLOADED)
    return unloaded


async def async_remove_entry(hass: HomeAssistant, entry: ConfigEntry) -> None:
    """A plant deleted during an action gets its own settings back; nothing is left stored."""
    await async_take_over(hass, entry.entry_id)
    plant = PlantInfo.from_data(str(entry.unique_id), entry.data)
    client = SigenergyClient(plant.host, plant.port, read_only=True)  # undos only
    await async_revert_removed(hass, entry.entry_id, client)
