"""Keep the plant complete while it runs: new units, silent units, lost capabilities.

The config flow identifies the plant and the unit ids where its devices
almost always are (``discovery.identify_plant`` with a gap), so that a plant
is added in seconds. ``PlantUnits`` does the rest after setup, on the one
connection the coordinators share, a request at a time between their polls:

* **The sweep.** The unit ids the flow did not ask (stored as
  ``CONF_SWEEP_FROM``) are asked one every ``SWEEP_INTERVAL``, with the
  protocol's full timeout, until 246 is reached; a restart resumes where it
  was. Then **the re-check**: the ids without a unit, one every
  ``RECHECK_INTERVAL``, each cycle starting with the two ids after the
  highest unit (where an installer adds the next inverter), so that a unit
  added later is found without a reconfigure.
* **New units.** An inverter or AC charger found by either gets its devices,
  its entities (through each platform's listener, ``entity.add_entities``)
  and its share of every poll, without a reload; a log line and a repair
  notice (dismissable) say so. Its dry contacts are probed first.
* **Silent units.** A unit that answers no poll for ``SILENT_REPAIR_AFTER``
  raises a repair issue; it can then be deleted by the owner
  (``async_remove_device``), which stops its polls and forgets it. When it
  answers again the issue goes.
* **Dry contacts of a unit that was silent at setup** are probed again once
  it answers (at most every ``IO_RETRY_INTERVAL``), and its switches and
  inputs added then.
* **Lost capabilities.** At setup, entities of a capability the plant no
  longer has (firmware without coils, fewer PV strings after a reconfigure)
  are removed from the entity registry, and a repair notice names them and
  the automations and scripts that used them.

Nothing here is sent while the plant does not answer its realtime poll.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from functools import partial
from typing import TYPE_CHECKING, Any

from homeassistant.components.automation import automations_with_entity
from homeassistant.components.script import scripts_with_entity
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.event import async_track_time_interval
from homeassistant.util import dt as dt_util

from .const import CONF_SILENT_SINCE, CONF_SWEEP_FROM, DOMAIN, LOGGER, PollGroup
from .coordinator import PlantFeatures, SettingsCoordinator
from .entity import (
    INVERTER_ROLES,
    DeviceRole,
    device_identifier,
    poll_plan,
    register_devices,
    targets,
    unique_id_for,
    unit_id_of,
)
from .protocol.contacts import IoSupport, probe_io
from .protocol.discovery import probe_unit
from .protocol.exceptions import (
    SigenergyError,
    SigenergyProtocolError,
    SigenergyTimeoutError,
)
from .protocol.guard import counter_specs
from .protocol.identity import MAX_UNITS
from .protocol.models import AcChargerInfo, InverterInfo, PlantInfo
from .protocol.registers import DEVICE_UNIT_IDS, PLANT_UNIT_ID
from .sensor import counters_of

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Mapping, Sequence

    from homeassistant.const import Platform

    from .coordinator import PlantData, SigenergyConfigEntry, SigenergyCoordinator
    from .entity import SigenergyEntityDescription
    from .protocol.client import SigenergyClient

SWEEP_INTERVAL = timedelta(seconds=5)
"""One unit id asked every 5 s: 0.2 requests a second (0.4 where absent ids answer
0x02), about 20 minutes for the ids a first pass left."""

RECHECK_INTERVAL = timedelta(seconds=60)
"""Once swept, one id without a unit every minute: a cycle of the 1-246 in about
four hours, 0.017 requests a second (0.033 where absent ids answer 0x02)."""

RECHECK_NEAR = 2
"""Each re-check cycle starts with this many ids after the highest unit."""

SILENT_REPAIR_AFTER = timedelta(hours=24)
"""A unit silent this long raises a repair issue: a day, so that a unit switched off
for an evening or a service visit does not, and one removed is flagged the next day."""

SILENT_REMEMBER_AFTER = timedelta(minutes=10)
"""A unit silent this long is remembered as silent across restarts (and can be deleted)."""

IO_RETRY_INTERVAL = timedelta(minutes=5)
"""How often the dry contacts of a unit that did not answer their probe are asked again."""

PROBE_TIMEOUT: float | None = None
"""How long the sweep and the re-check wait for a unit id: None, the client's own (the
protocol's 1 s). Nobody waits for them, so a slow unit is not taken for an absent one."""

SAVE_SWEEP_EVERY = 32
"""The sweep's position is stored every this many ids, so that a restart resumes it."""

