"""Plant control as data: what each action writes, how it is undone, what a setting may hold.

Nothing here talks to the plant. The integration reads, writes and times; this
module decides *what* to write, so that every rule of the safety model is a
function with its own tests:

* **Actions** (``Action``) are a set of target values for a few plant
  registers: remote EMS enable (40029), the remote EMS control mode (40031,
  Appendix 6) and an ESS limit (40032/40034). ``Takeover`` remembers, for each
  register an action changed, the raw words the plant held *before* the first
  change, so that ending it restores exactly those. Replacing one action by
  another restores what only the old one changed.
* **Order**: limits, then the mode, then remote EMS enable on the way in, so
  that the plant never runs a remote EMS mode with limits it was not given;
  remote EMS off first on the way out, so that the plant is back on its own
  EMS at once (a limit left for the second it takes to restore it only limits).
  Firmware that refuses limit writes outside remote EMS (exception 0x02) gets
  the limits after the enable and restored before the disable
  (``limits_need_remote_ems``).
* **Settings** (``SettingSpec``): the range a write may carry comes from the
  protocol and from the device's own ratings, and is never tighter than what the
  device itself reports (a device that reads a value accepts it). Limits that
  read all ones mean "not set", i.e. no limit; 40042/40044 may be written all
  ones ("no limit", protocol p.16). A DC charger is never given a 0 kW charging
  limit (it has put cars into an error state).
* **Guardrails**: settings that keep the battery from doing what an action asks
  (``blocking``), limits the plant does not apply in its current mode
  (``LimitWatch``), and what a refused write means (``refusal``).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from .codec import SENTINELS, decode_value, encode_value, int_to_words
from .enums import EmsWorkMode, RemoteEmsControlMode
from .exceptions import SigenergyDeviceError, SigenergyValueError
from .keys import Key
from .registers import BY_KEY, DataType, Register
from .values import number

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

    from .codec import Value

type Words = tuple[int, ...]
type Values = Mapping[str, "Value | None"]

NO_LIMIT: Words = (0xFFFF, 0xFFFF)
"""All ones in a U32 limit: "not set" (40032/40034 on live systems), "no limit" (40042/40044)."""

ENABLE = Key.REMOTE_EMS_ENABLE
MODE = Key.REMOTE_EMS_CONTROL_MODE
CHARGE_LIMIT = Key.ESS_MAX_CHARGING_LIMIT
DISCHARGE_LIMIT = Key.ESS_MAX_DISCHARGING_LIMIT

LIMIT_KEYS = (
    Key.ESS_MAX_CHARGING_LIMIT,
    Key.ESS_MAX_DISCHARGING_LIMIT,
    Key.PV_MAX_POWER_LIMIT,
    Key.GRID_MAX_EXPORT_LIMIT,
    Key.GRID_MAX_IMPORT_LIMIT,
    Key.PCS_MAX_EXPORT_LIMIT,
    Key.PCS_MAX_IMPORT_LIMIT,
)
"""The power limitation registers of table 5-2-1, in address order."""

TAKEOVER_ORDER: tuple[Key, ...] = (*LIMIT_KEYS, MODE, ENABLE)
"""The order in which an action's registers are written: limits, mode, enable."""

ACTION_BLOCK = (Key.REMOTE_EMS_ENABLE, Key.ESS_MAX_DISCHARGING_LIMIT)
"""The first and last register an action touches: 40029-40035, one read."""

COMMAND_MODES = frozenset(
    {
        RemoteEmsControlMode.COMMAND_CHARGING_GRID_FIRST,
        RemoteEmsControlMode.COMMAND_CHARGING_PV_FIRST,
        RemoteEmsControlMode.COMMAND_DISCHARGING_PV_FIRST,
        RemoteEmsControlMode.COMMAND_DISCHARGING_ESS_FIRST,
    }
)
"""The remote EMS modes in which older firmware applies the ESS and PV limits."""

DC_CHARGER_MIN_CHARGE_KW = 1.0
"""The lowest DC charger charging limit (41002) written: 0 has put cars into an error state."""

MAX_SOC = 100.0


