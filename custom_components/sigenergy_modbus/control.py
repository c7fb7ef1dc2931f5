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
has passed. A revert that fails is retried until it succeeds.

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

from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
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
    SigenergyDeviceError,
    SigenergyError,
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
EXPECT_FOR = timedelta(hours=24)
"""How long a written value is watched for the plant changing it back."""

HISTORY = 20
"""Writes kept for the diagnostics."""

STORAGE_VERSION = 1
FOREIGN_AFTER = 2
"""Realtime polls in a row that must show remote EMS before it is called someone else's."""

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
        self._store: Store[dict[str, Any]] = Store(
            hass, STORAGE_VERSION, f"{DOMAIN}.control.{entry.entry_id}"
        )
        self._lock = asyncio.Lock()
        self._last_write: float | None = None
        self._expected: dict[tuple[int, Key], _Expected] = {}
        self._watch = _Watch()
        self._limits = control.LimitWatch()
        self._unsubs: list[CALLBACK_TYPE] = []
        self._deadline: CALLBACK_TYPE | None = None
        self._retry: CALLBACK_TYPE | None = None
        self._ending = False
        self._listeners: list[Callable[[], None]] = []

    # --- lifecycle -------------------------------------------------------------------------

    async def async_start(self) -> None:
        """Load a pending action: resume it, or revert it now when its time is up."""
        self._unsubs += [
            self.coordinators[PollGroup.REALTIME].async_add_listener(self._on_realtime),
            self.coordinators[PollGroup.SETTINGS].async_add_listener(self._on_settings),
        ]
        stored = await self._store.async_load()
        if not stored or not stored.get("action"):
            return
        self.action = RunningAction.from_data(stored["action"])
        LOGGER.info(
            "Found a pending %s action (until %s)", self.action.action, _iso(self.action.deadline)
        )
        if self.client.read_only:
            self._issue(
                "revert_blocked",
                translation_key="revert_blocked_read_only",
                translation_placeholders={"action": self.action.action},
            )
            return
        if self.action.reverting or self.action.deadline <= dt_util.utcnow():
            self._end_soon("deadline")
        else:
            self._schedule_deadline()

    async def async_stop(self) -> None:
        """Stop timers and listeners; a running action stays stored for the next start."""
        for unsub in self._unsubs:
            unsub()
        self._unsubs.clear()
        self._cancel_timers()

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
    ) -> bool:
        """Write raw words to a register; False when it already held them (nothing sent)."""
        name = setting_name(register)
        key = Key(register.key)
        if control.forbidden(key, raw):
            raise _invalid(
                translation_key="value_forbidden", translation_placeholders={"setting": name}
            )
        if self.client.read_only:
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
            back = await self.client.write(unit_id, control.writable(register, raw), value)
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
        before = None if held is None else self._reading(register, held)
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
        ir.async_delete_issue(self.hass, DOMAIN, self._issue_id("value_reverted", unit_id, key))
        if expect:
            self._expected[unit_id, key] = _Expected(
                words=raw, poll=settings.polls, written=now, value=back
            )
        if register.access.readable:
            for coordinator in self.coordinators.values():
                coordinator.pin(unit_id, key, back)
            self._publish({(unit_id, key): back})

    @staticmethod
    def _reading(register: Register, raw: Words) -> Value | None:
        return None if raw == control.words_of(register, None) else control.value_of(register, raw)

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
            raise _failed(
                translation_key="action_failed",
                translation_placeholders={"action": str(action), "error": str(err)},
            ) from err
        if deferred:
            running.takeover = replace(takeover, limits_need_remote_ems=True)
            await self._save()
        for key, raw in targets.items():
            self._expected[PLANT_UNIT_ID, key] = _Expected(
                words=raw,
                poll=self.coordinators[PollGroup.SETTINGS].polls,
                written=now,
                value=self._reading(BY_KEY[key], raw),
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

    async def _one(self, write: Write, held: Words | None, *, source: str) -> None:
        """One write of a plan; "not set" refused as a value is restored as the rating."""
        register = write.register
        try:
            await self._write(PLANT_UNIT_ID, register, write.words, source=source, held=held)
        except ControlError as err:
            if write.fallback is None or err.code != SigenergyDeviceError.ILLEGAL_DATA_VALUE:
                raise
            LOGGER.info("%s does not take 'not set' back; writing its rating instead", write.key)
            await self._write(PLANT_UNIT_ID, register, write.fallback, source=source)

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
        """Restore what the running action changed; retried later when it fails."""
        if not locked:
            async with self._lock:
                await self._end(reason, raise_errors=raise_errors, locked=True)
            return
        action = self.action
        if action is None:
            return
        if not action.reverting:
            action.reverting = True
            await self._save()
        try:
            held = await self._read_action_block()
            writes = control.revert(action.takeover, held, self.values())
            await self._apply_revert(writes, held, source=f"revert ({reason})")
        except HomeAssistantError as err:
            LOGGER.warning(
                "Could not undo the %s action yet (%s); trying again", action.action, err
            )
            self._issue(
                "revert_failed",
                translation_key="revert_failed",
                translation_placeholders={"action": action.action, "error": str(err)},
            )
            self._schedule_retry()
            if raise_errors:
                raise
            return
        for key in action.takeover.targets:
            self._expected.pop((PLANT_UNIT_ID, key), None)
        self.action = None
        self._cancel_timers()
        await self._store.async_remove()
        for issue in ("revert_failed", "battery_blocked", "revert_blocked"):
            ir.async_delete_issue(self.hass, DOMAIN, self._issue_id(issue))
        self._watch = replace(self._watch, blocked=None, dropped=0, foreign=0)
        LOGGER.info(
            "The %s action ended (%s); the plant's own settings are back", action.action, reason
        )
        self._notify()

    async def _apply_revert(
        self, writes: Sequence[Write], held: Mapping[Key, Words], *, source: str
    ) -> None:
        for write in writes:
            await self._one(write, held.get(write.key), source=source)

    def _end_soon(self, reason: str) -> None:
        if self._ending:
            return
        self._ending = True

        async def end() -> None:
            try:
                await self._end(reason, raise_errors=False)
            finally:
                self._ending = False

        self.entry.async_create_background_task(self.hass, end(), f"{DOMAIN} end action")

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
            return

        @callback
        def retry(_: datetime) -> None:
            self._retry = None
            if self.action is not None and not self.client.read_only:
                self._end_soon("retry")

        self._retry = async_call_later(self.hass, RETRY_REVERT_AFTER, retry)

    async def _save(self) -> None:
        await self._store.async_save(
            {"action": None if self.action is None else self.action.as_data()}
        )

    # --- guardrails --------------------------------------------------------------------------

    def _issue_id(self, kind: str, *parts: object) -> str:
        return "_".join([kind, self.entry.entry_id, *(str(p) for p in parts)])

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
            self._issue(
                "value_reverted",
                translation_key="remote_ems_dropped",
                translation_placeholders={"action": action.action, "mode": mode.name.lower()},
                parts=(PLANT_UNIT_ID, ENABLE),
            )
            self._end_soon("the plant left remote EMS")

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

    # --- diagnostics -------------------------------------------------------------------------

    def diagnostics(self) -> dict[str, Any]:
        """Writes made, the last ones, the running action."""
        return {
            "writes": self.writes,
            "last_writes": [w.as_dict() for w in self.history],
            "active_action": None if self.action is None else self.action.as_data(),
            "watched_values": len(self._expected),
        }


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


async def async_revert_removed(hass: HomeAssistant, entry_id: str, client: SigenergyClient) -> None:
    """An entry deleted with an action pending: restore the plant, then forget the action.

    Best effort, with the same order and pacing as a revert; a plant that
    does not answer keeps what the action set (the log says so).
    """
    store: Store[dict[str, Any]] = Store(hass, STORAGE_VERSION, f"{DOMAIN}.control.{entry_id}")
    stored = await store.async_load()
    if stored and stored.get("action") and not client.read_only:
        action = RunningAction.from_data(stored["action"])
        try:
            held = await read_action_block(client)
            for write in control.revert(action.takeover, held):
                await asyncio.sleep(WRITE_INTERVAL)
                register = write.register
                await client.write(
                    PLANT_UNIT_ID,
                    control.writable(register, write.words),
                    control.value_of(register, write.words),
                )
        except SigenergyError as err:
            LOGGER.warning(
                "Could not undo the %s action of a deleted plant: %s", action.action, err
            )
        finally:
            await client.close()
    await store.async_remove()