type EntityListener = Callable[[frozenset[int]], None]
type Found = InverterInfo | AcChargerInfo


async def probe_io_units(
    client: SigenergyClient, unit_ids: Iterable[int]
) -> tuple[dict[int, IoSupport], set[int]]:
    """Probe each inverter's dry contacts and digital inputs (reads only).

    A unit that does not answer (a timeout, a connection error, an exception
    other than "unsupported") is no reason to fail the plant: it is returned
    among the units to ask again later, and the rest are probed.
    """
    support: dict[int, IoSupport] = {}
    pending: set[int] = set()
    for unit_id in unit_ids:
        try:
            found = await probe_io(client, unit_id)
        except SigenergyError as err:
            LOGGER.info(
                "Inverter %s did not answer the dry contact probe (%s); asking again later",
                unit_id,
                err,
            )
            pending.add(unit_id)
            continue
        support[unit_id] = found
        _log_io(unit_id, found)
    return support, pending


def _log_io(unit_id: int, found: IoSupport) -> None:
    if not found.dry_contacts:
        LOGGER.info(
            "Inverter %s exposes no dry contacts DO1/DO2 over Modbus (%s); no switches for it",
            unit_id,
            found.dry_contacts_reason,
        )
    if not found.digital_inputs:
        LOGGER.info(
            "Inverter %s does not expose digital inputs DI1-DI5 over Modbus (%s)",
            unit_id,
            found.digital_inputs_reason,
        )


def _all_units(plant: PlantInfo) -> list[Found]:
    return [*plant.inverters, *plant.ac_chargers]


def _roles(unit: Found) -> frozenset[DeviceRole]:
    """The roles of a unit's devices."""
    return INVERTER_ROLES if isinstance(unit, InverterInfo) else frozenset({DeviceRole.AC_CHARGER})