class Action(StrEnum):
    """A timed takeover of the plant's EMS."""

    FORCE_CHARGE = "force_charge"
    """Charge the battery at a power, from the grid first (mode 3, 40032 = power)."""
    FORCE_DISCHARGE = "force_discharge"
    """Discharge the battery at a power, ESS first (mode 6, 40034 = power)."""
    HOLD = "hold"
    """Neither charge nor discharge: command charging, PV first, at 0 kW (mode 4, 40032 = 0).

    Not "standby" (mode 1): the protocol does not say what the PV does then.
    A charging mode at 0 kW is a command mode, so older firmware applies the
    limit too, and PV still feeds the load and the grid."""


def words(register: Register, value: float) -> Words:
    """The raw words of a value, exactly as a write would send them."""
    return tuple(encode_value(register.data_type, value, register.gain, register.count))


def value_of(register: Register, raw: Sequence[int]) -> float:
    """The value of raw words, all-ones patterns included (the inverse of ``words``)."""
    decoded = decode_value(register.data_type, raw, register.gain)
    if not isinstance(decoded, int | float):  # pragma: no cover - control registers are numbers
        msg = f"{register.key} is not numeric"
        raise SigenergyValueError(msg)
    return float(decoded)


def words_of(register: Register, value: Value | None) -> Words:
    """The raw words behind a decoded reading (``None``: the all-ones pattern)."""
    if value is None:
        raw = SENTINELS[register.data_type]
        return tuple(int_to_words(register.data_type, raw))
    if isinstance(value, str):  # pragma: no cover - control registers are numbers
        msg = f"{register.key} is not numeric"
        raise SigenergyValueError(msg)
    return words(register, float(value))


def action_targets(action: Action, power: float = 0.0) -> dict[Key, Words]:
    """The value each register must hold while an action runs, by key."""
    enable = words(BY_KEY[ENABLE], 1)
    if action is Action.FORCE_CHARGE:
        mode = RemoteEmsControlMode.COMMAND_CHARGING_GRID_FIRST
        limits = {CHARGE_LIMIT: words(BY_KEY[CHARGE_LIMIT], power)}
    elif action is Action.FORCE_DISCHARGE:
        mode = RemoteEmsControlMode.COMMAND_DISCHARGING_ESS_FIRST
        limits = {DISCHARGE_LIMIT: words(BY_KEY[DISCHARGE_LIMIT], power)}
    else:
        mode = RemoteEmsControlMode.COMMAND_CHARGING_PV_FIRST
        limits = {CHARGE_LIMIT: words(BY_KEY[CHARGE_LIMIT], 0.0)}
    return {**limits, MODE: words(BY_KEY[MODE], int(mode)), ENABLE: enable}


@dataclass(frozen=True, slots=True)
class Write:
    """One register write of a plan."""

    key: Key
    words: Words
    fallback: Words | None = None
    """What to write instead when the device refuses ``words`` as an illegal value (0x03)."""

    @property
    def register(self) -> Register:
        """The register written."""
        return BY_KEY[self.key]


def _ordered(keys: Iterable[Key], *, reverse: bool = False) -> list[Key]:
    rank = {key: n for n, key in enumerate(TAKEOVER_ORDER)}
    return sorted(keys, key=lambda k: rank[k], reverse=reverse)


def takeover_order(keys: Iterable[Key], *, limits_need_remote_ems: bool = False) -> list[Key]:
    """The order to write an action's registers in."""
    order = _ordered(keys)
    if limits_need_remote_ems:
        limits = [k for k in order if k in LIMIT_KEYS]
        order = [k for k in order if k not in LIMIT_KEYS] + limits
    return order


def revert_order(keys: Iterable[Key], *, limits_need_remote_ems: bool = False) -> list[Key]:
    """The order to restore an action's registers in."""
    order = _ordered(keys, reverse=True)
    if limits_need_remote_ems:
        limits = [k for k in order if k in LIMIT_KEYS]
        order = limits + [k for k in order if k not in LIMIT_KEYS]
    return order


