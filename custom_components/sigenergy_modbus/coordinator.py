"""Coordinators of the Sigenergy integration and the runtime data they share.

Four coordinators poll the plant at the pace of their data (``PollGroup``):
realtime power flows every 5 s, details every 30 s, energy counters every
60 s and settings every 5 minutes. Each one reads only the registers behind
entities that are enabled (its share of the setup's poll plan), with the
planner's fewest reads. They share one client, so requests never overlap on
the wire, and a faster poll carries a slower one's registers where they fit
into the same requests.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from homeassistant.config_entries import ConfigEntry
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator, UpdateFailed
from homeassistant.util import dt as dt_util

from .const import DOMAIN, LOGGER, POLL_INTERVALS, UNREACHABLE_REPAIR_AFTER, PollGroup
from .protocol.contacts import DIGITAL_INPUTS, DRY_CONTACTS, IoSupport
from .protocol.exceptions import (
    SigenergyConnectionError,
    SigenergyDeviceError,
    SigenergyError,
    SigenergyTimeoutError,
)
from .protocol.guard import CounterGuard, Moment, Verdict
from .protocol.keys import Key
from .protocol.plausibility import Finding, FindingKind, Plausibility
from .protocol.registers import BY_KEY, PLANT_UNIT_ID, Register
from .protocol.values import UnitValues, number

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence
    from datetime import datetime

    from homeassistant.core import HomeAssistant

    from .control import PlantController
    from .protocol.client import SigenergyClient
    from .protocol.codec import Value
    from .protocol.models import PlantInfo
    from .units import PlantUnits

type PlantData = dict[int, UnitValues]
type SigenergyConfigEntry = ConfigEntry[SigenergyRuntimeData]

FRESH_SHARE = 0.6
"""A value another poll read within this share of a poll's interval is fresh enough for it.

Below 1 so that a poll never takes its own previous reading for a new one."""

FIRMWARE = BY_KEY[Key.FIRMWARE_VERSION]
PLANT_CLOCK = frozenset({BY_KEY[Key.SYSTEM_TIME], BY_KEY[Key.SYSTEM_TIME_ZONE]})
"""The plant's clock (30000-30002): its daily counters restart at its local midnight."""


class _OneLinePerOutage(logging.Filter):
    """Leave out the coordinators' own failure and recovery lines.

    Home Assistant's ``DataUpdateCoordinator`` logs "Error fetching ... data"
    when a poll starts failing and "Fetching ... data recovered" when it
    works again: with four coordinators an outage would be four lines each
    way. ``PlantLink`` logs one line for all of them instead. Only these two
    lines are left out (by their format strings); a traceback of an
    unexpected error and the debug lines stay.
    """

    LINES = frozenset({"Error fetching %s data: %s", "Fetching %s data recovered"})

    def filter(self, record: logging.LogRecord) -> bool:
        return record.msg not in self.LINES


COORDINATOR_LOGGER = LOGGER.getChild("coordinator")
"""The coordinators' logger (Home Assistant's lines about each poll)."""
COORDINATOR_LOGGER.addFilter(_OneLinePerOutage())


class PlantLink:
    """Whether the plant can be read: one line when it cannot, one when it can again.

    The four coordinators report each poll's outcome here. The first failure
    while every poll worked logs a warning; when the last failing poll works
    again, one info line says so. A poll that succeeds after an outage asks
    the others that failed to poll again at once, so that their entities come
    back with it and not at their next interval (up to 5 minutes later).
    Failures before the plant ever answered (setup) are Home Assistant's to
    report: it retries the setup and says so itself.
    """

    def __init__(self) -> None:
        """Start with nothing failing and nothing answered yet."""
        self._failing: dict[PollGroup, SigenergyCoordinator] = {}
        self.answered = False

    @property
    def down(self) -> bool:
        """Whether any poll is failing now."""
        return bool(self._failing)

    def failed(self, coordinator: SigenergyCoordinator, err: SigenergyError) -> None:
        """A poll failed; the first failure of an outage logs one line."""
        if coordinator.group in self._failing:
            return
        if not self._failing and self.answered:
            LOGGER.warning(
                "Cannot read the plant (%s poll: %s); its entities are unavailable "
                "until it answers again",
                coordinator.group,
                err,
            )
        self._failing[coordinator.group] = coordinator

    def succeeded(self, coordinator: SigenergyCoordinator) -> None:
        """A poll worked; the end of an outage logs one line."""
        self.answered = True
        if self._failing.pop(coordinator.group, None) is None:
            return
        if not self._failing:
            LOGGER.info("The plant answers again")
            return
        for other in list(self._failing.values()):
            coordinator.config_entry.async_create_background_task(
                coordinator.hass,
                other.async_request_refresh(),
                f"{DOMAIN} {other.group} poll after an outage",
            )