class PlantUnits:
    """The plant's units, as known now, and the work that keeps them complete."""

    def __init__(  # noqa: PLR0913 - the collaborators, each keyword-only
        self,
        hass: HomeAssistant,
        entry: SigenergyConfigEntry,
        client: SigenergyClient,
        *,
        features: PlantFeatures,
        io_pending: set[int],
        coordinators: Mapping[PollGroup, SigenergyCoordinator],
        devices: dict[tuple[str, str], str],
        descriptions: Mapping[Platform, Sequence[SigenergyEntityDescription]],
    ) -> None:
        """Prepare; nothing is sent before ``async_start``."""
        self.hass = hass
        self.entry = entry
        self.client = client
        self.features = features
        self.coordinators = coordinators
        self.devices = devices
        self.descriptions = descriptions
        self._io_pending = set(io_pending)
        self._io_tried: dict[int, datetime] = {}
        self._listeners: list[EntityListener] = []
        self._busy = False
        self._cancel_timer: CALLBACK_TYPE | None = None
        self._recheck: list[int] = []
        self._capped = False
        stored_from = entry.data.get(CONF_SWEEP_FROM)
        self._sweep_next: int | None = stored_from if isinstance(stored_from, int) else None
        now = dt_util.utcnow()
        stored = self._stored_silence()
        self._last_answer: dict[int, datetime] = {
            unit_id_of(u): stored.get(unit_id_of(u), now) for u in _all_units(self.plant)
        }

    # -- the plant, stored in the entry ------------------------------------------------------

    @property
    def plant(self) -> PlantInfo:
        """The plant as its entry stores it now (firmware kept current by the settings poll)."""
        return PlantInfo.from_data(str(self.entry.unique_id), self.entry.data)

    @property
    def sweep_from(self) -> int | None:
        """The next unit id the sweep asks; None once every id was asked."""
        return self._sweep_next

    def _save(self, plant: PlantInfo | None = None, data: Mapping[str, Any] | None = None) -> None:
        updates = {**(plant.as_data() if plant is not None else {}), **(data or {})}
        self.hass.config_entries.async_update_entry(self.entry, data={**self.entry.data, **updates})
        if plant is not None:
            settings = self.coordinators[PollGroup.SETTINGS]
            if isinstance(settings, SettingsCoordinator):
                settings.watch_plant(plant)

    def _stored_silence(self) -> dict[int, datetime]:
        stored = self.entry.data.get(CONF_SILENT_SINCE) or {}
        silence: dict[int, datetime] = {}
        for unit, since in stored.items():
            when = dt_util.parse_datetime(str(since))
            if when is not None and str(unit).isdigit():
                silence[int(unit)] = when
        return silence

    # -- lifecycle ---------------------------------------------------------------------------

    @callback
    def async_start(self) -> None:
        """Start the sweep (or the re-check) and watch the polls for silent units."""
        for coordinator in self.coordinators.values():
            self.entry.async_on_unload(
                coordinator.add_poll_listener(partial(self._on_poll, coordinator))
            )
        self._schedule()
        self.entry.async_on_unload(self.stop)

    @callback
    def _schedule(self) -> None:
        self.stop()
        interval = SWEEP_INTERVAL if self.sweep_from is not None else RECHECK_INTERVAL
        self._cancel_timer = async_track_time_interval(
            self.hass, self._on_tick, interval, name=f"{DOMAIN} units", cancel_on_shutdown=True
        )

    @callback
    def stop(self) -> None:
        """Ask no more unit ids (the sweep and the re-check); the polls go on."""
        if self._cancel_timer is not None:
            self._cancel_timer()
            self._cancel_timer = None

    @callback
    def on_new_entities(self, listener: EntityListener) -> CALLBACK_TYPE:
        """Have a platform add the entities of units found while running."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    @callback
    def _on_tick(self, _now: datetime) -> None:
        if self._busy or not self.coordinators[PollGroup.REALTIME].last_update_success:
            return  # the plant does not answer: an absent id would be no news
        self._busy = True
        self.entry.async_create_background_task(self.hass, self._step(), f"{DOMAIN} units")

    async def _step(self) -> None:
        try:
            await self._retry_io()
            await self._probe_next()
        finally:
            self._busy = False

    # -- the sweep and the re-check ----------------------------------------------------------

    def _known_ids(self) -> set[int]:
        return {unit_id_of(u) for u in _all_units(self.plant)}

    def _next_recheck(self) -> int | None:
        known = self._known_ids()
        while self._recheck and self._recheck[0] in known:
            self._recheck.pop(0)
        if not self._recheck:
            highest = max(known, default=0)
            near = [u for u in range(highest + 1, highest + 1 + RECHECK_NEAR) if u <= 246]  # noqa: PLR2004
            rest = [u for u in DEVICE_UNIT_IDS if u not in known and u not in near]
            self._recheck = [*near, *rest]
        return self._recheck.pop(0) if self._recheck else None

    async def _probe_next(self) -> None:
        start = self._sweep_next
        known = self._known_ids()
        if start is not None:
            unit_id = next((u for u in range(start, DEVICE_UNIT_IDS.stop) if u not in known), None)
            if unit_id is None:
                self._sweep_done()
                return
        else:
            unit_id = self._next_recheck()
            if unit_id is None:
                return
        try:
            found = await probe_unit(self.client, unit_id, PROBE_TIMEOUT)
        except (SigenergyTimeoutError, SigenergyProtocolError):
            found = None  # silent, or no Modbus answer: no device there
        except SigenergyError as err:
            LOGGER.debug("Asking unit %s for a device failed: %s", unit_id, err)
            return  # the connection failed: asked again at the next tick
        if start is not None:
            self._sweep_next = unit_id + 1
            if self._sweep_next >= DEVICE_UNIT_IDS.stop:
                self._sweep_done()
            elif self._sweep_next % SAVE_SWEEP_EVERY == 0:
                self._save(data={CONF_SWEEP_FROM: self._sweep_next})
        if found is not None:
            await self.async_add_units([found])

    def _sweep_done(self) -> None:
        plant = self.plant
        LOGGER.info(
            "Every unit id 1-246 asked: the plant has %s inverter(s) and %s AC charger(s)",
            len(plant.inverters),
            len(plant.ac_chargers),
        )
        self._sweep_next = None
        self._save(data={CONF_SWEEP_FROM: None})
        if self._cancel_timer is not None:  # not stopped: on to the re-check's pace
            self._schedule()

    # -- new units ---------------------------------------------------------------------------

    async def async_add_units(self, found: Sequence[Found]) -> None:
        """Give units found while running their devices, entities and polls."""
        plant = self.plant
        serials = {i.serial for i in plant.inverters}
        known = self._known_ids()
        new: list[Found] = []
        for unit in found:
            if unit.unit_id in known or (isinstance(unit, InverterInfo) and unit.serial in serials):
                continue  # known, or the same inverter answering at a second id
            new.append(unit)
        if not new:
            return
        if len(known) + len(new) > MAX_UNITS:
            if not self._capped:
                self._capped = True
                LOGGER.warning(
                    "The plant has more than %s inverters and AC chargers; unit %s and any "
                    "further are not added",
                    MAX_UNITS,
                    new[0].unit_id,
                )
            return
        inverters = [u for u in new if isinstance(u, InverterInfo)]
        chargers = [u for u in new if isinstance(u, AcChargerInfo)]
        plant = replace(
            plant,
            inverters=tuple(sorted([*plant.inverters, *inverters], key=lambda i: i.unit_id)),
            ac_chargers=tuple(sorted([*plant.ac_chargers, *chargers], key=lambda c: c.unit_id)),
        )
        support, pending = await probe_io_units(self.client, [i.unit_id for i in inverters])
        self._io_pending |= pending
        self.features = replace(self.features, io_support={**self.features.io_support, **support})
        self._save(plant)
        now = dt_util.utcnow()
        for unit in new:
            self._last_answer[unit.unit_id] = now
        self._wire(frozenset(u.unit_id for u in new), support)
        for unit in new:
            kind = "inverter" if isinstance(unit, InverterInfo) else "AC charger"
            model = f" ({unit.model})" if isinstance(unit, InverterInfo) and unit.model else ""
            LOGGER.info("Found a new %s at unit id %s%s: added", kind, unit.unit_id, model)
        self._notify_new(plant, new)

    def _wire(self, unit_ids: frozenset[int], io: Mapping[int, IoSupport]) -> None:
        """Register devices, extend every poll, and have the platforms add the entities."""
        plant = self.plant
        self.devices.update(register_devices(self.hass, self.entry, plant))
        self._rate(plant)
        plan = poll_plan(self.hass, plant, self.features, self.descriptions)
        io_units = {u: s for u, s in io.items() if s.dry_contacts or s.digital_inputs}
        for group, coordinator in self.coordinators.items():
            coordinator.add_units(
                plan.for_group(group), io_units if group is PollGroup.DETAIL else None
            )
        for listener in list(self._listeners):
            listener(unit_ids)

    def _rate(self, plant: PlantInfo) -> None:
        """Judge the new units' values by their own ratings, as the others' are.

        The coordinators share one counter guard and one set of plausibility
        ranges, both made from the plant's ratings at setup: a unit found
        later gets its counters' specs (power from its rated power) and its
        ranges; those of the units known already stay as they are.
        """
        some = next(iter(self.coordinators.values()))
        specs = counter_specs(plant, counters_of(plant, self.features))
        guard_specs = some.guard.specs
        if isinstance(guard_specs, dict):
            for key, spec in specs.items():
                guard_specs.setdefault(key, spec)
        some.plausibility.rate(plant)

    def _notify_new(self, plant: PlantInfo, new: Sequence[Found]) -> None:
        inverters = [u.unit_id for u in new if isinstance(u, InverterInfo)]
        chargers = [u.unit_id for u in new if isinstance(u, AcChargerInfo)]
        ir.async_create_issue(
            self.hass,
            DOMAIN,
            f"new_units_{self.entry.entry_id}",
            is_fixable=False,
            is_persistent=False,
            severity=ir.IssueSeverity.WARNING,
            translation_key="new_units",
            translation_placeholders={
                "title": self.entry.title,
                "inverters": ", ".join(str(u) for u in inverters) or "-",
                "ac_chargers": ", ".join(str(u) for u in chargers) or "-",
                "total": str(len(plant.inverters) + len(plant.ac_chargers)),
            },
        )

    async def _retry_io(self) -> None:
        """Probe the dry contacts of one unit that was silent for it, once it answers polls."""
        now = dt_util.utcnow()
        for unit_id in sorted(self._io_pending):
            tried = self._io_tried.get(unit_id)
            if tried is not None and now - tried < IO_RETRY_INTERVAL:
                continue
            if now - self._last_answer.get(unit_id, now) > SILENT_REMEMBER_AFTER:
                continue  # it does not answer its polls either: no use asking
            self._io_tried[unit_id] = now
            support, pending = await probe_io_units(self.client, [unit_id])
            if pending:
                return
            self._io_pending.discard(unit_id)
            self.features = replace(
                self.features, io_support={**self.features.io_support, **support}
            )
            self._wire(frozenset({unit_id}), support)
            return

    # -- silent units ------------------------------------------------------------------------

    @callback
    def _on_poll(self, coordinator: SigenergyCoordinator, data: PlantData) -> None:
        """After each successful poll: who answered, and who has been silent too long."""
        now = dt_util.utcnow()
        for unit_id in coordinator.wanted:
            if unit_id != PLANT_UNIT_ID and unit_id in data:
                self._answered(unit_id, now)
        self._judge_silence(now)

    def _answered(self, unit_id: int, now: datetime) -> None:
        self._last_answer[unit_id] = now
        if str(unit_id) in (self.entry.data.get(CONF_SILENT_SINCE) or {}):
            silent = dict(self.entry.data.get(CONF_SILENT_SINCE) or {})
            del silent[str(unit_id)]
            self._save(data={CONF_SILENT_SINCE: silent})
            issue_id = self._silent_issue(unit_id)
            if ir.async_get(self.hass).async_get_issue(DOMAIN, issue_id) is not None:
                ir.async_delete_issue(self.hass, DOMAIN, issue_id)
                LOGGER.info("Unit %s answers again", unit_id)  # after its repair issue

    def _polled(self) -> set[int]:
        return {u for c in self.coordinators.values() for u in c.wanted if u != PLANT_UNIT_ID}

    def _judge_silence(self, now: datetime) -> None:
        stored = dict(self.entry.data.get(CONF_SILENT_SINCE) or {})
        changed = False
        polled = self._polled()
        for unit in _all_units(self.plant):
            unit_id = unit.unit_id
            if unit_id not in polled:
                continue  # nothing of it is read: its polls cannot tell
            since = self._last_answer.setdefault(unit_id, now)
            quiet = now - since
            if quiet >= SILENT_REMEMBER_AFTER and str(unit_id) not in stored:
                stored[str(unit_id)] = since.isoformat()
                changed = True
            if quiet >= SILENT_REPAIR_AFTER:
                self._raise_silent(unit, quiet)
        if changed:
            self._save(data={CONF_SILENT_SINCE: stored})

    def _silent_issue(self, unit_id: int) -> str:
        return f"silent_{self.entry.entry_id}_{unit_id}"

    def _raise_silent(self, unit: Found, quiet: timedelta) -> None:
        issue_id = self._silent_issue(unit.unit_id)
        placeholders = {
            "title": self.entry.title,
            "unit_id": str(unit.unit_id),
            "hours": str(int(quiet.total_seconds() // 3600)),
        }
        if isinstance(unit, InverterInfo):
            ir.async_create_issue(
                self.hass,
                DOMAIN,
                issue_id,
                is_fixable=False,
                severity=ir.IssueSeverity.WARNING,
                translation_key="inverter_silent",
                translation_placeholders=placeholders,
            )
        else:
            ir.async_create_issue(
                self.hass,
                DOMAIN,
                issue_id,
                is_fixable=False,
                severity=ir.IssueSeverity.WARNING,
                translation_key="ac_charger_silent",
                translation_placeholders=placeholders,
            )

    def answers(self, unit_id: int) -> bool:
        """Whether a unit answered a poll lately (it cannot be deleted then)."""
        since = self._last_answer.get(unit_id)
        return since is not None and dt_util.utcnow() - since < SILENT_REMEMBER_AFTER

    def diagnostics(self) -> dict[str, Any]:
        """Where the sweep is, and which units are silent or wait for their contacts' probe."""
        return {
            "sweep_from": self._sweep_next,
            "recheck_queue": len(self._recheck),
            "dry_contacts_probe_pending": sorted(self._io_pending),
            "silent_since": dict(self.entry.data.get(CONF_SILENT_SINCE) or {}),
        }

    # -- the owner deletes a device ----------------------------------------------------------

    def unit_of(self, device: dr.DeviceEntry) -> Found | None:
        """The inverter or AC charger a device belongs to (None: the plant, or no unit)."""
        plant = self.plant
        for unit in _all_units(plant):
            if any(device_identifier(plant, unit, r) in device.identifiers for r in _roles(unit)):
                return unit
        return None

    async def async_remove_device(self, device: dr.DeviceEntry) -> bool:
        """Let the owner delete a device whose unit no longer answers; forget the unit."""
        plant = self.plant
        if device_identifier(plant, plant, DeviceRole.PLANT) in device.identifiers:
            return False
        unit = self.unit_of(device)
        if unit is None:
            return True  # a device of a unit already forgotten
        if self.answers(unit.unit_id):
            return False
        self.forget(unit, keep=device.id)
        return True

    def forget(self, unit: Found, keep: str | None = None) -> None:
        """Stop reading a unit, remove its other devices, and drop it from the entry."""
        unit_id = unit.unit_id
        plant = self.plant
        plant = replace(
            plant,
            inverters=tuple(i for i in plant.inverters if i.unit_id != unit_id),
            ac_chargers=tuple(c for c in plant.ac_chargers if c.unit_id != unit_id),
        )
        silent = dict(self.entry.data.get(CONF_SILENT_SINCE) or {})
        silent.pop(str(unit_id), None)
        self._save(plant, data={CONF_SILENT_SINCE: silent})
        self.features = replace(
            self.features,
            io_support={u: s for u, s in self.features.io_support.items() if u != unit_id},
        )
        self._io_pending.discard(unit_id)
        self._last_answer.pop(unit_id, None)
        for coordinator in self.coordinators.values():
            coordinator.remove_unit(unit_id)
        self.client.forget(unit_id)
        registry = dr.async_get(self.hass)
        for role in _roles(unit):
            device_id = self.devices.pop(device_identifier(plant, unit, role), None)
            if device_id is not None and device_id != keep:
                registry.async_update_device(device_id, remove_config_entry_id=self.entry.entry_id)
        ir.async_delete_issue(self.hass, DOMAIN, self._silent_issue(unit_id))
        LOGGER.info("Unit %s was deleted by the owner; it is no longer read", unit_id)