@dataclass(frozen=True, slots=True, kw_only=True)
class Takeover:
    """What an action changed: the plant's values before, and what it holds now."""

    original: Mapping[Key, Words]
    """Each register's raw words before the first action changed it."""
    targets: Mapping[Key, Words]
    """What the running action wants each register to hold."""
    limits_need_remote_ems: bool = False
    """The plant refused a limit write before remote EMS was on (learned on the way in)."""

    def as_data(self) -> dict[str, Any]:
        """The form stored across restarts."""
        return {
            "original": {k: list(w) for k, w in self.original.items()},
            "targets": {k: list(w) for k, w in self.targets.items()},
            "limits_need_remote_ems": self.limits_need_remote_ems,
        }

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> Takeover:
        """Read the stored form back."""
        return cls(
            original={Key(k): tuple(w) for k, w in data["original"].items()},
            targets={Key(k): tuple(w) for k, w in data["targets"].items()},
            limits_need_remote_ems=bool(data.get("limits_need_remote_ems", False)),
        )


def _restore(key: Key, original: Words, ratings: Values) -> Write:
    """Restore a register; an ESS limit that was "not set" falls back to its rating."""
    fallback = None
    if original == NO_LIMIT and key in (CHARGE_LIMIT, DISCHARGE_LIMIT):
        rating = number(ratings, _ESS_RATING[key])
        if rating is not None:
            fallback = words(BY_KEY[key], rating)
    return Write(key, original, fallback)


_ESS_RATING = {
    CHARGE_LIMIT: Key.PLANT_ESS_RATED_CHARGING_POWER,
    DISCHARGE_LIMIT: Key.PLANT_ESS_RATED_DISCHARGING_POWER,
}


def transition(
    current: Takeover | None,
    targets: Mapping[Key, Words],
    held: Mapping[Key, Words],
    ratings: Values | None = None,
) -> tuple[Takeover, list[Write]]:
    """Go from the running takeover (or none) to an action's targets.

    ``held`` is what the plant holds now (read just before). The result is the
    new takeover and the writes, in order: the new targets (limits, mode,
    enable), then the restoring of registers only the old action changed.
    Writes of a value the register already holds are left out.
    """
    ratings = ratings or {}
    original: dict[Key, Words] = dict(current.original) if current else {}
    need = current.limits_need_remote_ems if current else False
    for key in targets:
        original.setdefault(key, held[key])
    writes = [
        Write(key, targets[key])
        for key in takeover_order(targets, limits_need_remote_ems=need)
        if held[key] != targets[key]
    ]
    dropped = [k for k in (current.targets if current else {}) if k not in targets]
    for key in revert_order(dropped, limits_need_remote_ems=need):
        if held[key] != original[key]:
            writes.append(_restore(key, original[key], ratings))
        del original[key]
    return Takeover(original=original, targets=dict(targets), limits_need_remote_ems=need), writes


def revert(
    takeover: Takeover, held: Mapping[Key, Words], ratings: Values | None = None
) -> list[Write]:
    """The writes that restore what a takeover changed, skipping what already holds."""
    ratings = ratings or {}
    return [
        _restore(key, takeover.original[key], ratings)
        for key in revert_order(
            takeover.original, limits_need_remote_ems=takeover.limits_need_remote_ems
        )
        if held.get(key) != takeover.original[key]
    ]


# --- settings: what a write may carry -------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class SettingSpec:
    """A setting an owner changes, and the range of values it may be written."""

    key: Key
    minimum: float = 0.0
    """The lowest value written (the protocol's, or a safe one)."""
    maximum: float | None = None
    """The protocol's stated highest value, where it states one."""
    rating: Callable[[Values], float | None] | None = None
    """The device's own rating that bounds the value (read from its registers)."""
    ratings: tuple[Key, ...] = ()
    """The registers ``rating`` reads (for the poll plan)."""
    unset_is_no_limit: bool = False
    """An all-ones reading means "not set": no limit, shown at the maximum."""
    no_limit_words: bool = False
    """The maximum is written as all ones: "no limit" (40042/40044, protocol p.16)."""

    @property
    def register(self) -> Register:
        """The register the setting is."""
        return BY_KEY[self.key]


def _smallest(*keys: Key) -> Callable[[Values], float | None]:
    def rating(values: Values) -> float | None:
        found = [v for k in keys if (v := number(values, k)) is not None and v > 0]
        return min(found) if found else None

    return rating


