"""Control of the plant: timed actions that revert themselves, settings, guardrails.

Every control write goes through ``PlantController``, whatever asks for it
(an action, a number, a select, the remote EMS switch, a button; the dry
contacts keep their own path, a coil switched and read back):

* **Refused in read-only mode**, before anything is sent, with the translated
  ``read_only`` error.
* **Range-checked** against the protocol and the device's own ratings
  (``protocol.control.setting_range``); never a 0 kW DC charging limit.
* **Read before write**: a write of what the register already holds is not
  sent. **Paced**: at least ``WRITE_INTERVAL`` (the protocol's minimum request
  period, 1 s) between two writes. **Confirmed** by the client's read-back.
* A refusal with exception 0x02 says whether the write is *not allowed in the
  current mode* (the register reads fine) or the register is *not supported*
  (its reads are refused too); nothing is marked unsupported for reads.

An **action** (force charge, force discharge, hold) takes remote EMS over for
a time: it reads the registers it will change, stores what they held and its
deadline (``Store``) *before* its first write, writes limits, mode and enable,
and at its deadline (or its state of charge) restores exactly what it
changed. One action per plant; a new one replaces the running one. After a
restart a pending action is resumed, or reverted at once when its deadline
has passed. A revert that fails is retried until it succeeds: every
``RETRY_REVERT_AFTER``, and at once when a poll finds the plant answering
again; meanwhile *Control action* shows ``reverting`` and the caller and a
repair issue are told when the next try is. A revert is the one write
read-only mode allows (an ``undo``): it puts back what the owner's own action
changed.

The revert does not depend on the entry: setup undoes a due action first,
with nothing but the client (``async_undo_due``), before probes, polls or
platforms can fail; and when the entry is not loaded (its setup failed, it
was unloaded) ``rescue.ActionRescue`` keeps the revert going on Home
Assistant's own timers (``async_revert_on_plant``).

**Guardrails**, from the polls that already run (no request of their own):
repair issues when remote EMS is on without an action of ours, when the plant
(or another client) changed back a value we wrote, when a limit has no effect
in the current mode on this firmware, and when a setting keeps the battery
from doing what the running action asks.
"""

from __future__ import annotations

import asyncio
from collections import deque
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from homeassistant.const import EVENT_HOMEASSISTANT_STOP
from homeassistant.core import CALLBACK_TYPE, Event, HomeAssistant, callback
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.event import async_call_later, async_track_point_in_utc_time
from homeassistant.helpers.storage import Store
from homeassistant.util import dt as dt_util

from .const import DOMAIN, LOGGER, PollGroup
from .protocol import control
from .protocol.control import (
    ACTION_BLOCK,
    ENABLE,
    LIMIT_KEYS,
    Action,
    Refusal,
    SettingSpec,
    Takeover,
    Words,
    Write,
)
from .protocol.enums import EmsWorkMode, GridSensorStatus
from .protocol.exceptions import (
    SigenergyConnectionError,
    SigenergyDeviceError,
    SigenergyError,
    SigenergyTimeoutError,
    SigenergyUnsupportedError,
    SigenergyValueError,
    SigenergyWriteVerificationError,
)
from .protocol.keys import Key
from .protocol.registers import BY_KEY, PLANT_UNIT_ID, Register, RegisterKind
from .protocol.values import EMPTY, UnitValues

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence

    from .coordinator import SigenergyConfigEntry, SigenergyCoordinator
    from .protocol.client import SigenergyClient
    from .protocol.codec import Value

WRITE_INTERVAL = 1.0
"""Seconds between two writes: the protocol's minimum request period (4.2)."""

MIN_DURATION = timedelta(minutes=1)
MAX_DURATION = timedelta(hours=24)
"""An action always has a deadline, at most a day away."""

RETRY_REVERT_AFTER = timedelta(seconds=30)
"""How soon a failed revert is tried again while the entry is loaded (sooner when a poll works)."""
EXPECT_FOR = timedelta(hours=24)
"""How long a written value is watched for the plant changing it back."""

HISTORY = 20
"""Writes kept for the diagnostics."""

STORAGE_VERSION = 1
FOREIGN_AFTER = 2
"""Realtime polls in a row that must show remote EMS before it is called someone else's."""
LEFT_REMOTE_EMS = "the plant left remote EMS"
"""Why an action ended when the plant (or another client) turned remote EMS off."""

CONTROL_REALTIME: tuple[Key, ...] = (
    Key.EMS_WORK_MODE,
    Key.GRID_SENSOR_STATUS,
    Key.GRID_STATUS,
    Key.PLANT_ESS_SOC,
    Key.PLANT_PV_POWER,
    Key.PLANT_ESS_POWER,
)
"""What the guardrails read at every realtime poll (the plant's first block reads them anyway)."""

CONTROL_SETTINGS: tuple[Key, ...] = (
    Key.REMOTE_EMS_ENABLE,
    Key.REMOTE_EMS_CONTROL_MODE,
    *LIMIT_KEYS,
    Key.ESS_BACKUP_SOC,
    Key.ESS_CHARGE_CUT_OFF_SOC,
    Key.ESS_DISCHARGE_CUT_OFF_SOC,
    Key.PLANT_MAX_ACTIVE_POWER,
    Key.PLANT_ESS_RATED_CHARGING_POWER,
    Key.PLANT_ESS_RATED_DISCHARGING_POWER,
)
"""What the actions and guardrails read at every settings poll (one read of 40029-40048)."""

BLOCKED_ISSUES: Mapping[control.Block, str] = {
    control.Block.CHARGE_CUT_OFF: "battery_blocked_charge_cut_off",
    control.Block.DISCHARGE_CUT_OFF: "battery_blocked_discharge_cut_off",
    control.Block.BACKUP_SOC: "battery_blocked_backup_soc",
}
"""The repair issue of each setting that blocks the battery."""