# -- lost capabilities -----------------------------------------------------------------------


def remove_lost_entities(  # noqa: PLR0913 - what it compares, and where
    hass: HomeAssistant,
    entry: SigenergyConfigEntry,
    plant: PlantInfo,
    features: PlantFeatures,
    descriptions: Mapping[Platform, Sequence[SigenergyEntityDescription]],
    *,
    unknown_io: set[int],
) -> list[str]:
    """Remove registry entries of entities the plant no longer has; their entity ids.

    Only entities that the descriptions can make are considered, and only
    where the plant is known not to have them: not the dry contacts of a unit
    whose probe did not answer, not smart loads (whether a load is in use is
    a guess from its counters at each start).
    """
    present = {
        (platform, unique_id_for(plant, unit, d.key))
        for platform, ds in descriptions.items()
        for d, unit in targets(plant, features, ds)
    }
    everything = PlantFeatures(
        io_support={
            i.unit_id: IoSupport(dry_contacts=True, digital_inputs=True) for i in plant.inverters
        },
    )
    registry = er.async_get(hass)
    removed: list[str] = []
    for platform, ds in descriptions.items():
        for description, unit in targets(plant, everything, ds):
            if description.smart_load is not None:
                continue
            if description.capability is not None and unit_id_of(unit) in unknown_io:
                continue
            unique_id = unique_id_for(plant, unit, description.key)
            if (platform, unique_id) in present:
                continue
            entity_id = registry.async_get_entity_id(platform, DOMAIN, unique_id)
            if entity_id is None:
                continue
            registered = registry.async_get(entity_id)
            if registered is None or registered.config_entry_id != entry.entry_id:
                continue
            registry.async_remove(entity_id)
            removed.append(entity_id)
    if removed:
        _tell_removed(hass, entry, removed)
    return removed