def _sum(*keys: Key) -> Callable[[Values], float | None]:
    def rating(values: Values) -> float | None:
        found = [number(values, k) for k in keys]
        return None if any(v is None for v in found) else sum(v for v in found if v is not None)

    return rating


def _spec(key: Key, *ratings: Key, how: str = "smallest", **kwargs: Any) -> SettingSpec:
    rating = None if not ratings else (_sum(*ratings) if how == "sum" else _smallest(*ratings))
    return SettingSpec(key=key, rating=rating, ratings=ratings, **kwargs)


_PLANT_MAX = Key.PLANT_MAX_ACTIVE_POWER
SETTINGS: Mapping[Key, SettingSpec] = {
    s.key: s
    for s in (
        # [0, rated ESS charging / discharging power] (table 5-2-1).
        _spec(CHARGE_LIMIT, Key.PLANT_ESS_RATED_CHARGING_POWER, unset_is_no_limit=True),
        _spec(DISCHARGE_LIMIT, Key.PLANT_ESS_RATED_DISCHARGING_POWER, unset_is_no_limit=True),
        # No stated range: the PV can deliver at most what the AC side and the battery take.
        _spec(
            Key.PV_MAX_POWER_LIMIT,
            _PLANT_MAX,
            Key.PLANT_ESS_RATED_CHARGING_POWER,
            how="sum",
            unset_is_no_limit=True,
        ),
        # No stated range: the plant's own maximum active power.
        _spec(Key.GRID_MAX_EXPORT_LIMIT, _PLANT_MAX, unset_is_no_limit=True),
        _spec(Key.GRID_MAX_IMPORT_LIMIT, _PLANT_MAX, unset_is_no_limit=True),
        # [0, 0xFFFFFFFE] and 0xFFFFFFFF "not valid" (no limit); bounded by the plant's maximum.
        _spec(
            Key.PCS_MAX_EXPORT_LIMIT,
            _PLANT_MAX,
            maximum=0xFFFFFFFE / 1000,
            unset_is_no_limit=True,
            no_limit_words=True,
        ),
        _spec(
            Key.PCS_MAX_IMPORT_LIMIT,
            _PLANT_MAX,
            maximum=0xFFFFFFFE / 1000,
            unset_is_no_limit=True,
            no_limit_words=True,
        ),
        # Range: [0, 100.0] (table 5-2-4).
        _spec(Key.ESS_BACKUP_SOC, maximum=MAX_SOC),
        _spec(Key.ESS_CHARGE_CUT_OFF_SOC, maximum=MAX_SOC),
        _spec(Key.ESS_DISCHARGE_CUT_OFF_SOC, maximum=MAX_SOC),
        # [6, X], X the smaller of the rated and the input breaker's current (table 5-6).
        _spec(
            Key.AC_CHARGER_OUTPUT_CURRENT,
            Key.AC_CHARGER_RATED_CURRENT,
            Key.AC_CHARGER_INPUT_BREAKER_RATED_CURRENT,
            minimum=6.0,
        ),
        # [0, rated charging / discharging power] (table 5-4); never 0 kW charging.
        _spec(
            Key.DC_CHARGER_MAX_CHARGING_POWER_LIMIT,
            Key.DC_CHARGER_RATED_CHARGING_POWER,
            minimum=DC_CHARGER_MIN_CHARGE_KW,
        ),
        _spec(Key.DC_CHARGER_MAX_DISCHARGING_POWER_LIMIT, Key.DC_CHARGER_RATED_DISCHARGING_POWER),
    )
}
"""Every setting an entity writes, by register key."""

FORBIDDEN: Mapping[Key, frozenset[Words]] = {
    Key.DC_CHARGER_MAX_CHARGING_POWER_LIMIT: frozenset({(0, 0)}),
}
"""Values never written, whatever asks: a 0 kW DC charging limit puts cars into an error state."""