ACTION_POWER: Mapping[Action, Key] = {
    Action.FORCE_CHARGE: Key.PLANT_ESS_RATED_CHARGING_POWER,
    Action.FORCE_DISCHARGE: Key.PLANT_ESS_RATED_DISCHARGING_POWER,
}
"""The rating that bounds an action's power."""


def setting_name(register: Register) -> str:
    """How errors and repair issues name a register: the protocol's name and its address."""
    return f"{register.name} ({register.address})"


def _iso(moment: datetime) -> str:
    return dt_util.as_local(moment).isoformat(timespec="minutes")


def clock_time(moment: datetime) -> str:
    """A moment as the owner reads a clock: Home Assistant's local time, to the second."""
    return dt_util.as_local(moment).strftime("%H:%M:%S")


def issue_id(kind: str, entry_id: str, *parts: object) -> str:
    """The id of a repair issue of one plant (entry)."""
    return "_".join([kind, entry_id, *(str(p) for p in parts)])


def action_store(hass: HomeAssistant, entry_id: str) -> Store[dict[str, Any]]:
    """Where an entry's running action is kept across restarts."""
    return Store(hass, STORAGE_VERSION, f"{DOMAIN}.control.{entry_id}")


async def async_load_action(store: Store[dict[str, Any]]) -> RunningAction | None:
    """The action stored, if any."""
    stored = await store.async_load()
    if not stored or not stored.get("action"):
        return None
    return RunningAction.from_data(stored["action"])


async def async_save_action(store: Store[dict[str, Any]], action: RunningAction | None) -> None:
    """Store the running action (None: none)."""
    await store.async_save({"action": None if action is None else action.as_data()})


def _unanswered(err: BaseException) -> bool:
    """Whether an error (or the one it was raised from) is the plant not answering."""
    cause: BaseException | None = err
    while cause is not None:
        if isinstance(cause, SigenergyConnectionError | SigenergyTimeoutError):
            return True
        cause = cause.__cause__
    return False


def _failed(
    *,
    translation_key: str,
    translation_placeholders: Mapping[str, str] | None = None,
    code: int | None = None,
) -> ControlError:
    return ControlError(translation_key, dict(translation_placeholders or {}), code=code)


class ControlError(HomeAssistantError):
    """A control write that failed, translated; ``code`` is the device's exception code."""

    def __init__(self, key: str, placeholders: dict[str, str], *, code: int | None = None) -> None:
        """Record the translation and the device's answer."""
        super().__init__(
            translation_domain=DOMAIN,
            translation_key=key,
            translation_placeholders=placeholders,
        )
        self.code = code


def _invalid(
    *, translation_key: str, translation_placeholders: Mapping[str, str] | None = None
) -> ServiceValidationError:
    return ServiceValidationError(
        translation_domain=DOMAIN,
        translation_key=translation_key,
        translation_placeholders=dict(translation_placeholders or {}),
    )