def _users(hass: HomeAssistant, entity_ids: Iterable[str]) -> list[str]:
    """The names of the automations and scripts that use any of these entities."""
    names = set()
    for entity_id in entity_ids:
        users = (*automations_with_entity(hass, entity_id), *scripts_with_entity(hass, entity_id))
        for user in users:
            state = hass.states.get(user)
            names.add(state.name if state is not None else user)
    return sorted(names)


def _tell_removed(hass: HomeAssistant, entry: SigenergyConfigEntry, removed: list[str]) -> None:
    users = _users(hass, removed)
    LOGGER.warning(
        "The plant no longer has %s: their entities were removed%s",
        ", ".join(removed),
        f"; used by {', '.join(users)}" if users else "",
    )
    issue_id = f"entities_removed_{entry.entry_id}"
    if users:
        ir.async_create_issue(
            hass,
            DOMAIN,
            issue_id,
            is_fixable=False,
            severity=ir.IssueSeverity.WARNING,
            translation_key="entities_removed_used",
            translation_placeholders={
                "title": entry.title,
                "entities": ", ".join(removed),
                "users": ", ".join(users),
            },
        )
    else:
        ir.async_create_issue(
            hass,
            DOMAIN,
            issue_id,
            is_fixable=False,
            severity=ir.IssueSeverity.WARNING,
            translation_key="entities_removed",
            translation_placeholders={"title": entry.title, "entities": ", ".join(removed)},
        )