def setting_range(spec: SettingSpec, values: Values) -> tuple[float, float] | None:
    """The values a setting may be written now; None while its bound is unknown.

    The bound is the device's rating (capped by the protocol's maximum), else
    the protocol's maximum. A device that reports a value above it accepts
    that value: the bound is raised to what it reports, never the minimum
    lowered (the minimum is the protocol's or a safety floor).
    """
    bound = spec.rating(values) if spec.rating is not None else None
    if spec.maximum is not None:
        bound = spec.maximum if bound is None else min(bound, spec.maximum)
    if bound is None:
        return None
    reported = number(values, spec.key)
    if reported is not None and reported > bound:
        bound = reported
    return spec.minimum, max(bound, spec.minimum)


def setting_value(spec: SettingSpec, values: Values) -> float | None:
    """What a setting reads as: its number; "not set" shows as the maximum (no limit)."""
    if spec.key not in values:
        return None  # not read: no reading
    reported = number(values, spec.key)
    if reported is not None:
        return reported
    if not spec.unset_is_no_limit:
        return None
    bounds = setting_range(spec, values)
    return None if bounds is None else bounds[1]


def setting_words(spec: SettingSpec, value: float, bounds: tuple[float, float]) -> Words:
    """The raw words to write a setting with, range-checked; the maximum may mean no limit."""
    low, high = bounds
    if not math.isfinite(value) or not low <= value <= high:
        msg = f"{value:g} is outside {low:g}-{high:g} for {spec.key}"
        raise SigenergyValueError(msg)
    if spec.no_limit_words and value >= high:
        return NO_LIMIT
    return words(spec.register, value)


def writable(register: Register, raw: Words) -> Register:
    """The register with limits that let exactly these words through the codec's check.

    A write carries the range derived here (``setting_range``) or a value the
    device itself held (a restore); the map's own limits are the protocol's
    stated range, which a device may exceed (issue: 40053 reads 20.0 where
    the protocol says 0-10.0). The allowed codes of coded registers stay.
    """
    if register.data_type is DataType.STRING:  # pragma: no cover - never a control register
        return register
    value = value_of(register, raw)
    low = register.minimum if register.minimum is None else min(register.minimum, value)
    high = register.maximum if register.maximum is None else max(register.maximum, value)
    return replace(register, minimum=low, maximum=high)


def forbidden(key: Key, raw: Words) -> bool:
    """Whether these words must never be written to this register."""
    return raw in FORBIDDEN.get(key, frozenset())


# --- guardrails ---------------------------------------------------------------------------


class Refusal(StrEnum):
    """What an exception 0x02 to a write means."""

    NOT_ALLOWED = "not_allowed"
    """The register reads fine: the device does not allow the write in its current mode."""
    UNSUPPORTED = "unsupported"
    """The register's reads are refused too: the firmware does not have it."""


def refusal(err: SigenergyDeviceError, *, readable: bool) -> Refusal | None:
    """The meaning of a device's refusal of a write, or None for any other error.

    ``readable``: whether a read of the register (or, for a write-only one,
    of its table) is answered.
    """
    if err.code != SigenergyDeviceError.ILLEGAL_DATA_ADDRESS:
        return None
    return Refusal.NOT_ALLOWED if readable else Refusal.UNSUPPORTED


def probe_register(register: Register) -> Register | None:
    """The register whose read tells whether a write-only register's table is supported.

    A readable register is its own probe. A write-only one (start/stop) has
    the next readable register of its table, on the same unit.
    """
    if register.access.readable:
        return register
    return next(
        (
            r
            for r in sorted(BY_KEY.values(), key=lambda r: r.address)
            if r.table == register.table
            and r.device is register.device
            and r.address > register.address
            and r.access.readable
        ),
        None,
    )


class Block(StrEnum):
    """A setting that keeps the battery from doing what an action asks."""

    CHARGE_CUT_OFF = "charge_cut_off"
    """The state of charge is at the charge cut-off: the battery charges no further."""
    DISCHARGE_CUT_OFF = "discharge_cut_off"
    """The state of charge is at the discharge cut-off: the battery discharges no further."""
    BACKUP_SOC = "backup_soc"
    """The state of charge is at the backup reserve: on grid the battery keeps it."""


@dataclass(frozen=True, slots=True)
class Blocked:
    """Why an action cannot move the battery, with the numbers."""

    block: Block
    setting: float
    soc: float