@dataclass(kw_only=True)
class RunningAction:
    """The action that has remote EMS now, as stored across restarts."""

    action: Action
    power: float | None
    soc_limit: float | None
    """Target state of charge (force charge) or floor (force discharge)."""
    started: datetime
    deadline: datetime
    takeover: Takeover
    reverting: bool = False
    """Its end was asked for (deadline, state of charge, release); the revert has not finished."""

    def due(self, now: datetime) -> bool:
        """Whether it must be undone now: its end was asked for, or its deadline has passed."""
        return self.reverting or self.deadline <= now

    def as_data(self) -> dict[str, Any]:
        """The stored form."""
        return {
            "action": str(self.action),
            "power": self.power,
            "soc_limit": self.soc_limit,
            "started": self.started.isoformat(),
            "deadline": self.deadline.isoformat(),
            "takeover": self.takeover.as_data(),
            "reverting": self.reverting,
        }

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> RunningAction:
        """Read the stored form back."""
        started = dt_util.parse_datetime(data["started"])
        deadline = dt_util.parse_datetime(data["deadline"])
        if started is None or deadline is None:  # pragma: no cover - we wrote them
            msg = "stored action without times"
            raise ValueError(msg)
        return cls(
            action=Action(data["action"]),
            power=data.get("power"),
            soc_limit=data.get("soc_limit"),
            started=started,
            deadline=deadline,
            takeover=Takeover.from_data(data["takeover"]),
            reverting=bool(data.get("reverting", False)),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class WriteRecord:
    """One write the plant received, for the diagnostics."""

    time: datetime
    unit_id: int
    address: int
    key: str
    before: Value | None
    after: Value | None
    source: str

    def as_dict(self) -> dict[str, Any]:
        """The diagnostics' form."""
        return {
            "time": self.time.isoformat(),
            "unit_id": self.unit_id,
            "register": self.address,
            "key": self.key,
            "before": self.before,
            "after": self.after,
            "source": self.source,
        }


@dataclass(slots=True, kw_only=True)
class _Expected:
    words: Words
    poll: int
    """The settings poll number when it was written: only later polls may judge it."""
    written: datetime
    value: Value | None


@dataclass(slots=True)
class _Watch:
    """State of the realtime guardrails between polls."""

    foreign: int = 0
    dropped: int = 0
    write_poll: int = 0
    """The realtime poll number at our last write: earlier data does not show it."""
    blocked: str | None = None
    ineffective: set[Key] = field(default_factory=set)
    left_for: EmsWorkMode | None = None
    """The mode the plant left remote EMS for during the running action."""


class PlantController:
    """Writes to one plant: actions, settings, commands; with the guardrails."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry: SigenergyConfigEntry,
        client: SigenergyClient,
        coordinators: Mapping[PollGroup, SigenergyCoordinator],
    ) -> None:
        """Prepare the controller; ``async_start`` loads a pending action."""
        self.hass = hass
        self.entry = entry
        self.client = client
        self.coordinators = coordinators
        self.action: RunningAction | None = None
        self.writes = 0
        self.history: deque[WriteRecord] = deque(maxlen=HISTORY)
        self.write_interval = WRITE_INTERVAL
        self.revert_at: datetime | None = None
        """While an action is reverting: when the revert runs, or is tried next."""
        self._store = action_store(hass, entry.entry_id)
        self._lock = asyncio.Lock()
        self._last_write: float | None = None
        self._expected: dict[tuple[int, Key], _Expected] = {}
        self._changed_back: set[tuple[int, Key]] = set()
        """Registers with a "changed back" repair issue (``value_reverted``) open."""
        self._watch = _Watch()
        self._limits = control.LimitWatch()
        self._unsubs: list[CALLBACK_TYPE] = []
        self._unsub_stop: CALLBACK_TYPE | None = None
        self._deadline: CALLBACK_TYPE | None = None
        self._retry: CALLBACK_TYPE | None = None
        self._unanswered = False
        """The last revert failed because the plant did not answer: a working poll retries it."""
        self._ending: asyncio.Task[None] | None = None
        self._stopping = False
        self._listeners: list[Callable[[], None]] = []

    # --- lifecycle -------------------------------------------------------------------------

    def async_start(self, action: RunningAction | None, undone: Sequence[WriteRecord] = ()) -> None:
        """Take the stored action over (``async_undo_due`` loaded it): resume it, or end it.

        ``undone``: the writes setup's revert made before the controller
        existed, for the diagnostics.
        """
        realtime = self.coordinators[PollGroup.REALTIME]
        self._unsubs += [
            realtime.async_add_listener(self._on_realtime),
            realtime.add_poll_listener(self._on_poll),
            self.coordinators[PollGroup.SETTINGS].async_add_listener(self._on_settings),
        ]
        self._unsub_stop = self.hass.bus.async_listen_once(
            EVENT_HOMEASSISTANT_STOP, self._on_hass_stop
        )
        self.history.extend(undone)
        self.writes += len(undone)
        self.action = action
        if action is None:
            return
        if action.due(dt_util.utcnow()) or self.client.read_only:
            action.reverting = True
            self._end_soon("deadline")
        else:
            self._schedule_deadline()

    async def async_stop(self) -> RunningAction | None:
        """Stop timers and listeners; the action still stored, if any, for whoever comes next.

        A revert on the wire is let finish first: it is never cut off
        between two writes by an unload.
        """
        self._stopping = True
        for unsub in self._unsubs:
            unsub()
        self._unsubs.clear()
        if self._unsub_stop is not None:
            self._unsub_stop()
            self._unsub_stop = None
        self._cancel_timers()
        if self._ending is not None:
            await asyncio.wait({self._ending})
        return self.action

    async def _on_hass_stop(self, _: Event) -> None:
        """Home Assistant stops: a revert that is due is tried once more, now.

        Home Assistant cancels background tasks (a revert under way among
        them) before it says it stops; this runs in the stop stage it waits for.
        """
        self._unsub_stop = None
        self._stopping = True
        self._cancel_timers()
        if self._ending is not None:
            await asyncio.wait({self._ending})
        if self.action is not None and self.action.due(dt_util.utcnow()):
            await self._end("Home Assistant stops", raise_errors=False)

    def _cancel_timers(self) -> None:
        for timer in (self._deadline, self._retry):
            if timer is not None:
                timer()
        self._deadline = self._retry = None

    @callback
    def async_add_listener(self, listener: Callable[[], None]) -> CALLBACK_TYPE:
        """Be told when the running action changes."""
        self._listeners.append(listener)

        def remove() -> None:
            self._listeners.remove(listener)

        return remove

    def _notify(self) -> None:
        for listener in list(self._listeners):
            listener()

    # --- values ------------------------------------------------------------------------------

    def values(self, unit_id: int = PLANT_UNIT_ID) -> UnitValues:
        """A unit's latest values from every poll (the faster poll's where both read one)."""
        merged = EMPTY
        for group in (PollGroup.SETTINGS, PollGroup.ENERGY, PollGroup.DETAIL, PollGroup.REALTIME):
            data = self.coordinators[group].data or {}
            merged = data.get(unit_id, EMPTY).merged(merged)
        return merged

    def owned(self, key: Key) -> bool:
        """Whether the running action controls a register."""
        return self.action is not None and key in self.action.takeover.targets

    # --- settings and commands (entities) ----------------------------------------------------

    async def async_write_setting(
        self, unit_id: int, spec: SettingSpec, value: float, *, source: str
    ) -> None:
        """Write a setting (number), checked against its range now."""
        self._check_writable(spec.key)
        bounds = control.setting_range(spec, self.values(unit_id))
        register = spec.register
        if bounds is None:
            raise _invalid(
                translation_key="rating_unknown",
                translation_placeholders={"setting": setting_name(register)},
            )
        try:
            raw = control.setting_words(spec, value, bounds)
        except SigenergyValueError as err:
            raise _invalid(
                translation_key="value_out_of_range",
                translation_placeholders={
                    "setting": setting_name(register),
                    "value": f"{value:g}",
                    "minimum": f"{bounds[0]:g}",
                    "maximum": f"{bounds[1]:g}",
                },
            ) from err
        async with self._lock:
            await self._write(unit_id, register, raw, source=source, expect=True)
        if spec.key in (Key.GRID_MAX_EXPORT_LIMIT, Key.GRID_MAX_IMPORT_LIMIT):
            self._check_grid_sensor(spec.key)

    async def async_write_code(self, unit_id: int, key: Key, code: int, *, source: str) -> None:
        """Write a coded register (select, switch): one of its allowed values."""
        self._check_writable(key)
        register = BY_KEY[key]
        if register.allowed is not None and code not in register.allowed:
            raise _invalid(
                translation_key="value_out_of_range",
                translation_placeholders={
                    "setting": setting_name(register),
                    "value": str(code),
                    "minimum": str(min(register.allowed)),
                    "maximum": str(max(register.allowed)),
                },
            )
        async with self._lock:
            await self._write(unit_id, register, control.words(register, code), source=source)

    async def async_command(self, unit_id: int, key: Key, code: int, *, source: str) -> None:
        """Send a command to a write-only register (start/stop): no read, no read-back."""
        await self.async_write_code(unit_id, key, code, source=source)

    def _check_writable(self, key: Key | None = None) -> None:
        if self.client.read_only:
            raise _invalid(translation_key="read_only")
        if key is not None and self.action is not None and self.owned(key):
            raise _invalid(
                translation_key="action_active",
                translation_placeholders={
                    "setting": setting_name(BY_KEY[key]),
                    "action": str(self.action.action),
                    "deadline": _iso(self.action.deadline),
                },
            )

    # --- one write ---------------------------------------------------------------------------

    async def _read_words(self, unit_id: int, register: Register) -> Words:
        return tuple(
            await self.client.read_words(unit_id, register.kind, register.address, register.count)
        )

    async def _readable(self, unit_id: int, register: Register) -> bool:
        """Whether the device answers a read of the register (or of a write-only one's table)."""
        probe = control.probe_register(register)
        if probe is None:
            return False
        try:
            await self._read_words(unit_id, probe)
        except SigenergyUnsupportedError:
            return False
        return True

    async def _pace(self) -> None:
        loop = asyncio.get_running_loop()
        if self._last_write is not None:
            wait = self._last_write + self.write_interval - loop.time()
            if wait > 0:
                await asyncio.sleep(wait)

    async def _write(  # noqa: PLR0913 - the write and how it was asked for
        self,
        unit_id: int,
        register: Register,
        raw: Words,
        *,
        source: str,
        held: Words | None = None,
        expect: bool = False,
        undo: bool = False,
    ) -> bool:
        """Write raw words to a register; False when it already held them (nothing sent).

        ``undo``: a value the register held before an action changed it,
        written back, which read-only mode allows.
        """
        name = setting_name(register)
        key = Key(register.key)
        if control.forbidden(key, raw):
            raise _invalid(
                translation_key="value_forbidden", translation_placeholders={"setting": name}
            )
        if self.client.read_only and not undo:
            raise _invalid(translation_key="read_only")
        readable = register.access.readable
        try:
            if readable and held is None:
                held = await self._read_words(unit_id, register)
        except SigenergyUnsupportedError as err:
            raise _failed(
                translation_key="write_unsupported",
                translation_placeholders={"setting": name},
                code=err.code,
            ) from err
        except SigenergyError as err:
            raise _failed(
                translation_key="setting_write_failed",
                translation_placeholders={"setting": name, "error": str(err)},
            ) from err
        if readable and held == raw:
            return False
        await self._pace()
        value = control.value_of(register, raw)
        try:
            back = await self.client.write(
                unit_id, control.writable(register, raw), value, undo=undo
            )
        except SigenergyError as err:
            raise await self._write_error(err, unit_id, register, readable=readable) from err
        finally:
            self._last_write = asyncio.get_running_loop().time()
        self._written(unit_id, register, held, back, raw, source=source, expect=expect)
        return True

    async def _write_error(
        self, err: SigenergyError, unit_id: int, register: Register, *, readable: bool
    ) -> ControlError:
        """The translated error of a failed write; a 0x02 refusal tells mode from support."""
        name = {"setting": setting_name(register)}
        if isinstance(err, SigenergyUnsupportedError):
            meaning = control.refusal(
                err, readable=readable or await self._readable(unit_id, register)
            )
            if meaning is Refusal.NOT_ALLOWED:
                return _failed(
                    translation_key="write_not_allowed",
                    translation_placeholders=name,
                    code=err.code,
                )
            return _failed(
                translation_key="write_unsupported", translation_placeholders=name, code=err.code
            )
        if isinstance(err, SigenergyWriteVerificationError):
            return _failed(
                translation_key="write_not_confirmed",
                translation_placeholders={**name, "error": str(err)},
            )
        code = err.code if isinstance(err, SigenergyDeviceError) else None
        return _failed(
            translation_key="setting_write_failed",
            translation_placeholders={**name, "error": str(err)},
            code=code,
        )

    def _written(  # noqa: PLR0913 - one write's facts
        self,
        unit_id: int,
        register: Register,
        held: Words | None,
        back: Value | None,
        raw: Words,
        *,
        source: str,
        expect: bool,
    ) -> None:
        key = Key(register.key)
        now = dt_util.utcnow()
        self.writes += 1
        before = None if held is None else reading(register, held)
        self.history.append(
            WriteRecord(
                time=now,
                unit_id=unit_id,
                address=register.address,
                key=key,
                before=before,
                after=back,
                source=source,
            )
        )
        LOGGER.debug("Wrote %s of unit %s: %s -> %s (%s)", key, unit_id, before, back, source)
        self._watch.write_poll = self.coordinators[PollGroup.REALTIME].polls
        settings = self.coordinators[PollGroup.SETTINGS]
        self._expected.pop((unit_id, key), None)
        self._changed_back.discard((unit_id, key))
        ir.async_delete_issue(self.hass, DOMAIN, self._issue_id("value_reverted", unit_id, key))
        if expect:
            self._expected[unit_id, key] = _Expected(
                words=raw, poll=settings.polls, written=now, value=back
            )
        if register.access.readable:
            for coordinator in self.coordinators.values():
                coordinator.pin(unit_id, key, back)
            self._publish({(unit_id, key): back})

    def _publish(self, changes: Mapping[tuple[int, Key], Value | None]) -> None:
        """Show values read back after writes at once, without polling.

        The coordinators' data is replaced and their listeners told; their
        poll schedule is left as it is (``async_set_updated_data`` would
        postpone the next poll).
        """
        for coordinator in self.coordinators.values():
            data = coordinator.data
            if not data:
                continue
            updated = dict(data)
            for (unit_id, key), value in changes.items():
                if unit_id in updated and key in updated[unit_id]:
                    updated[unit_id] = updated[unit_id].replaced({key: value})
            if updated != data:
                coordinator.data = updated
                coordinator.async_update_listeners()

    # --- actions -----------------------------------------------------------------------------

    async def async_run(
        self,
        action: Action,
        *,
        duration: timedelta,
        power: float | None = None,
        soc_limit: float | None = None,
    ) -> RunningAction:
        """Take remote EMS over for an action until its deadline; replaces a running one."""
        self._check_writable()
        values = self.values()
        if not MIN_DURATION <= duration <= MAX_DURATION:
            raise _invalid(
                translation_key="duration_out_of_range",
                translation_placeholders={
                    "minimum": str(MIN_DURATION),
                    "maximum": str(MAX_DURATION),
                },
            )
        if action in ACTION_POWER:
            rating = values.number(ACTION_POWER[action])
            if rating is None:
                raise _invalid(
                    translation_key="rating_unknown",
                    translation_placeholders={
                        "setting": setting_name(BY_KEY[ACTION_POWER[action]])
                    },
                )
            if power is None or not 0 < power <= rating:
                shown = "none" if power is None else f"{power:g}"
                raise _invalid(
                    translation_key="power_out_of_range",
                    translation_placeholders={"power": shown, "maximum": f"{rating:g}"},
                )
        if control.soc_reached(action, values.number(Key.PLANT_ESS_SOC), soc_limit):
            raise _invalid(
                translation_key="soc_already_reached",
                translation_placeholders={
                    "soc": f"{values.number(Key.PLANT_ESS_SOC):g}",
                    "limit": f"{soc_limit:g}",
                },
            )
        async with self._lock:
            return await self._take_over(action, duration, power, soc_limit)

    async def _read_action_block(self) -> dict[Key, Words]:
        """What the action registers hold now: 40029-40035 in one read."""
        try:
            return await read_action_block(self.client)
        except SigenergyError as err:
            raise _failed(
                translation_key="action_read_failed", translation_placeholders={"error": str(err)}
            ) from err

    async def _take_over(
        self, action: Action, duration: timedelta, power: float | None, soc_limit: float | None
    ) -> RunningAction:
        held = await self._read_action_block()
        current = self.action.takeover if self.action is not None else None
        targets = control.action_targets(action, power or 0.0)
        takeover, writes = control.transition(current, targets, held, self.values())
        now = dt_util.utcnow()
        running = RunningAction(
            action=action,
            power=power,
            soc_limit=soc_limit,
            started=now,
            deadline=now + duration,
            takeover=takeover,
        )
        replaced = self.action
        self.action = running
        self._watch.blocked = None
        await self._save()  # before the first write: a crash now still reverts at the next start
        try:
            deferred = await self._apply(writes, held, source=str(action))
        except HomeAssistantError as err:
            LOGGER.warning("The %s action failed, undoing it: %s", action, err)
            await self._end("failed", raise_errors=False, locked=True)
            placeholders = {"action": str(action), "error": str(err)}
            if self.action is None:
                raise _failed(
                    translation_key="action_failed", translation_placeholders=placeholders
                ) from err
            # Not undone: say so, and when it is tried again.
            raise _failed(
                translation_key="action_failed_not_undone",
                translation_placeholders={**placeholders, "time": self._next_try()},
            ) from err
        if deferred:
            running.takeover = replace(takeover, limits_need_remote_ems=True)
            await self._save()
        for key, raw in targets.items():
            self._expected[PLANT_UNIT_ID, key] = _Expected(
                words=raw,
                poll=self.coordinators[PollGroup.SETTINGS].polls,
                written=now,
                value=reading(BY_KEY[key], raw),
            )
        self._cancel_timers()
        self._schedule_deadline()
        ir.async_delete_issue(self.hass, DOMAIN, self._issue_id("remote_ems_foreign"))
        LOGGER.info(
            "%s %s until %s%s",
            "Replaced the running action by" if replaced else "Started",
            action,
            _iso(running.deadline),
            f" at {power:g} kW" if power is not None else "",
        )
        self._notify()
        self._check_blocked()
        return running

    async def _apply(
        self, writes: Sequence[Write], held: Mapping[Key, Words], *, source: str
    ) -> bool:
        """Write a plan in order; True when limits had to wait for remote EMS to be on.

        Firmware that refuses a limit as "not allowed in the current mode"
        while remote EMS is off gets it again once the enable is written.
        """
        later: list[Write] = []
        enabling = any(w.key is ENABLE for w in writes)
        for write in writes:
            try:
                await self._one(write, held.get(write.key), source=source)
            except ControlError as err:
                if (
                    err.translation_key == "write_not_allowed"
                    and write.key in LIMIT_KEYS
                    and enabling
                    and not any(w.key is ENABLE for w in later)
                ):
                    LOGGER.info(
                        "%s is refused before remote EMS is on; writing it after", write.key
                    )
                    later.append(write)
                    continue
                raise
        for write in later:
            await self._one(write, None, source=source)
        return bool(later)

    async def _one(
        self, write: Write, held: Words | None, *, source: str, undo: bool = False
    ) -> None:
        """One write of a plan; "not set" refused as a value is restored as the rating."""
        register = write.register
        try:
            await self._write(
                PLANT_UNIT_ID, register, write.words, source=source, held=held, undo=undo
            )
        except ControlError as err:
            if write.fallback is None or err.code != SigenergyDeviceError.ILLEGAL_DATA_VALUE:
                raise
            LOGGER.info("%s does not take 'not set' back; writing its rating instead", write.key)
            await self._write(PLANT_UNIT_ID, register, write.fallback, source=source, undo=undo)

    async def async_release(self, *, reason: str = "release") -> None:
        """End the running action now; then remote EMS off if anything else left it on."""
        self._check_writable()
        async with self._lock:
            if self.action is not None:
                await self._end(reason, locked=True)
            held = await self._read_action_block()
            if held[ENABLE] != (0,):
                await self._write(
                    PLANT_UNIT_ID, BY_KEY[ENABLE], (0,), source=reason, held=held[ENABLE]
                )
        ir.async_delete_issue(self.hass, DOMAIN, self._issue_id("remote_ems_foreign"))

    async def _end(self, reason: str, *, raise_errors: bool = True, locked: bool = False) -> None:
        """Restore what the running action changed; retried later when it fails.

        The action shows as reverting from the first write on; a failure
        leaves it so, with the time of the next try (``revert_at``), tells
        the caller (``revert_pending``) and a repair issue, and tries again
        after ``RETRY_REVERT_AFTER`` or when a poll finds the plant answering.
        """
        if not locked:
            async with self._lock:
                await self._end(reason, raise_errors=raise_errors, locked=True)
            return
        action = self.action
        if action is None:
            return
        if self._retry is not None:
            self._retry()
            self._retry = None
        if not action.reverting:
            action.reverting = True
            await self._save()
        self.revert_at = dt_util.utcnow()
        self._notify()
        try:
            held = await self._read_action_block()
            writes = control.revert(action.takeover, held, self.values())
            await self._apply_revert(writes, held, source=f"revert ({reason})")
        except HomeAssistantError as err:
            self._revert_failed(action, err)
            if raise_errors:
                raise _failed(
                    translation_key="revert_pending",
                    translation_placeholders={
                        "action": str(action.action),
                        "error": str(err),
                        "time": self._next_try(),
                    },
                ) from err
            return
        await self._ended(action, reason)

    def _revert_failed(self, action: RunningAction, err: HomeAssistantError) -> None:
        """A revert that did not go through: when it is tried next, and who is told."""
        self._unanswered = _unanswered(err)
        if self._stopping:
            LOGGER.warning(
                "Could not undo the %s action before stopping (%s); the next start tries again",
                action.action,
                err,
            )
            return
        self._schedule_retry()
        LOGGER.warning(
            "Could not undo the %s action yet (%s); trying again at %s, or as soon as the "
            "plant answers again",
            action.action,
            err,
            self._next_try(),
        )
        self._issue(
            "revert_failed",
            translation_key="revert_failed",
            translation_placeholders={
                "action": action.action,
                "error": str(err),
                "time": self._next_try(),
            },
        )
        self._notify()

    async def _ended(self, action: RunningAction, reason: str) -> None:
        """The plant's own settings are back: forget the action and what only held during it."""
        for key in action.takeover.targets:
            self._expected.pop((PLANT_UNIT_ID, key), None)
            if (PLANT_UNIT_ID, key) in self._changed_back:
                # "The plant changed it back": the revert wrote it anyway; no longer true.
                self._changed_back.discard((PLANT_UNIT_ID, key))
                ir.async_delete_issue(
                    self.hass, DOMAIN, self._issue_id("value_reverted", PLANT_UNIT_ID, key)
                )
        self.action = None
        self.revert_at = None
        self._unanswered = False
        self._cancel_timers()
        await self._store.async_remove()
        for issue in ("revert_failed", "battery_blocked"):
            ir.async_delete_issue(self.hass, DOMAIN, self._issue_id(issue))
        if reason == LEFT_REMOTE_EMS and (mode := self._watch.left_for) is not None:
            self._issue(
                "value_reverted",
                translation_key="remote_ems_dropped",
                translation_placeholders={"action": action.action, "mode": mode.name.lower()},
                parts=(PLANT_UNIT_ID, ENABLE),
            )
        self._watch = replace(self._watch, blocked=None, dropped=0, foreign=0, left_for=None)
        LOGGER.info(
            "The %s action ended (%s); the plant's own settings are back", action.action, reason
        )
        self._notify()

    def _next_try(self) -> str:
        """When the pending revert is tried again, as the owner reads a clock."""
        return clock_time(self.revert_at or dt_util.utcnow())

    async def _apply_revert(
        self, writes: Sequence[Write], held: Mapping[Key, Words], *, source: str
    ) -> None:
        for write in writes:
            await self._one(write, held.get(write.key), source=source, undo=True)

    def _end_soon(self, reason: str) -> None:
        if self._ending is not None or self._stopping:
            return

        async def end() -> None:
            try:
                await self._end(reason, raise_errors=False)
            finally:
                self._ending = None

        self._ending = self.entry.async_create_background_task(
            self.hass, end(), f"{DOMAIN} end action"
        )

    def _schedule_deadline(self) -> None:
        action = self.action
        if action is None:  # pragma: no cover - only called with an action
            return

        @callback
        def reached(_: datetime) -> None:
            self._deadline = None
            self._end_soon("deadline")

        self._deadline = async_track_point_in_utc_time(self.hass, reached, action.deadline)

    def _schedule_retry(self) -> None:
        if self._retry is not None:
            self._retry()

        @callback
        def retry(_: datetime) -> None:
            self._retry = None
            if self.action is not None:
                self._end_soon("retry")

        self._retry = async_call_later(self.hass, RETRY_REVERT_AFTER, retry)
        self.revert_at = dt_util.utcnow() + RETRY_REVERT_AFTER

    @callback
    def _on_poll(self, _: object) -> None:
        """A realtime poll worked: a revert that failed for want of an answer is tried now."""
        if self._retry is not None and self._unanswered and self.action is not None:
            self._retry()
            self._retry = None
            self._end_soon("the plant answers again")

    async def _save(self) -> None:
        await async_save_action(self._store, self.action)

    # --- guardrails --------------------------------------------------------------------------

    def _issue_id(self, kind: str, *parts: object) -> str:
        return issue_id(kind, self.entry.entry_id, *parts)

    def _issue(
        self,
        issue_id: str,
        *,
        translation_key: str,
        translation_placeholders: Mapping[str, object] | None = None,
        parts: Sequence[object] = (),
        fixable: bool = False,
    ) -> None:
        """Raise a repair issue of this plant; its ``title`` placeholder is the entry's."""
        ir.async_create_issue(
            self.hass,
            DOMAIN,
            self._issue_id(issue_id, *parts),
            is_fixable=fixable,
            is_persistent=False,
            severity=ir.IssueSeverity.WARNING,
            translation_key=translation_key,
            translation_placeholders={
                "title": self.entry.title,
                **{k: str(v) for k, v in (translation_placeholders or {}).items()},
            },
            data={"entry_id": self.entry.entry_id} if fixable else None,
        )

    @callback
    def _on_realtime(self) -> None:
        """After each realtime poll: state of charge, remote EMS, blocked battery, limits."""
        realtime = self.coordinators[PollGroup.REALTIME]
        if not realtime.last_update_success:
            return
        values = self.values()
        fresh = realtime.polls > self._watch.write_poll
        action = self.action
        mode = EmsWorkMode.parse(values.code(Key.EMS_WORK_MODE))
        if action is not None and not action.reverting:
            if control.soc_reached(
                action.action, values.number(Key.PLANT_ESS_SOC), action.soc_limit
            ):
                self._end_soon("state of charge reached")
            elif fresh and mode is not None:
                self._watch_dropped(action, mode)
            self._check_blocked()
        elif action is None and fresh and mode is not None:
            self._watch_foreign(mode)
        found, holding = self._limits.observe(values)
        for item in found:
            self._issue(
                "limit_ineffective",
                translation_key="limit_ineffective",
                translation_placeholders={
                    "setting": setting_name(BY_KEY[item.key]),
                    "limit": f"{item.limit:g}",
                    "measured": f"{item.measured:g}",
                    "mode": "unknown" if item.ems_mode is None else item.ems_mode.name.lower(),
                },
                parts=(item.key,),
            )
        for key in holding:
            ir.async_delete_issue(self.hass, DOMAIN, self._issue_id("limit_ineffective", key))

    def _watch_foreign(self, mode: EmsWorkMode) -> None:
        if mode is EmsWorkMode.REMOTE_EMS:
            self._watch.foreign += 1
            if self._watch.foreign == FOREIGN_AFTER:
                LOGGER.warning("Remote EMS is on, but no action of this integration set it")
                self._issue(
                    "remote_ems_foreign", translation_key="remote_ems_foreign", fixable=True
                )
        else:
            if self._watch.foreign >= FOREIGN_AFTER:
                ir.async_delete_issue(self.hass, DOMAIN, self._issue_id("remote_ems_foreign"))
            self._watch.foreign = 0

    def _watch_dropped(self, action: RunningAction, mode: EmsWorkMode) -> None:
        if mode is EmsWorkMode.REMOTE_EMS:
            self._watch.dropped = 0
            return
        self._watch.dropped += 1
        if self._watch.dropped == FOREIGN_AFTER:
            LOGGER.warning("The plant left remote EMS during the %s action", action.action)
            self._watch.left_for = mode
            self._end_soon(LEFT_REMOTE_EMS)  # the repair issue once that is done: it says so

    def _check_blocked(self) -> None:
        action = self.action
        blocked = (
            None
            if action is None
            else control.blocking(action.action, self.values(), target=action.soc_limit)
        )
        key = None if blocked is None else BLOCKED_ISSUES[blocked.block]
        if key == self._watch.blocked:
            return
        self._watch.blocked = key
        if blocked is None or action is None:
            ir.async_delete_issue(self.hass, DOMAIN, self._issue_id("battery_blocked"))
            return
        self._issue(
            "battery_blocked",
            translation_key=BLOCKED_ISSUES[blocked.block],
            translation_placeholders={
                "action": action.action,
                "soc": f"{blocked.soc:g}",
                "setting": f"{blocked.setting:g}",
            },
        )

    def _check_grid_sensor(self, key: Key) -> None:
        status = self.values().code(Key.GRID_SENSOR_STATUS)
        if status == GridSensorStatus.NOT_CONNECTED:
            self._issue(
                "limit_ineffective",
                translation_key="grid_limit_without_sensor",
                translation_placeholders={"setting": setting_name(BY_KEY[key])},
                parts=(key,),
            )

    @callback
    def _on_settings(self) -> None:
        """After each settings poll: raise an issue where the plant changed back what we wrote."""
        settings = self.coordinators[PollGroup.SETTINGS]
        if not settings.last_update_success:
            return
        now = dt_util.utcnow()
        for (unit_id, key), expected in list(self._expected.items()):
            if now - expected.written > EXPECT_FOR:
                del self._expected[unit_id, key]
                continue
            values = (settings.data or {}).get(unit_id, EMPTY)
            if settings.polls <= expected.poll or key not in values:
                continue
            register = BY_KEY[key]
            if control.words_of(register, values[key]) == expected.words:
                continue
            del self._expected[unit_id, key]
            LOGGER.warning(
                "%s of unit %s reads %s, not the %s written at %s",
                key,
                unit_id,
                values[key],
                expected.value,
                _iso(expected.written),
            )
            self._issue(
                "value_reverted",
                translation_key="value_reverted",
                translation_placeholders={
                    "setting": setting_name(register),
                    "written": _shown(expected.value),
                    "now": _shown(values[key]),
                    "time": _iso(expected.written),
                },
                parts=(unit_id, key),
            )
            self._changed_back.add((unit_id, key))

    # --- diagnostics -------------------------------------------------------------------------

    def diagnostics(self) -> dict[str, Any]:
        """Writes made, the last ones, the running action."""
        return {
            "writes": self.writes,
            "last_writes": [w.as_dict() for w in self.history],
            "active_action": None if self.action is None else self.action.as_data(),
            "watched_values": len(self._expected),
        }


def reading(register: Register, raw: Words) -> Value | None:
    """What raw words read as (None: the "not set" pattern)."""
    return None if raw == control.words_of(register, None) else control.value_of(register, raw)


def _shown(value: Value | None) -> str:
    return "not set" if value is None else f"{value:g}" if isinstance(value, float) else str(value)


async def read_action_block(client: SigenergyClient) -> dict[Key, Words]:
    """What the registers an action changes hold now, by key: 40029-40035 in one read."""
    first, last = (BY_KEY[k] for k in ACTION_BLOCK)
    raw = await client.read_words(
        PLANT_UNIT_ID, RegisterKind.HOLDING, first.address, last.end - first.address
    )
    held: dict[Key, Words] = {}
    for key in (ENABLE, control.MODE, control.CHARGE_LIMIT, control.DISCHARGE_LIMIT):
        register = BY_KEY[key]
        offset = register.address - first.address
        held[key] = tuple(raw[offset : offset + register.count])
    return held


RATINGS = (Key.PLANT_ESS_RATED_CHARGING_POWER, Key.PLANT_ESS_RATED_DISCHARGING_POWER)
"""What a battery limit that was "not set" is restored as when the plant refuses "not set"."""


async def async_revert_on_plant(
    client: SigenergyClient, action: RunningAction, *, source: str
) -> list[WriteRecord]:
    """Put back what a stored action changed, with nothing but a client: the writes it made.

    The revert that needs neither the entry nor its polls (setup, the rescue
    of an entry that is not loaded, a deleted entry): it reads 40029-40035,
    writes back what differs in the revert order, ``WRITE_INTERVAL`` apart,
    as undos (read-only mode allows them), each confirmed by read-back; a
    battery limit that was "not set" and is refused as such gets its rating,
    as the controller does. Raises ``SigenergyError`` when the plant does not
    answer or refuses.
    """
    held = await read_action_block(client)
    ratings: dict[str, Value | None] = {}
    if any(w == control.NO_LIMIT for w in action.takeover.original.values()):
        ratings = await client.read(PLANT_UNIT_ID, [BY_KEY[k] for k in RATINGS])
    records: list[WriteRecord] = []
    loop = asyncio.get_running_loop()
    last: float | None = None

    async def undo(register: Register, words: Words) -> Value | None:
        nonlocal last
        if last is not None and (wait := last + WRITE_INTERVAL - loop.time()) > 0:
            await asyncio.sleep(wait)
        try:
            return await client.write(
                PLANT_UNIT_ID,
                control.writable(register, words),
                control.value_of(register, words),
                undo=True,
            )
        finally:
            last = loop.time()

    for write in control.revert(action.takeover, held, ratings):
        register = write.register
        try:
            back = await undo(register, write.words)
        except SigenergyDeviceError as err:
            if write.fallback is None or err.code != SigenergyDeviceError.ILLEGAL_DATA_VALUE:
                raise
            LOGGER.info("%s does not take 'not set' back; writing its rating instead", write.key)
            back = await undo(register, write.fallback)
        before = held.get(write.key)
        records.append(
            WriteRecord(
                time=dt_util.utcnow(),
                unit_id=PLANT_UNIT_ID,
                address=register.address,
                key=write.key,
                before=None if before is None else reading(register, before),
                after=back,
                source=source,
            )
        )
    return records


async def async_undo_due(
    hass: HomeAssistant, entry: SigenergyConfigEntry, client: SigenergyClient
) -> tuple[RunningAction | None, list[WriteRecord]]:
    """Setup's first step: the entry's stored action, undone now if it is due.

    Due: its deadline has passed, its end was asked for, or read-only mode
    is on (it ends an action at once: a revert undoes the owner's own
    action, it surprises nobody). Nothing but the client is needed, so that
    nothing later in setup can keep it from running. Returns the action
    still pending (running, or its revert failed: the controller or the
    rescue tries again) and the writes made.
    """
    store = action_store(hass, entry.entry_id)
    action = await async_load_action(store)
    if action is None:
        return None, []
    LOGGER.info("Found a pending %s action (until %s)", action.action, _iso(action.deadline))
    now = dt_util.utcnow()
    if not action.due(now) and not client.read_only:
        return action, []
    reason = "deadline" if action.due(now) else "read-only mode"
    if not action.reverting:
        action.reverting = True
        await async_save_action(store, action)
    try:
        undone = await async_revert_on_plant(client, action, source=f"revert ({reason})")
    except SigenergyError as err:
        LOGGER.warning("Could not undo the %s action yet: %s", action.action, err)
        return action, []
    await store.async_remove()
    ir.async_delete_issue(hass, DOMAIN, issue_id("revert_failed", entry.entry_id))
    LOGGER.info(
        "The %s action ended (%s); the plant's own settings are back", action.action, reason
    )
    return None, undone


async def async_revert_removed(hass: HomeAssistant, entry_id: str, client: SigenergyClient) -> None:
    """An entry deleted with an action pending: restore the plant, then forget the action.

    Best effort, with the same order and pacing as a revert; a plant that
    does not answer keeps what the action set (the log says so).
    """
    store = action_store(hass, entry_id)
    action = await async_load_action(store)
    if action is not None:
        try:
            await async_revert_on_plant(client, action, source="revert (deleted)")
        except SigenergyError as err:
            LOGGER.warning(
                "Could not undo the %s action of a deleted plant: %s", action.action, err
            )
        finally:
            await client.close()
    await store.async_remove()