@dataclass(frozen=True, kw_only=True)
class PlantFeatures:
    """What setup found the plant to have beyond its stored identity."""

    io_support: Mapping[int, IoSupport] = field(default_factory=dict)
    """Each inverter's dry contacts and digital inputs, by unit id."""
    smart_loads: frozenset[int] = frozenset()
    """The smart loads (1-24) in use: they have counted energy or draw power."""

    @property
    def io_units(self) -> dict[int, IoSupport]:
        """The inverters that expose any contact or input."""
        return {u: s for u, s in self.io_support.items() if s.dry_contacts or s.digital_inputs}


def _plant_first(unit_id: int) -> tuple[bool, int]:
    return unit_id != PLANT_UNIT_ID, unit_id


class SigenergyCoordinator(DataUpdateCoordinator[PlantData]):
    """Polls one group of registers of every unit of the plant."""

    config_entry: SigenergyConfigEntry

    def __init__(  # noqa: PLR0913 - its collaborators, each keyword-only
        self,
        hass: HomeAssistant,
        entry: SigenergyConfigEntry,
        client: SigenergyClient,
        group: PollGroup,
        *,
        wanted: Mapping[int, frozenset[Register]],
        guard: CounterGuard[tuple[int, str]],
        plausibility: Plausibility,
        slower: Sequence[SigenergyCoordinator] = (),
        io_units: Mapping[int, IoSupport] | None = None,
        counters: frozenset[Key] = frozenset(),
        link: PlantLink | None = None,
    ) -> None:
        """Prepare a coordinator.

        ``wanted``: the registers it reads, by unit id; ``slower``: the
        coordinators whose registers may ride along in its reads; ``io_units``:
        the inverters whose coils and inputs it reads; ``counters``: the
        energy counters among its registers, which ``guard`` judges (it reads
        the plant's clock along with them); ``plausibility``: the physical
        ranges every value it reads is vetted against; ``link``: where it
        reports each poll's outcome. The plant's coordinators share one guard,
        one plausibility and one link.
        """
        super().__init__(
            hass,
            COORDINATOR_LOGGER,
            config_entry=entry,
            name=f"{DOMAIN} {group}",
            update_interval=POLL_INTERVALS[group],
            always_update=False,
        )
        self.client = client
        self.group = group
        self.wanted: dict[int, frozenset[Register]] = dict(wanted)
        if counters and self.wanted:
            self.wanted[PLANT_UNIT_ID] = self.wanted.get(PLANT_UNIT_ID, frozenset()) | PLANT_CLOCK
        self.slower = tuple(slower)
        self.io_units = dict(io_units or {})
        self.counters = counters
        self.guard = guard
        self.plausibility = plausibility
        self.link = link or PlantLink()
        self.rejected: dict[tuple[int, str], int] = {}
        """Counter readings the guard did not publish, by unit id and key (diagnostics)."""
        self.last_error: str | None = None
        self.polls = 0
        """Polls started so far: data from poll N was read after anything done before it began."""
        self._pins: dict[tuple[int, str], tuple[Value | None, int]] = {}
        self._notes: set[tuple[int, str]] = set()
        self._held: set[tuple[int, str]] = set()
        self._silent_units: set[int] = set()
        self._poll_listeners: list[Callable[[PlantData], None]] = []

    async def _async_update_data(self) -> PlantData:
        self.polls += 1
        poll = self.polls
        try:
            data = await self._read()
        except SigenergyError as err:
            self.last_error = str(err)
            self._on_failure(err)
            self.link.failed(self, err)
            raise UpdateFailed(
                translation_domain=DOMAIN,
                translation_key="update_failed",
                translation_placeholders={"error": str(err)},
            ) from err
        self.last_error = None
        self._on_success()
        self.link.succeeded(self)
        data = self._pinned(data, poll)
        for listener in list(self._poll_listeners):
            listener(data)
        return data

    def pin(self, unit_id: int, key: str, value: Value | None) -> None:
        """A value just written and read back: it wins over a poll already on the wire.

        A poll that began before the write may have read the register before
        it; its older reading must not replace what the write confirmed.
        Polls that begin later read the register again.
        """
        self._pins[unit_id, key] = (value, self.polls)

    def _pinned(self, data: PlantData, poll: int) -> PlantData:
        for (unit_id, key), (value, pinned) in list(self._pins.items()):
            if poll > pinned:
                del self._pins[unit_id, key]
            elif unit_id in data and key in data[unit_id]:
                data[unit_id] = data[unit_id].replaced({key: value})
        return data

    def add_poll_listener(self, listener: Callable[[PlantData], None]) -> Callable[[], None]:
        """Hear of every successful poll, its data changed or not; returns the unsubscribe."""
        self._poll_listeners.append(listener)
        return lambda: self._poll_listeners.remove(listener)

    async def _read(self) -> PlantData:
        """Read every wanted unit; one inverter that does not answer fails only itself.

        The plant (unit 247) is read first: when it does not answer the poll
        fails at once. An inverter or charger that answers with an exception
        or not at all, while the plant answers, is left out of the data, so
        that only its entities become unavailable.
        """
        failed: dict[int, SigenergyError] = {}
        values = await self._read_registers(failed)
        bits = await self._read_io(failed)
        if failed and not values and not bits:
            raise next(iter(failed.values()))
        self._note_silent_units(failed)
        await self._vet(values)
        return {
            unit: UnitValues(
                values.get(unit),
                coils=bits.get(unit, ((), ()))[0],
                inputs=bits.get(unit, ((), ()))[1],
            )
            for unit in sorted(values.keys() | bits.keys(), key=_plant_first)
        }

    async def _read_registers(
        self, failed: dict[int, SigenergyError]
    ) -> dict[int, dict[str, Value | None]]:
        """The wanted registers of each unit, plant first, with the slower polls' riding along."""
        interval = self.update_interval.total_seconds() if self.update_interval else 0.0
        values: dict[int, dict[str, Value | None]] = {}
        for unit_id in sorted(self.wanted, key=_plant_first):
            optional = {r for c in self.slower for r in c.wanted.get(unit_id, ())}
            try:
                values[unit_id] = await self.client.read(
                    unit_id, self.wanted[unit_id], optional=optional, max_age=FRESH_SHARE * interval
                )
            except (SigenergyDeviceError, SigenergyTimeoutError) as err:
                if unit_id == PLANT_UNIT_ID:
                    raise
                failed[unit_id] = err
        return values

    async def _read_io(
        self, failed: dict[int, SigenergyError]
    ) -> dict[int, tuple[tuple[bool, ...], tuple[bool, ...]]]:
        """The coils and discrete inputs of each inverter that exposes them."""
        bits: dict[int, tuple[tuple[bool, ...], tuple[bool, ...]]] = {}
        for unit_id, support in sorted(self.io_units.items()):
            if unit_id in failed:
                continue
            try:
                coils: tuple[bool, ...] = ()
                inputs: tuple[bool, ...] = ()
                if support.dry_contacts:
                    coils = tuple(await self.client.read_coils(unit_id, 0, DRY_CONTACTS))
                if support.digital_inputs:
                    inputs = tuple(
                        await self.client.read_discrete_inputs(unit_id, 0, DIGITAL_INPUTS)
                    )
            except (SigenergyDeviceError, SigenergyTimeoutError) as err:
                failed[unit_id] = err
                continue
            bits[unit_id] = (coils, inputs)
        return bits

    def _note_silent_units(self, failed: dict[int, SigenergyError]) -> None:
        """Log once when a unit stops answering this poll, and once when it is back."""
        for unit_id, err in failed.items():
            if unit_id not in self._silent_units:
                self._silent_units.add(unit_id)
                LOGGER.warning(
                    "Unit %s does not answer the %s poll; its entities are unavailable: %s",
                    unit_id,
                    self.group,
                    err,
                )
        for unit_id in self._silent_units - failed.keys():
            self._silent_units.discard(unit_id)
            LOGGER.info("Unit %s answers the %s poll again", unit_id, self.group)

    async def _vet(self, data: dict[int, dict[str, Value | None]]) -> None:
        """Publish only plausible values: physical ranges first, then the counters' history.

        A counter the guard sees for the first time (nothing seeded, nothing
        read before) is read once more at once: its first reading is
        published only when the second agrees with it.
        """
        moment = self._moment(data)
        again: dict[int, list[Register]] = {}
        for unit_id, values in data.items():
            data[unit_id] = self._judge(unit_id, values, moment, again)
        for unit_id, registers in again.items():
            try:
                second = await self.client.read(unit_id, registers)
            except SigenergyError as err:
                LOGGER.debug("Unit %s: no second reading of its counters: %s", unit_id, err)
                continue
            judged = self._judge(unit_id, second, moment, {})
            data[unit_id].update({k: v for k, v in judged.items() if v is not None})

    def _moment(self, data: Mapping[int, Mapping[str, Value | None]]) -> Moment:
        """Now, and the plant's local time by its own clock (Home Assistant's if it has none).

        The plant's clock even when it is wrong: the plant restarts its daily
        counters at its own midnight, whatever the time really is.
        """
        now = dt_util.utcnow().timestamp()
        plant = data.get(PLANT_UNIT_ID, {})
        system_time = number(plant, Key.SYSTEM_TIME)
        zone = number(plant, Key.SYSTEM_TIME_ZONE)
        if system_time is None:
            system_time = now
        if zone is None:
            offset = dt_util.now().utcoffset()
            zone = offset.total_seconds() / 60 if offset is not None else 0.0
        return Moment(now=now, local=system_time + zone * 60)

    def _judge(
        self,
        unit_id: int,
        values: Mapping[str, Value | None],
        moment: Moment,
        again: dict[int, list[Register]],
    ) -> dict[str, Value | None]:
        """One unit's values as they may be published; counters read first go to ``again``."""
        vetted, findings = self.plausibility.vet(unit_id, values)
        problems: dict[str, Finding | str] = {f.key: f for f in findings}
        for key in sorted(self.counters & vetted.keys()):
            verdict = self.guard.check((unit_id, key), number(vetted, Key(key)), moment)
            vetted[key] = verdict.value
            if verdict.provisional:
                again.setdefault(unit_id, []).append(BY_KEY[key])
            else:
                self._take(unit_id, key, verdict, problems)
        self._note(unit_id, vetted, problems)
        return vetted

    def _take(
        self, unit_id: int, key: str, verdict: Verdict, problems: dict[str, Finding | str]
    ) -> None:
        """Count and note a counter's verdict (a refused reading is a problem of the poll)."""
        if verdict.held:
            self._note_held(unit_id, key, verdict.reason)
        elif (
            verdict.value is None
            and not verdict.awaiting
            and verdict.reason != "no reading"
            and key not in problems
        ):
            problems[key] = str(verdict.reason)
            self.rejected[unit_id, key] = self.rejected.get((unit_id, key), 0) + 1
        if not verdict.held:
            self._held.discard((unit_id, key))

    def seed_counter(self, unit_id: int, key: str, seed: tuple[float, float] | None) -> None:
        """Hand the guard what Home Assistant held for a counter (None: nothing), late.

        The counter's sensor calls this as it is added, before it writes its
        first state: the reading kept while the counter awaited its seed is
        judged now, and its verdict is what the sensor shows first.
        """
        counter = (unit_id, key)
        verdict = self.guard.unseeded(counter) if seed is None else self.guard.seed(counter, *seed)
        data = self.data
        if verdict is None or not data or key not in data.get(unit_id, {}):
            return
        problems: dict[str, Finding | str] = {}
        if not verdict.provisional:  # a first reading: the next poll confirms it
            self._take(unit_id, key, verdict, problems)
        self._note(unit_id, {key: verdict.value}, problems)
        self.data = {**data, unit_id: data[unit_id].replaced({key: verdict.value})}

    def _note(
        self,
        unit_id: int,
        vetted: Mapping[str, Value | None],
        problems: Mapping[str, Finding | str],
    ) -> None:
        """Log a value once when it stops being plausible, and once when it is again."""
        for key, problem in problems.items():
            note = (unit_id, key)
            if note in self._notes:
                continue
            self._notes.add(note)
            if isinstance(problem, Finding) and problem.kind is not FindingKind.RANGE:
                LOGGER.warning(
                    "%s of unit %s is shown as unknown: %s", key, unit_id, problem.reason
                )
            else:
                reason = problem.reason if isinstance(problem, Finding) else problem
                LOGGER.warning("Ignoring %s of unit %s: %s", key, unit_id, reason)
        for note in [n for n in self._notes if n[0] == unit_id]:
            key = note[1]
            if key not in problems and vetted.get(key) is not None:
                self._notes.discard(note)
                LOGGER.info("%s of unit %s is plausible again", key, unit_id)

    def _note_held(self, unit_id: int, key: str, reason: str | None) -> None:
        """Say once, quietly, that a counter came back slightly lower and is held."""
        if (unit_id, key) not in self._held:
            self._held.add((unit_id, key))
            LOGGER.info(
                "%s of unit %s %s (as after a power cut); keeping the last value until it "
                "counts past it",
                key,
                unit_id,
                reason,
            )

    def add_units(
        self,
        wanted: Mapping[int, frozenset[Register]],
        io_units: Mapping[int, IoSupport] | None = None,
    ) -> None:
        """Also read these registers, coils and inputs: units found while running."""
        for unit_id, registers in wanted.items():
            self.wanted[unit_id] = self.wanted.get(unit_id, frozenset()) | registers
        self.io_units.update(io_units or {})

    def remove_unit(self, unit_id: int) -> None:
        """Stop reading a unit the owner removed."""
        self.wanted.pop(unit_id, None)
        self.io_units.pop(unit_id, None)
        self._silent_units.discard(unit_id)

    def set_coil(self, unit_id: int, index: int, state: bool) -> None:  # noqa: FBT001
        """Publish a coil state confirmed by a write's read-back, without polling."""
        data = dict(self.data or {})
        current = data.get(unit_id, UnitValues())
        coils = list(current.coils) or [False] * DRY_CONTACTS
        coils[index] = state
        data[unit_id] = current.replaced(coils=tuple(coils))
        self.async_set_updated_data(data)

    def _on_failure(self, err: SigenergyError) -> None:
        """Hook for the realtime coordinator's repair issue."""

    def _on_success(self) -> None:
        """Hook for the realtime coordinator's repair issue."""