def blocking(action: Action, values: Values, *, target: float | None = None) -> Blocked | None:
    """The setting that blocks an action's battery power now, if any.

    ``values``: the plant's state of charge (30014), cut-offs (40047/40048)
    and backup SOC (40046), on grid (30009). ``target``: the charge target,
    which a charge cut-off below it keeps the action from reaching.
    """
    soc = number(values, Key.PLANT_ESS_SOC)
    if soc is None:
        return None
    if action is Action.FORCE_CHARGE:
        ceiling = number(values, Key.ESS_CHARGE_CUT_OFF_SOC)
        # A target at or below the cut-off ends the action there: nothing is blocked.
        if ceiling is not None and soc >= ceiling and (target is None or target > ceiling):
            return Blocked(Block.CHARGE_CUT_OFF, ceiling, soc)
    elif action is Action.FORCE_DISCHARGE:
        floor = number(values, Key.ESS_DISCHARGE_CUT_OFF_SOC)
        backup = number(values, Key.ESS_BACKUP_SOC)
        on_grid = values.get(Key.GRID_STATUS) in (None, 0)
        if floor is not None and soc <= floor:
            return Blocked(Block.DISCHARGE_CUT_OFF, floor, soc)
        if on_grid and backup is not None and soc <= backup:
            return Blocked(Block.BACKUP_SOC, backup, soc)
    return None


def soc_reached(action: Action, soc: float | None, limit: float | None) -> bool:
    """Whether an action's target (charging) or floor (discharging) state of charge is reached."""
    if soc is None or limit is None:
        return False
    if action is Action.FORCE_CHARGE:
        return soc >= limit
    if action is Action.FORCE_DISCHARGE:
        return soc <= limit
    return False


@dataclass(frozen=True, slots=True)
class Ineffective:
    """A limit the plant exceeds: it does not apply it in its current mode."""

    key: Key
    limit: float
    measured: float
    ems_mode: EmsWorkMode | None


_WATCHED: tuple[tuple[Key, Key, int], ...] = (
    (CHARGE_LIMIT, Key.PLANT_ESS_POWER, 1),
    (DISCHARGE_LIMIT, Key.PLANT_ESS_POWER, -1),
    (Key.PV_MAX_POWER_LIMIT, Key.PLANT_PV_POWER, 1),
)
"""The limits the plant's own measurements can check: (limit, power, direction)."""

WATCHED_POWERS = (Key.PLANT_ESS_POWER, Key.PLANT_PV_POWER, Key.EMS_WORK_MODE)
"""What ``LimitWatch`` reads at every realtime poll (registers already polled)."""


@dataclass(slots=True)
class LimitWatch:
    """Finds limits the plant does not apply, from the power it measures.

    V2.9 firmware applies 40032/40034/40036 in every EMS mode; older firmware
    only in the command modes of remote EMS. A limit exceeded by more than the
    tolerance for ``polls`` polls in a row is one the plant does not apply now;
    it is reported once, until it holds again (or changes).
    """

    polls: int = 6
    tolerance_kw: float = 0.1
    tolerance_share: float = 0.05
    _runs: dict[Key, int] = field(default_factory=dict)
    _limits: dict[Key, float] = field(default_factory=dict)

    def observe(self, values: Values) -> tuple[list[Ineffective], list[Key]]:
        """One poll: the limits found ineffective now, and those that hold again."""
        found: list[Ineffective] = []
        holding: list[Key] = []
        mode = EmsWorkMode.parse(_code(values.get(Key.EMS_WORK_MODE)))
        for key, power_key, direction in _WATCHED:
            limit = number(values, key)
            power = number(values, power_key)
            if limit is None or power is None:
                self._runs.pop(key, None)
                continue
            if self._limits.get(key) != limit:
                if self._runs.get(key, 0) >= self.polls:
                    holding.append(key)
                self._runs[key] = 0
                self._limits[key] = limit
            measured = direction * power
            margin = max(self.tolerance_kw, self.tolerance_share * limit)
            if measured > limit + margin:
                run = self._runs.get(key, 0) + 1
                self._runs[key] = run
                if run == self.polls:
                    found.append(Ineffective(key, limit, measured, mode))
            else:
                if self._runs.get(key, 0) >= self.polls:
                    holding.append(key)
                self._runs[key] = 0
        return found, holding


def _code(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None