class RealtimeCoordinator(SigenergyCoordinator):
    """The 5 s coordinator; it also raises a repair issue when the plant goes silent."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        """Prepare the realtime coordinator (arguments as ``SigenergyCoordinator``'s)."""
        super().__init__(*args, **kwargs)
        self._answered = False
        self._silent_since: datetime | None = None

    @property
    def _issue_id(self) -> str:
        return f"unreachable_{self.config_entry.entry_id}"

    def _on_failure(self, err: SigenergyError) -> None:
        if not self._answered or not isinstance(err, SigenergyConnectionError):
            return
        now = dt_util.utcnow()
        if self._silent_since is None:
            self._silent_since = now
        if now - self._silent_since >= UNREACHABLE_REPAIR_AFTER:
            ir.async_create_issue(
                self.hass,
                DOMAIN,
                self._issue_id,
                is_fixable=False,
                severity=ir.IssueSeverity.ERROR,
                translation_key="plant_unreachable",
                translation_placeholders={
                    "title": self.config_entry.title,
                    "minutes": str(int(UNREACHABLE_REPAIR_AFTER.total_seconds() // 60)),
                },
            )

    def _on_success(self) -> None:
        self._answered = True
        if self._silent_since is not None:
            self._silent_since = None
            ir.async_delete_issue(self.hass, DOMAIN, self._issue_id)


class SettingsCoordinator(SigenergyCoordinator):
    """The 5 min coordinator; it also watches the inverters' firmware versions.

    A new version is written to the device registry and to the config entry,
    so that the next start compares with it; the client forgets what it
    learned about the unit, since new firmware may support other registers.
    """

    def __init__(
        self,
        *args: Any,
        plant: PlantInfo,
        devices: Mapping[tuple[str, str], str],
        **kwargs: Any,
    ) -> None:
        """Prepare the settings coordinator; it always reads each inverter's firmware."""
        wanted = dict(kwargs.pop("wanted"))
        for inverter in plant.inverters:
            wanted[inverter.unit_id] = wanted.get(inverter.unit_id, frozenset()) | {FIRMWARE}
        super().__init__(*args, wanted=wanted, **kwargs)
        self.plant = plant
        self.devices = devices

    def watch_plant(self, plant: PlantInfo) -> None:
        """Follow the plant's inverters as they are found or removed while running."""
        self.plant = plant
        for inverter in plant.inverters:
            self.wanted[inverter.unit_id] = self.wanted.get(inverter.unit_id, frozenset()) | {
                FIRMWARE
            }

    async def _read(self) -> PlantData:
        data = await super()._read()
        for inverter in self.plant.inverters:
            new = data.get(inverter.unit_id, UnitValues()).text(Key.FIRMWARE_VERSION)
            if new and new != inverter.firmware:
                self._firmware_changed(inverter.unit_id, new)
        return data

    def _firmware_changed(self, unit_id: int, new: str) -> None:
        inverter = self.plant.inverter(unit_id)
        if inverter is None:  # pragma: no cover - only the plant's inverters are read
            return
        LOGGER.info("Inverter %s firmware changed from %s to %s", unit_id, inverter.firmware, new)
        self.plant = self.plant.with_inverter(replace(inverter, firmware=new))
        self.hass.config_entries.async_update_entry(
            self.config_entry, data={**self.config_entry.data, **self.plant.as_data()}
        )
        self.client.forget(unit_id)
        # The inverter's device, and the plant's, which shows its first inverter's.
        identifiers = [(DOMAIN, inverter.serial)]
        if self.plant.inverters and self.plant.inverters[0].unit_id == unit_id:
            identifiers.append((DOMAIN, f"{self.plant.serial}_plant"))
        registry = dr.async_get(self.hass)
        for identifier in identifiers:
            if (device_id := self.devices.get(identifier)) is not None:
                registry.async_update_device(device_id, sw_version=new)


@dataclass(frozen=True, kw_only=True)
class SigenergyRuntimeData:
    """What a loaded entry holds: the client, the plant's units, its coordinators."""

    client: SigenergyClient
    units: PlantUnits
    """The plant and what it has, kept complete while it runs (``units.py``)."""
    coordinators: Mapping[PollGroup, SigenergyCoordinator]
    devices: Mapping[tuple[str, str], str]
    """Registry ids of the plant's devices, by identifier."""
    controller: PlantController
    """Every write to the plant goes through it: actions, settings, commands."""

    @property
    def plant(self) -> PlantInfo:
        """The plant and its devices as known now."""
        return self.units.plant

    @property
    def features(self) -> PlantFeatures:
        """What the plant has beyond its identity, as known now."""
        return self.units.features
