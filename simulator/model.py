"""Physics of a simulated Sigenergy SigenStor plant: pure, synchronous, no networking.

The model owns the state of a plant (battery SOC, lifetime energy counters,
settings written to holding registers, scenario) and a simulated clock that
only moves when :meth:`PlantModel.advance` is called. Every quantity is
derived from that state and the time of day, never drawn at random: the seed
only picks the plant's hardware and the shape of its smooth day curves.

Each step solves one power balance, lossless and in whole watts, so that the
registers agree exactly where the protocol says they should:

* PV power of an inverter is the sum of its strings' V x I (from the rounded
  voltage and current registers), and the plant's PV power is the sum of the
  inverters'.
* Inverter AC power = PV power - ESS power (ESS power > 0 charging).
* Grid power (> 0 import) = load - sum of inverter AC powers, per phase and in
  total; off grid it is 0 and the load served is what the inverters deliver.
* Energy counters integrate those same powers over the step (left rectangle
  rule), are truncated to the register's resolution and never decrease.

The EMS runs "maximum self consumption": PV first feeds the load, the surplus
charges the batteries, a deficit is covered by the batteries, all within
rated power, the plant's ESS and PV limits (40032/40034/40036), the export
limits (40038/40042) and the cut-off SOCs (40047/40048, 40046 backup SOC on
grid). Remote EMS (40029 = 1) switches the EMS mode (30003) to 7 and follows
the remote control mode 40031: standby, self consumption, charging (grid or PV
first) and discharging (PV or ESS first: which one gives way at the inverters'
maximum) at the power the limits allow; the import limits (40040/40044) hold
charging from the grid back. ``ControlOptions`` make the firmware behave like
older or quirkier ones: limits only in the command modes, 40038 reverted by
the plant after a while, writes refused in the wrong mode (0x02) or above the
device's ratings (0x03), ESS limits that read "not set", a DC charger.
"""

from __future__ import annotations

import itertools
import math
import random
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta, tzinfo
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from custom_components.sigenergy_modbus.protocol import enums
from custom_components.sigenergy_modbus.protocol.registers import PLANT_UNIT_ID, DeviceKind

from .modbus import ExceptionCode

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from custom_components.sigenergy_modbus.protocol.codec import Value

KWH_PER_PACK = 8.0
"""Usable capacity of one SigenStor BAT 8.0 pack."""

KW_PER_PACK = 4.0
"""Continuous charge/discharge power one pack adds."""

MAX_STEP = 60.0
"""Longest physics step in simulated seconds; longer advances are split."""

DEFAULT_FIRMWARE = "V100R001C00SPC112B011"
"""Firmware string every inverter reports until ``set_firmware``."""

SMART_LOADS = 24
PHASES = 3
NOMINAL_PHASE_VOLTAGE = 230.0
AC_CHARGER_VOLTAGE = 230.0

RATINGS = (5.0, 6.0, 8.0, 10.0, 12.0, 15.0, 17.0, 20.0, 25.0)
"""Rated AC powers (kW) of the SigenStor EC TP models."""

OPEN_CIRCUIT_RATIO = 1.2
"""A PV string's open-circuit voltage relative to its maximum power point voltage."""

SUNRISE, NOON, SUNSET = 6.0, 12.0, 20.0
"""Local hours of the simulated day."""

# Alarm bits raised by the scenarios (see enums.PCS_ALARM_1 etc.).
ALARM1_LOW_INSULATION = 1 << 1
ALARM1_GRID_OUTAGE = 1 << 9
ALARM1_GRID_OVERVOLTAGE = 1 << 10
ALARM2_OFF_GRID_PROTECTION = 1 << 4
ALARM3_EQUIPMENT_FAULT = 1 << 3

_DC_CHARGER_ZEROS = (
    "dc_charger_vehicle_battery_voltage",
    "dc_charger_charging_current",
    "dc_charger_output_power",
    "dc_charger_vehicle_soc",
    "dc_charger_session_charge_energy",
    "dc_charger_session_charge_duration",
    "dc_charger_discharging_current",
    "dc_charger_session_discharge_energy",
    "dc_charger_session_discharge_duration",
    "dc_charger_charge_energy_total",
    "dc_charger_discharge_energy_total",
    "dc_charger_rated_charging_power",
    "dc_charger_rated_discharging_power",
)

REMOTE_EMS_STANDBY_MODES = frozenset(
    {enums.RemoteEmsControlMode.STANDBY, enums.RemoteEmsControlMode.V2G}
)
COMMAND_MODES = frozenset(
    {
        enums.RemoteEmsControlMode.COMMAND_CHARGING_GRID_FIRST,
        enums.RemoteEmsControlMode.COMMAND_CHARGING_PV_FIRST,
        enums.RemoteEmsControlMode.COMMAND_DISCHARGING_PV_FIRST,
        enums.RemoteEmsControlMode.COMMAND_DISCHARGING_ESS_FIRST,
    }
)


class Scenario(StrEnum):
    """What is happening to the plant."""

    NORMAL = "normal"
    OFF_GRID = "off_grid"
    """Grid outage: the plant runs off grid on PV and battery."""
    OVERLOAD = "overload"
    """Off grid with a load above what the inverters can deliver."""
    DC_FAULT = "dc_fault"
    """PV side fault (low insulation resistance) on one inverter."""
    AC_FAULT = "ac_fault"
    """Grid over-voltage trips one inverter: it stops, running state Fault."""
    BATTERY_FAULT = "battery_fault"
    """Battery equipment fault on one inverter: its ESS stops."""
    VPP = "vpp"
    """A virtual power plant dispatches the plant: EMS work mode 6, batteries discharge
    at full power (what owners on VPP programmes see during an event)."""


def pv_strings_for(rated_power: float) -> int:
    """Return the PV string inputs of a model: 2 up to 8 kW, 3 up to 15 kW, else 4."""
    if rated_power <= 8.0:
        return 2
    if rated_power <= 15.0:
        return 3
    return 4


@dataclass(frozen=True, slots=True, kw_only=True)
class InverterSpec:
    """The hardware of one SigenStor inverter."""

    unit_id: int
    rated_power: float
    """Rated AC active power, kW."""
    packs: int
    """Battery packs stacked under the inverter (1-6)."""
    serial: str
    phases: int = PHASES
    """AC phases: 3 (L1/L2/L3/N), or 1 (L/N) for a single-phase model."""

    @property
    def model(self) -> str:
        """The model type string, e.g. ``SigenStor EC 12.0 TP`` (``SP``: single phase)."""
        return f"SigenStor EC {self.rated_power:.1f} {'TP' if self.phases == PHASES else 'SP'}"

    @property
    def pv_strings(self) -> int:
        """Number of PV string inputs."""
        return pv_strings_for(self.rated_power)

    @property
    def pv_capacity(self) -> float:
        """Installed PV peak power, kW (1.2 x rated)."""
        return round(1.2 * self.rated_power, 3)

    @property
    def capacity(self) -> float:
        """Rated battery capacity, kWh."""
        return self.packs * KWH_PER_PACK

    @property
    def max_active_power(self) -> float:
        """Maximum AC active power, kW."""
        return round(1.1 * self.rated_power, 3)

    @property
    def max_apparent_power(self) -> float:
        """Maximum AC apparent power, kVA."""
        return round(1.1 * self.rated_power, 3)

    @property
    def max_absorption_power(self) -> float:
        """Maximum power drawn from the AC side, kW."""
        return self.rated_power

    @property
    def max_reactive_power(self) -> float:
        """Maximum reactive power fed or absorbed, kvar."""
        return round(0.6 * self.rated_power, 3)

    @property
    def ess_rated_power(self) -> float:
        """Rated battery charge and discharge power, kW."""
        return min(self.rated_power, self.packs * KW_PER_PACK)


@dataclass(slots=True)
class InverterState:
    """The mutable state of one inverter and its battery."""

    spec: InverterSpec
    firmware: str
    soc: float
    soh: float
    pv_total: float
    charge_total: float
    discharge_total: float
    orientation: float
    string_shares: tuple[float, ...]
    string_vmpp: tuple[float, ...]
    phase_offsets: tuple[float, float, float]
    temperature_offset: float
    commissioned: int
    pv_daily: float = 0.0
    charge_daily: float = 0.0
    discharge_daily: float = 0.0
    started: bool = True
    dc_fault: bool = False
    ac_fault: bool = False
    battery_fault: bool = False
    settings: dict[str, Value | None] = field(default_factory=dict)
    coils: list[bool] = field(default_factory=lambda: [False, False])
    discrete_inputs: list[bool] = field(default_factory=lambda: [False] * 5)


@dataclass(slots=True)
class AcChargerState:
    """The mutable state of the AC charger (EVAC)."""

    unit_id: int
    energy_total: float
    rated_power: float = 11.0
    rated_current: float = 16.0
    breaker_current: float = 32.0
    started: bool = True
    settings: dict[str, Value | None] = field(default_factory=dict)


@dataclass(slots=True)
class ControlOptions:
    """How the firmware treats control (the options a firmware profile sets).

    The defaults are V2.9's rules: the ESS and PV limits act in every EMS
    mode, the plant keeps what it is given, writes are taken as the protocol
    allows them. Mutable, so that a test may change the firmware's mind.
    """

    limits_in_command_modes_only: bool = False
    """Older firmware: 40032/40034/40036 act only in the command modes (3-6) of remote EMS."""
    revert_grid_export_limit_after: float | None = None
    """The plant puts 40038 back to its value before a write this many seconds later."""
    limit_writes_need_remote_ems: bool = False
    """Writes of 40032/40034 are refused with 0x02 while remote EMS is off."""
    ac_charger_start_needs_vehicle: bool = False
    """An AC charger start (42000 = 0) is refused with 0x02 while no vehicle is connected."""
    unset_ess_limits: bool = False
    """40032/40034 read all ones ("not set") until written, as on live systems."""
    ratings_bound_writes: bool = False
    """Writes above the device's rating are refused with 0x03: ESS limits (rated ESS power),
    the AC charger's current (rated and breaker current), the DC charger's limits."""
    dc_charger: bool = False
    """Inverter 1 has a DC charger, a vehicle plugged in."""


DC_CHARGER_RATED_KW = 12.0
"""Rated charging and discharging power of the simulated DC charger."""

VEHICLE_KWH = 60.0
"""Battery capacity of the vehicle at the DC charger."""


@dataclass(slots=True)
class DcChargerState:
    """The DC charger of an inverter and the vehicle plugged into it."""

    unit_id: int
    vehicle_soc: float = 40.0
    started: bool = False
    fault: bool = False
    """A 0 kW charging limit while charging put the vehicle in an error state; a stop clears it."""
    session_energy: float = 0.0
    session_seconds: float = 0.0
    charge_total: float = 0.0


@dataclass(frozen=True, slots=True)
class InverterFlow:
    """Powers of one inverter during a step, in whole watts."""

    pv_w: int
    strings: tuple[tuple[float, float], ...]
    """(voltage V, current A) of each PV string, as the registers round them."""
    ess_w: int
    """Battery power, > 0 charging."""
    ac_w: int
    """AC active power, > 0 fed to the AC side."""
    phase_w: tuple[int, int, int]
    charge_limit: float
    """Battery charge power available now, kW."""
    discharge_limit: float
    """Battery discharge power available now, kW."""


@dataclass(frozen=True, slots=True)
class PlantFlow:
    """Powers of the whole plant during a step, in whole watts."""

    inverters: tuple[InverterFlow, ...]
    general_w: int
    smart_w: tuple[int, ...]
    evac_w: int
    load_w: int
    load_phase_w: tuple[int, int, int]
    grid_w: int
    """Grid connection point power, > 0 import."""
    grid_phase_w: tuple[int, int, int]
    grid_phase_var: tuple[int, int, int]
    off_grid: bool


@dataclass(slots=True)
class PlantCounters:
    """Plant-level lifetime counters, kWh (floats; registers truncate them)."""

    pv_total: float
    load_total: float
    common_load_total: float
    charge_total: float
    discharge_total: float
    import_total: float
    export_total: float
    evac_total: float
    new_interface_offset: dict[str, float]
    """What the 'new statistics interface' counters (30228-30268) missed
    before the firmware that introduced them was installed."""
    smart_total: list[float]
    pv_daily: float = 0.0
    load_daily: float = 0.0
    pv_previous_day: float = 0.0


def _check_shape(inverters: int, phases: int) -> None:
    if not 1 <= inverters <= 245:
        msg = f"a plant has 1-245 inverters, not {inverters}"
        raise ValueError(msg)
    if phases not in {1, PHASES}:
        msg = f"an inverter has 1 or 3 phases, not {phases}"
        raise ValueError(msg)


def _clamp(value: float, low: float, high: float) -> float:
    return max(low, min(high, value))


def _bump(hour: float, centre: float, width: float) -> float:
    """A Gaussian bump over the hours of a day, wrapping at midnight."""
    distance = abs(hour - centre) % 24.0
    distance = min(distance, 24.0 - distance)
    return math.exp(-0.5 * (distance / width) ** 2)


def _floor(value: float, gain: int) -> float:
    """Truncate a counter to a register's resolution (so it never runs ahead)."""
    return math.floor(value * gain + 1e-9) / gain


def _split(total: int, shares: tuple[float, float, float]) -> tuple[int, int, int]:
    """Split whole watts over three phases; the parts sum exactly to ``total``."""
    a = round(total * shares[0])
    b = round(total * shares[1])
    return a, b, total - a - b


_EVEN = (1 / 3, 1 / 3, 1 / 3)
_PHASE_A = (1.0, 0.0, 0.0)


def _shares(spec: InverterSpec) -> tuple[float, float, float]:
    """How an inverter's power splits over the phases."""
    return _EVEN if spec.phases == PHASES else _PHASE_A


class _Wave:
    """A seeded smooth variation in [-1, 1]: a normalised sum of sines of time."""

    def __init__(self, rng: random.Random, periods: tuple[float, ...]) -> None:
        self._terms = [
            (rng.uniform(0.5, 1.0), 2 * math.pi / (p * rng.uniform(0.9, 1.1)), rng.uniform(0, 6.3))
            for p in periods
        ]
        self._norm = sum(a for a, _, _ in self._terms)

    def __call__(self, t: float) -> float:
        return sum(a * math.sin(w * t + phase) for a, w, phase in self._terms) / self._norm


def _placement(
    inverters: int, unit_ids: Sequence[int] | None, *, ac_charger: bool, ac_charger_id: int | None
) -> tuple[list[int], int | None]:
    """The inverters' unit ids and the AC charger's (None: no charger), checked."""
    ids = list(range(1, inverters + 1)) if unit_ids is None else list(unit_ids)
    if not 1 <= len(ids) <= 245:
        msg = f"a plant has 1-245 inverters, not {len(ids)}"
        raise ValueError(msg)
    charger_id = None
    if ac_charger:
        charger_id = max(ids) + 1 if ac_charger_id is None else ac_charger_id
    taken = [*ids, *([charger_id] if charger_id is not None else [])]
    if len(set(taken)) != len(taken) or not all(1 <= u <= 246 for u in taken):
        msg = f"unit ids must be distinct and within 1-246, not {taken}"
        raise ValueError(msg)
    return ids, charger_id


class PlantModel:
    """A whole SigenStor plant: inverters with batteries, loads, grid, AC charger.

    Unit ids: 247 is the plant, 1..N the inverters, N+1 the AC charger when
    there is one, unless ``unit_ids`` and ``ac_charger_id`` place them
    elsewhere (the installer sets each id in the app; they need not be
    contiguous). ``values(unit_id)`` gives every register's value, by key.
    Inverters and the AC charger can be added and removed while it runs.
    """

    def __init__(  # noqa: PLR0913, PLR0915 - each argument is one aspect of the plant
        self,
        *,
        inverters: int = 1,
        ac_charger: bool = False,
        seed: int = 1,
        start_time: float,
        tz: tzinfo,
        warm_up: bool = True,
        phases: int = PHASES,
        midnight_soc: float | None = None,
        control: ControlOptions | None = None,
        unit_ids: Sequence[int] | None = None,
        ac_charger_id: int | None = None,
    ) -> None:
        """Build a plant; with ``warm_up`` it runs from local midnight to ``start_time``.

        Warming up makes the daily counters and the battery SOC at the start
        time the result of the same physics instead of guesses. ``phases`` 1
        makes every inverter a single-phase model, on phase A. Every battery
        starts that midnight at ``midnight_soc`` when given, else at a seeded
        40-70 % (``plant_at_soc`` finds the midnight SOC for an SOC at the start).
        ``control``: how the firmware treats control writes (default: V2.9's rules).
        ``unit_ids`` (one per inverter) and ``ac_charger_id`` override the
        default ids.
        """
        ids, charger_id = _placement(
            inverters, unit_ids, ac_charger=ac_charger, ac_charger_id=ac_charger_id
        )
        inverters = len(ids)
        _check_shape(inverters, phases)
        self.phases = phases
        self.tz = tz
        self.seed = seed
        self._midnight_soc = midnight_soc
        self.control = control or ControlOptions()
        self._reverts: dict[str, tuple[float, Value | None]] = {}
        self.dc_charger: DcChargerState | None = None
        self._rng = random.Random(seed)
        rng = self._rng
        self.scenario = Scenario.NORMAL
        self.fault_unit = 1
        self.started = True
        days = self._days = rng.randint(200, 900)
        self.inverters: list[InverterState] = []
        for unit_id in ids:
            serial = self._new_serial()  # drawn first: the same plant for the same seed
            spec = InverterSpec(
                unit_id=unit_id,
                rated_power=rng.choice(RATINGS) if inverters > 1 else 12.0,
                packs=rng.randint(1, 6) if inverters > 1 else 3,
                serial=serial,
                phases=phases,
            )
            self.inverters.append(self._new_inverter(spec, days, start_time))
        self.ac_charger = (
            AcChargerState(unit_id=charger_id, energy_total=round(days * 6.5, 2))
            if charger_id is not None
            else None
        )
        if self.ac_charger is not None:
            self.ac_charger.settings["ac_charger_output_current"] = self.ac_charger.rated_current
        scale = self._scale
        frac = rng.uniform(0.3, 0.8)
        pv = sum(i.pv_total for i in self.inverters)
        charge = sum(i.charge_total for i in self.inverters)
        discharge = sum(i.discharge_total for i in self.inverters)
        imported = round(days * 6.0 * scale, 2)
        exported = round(days * 12.0 * scale, 2)
        evac = self.ac_charger.energy_total if self.ac_charger else 0.0
        load = pv + imported - exported - charge + discharge
        smart = [round(days * 1.4 * scale, 2)] + [0.0] * (SMART_LOADS - 1)
        self.counters = PlantCounters(
            pv_total=pv,
            load_total=load,
            common_load_total=load - smart[0] - evac,
            charge_total=charge,
            discharge_total=discharge,
            import_total=imported,
            export_total=exported,
            evac_total=evac,
            new_interface_offset={
                "pv": pv * frac,
                "charge": charge * frac,
                "discharge": discharge * frac,
                "import": imported * frac,
                "export": exported * frac,
                "common_load": (load - smart[0] - evac) * frac,
                "evac": evac * frac,
            },
            smart_total=smart,
            pv_previous_day=round(
                rng.uniform(2.5, 4.5) * sum(i.spec.pv_capacity for i in self.inverters), 2
            ),
        )
        self.settings: dict[str, Value | None] = self._default_settings()
        self._setup_control()
        self._sky = _Wave(rng, (1380.0, 4260.0, 11160.0, 93600.0))
        self._bustle = _Wave(rng, (420.0, 1140.0, 3180.0))
        self._mains = _Wave(rng, (97.0, 313.0, 1900.0))
        self._phase_wave = _Wave(rng, (2700.0, 7300.0))
        self.time = float(start_time)
        if warm_up:
            midnight = self._midnight_before(start_time)
            self.time = midnight
            while self.time < start_time:
                step = min(300.0, start_time - self.time)
                self._step(step)
        self.time = float(start_time)
        self._cache: dict[int, Mapping[str, Value | None]] = {}
        self._flow = self._solve(self.time, MAX_STEP)

    # ------------------------------------------------------------------ setup

    def _new_serial(self) -> str:
        serials = {i.spec.serial for i in self.inverters}
        serial = f"110B{self._rng.randrange(10**9, 10**10)}"
        while serial in serials:
            serial = f"110B{self._rng.randrange(10**9, 10**10)}"
        return serial

    def _new_inverter(self, spec: InverterSpec, days: int, start_time: float) -> InverterState:
        rng = self._rng
        shares = [rng.uniform(0.9, 1.1) for _ in range(spec.pv_strings)]
        total = sum(shares)
        pv_total = round(days * spec.pv_capacity * rng.uniform(2.8, 3.6), 2)
        charge_total = round(days * spec.capacity * rng.uniform(0.45, 0.7), 2)
        soc = rng.uniform(40.0, 70.0)
        return InverterState(
            spec=spec,
            firmware=DEFAULT_FIRMWARE,
            soc=soc if self._midnight_soc is None else _clamp(self._midnight_soc, 0.0, 100.0),
            soh=round(rng.uniform(99.0, 99.9), 1),
            pv_total=pv_total,
            charge_total=charge_total,
            discharge_total=round(charge_total * rng.uniform(0.93, 0.96), 2),
            orientation=rng.uniform(0.93, 1.0),
            string_shares=tuple(s / total for s in shares),
            string_vmpp=tuple(rng.choice((10, 11, 12, 13, 14)) * 34.5 for _ in shares),
            phase_offsets=(rng.uniform(-1.5, 1.5), rng.uniform(-1.5, 1.5), rng.uniform(-1.5, 1.5)),
            temperature_offset=rng.uniform(-1.5, 1.5),
            commissioned=int(start_time) - days * 86400 - rng.randrange(86400),
            settings={
                "dc_charger_max_charging_power_limit": 0.0,
                "dc_charger_max_discharging_power_limit": 0.0,
                "inverter_active_power_fixed_adjustment": 0.0,
                "inverter_reactive_power_fixed_adjustment": 0.0,
                "inverter_active_power_percentage_adjustment": 100.0,
                "inverter_qs_ratio_adjustment": 0.0,
                "inverter_power_factor_adjustment": 1.0,
            },
        )

    def _default_settings(self) -> dict[str, Value | None]:
        invs = [i.spec for i in self.inverters]
        settings: dict[str, Value | None] = {
            "active_power_fixed_target": 0.0,
            "reactive_power_fixed_target": 0.0,
            "active_power_percentage_target": 0.0,
            "qs_ratio_target": 0.0,
            "power_factor_target": 1.0,
            "remote_ems_enable": 0,
            "independent_phase_power_control_enable": 0,
            "remote_ems_control_mode": int(enums.RemoteEmsControlMode.MAX_SELF_CONSUMPTION),
            "ess_max_charging_limit": sum(s.ess_rated_power for s in invs),
            "ess_max_discharging_limit": sum(s.ess_rated_power for s in invs),
            "pv_max_power_limit": round(sum(s.pv_capacity for s in invs), 3),
            "grid_max_export_limit": round(sum(s.max_active_power for s in invs), 3),
            "grid_max_import_limit": round(sum(s.max_active_power for s in invs), 3) + 20.0,
            "pcs_max_export_limit": None,
            "pcs_max_import_limit": None,
            "pcc_power_factor_import": 1.0,
            "pcc_power_factor_export": 1.0,
            "ess_backup_soc": 0.0,
            "ess_charge_cut_off_soc": 100.0,
            "ess_discharge_cut_off_soc": 5.0,
            "active_power_regulation_gradient": 0.33,
            "lvrt_enable": 1,
            "lvrt_reactive_factor": 2.0,
            "lvrt_negative_sequence_factor": 2.0,
            "lvrt_mode": 0,
            "lvrt_voltage_protection_blocking": 0,
            "hvrt_enable": 1,
            "hvrt_reactive_factor": 2.0,
            "hvrt_negative_sequence_factor": 2.0,
            "hvrt_mode": 0,
            "hvrt_voltage_protection_blocking": 0,
            "over_frequency_derating_enable": 1,
            "over_frequency_derating_ramp_rate": 40.0,
            "over_frequency_derating_trigger_frequency": 50.2,
            "over_frequency_derating_cut_off_frequency": 51.5,
            "under_frequency_boost_enable": 0,
            "under_frequency_boost_ramp_rate": 40.0,
            "under_frequency_boost_trigger_frequency": 49.8,
            "under_frequency_boost_cut_off_frequency": 49.0,
            "preheating_enable": 0,
            "preheating_mode": 0,
            "advance_preheating_enable": 0,
            "preheating_reserved_soc": 0.0,
        }
        for n in range(1, 31):  # ESS preheating time slots: none configured
            settings[f"preheating_tou_{n}_start"] = 0
            settings[f"preheating_tou_{n}_end"] = 0
            settings[f"preheating_tou_{n}_power"] = 0.0
        for phase in "abc":
            settings[f"phase_{phase}_active_power_fixed_target"] = 0.0
            settings[f"phase_{phase}_reactive_power_fixed_target"] = 0.0
            settings[f"phase_{phase}_active_power_percentage_target"] = 0.0
            settings[f"phase_{phase}_qs_ratio_target"] = 0.0
        return settings

    @property
    def _scale(self) -> float:
        """How big the household is, relative to a 12 kW plant."""
        return max(0.6, sum(i.spec.rated_power for i in self.inverters) / 12.0)

    def _midnight_before(self, t: float) -> float:
        local = datetime.fromtimestamp(t, self.tz)
        return datetime.combine(local.date(), time(0), self.tz).timestamp()

    def _next_midnight(self, t: float) -> float:
        local = datetime.fromtimestamp(t, self.tz)
        return datetime.combine(local.date() + timedelta(days=1), time(0), self.tz).timestamp()

    def local_hour(self, t: float | None = None) -> float:
        """The local time of day in hours (0-24) at ``t`` (default: now)."""
        local = datetime.fromtimestamp(self.time if t is None else t, self.tz)
        return local.hour + local.minute / 60 + (local.second + local.microsecond / 1e6) / 3600

    # ------------------------------------------------------------------ units

    @property
    def plant_unit_id(self) -> int:
        """The plant's unit id, 247."""
        return PLANT_UNIT_ID

    def unit_kind(self, unit_id: int) -> DeviceKind | None:
        """The kind of device at a unit id, or None when nothing answers there."""
        if unit_id == PLANT_UNIT_ID:
            return DeviceKind.PLANT
        if self._index(unit_id) is not None:
            return DeviceKind.INVERTER
        if self.ac_charger is not None and unit_id == self.ac_charger.unit_id:
            return DeviceKind.AC_CHARGER
        return None

    def _index(self, unit_id: int) -> int | None:
        """Where the inverter at a unit id is in ``inverters`` (and in a flow's)."""
        return next((n for n, i in enumerate(self.inverters) if i.spec.unit_id == unit_id), None)

    def unit_ids(self) -> list[int]:
        """Every unit id the plant answers, plant first."""
        ids = [PLANT_UNIT_ID, *(i.spec.unit_id for i in self.inverters)]
        if self.ac_charger is not None:
            ids.append(self.ac_charger.unit_id)
        return ids

    def inverter(self, unit_id: int) -> InverterState:
        """The state of the inverter at a unit id."""
        index = self._index(unit_id)
        if index is None:
            msg = f"unit {unit_id} is not an inverter"
            raise KeyError(msg)
        return self.inverters[index]

    def add_inverter(
        self, unit_id: int, *, rated_power: float = 12.0, packs: int = 3
    ) -> InverterState:
        """Install an inverter at a free unit id, as an installer adds one to a running plant."""
        if not 1 <= unit_id <= 246 or self.unit_kind(unit_id) is not None:
            msg = f"unit id {unit_id} is taken or outside 1-246"
            raise ValueError(msg)
        spec = InverterSpec(
            unit_id=unit_id,
            rated_power=rated_power,
            packs=packs,
            serial=self._new_serial(),
            phases=self.phases,
        )
        inverter = self._new_inverter(spec, self._days, self.time)
        self.inverters.append(inverter)
        self.inverters.sort(key=lambda i: i.spec.unit_id)
        self.refresh()
        return inverter

    def add_ac_charger(self, unit_id: int) -> AcChargerState:
        """Install the AC charger at a free unit id."""
        if self.ac_charger is not None or not 1 <= unit_id <= 246 or self.unit_kind(unit_id):
            msg = f"unit id {unit_id} is taken or outside 1-246, or there is an AC charger"
            raise ValueError(msg)
        self.ac_charger = AcChargerState(unit_id=unit_id, energy_total=0.0)
        self.ac_charger.settings["ac_charger_output_current"] = self.ac_charger.rated_current
        self.refresh()
        return self.ac_charger

    def remove_unit(self, unit_id: int) -> None:
        """Take an inverter or the AC charger off the plant: its id no longer answers."""
        if self.ac_charger is not None and unit_id == self.ac_charger.unit_id:
            self.ac_charger = None
        else:
            index = self._index(unit_id)
            if index is None or len(self.inverters) == 1:
                msg = f"unit {unit_id} is not an inverter that can be removed"
                raise KeyError(msg)
            del self.inverters[index]
        self.refresh()

    # ------------------------------------------------------------------ clock

    def advance(self, seconds: float) -> None:
        """Move simulated time forward, integrating the physics in steps of ≤ 60 s."""
        if seconds < 0:
            msg = "simulated time only moves forward"
            raise ValueError(msg)
        end = self.time + seconds
        while end - self.time > 1e-6:
            self._step(min(MAX_STEP, end - self.time))
            self._plant_reverts()
        self.time = max(self.time, end)
        self.refresh()

    def _step(self, dt: float) -> None:
        """Integrate one step of ``dt`` seconds, splitting it at local midnight."""
        midnight = self._next_midnight(self.time)
        if self.time + dt >= midnight - 1e-6:
            first = max(0.0, midnight - self.time)
            if first > 1e-9:
                self._integrate(self._solve(self.time, first), first)
            self.time = midnight
            self._new_day()
            dt -= first
            if dt <= 1e-9:
                return
        self._integrate(self._solve(self.time, dt), dt)
        self.time += dt

    def _new_day(self) -> None:
        c = self.counters
        c.pv_previous_day = c.pv_daily
        c.pv_daily = c.load_daily = 0.0
        for inv in self.inverters:
            inv.pv_daily = inv.charge_daily = inv.discharge_daily = 0.0

    def _integrate(self, flow: PlantFlow, dt: float) -> None:
        hours = dt / 3600.0
        self._integrate_dc_charger(dt)
        c = self.counters
        for inv, f in zip(self.inverters, flow.inverters, strict=True):
            pv = f.pv_w / 1000 * hours
            charged = max(f.ess_w, 0) / 1000 * hours
            discharged = max(-f.ess_w, 0) / 1000 * hours
            inv.pv_total += pv
            inv.pv_daily += pv
            inv.charge_total += charged
            inv.charge_daily += charged
            inv.discharge_total += discharged
            inv.discharge_daily += discharged
            inv.soc = _clamp(inv.soc + (charged - discharged) / inv.spec.capacity * 100, 0.0, 100.0)
            c.pv_total += pv
            c.pv_daily += pv
            c.charge_total += charged
            c.discharge_total += discharged
        c.load_total += flow.load_w / 1000 * hours
        c.load_daily += flow.load_w / 1000 * hours
        c.common_load_total += flow.general_w / 1000 * hours
        c.import_total += max(flow.grid_w, 0) / 1000 * hours
        c.export_total += max(-flow.grid_w, 0) / 1000 * hours
        c.evac_total += flow.evac_w / 1000 * hours
        for n, watts in enumerate(flow.smart_w):
            c.smart_total[n] += watts / 1000 * hours
        if self.ac_charger is not None:
            self.ac_charger.energy_total += flow.evac_w / 1000 * hours

    # ------------------------------------------------------------------ physics

    def irradiance(self, t: float) -> float:
        """Fraction of peak PV output at ``t``: day curve x clouds, 0 at night."""
        hour = self.local_hour(t)
        if not SUNRISE < hour < SUNSET:
            return 0.0
        if hour < NOON:
            x = (hour - SUNRISE) / (NOON - SUNRISE)
        else:
            x = (SUNSET - hour) / (SUNSET - NOON)
        day = float(math.sin(math.pi / 2 * x) ** 1.3)
        clouds = 1.0 - 0.35 * max(0.0, self._sky(t))
        return day * clouds

    def _general_load(self, t: float, hour: float) -> float:
        base = (
            0.30
            + 1.10 * _bump(hour, 7.25, 0.8)
            + 0.45 * _bump(hour, 12.5, 1.5)
            + 1.90 * _bump(hour, 19.25, 1.6)
            + 0.25 * _bump(hour, 22.5, 0.7)
        )
        return self._scale * base * (1.0 + 0.18 * self._bustle(t))

    def _smart_loads(self, hour: float) -> list[float]:
        """Smart load 1 is a water heater running 11:00-14:00; the others are absent."""
        loads = [0.0] * SMART_LOADS
        if 11.0 <= hour < 14.0:
            loads[0] = round(2.0 * min(self._scale, 1.5), 3)
        return loads

    def _evac_power(self, hour: float) -> float:
        """The car charges 22:00-01:00 at the current the charger is set to."""
        charger = self.ac_charger
        if charger is None or not charger.started or not (hour >= 22.0 or hour < 1.0):
            return 0.0
        setting = charger.settings.get("ac_charger_output_current")
        current = float(setting) if isinstance(setting, (int, float)) else charger.rated_current
        return min(charger.rated_power, 3 * AC_CHARGER_VOLTAGE * current / 1000)

    def _inverter_running(self, inv: InverterState) -> bool:
        return self.started and inv.started and not inv.ac_fault

    @property
    def off_grid(self) -> bool:
        """Whether the plant runs off grid."""
        return self.scenario in {Scenario.OFF_GRID, Scenario.OVERLOAD}

    def _setting(self, key: str) -> float:
        value = self.settings.get(key)
        return float(value) if isinstance(value, (int, float)) else math.inf

    def _battery_limits(
        self, inv: InverterState, dt: float, *, off_grid: bool
    ) -> tuple[float, float]:
        """Charge and discharge power (kW) the battery can take now."""
        if inv.battery_fault or not self._inverter_running(inv):
            return 0.0, 0.0
        ceiling = self._setting("ess_charge_cut_off_soc")
        floor = self._setting("ess_discharge_cut_off_soc")
        if not off_grid:
            floor = max(floor, self._setting("ess_backup_soc"))
        rated = inv.spec.ess_rated_power
        energy = inv.spec.capacity * 3600.0 / dt / 100.0  # kW per % over this step
        charge = rated * _clamp((ceiling - inv.soc) / 3.0, 0.0, 1.0)
        charge = min(charge, max(0.0, (ceiling - inv.soc) * energy))
        discharge = rated * _clamp((inv.soc - floor) / 2.0, 0.0, 1.0)
        discharge = min(discharge, max(0.0, (inv.soc - floor) * energy))
        return charge, discharge

    def _vpp_target(self, pv: float, demand: float, *, off_grid: bool) -> float:
        """The battery target, unless a VPP event asks for all the batteries can give."""
        if self.scenario is Scenario.VPP and not off_grid:
            return -math.inf
        return self._battery_target(pv, demand, off_grid=off_grid)

    def _battery_target(self, pv: float, demand: float, *, off_grid: bool) -> float:
        """Total battery power (> 0 charging) the EMS asks for, before limits."""
        surplus = pv - demand
        if off_grid or not self.settings.get("remote_ems_enable"):
            return surplus
        setting = self.settings.get("remote_ems_control_mode")
        mode = enums.RemoteEmsControlMode.parse(int(setting) if isinstance(setting, int) else None)
        if mode is enums.RemoteEmsControlMode.PCS_REMOTE_CONTROL:
            return pv - self._setting("active_power_fixed_target")
        if mode in REMOTE_EMS_STANDBY_MODES:
            return 0.0
        if mode in {
            enums.RemoteEmsControlMode.COMMAND_CHARGING_GRID_FIRST,
            enums.RemoteEmsControlMode.COMMAND_CHARGING_PV_FIRST,
        }:
            return math.inf
        if mode in {
            enums.RemoteEmsControlMode.COMMAND_DISCHARGING_PV_FIRST,
            enums.RemoteEmsControlMode.COMMAND_DISCHARGING_ESS_FIRST,
        }:
            return -math.inf
        return surplus

    def _solve(self, t: float, dt: float) -> PlantFlow:  # noqa: C901, PLR0912, PLR0915 - one power balance
        """Solve the plant's power balance at ``t`` for a step of ``dt`` seconds."""
        hour = self.local_hour(t)
        sun = self.irradiance(t)
        off_grid = self.off_grid
        invs = self.inverters
        running = [self._inverter_running(i) for i in invs]

        pv = [
            i.spec.pv_capacity * sun * i.orientation
            if run and not i.dc_fault and sun > 1e-3
            else 0.0
            for i, run in zip(invs, running, strict=True)
        ]
        pv_limit = self._setting("pv_max_power_limit") if self._limits_apply() else math.inf
        if sum(pv) > pv_limit:
            pv = [p * pv_limit / sum(pv) for p in pv]

        general = self._general_load(t, hour)
        smart = self._smart_loads(hour)
        evac = self._evac_power(hour)
        extra = (
            1.3 * sum(i.spec.max_active_power for i in invs)
            if self.scenario is Scenario.OVERLOAD
            else 0.0
        )
        extra += self._dc_charger_power()
        demand = general + sum(smart) + evac + extra

        limits = [self._battery_limits(i, dt, off_grid=off_grid) for i in invs]
        charge_max = [c for c, _ in limits]
        discharge_max = [d for _, d in limits]
        for values, key in (
            (charge_max, "ess_max_charging_limit"),
            (discharge_max, "ess_max_discharging_limit"),
        ):
            cap = self._setting(key) if self._limits_apply() else math.inf
            if sum(values) > cap:
                ratio = cap / sum(values)
                values[:] = [v * ratio for v in values]

        target = _clamp(
            self._vpp_target(sum(pv), demand, off_grid=off_grid),
            -sum(discharge_max),
            sum(charge_max),
        )
        if target > 0:
            ess = [target * c / sum(charge_max) for c in charge_max]
        elif target < 0:
            ess = [target * d / sum(discharge_max) for d in discharge_max]
        else:
            ess = [0.0] * len(invs)

        # Each inverter's AC side limits what it can deliver or absorb; discharging
        # "ESS first" gives way to nothing but curtailed PV.
        ess_first = self._remote_mode() is enums.RemoteEmsControlMode.COMMAND_DISCHARGING_ESS_FIRST
        for n, inv in enumerate(invs):
            ac = pv[n] - ess[n]
            if ac > inv.spec.max_active_power:
                excess = ac - inv.spec.max_active_power
                if ess_first:
                    cut = min(excess, pv[n])
                    pv[n] -= cut
                    excess -= cut
                if ess[n] < 0:
                    relief = min(excess, -ess[n])
                    ess[n] += relief
                    excess -= relief
                pv[n] = max(0.0, pv[n] - excess)
            elif ac < -inv.spec.max_absorption_power:
                ess[n] = pv[n] + inv.spec.max_absorption_power

        def curtail(excess: float) -> None:
            """Lower the output by ``excess`` kW: discharge first, then PV."""
            for n in range(len(invs)):
                if excess <= 0:
                    return
                if ess[n] < 0:
                    relief = min(excess, -ess[n])
                    ess[n] += relief
                    excess -= relief
            total_pv = sum(pv)
            if excess > 0 and total_pv > 0:
                cut = min(excess, total_pv)
                pv[:] = [p - cut * p / total_pv for p in pv]

        if not off_grid:
            self._limit_import(pv, ess, demand)
        total_ac = sum(p - e for p, e in zip(pv, ess, strict=True))
        if off_grid:
            if total_ac > demand:
                curtail(total_ac - demand)
        else:
            export_limit = self._setting("grid_max_export_limit")  # at the grid point
            if total_ac - demand > export_limit:
                curtail(total_ac - demand - export_limit)
            pcs_limit = self._setting("pcs_max_export_limit")  # at the inverters' AC side
            total_ac = sum(p - e for p, e in zip(pv, ess, strict=True))
            if total_ac > pcs_limit:
                curtail(total_ac - pcs_limit)

        flows: list[InverterFlow] = []
        for n, inv in enumerate(invs):
            strings, pv_w = self._strings(inv, pv[n], sun)
            ess_w = math.trunc(ess[n] * 1000)
            ac_w = pv_w - ess_w
            flows.append(
                InverterFlow(
                    pv_w=pv_w,
                    strings=strings,
                    ess_w=ess_w,
                    ac_w=ac_w,
                    phase_w=_split(ac_w, _shares(inv.spec)),
                    charge_limit=charge_max[n],
                    discharge_limit=discharge_max[n],
                )
            )

        wave = self._phase_wave(t)
        shares = (0.40 + 0.05 * wave, 0.33 - 0.02 * wave)
        shares3 = (shares[0], shares[1], 1.0 - shares[0] - shares[1])
        smart_w = tuple(round(s * 1000) for s in smart)
        evac_w = round(evac * 1000)
        if off_grid:
            supplied = sum(f.ac_w for f in flows)
            if supplied < 0:  # rounding left a few watts charging from nothing
                first = flows[0]
                flows[0] = InverterFlow(
                    pv_w=first.pv_w,
                    strings=first.strings,
                    ess_w=first.ess_w + supplied,
                    ac_w=first.ac_w - supplied,
                    phase_w=_split(first.ac_w - supplied, _shares(invs[0].spec)),
                    charge_limit=first.charge_limit,
                    discharge_limit=first.discharge_limit,
                )
                supplied = 0
            load_w = supplied
            served = supplied / 1000 / demand if demand > 0 else 0.0
            if served < 1.0:  # load shedding: every consumer gets its share
                smart_w = tuple(math.floor(w * served) for w in smart_w)
                evac_w = math.floor(evac_w * served)
            general_w = load_w - sum(smart_w) - evac_w
            phases = [sum(f.phase_w[p] for f in flows) for p in range(PHASES)]
            load_phase = (phases[0], phases[1], phases[2])
            grid_phase = (0, 0, 0)
            grid_var = (0, 0, 0)
        else:
            general_w = round((general + extra) * 1000)
            load_w = general_w + sum(smart_w) + evac_w
            general_phase = _split(general_w, shares3)
            load_phase = (
                general_phase[0] + evac_w // 3,
                general_phase[1] + sum(smart_w) + evac_w // 3,
                general_phase[2] + evac_w - 2 * (evac_w // 3),
            )
            grid_phase = (
                load_phase[0] - sum(f.phase_w[0] for f in flows),
                load_phase[1] - sum(f.phase_w[1] for f in flows),
                load_phase[2] - sum(f.phase_w[2] for f in flows),
            )
            grid_var = (
                round(0.12 * general_phase[0]),
                round(0.12 * general_phase[1]),
                round(0.12 * general_phase[2]),
            )
        return PlantFlow(
            inverters=tuple(flows),
            general_w=general_w,
            smart_w=smart_w,
            evac_w=evac_w,
            load_w=load_w,
            load_phase_w=load_phase,
            grid_w=sum(grid_phase),
            grid_phase_w=grid_phase,
            grid_phase_var=grid_var,
            off_grid=off_grid,
        )

    @staticmethod
    def _strings(
        inv: InverterState, pv_kw: float, sun: float
    ) -> tuple[tuple[tuple[float, float], ...], int]:
        """Voltage and current of each string for a PV power; their V x I sum, W.

        Strings that deliver nothing in daylight (the inverter stopped, or
        curtailed to zero) still show their open-circuit voltage, as a real
        inverter measures it; at night every string reads 0 V.
        """
        if pv_kw <= 0.0:
            volts = [
                round(vmpp * OPEN_CIRCUIT_RATIO * (1.0 - 0.04 * sun), 1) if sun > 1e-3 else 0.0
                for vmpp in inv.string_vmpp
            ]
            return tuple((v, 0.0) for v in volts), 0
        strings: list[tuple[float, float]] = []
        total = 0.0
        for share, vmpp in zip(inv.string_shares, inv.string_vmpp, strict=True):
            voltage = round(vmpp * (0.82 + 0.18 * min(1.0, sun * 4.0)) * (1.0 - 0.04 * sun), 1)
            current = math.floor(pv_kw * 1000 * share / voltage * 100) / 100
            strings.append((voltage, current))
            total += voltage * current
        return tuple(strings), round(total)

    # ------------------------------------------------------------------ values

    @property
    def flow(self) -> PlantFlow:
        """The powers at the current simulated time."""
        return self._flow

    def refresh(self) -> None:
        """Re-solve the current powers after time, a setting or the scenario changed."""
        self._flow = self._solve(self.time, MAX_STEP)
        self._cache.clear()

    def values(self, unit_id: int) -> Mapping[str, Value | None]:
        """Every register's current value for a unit, by key (None: not valid)."""
        cached = self._cache.get(unit_id)
        if cached is not None:
            return cached
        kind = self.unit_kind(unit_id)
        values: Mapping[str, Value | None]
        if kind is DeviceKind.PLANT:
            values = self._plant_values()
        elif kind is DeviceKind.INVERTER:
            n = self._index(unit_id) or 0
            values = self._inverter_values(self.inverters[n], self._flow.inverters[n])
        elif kind is DeviceKind.AC_CHARGER:
            values = self._charger_values()
        else:
            msg = f"no device at unit {unit_id}"
            raise KeyError(msg)
        self._cache[unit_id] = values
        return values

    def _alarms(self, inv: InverterState) -> tuple[int, int, int, int, int]:
        alarm1 = alarm2 = alarm3 = 0
        if self.off_grid:
            alarm1 |= ALARM1_GRID_OUTAGE
        if self.scenario is Scenario.OVERLOAD:
            alarm2 |= ALARM2_OFF_GRID_PROTECTION
        if inv.dc_fault:
            alarm1 |= ALARM1_LOW_INSULATION
        if inv.ac_fault:
            alarm1 |= ALARM1_GRID_OVERVOLTAGE
        if inv.battery_fault:
            alarm3 |= ALARM3_EQUIPMENT_FAULT
        return alarm1, alarm2, alarm3, 0, 0

    def _running_state(self, inv: InverterState) -> enums.RunningState:
        if inv.ac_fault:
            return enums.RunningState.FAULT
        if not (self.started and inv.started):
            return enums.RunningState.SHUTDOWN
        return enums.RunningState.RUNNING

    def _cell(self, inv: InverterState, f: InverterFlow) -> tuple[float, float]:
        """Average cell voltage (LFP, from SOC and current) and temperature."""
        curve = (
            (0, 2.95),
            (5, 3.15),
            (10, 3.22),
            (30, 3.28),
            (60, 3.31),
            (90, 3.34),
            (97, 3.38),
            (100, 3.45),
        )
        soc = inv.soc
        ocv = curve[-1][1]
        for (s0, v0), (s1, v1) in itertools.pairwise(curve):
            if soc <= s1:
                ocv = v0 + (v1 - v0) * (soc - s0) / (s1 - s0)
                break
        load = f.ess_w / 1000 / inv.spec.ess_rated_power
        voltage = ocv + 0.02 * load
        hour = self.local_hour()
        temperature = (
            21.0
            + inv.temperature_offset
            + 4.0 * abs(load)
            + 2.0 * math.sin((hour - 9) / 24 * 2 * math.pi)
        )
        return voltage, temperature

    def _inverter_values(self, inv: InverterState, f: InverterFlow) -> dict[str, Value | None]:
        spec = inv.spec
        v: dict[str, Value | None] = dict(inv.settings)
        running = self._inverter_running(inv)
        v |= {
            "model_type": spec.model,
            "serial_number": spec.serial,
            "firmware_version": inv.firmware,
            "rated_active_power": spec.rated_power,
            "max_apparent_power": spec.max_apparent_power,
            "max_active_power": spec.max_active_power,
            "max_absorption_power": spec.max_absorption_power,
            "rated_battery_capacity": spec.capacity,
            "ess_rated_charge_power": spec.ess_rated_power,
            "ess_rated_discharge_power": spec.ess_rated_power,
            "ess_charge_energy_daily": _floor(inv.charge_daily, 100),
            "ess_charge_energy_total": _floor(inv.charge_total, 100),
            "ess_discharge_energy_daily": _floor(inv.discharge_daily, 100),
            "ess_discharge_energy_total": _floor(inv.discharge_total, 100),
            "running_state": int(self._running_state(inv)),
            "max_active_power_adjustment": spec.max_active_power,
            "min_active_power_adjustment": -spec.max_absorption_power,
            "max_reactive_power_fed": spec.max_reactive_power,
            "max_reactive_power_absorbed": spec.max_reactive_power,
            "active_power": f.ac_w / 1000,
            "reactive_power": 0.0,
            "ess_max_charge_power": round(f.charge_limit, 3),
            "ess_max_discharge_power": round(f.discharge_limit, 3),
            "ess_power": f.ess_w / 1000,
            "ess_soc": round(inv.soc, 1),
            "ess_soh": inv.soh,
            "output_type": int(
                enums.OutputType.L1_L2_L3_N if spec.phases == PHASES else enums.OutputType.L_N
            ),
            "pack_count": spec.packs,
            "pv_string_count": spec.pv_strings,
            "mppt_count": spec.pv_strings,
            "pv_power": f.pv_w / 1000,
            "insulation_resistance": 0.03 if inv.dc_fault else 2.5,
            "startup_time": inv.commissioned,
            "shutdown_time": inv.commissioned - 600,
            "pv_energy_daily": _floor(inv.pv_daily, 100),
            "pv_energy_total": _floor(inv.pv_total, 100),
            "rated_grid_voltage": NOMINAL_PHASE_VOLTAGE,
            "rated_grid_frequency": 50.0,
            # No DC charger is connected: idle, every reading 0.
            "dc_charger_running_state": int(enums.DcChargerState.IDLE),
            **dict.fromkeys(_DC_CHARGER_ZEROS, 0),
            **self._dc_charger_values(inv),
            "active_power_fixed_feedback": inv.settings.get(
                "inverter_active_power_fixed_adjustment", 0.0
            ),
            "reactive_power_fixed_feedback": inv.settings.get(
                "inverter_reactive_power_fixed_adjustment", 0.0
            ),
            "active_power_percentage_feedback": inv.settings.get(
                "inverter_active_power_percentage_adjustment", 0.0
            ),
            "qs_ratio_feedback": inv.settings.get("inverter_qs_ratio_adjustment", 0.0),
            "power_factor_feedback": inv.settings.get("inverter_power_factor_adjustment", 1.0),
        }
        ceiling = self._setting("ess_charge_cut_off_soc")
        floor = self._setting("ess_discharge_cut_off_soc")
        usable = spec.capacity * inv.soh / 100
        v["ess_available_charge_energy"] = round(max(0.0, ceiling - inv.soc) / 100 * usable, 2)
        v["ess_available_discharge_energy"] = round(max(0.0, inv.soc - floor) / 100 * usable, 2)
        voltage, temperature = self._cell(inv, f)
        spread = 0.004 + 0.01 * (abs(inv.soc - 50) / 50) ** 3
        v |= {
            "ess_average_cell_voltage": round(voltage, 3),
            "ess_max_cell_voltage": round(voltage + spread, 3),
            "ess_min_cell_voltage": round(voltage - 1.3 * spread, 3),
            "ess_average_cell_temperature": round(temperature, 1),
            "ess_max_cell_temperature": round(temperature + 1.2, 1),
            "ess_min_cell_temperature": round(temperature - 0.8, 1),
        }
        for n, key in enumerate(("alarm_1", "alarm_2", "alarm_3", "alarm_4", "alarm_5")):
            v[key] = self._alarms(inv)[n]
        for n in range(36):
            voltage_s, current_s = f.strings[n] if n < len(f.strings) else (0.0, 0.0)
            v[f"pv{n + 1}_voltage"] = voltage_s
            v[f"pv{n + 1}_current"] = current_s
        # AC side: the inverter measures the grid (or forms it, off grid).
        t = self.time
        mains = self._mains(t)
        frequency = round(50.0 + 0.03 * mains, 2)
        phase_v = []
        for p in range(PHASES):
            base = 264.5 if inv.ac_fault else NOMINAL_PHASE_VOLTAGE + 1.5 * mains
            rise = 2.0 * f.ac_w / 1000 / spec.rated_power
            phase_v.append(round(base + inv.phase_offsets[p] + rise, 2))
        va, vb, vc = phase_v
        v |= {
            "grid_frequency": frequency,
            "phase_a_voltage": va,
            "phase_b_voltage": vb,
            "phase_c_voltage": vc,
            "line_voltage_ab": round(math.sqrt(va * va + vb * vb + va * vb), 2),
            "line_voltage_bc": round(math.sqrt(vb * vb + vc * vc + vb * vc), 2),
            "line_voltage_ca": round(math.sqrt(vc * vc + va * va + vc * va), 2),
            "phase_a_current": round(f.phase_w[0] / va, 2),
            "phase_b_current": round(f.phase_w[1] / vb, 2),
            "phase_c_current": round(f.phase_w[2] / vc, 2),
            "power_factor": 1.0 if running and f.ac_w else 0.0,
            "pcs_internal_temperature": round(
                32.0 + inv.temperature_offset + 12.0 * abs(f.ac_w) / 1000 / spec.rated_power, 1
            ),
        }
        for key in self.absent_channels(spec.unit_id):
            v[key] = 0.0  # nothing is measured there; firmware profiles say how it reads
        return v

    def absent_channels(self, unit_id: int) -> frozenset[str]:
        """The channels of an inverter's register map that its hardware lacks.

        PV strings beyond its string count, and on a single-phase model phases
        B and C and the line voltages.
        """
        if self.unit_kind(unit_id) is not DeviceKind.INVERTER:
            return frozenset()
        spec = self.inverter(unit_id).spec
        absent = {
            f"pv{n}_{q}" for n in range(spec.pv_strings + 1, 37) for q in ("voltage", "current")
        }
        if spec.phases != PHASES:
            absent |= {f"phase_{p}_{q}" for p in "bc" for q in ("voltage", "current")}
            absent |= {"line_voltage_ab", "line_voltage_bc", "line_voltage_ca"}
        return frozenset(absent)

    def _ems_work_mode(self, *, remote: bool) -> enums.EmsWorkMode:
        if remote:
            return enums.EmsWorkMode.REMOTE_EMS
        if self.scenario is Scenario.VPP:
            return enums.EmsWorkMode.VPP_SCHEDULING
        return enums.EmsWorkMode.MAX_SELF_CONSUMPTION

    def _plant_values(self) -> dict[str, Value | None]:
        f = self._flow
        c = self.counters
        invs = self.inverters
        specs = [i.spec for i in invs]
        v: dict[str, Value | None] = dict(self.settings)
        capacity = sum(s.capacity for s in specs)
        soc = sum(i.soc * i.spec.capacity for i in invs) / capacity
        soh = sum(i.soh * i.spec.capacity for i in invs) / capacity
        local = datetime.fromtimestamp(self.time, self.tz)
        offset = local.utcoffset() or timedelta(0)
        states = [self._running_state(i) for i in invs]
        if not self.started:
            plant_state = enums.RunningState.SHUTDOWN
        elif enums.RunningState.RUNNING in states:
            plant_state = enums.RunningState.RUNNING
        elif enums.RunningState.FAULT in states:
            plant_state = enums.RunningState.FAULT
        else:
            plant_state = enums.RunningState.SHUTDOWN
        alarms = [0] * 5
        for inv in invs:
            for n, bits in enumerate(self._alarms(inv)):
                alarms[n] |= bits
        inverter_values = [
            self._inverter_values(i, fl) for i, fl in zip(invs, f.inverters, strict=True)
        ]
        temperatures = [float(x["ess_average_cell_temperature"] or 0.0) for x in inverter_values]
        ceiling = self._setting("ess_charge_cut_off_soc")
        floor = self._setting("ess_discharge_cut_off_soc")
        offsets = c.new_interface_offset
        remote = bool(self.settings.get("remote_ems_enable"))
        v |= {
            "system_time": int(self.time),
            "system_time_zone": int(offset.total_seconds() // 60),
            "ems_work_mode": int(self._ems_work_mode(remote=remote)),
            "grid_sensor_status": int(enums.GridSensorStatus.CONNECTED),
            "grid_sensor_active_power": f.grid_w / 1000,
            "grid_sensor_reactive_power": sum(f.grid_phase_var) / 1000,
            "grid_status": int(
                enums.GridStatus.OFF_GRID_AUTO if f.off_grid else enums.GridStatus.ON_GRID
            ),
            "plant_max_active_power": sum(s.max_active_power for s in specs),
            "plant_max_apparent_power": sum(s.max_apparent_power for s in specs),
            "plant_ess_soc": round(soc, 1),
            "plant_active_power": sum(x.ac_w for x in f.inverters) / 1000,
            "plant_reactive_power": 0.0,
            "plant_pv_power": sum(x.pv_w for x in f.inverters) / 1000,
            "plant_ess_power": sum(x.ess_w for x in f.inverters) / 1000,
            "plant_available_max_active_power": sum(s.max_active_power for s in specs),
            "plant_available_min_active_power": sum(s.max_absorption_power for s in specs),
            "plant_available_max_reactive_power": sum(s.max_reactive_power for s in specs),
            "plant_available_min_reactive_power": sum(s.max_reactive_power for s in specs),
            "plant_ess_available_max_charging_power": round(
                sum(x.charge_limit for x in f.inverters), 3
            ),
            "plant_ess_available_max_discharging_power": round(
                sum(x.discharge_limit for x in f.inverters), 3
            ),
            "plant_running_state": int(plant_state),
            "plant_ess_available_charge_energy": round(
                sum(max(0.0, ceiling - i.soc) / 100 * i.spec.capacity * i.soh / 100 for i in invs),
                2,
            ),
            "plant_ess_available_discharge_energy": round(
                sum(max(0.0, i.soc - floor) / 100 * i.spec.capacity * i.soh / 100 for i in invs), 2
            ),
            "plant_ess_rated_charging_power": sum(s.ess_rated_power for s in specs),
            "plant_ess_rated_discharging_power": sum(s.ess_rated_power for s in specs),
            "plant_ess_rated_energy_capacity": capacity,
            "plant_ess_charge_cut_off_soc": self.settings["ess_charge_cut_off_soc"],
            "plant_ess_discharge_cut_off_soc": self.settings["ess_discharge_cut_off_soc"],
            "plant_ess_soh": round(soh, 1),
            "plant_pv_energy_total": _floor(c.pv_total, 100),
            "plant_load_energy_daily": _floor(c.load_daily, 100),
            "plant_load_energy_total": _floor(c.load_total, 100),
            "third_party_pv_power": 0.0,
            "third_party_pv_energy_total_legacy": 0.0,
            "plant_ess_charge_energy_total_legacy": _floor(c.charge_total, 100),
            "plant_ess_discharge_energy_total_legacy": _floor(c.discharge_total, 100),
            "grid_import_energy_total_legacy": _floor(c.import_total, 100),
            "grid_export_energy_total_legacy": _floor(c.export_total, 100),
            "common_load_energy_total": _floor(c.common_load_total - offsets["common_load"], 100),
            "evac_charge_energy_total": _floor(c.evac_total - offsets["evac"], 100),
            "self_pv_energy_total": _floor(c.pv_total - offsets["pv"], 100),
            "third_party_pv_energy_total": 0.0,
            # No DC charger (EVDC) and no generator in this plant.
            "evdc_charge_energy_total_legacy": 0.0,
            "evdc_discharge_energy_total_legacy": 0.0,
            "generator_energy_total_legacy": 0.0,
            "evdc_charge_energy_total": 0.0,
            "evdc_discharge_energy_total": 0.0,
            "generator_energy_total": 0.0,
            "plant_ess_charge_energy_total": _floor(c.charge_total - offsets["charge"], 100),
            "plant_ess_discharge_energy_total": _floor(
                c.discharge_total - offsets["discharge"], 100
            ),
            "grid_import_energy_total": _floor(c.import_total - offsets["import"], 100),
            "grid_export_energy_total": _floor(c.export_total - offsets["export"], 100),
            "plant_pv_energy_daily": _floor(c.pv_daily, 100),
            "plant_pv_energy_previous_day": _floor(c.pv_previous_day, 100),
            "grid_code_rated_frequency": 50.0,
            "grid_code_rated_voltage": NOMINAL_PHASE_VOLTAGE,
            "current_control_command_value": 100.0,
            "general_load_power": f.general_w / 1000,
            "total_load_power": f.load_w / 1000,
            "plant_ess_average_cell_temperature": round(sum(temperatures) / len(temperatures), 1),
        }
        for n in range(SMART_LOADS):
            v[f"smart_load_{n + 1}_power"] = f.smart_w[n] / 1000
            v[f"smart_load_{n + 1}_energy_total"] = _floor(c.smart_total[n], 100)
        for n, phase in enumerate("abc"):
            v[f"plant_phase_{phase}_active_power"] = sum(x.phase_w[n] for x in f.inverters) / 1000
            v[f"plant_phase_{phase}_reactive_power"] = 0.0
            v[f"grid_sensor_phase_{phase}_active_power"] = f.grid_phase_w[n] / 1000
            v[f"grid_sensor_phase_{phase}_reactive_power"] = f.grid_phase_var[n] / 1000
        for n in range(5):
            v[f"plant_alarm_{n + 1}"] = alarms[n]
        v["plant_alarm_6"] = v["plant_alarm_7"] = 0
        return v

    def _charger_values(self) -> dict[str, Value | None]:
        charger = self.ac_charger
        if charger is None:  # pragma: no cover - guarded by unit_kind
            msg = "no AC charger"
            raise KeyError(msg)
        hour = self.local_hour()
        plugged = self._vehicle_plugged(hour)
        power = self._flow.evac_w / 1000
        if power > 0:
            state = enums.AcChargerState.C2
        elif plugged:
            state = enums.AcChargerState.B2 if charger.started else enums.AcChargerState.B1
        else:
            state = enums.AcChargerState.A1_A2
        return dict(charger.settings) | {
            "ac_charger_system_state": int(state),
            "ac_charger_energy_total": _floor(charger.energy_total, 100),
            "ac_charger_charging_power": power,
            "ac_charger_rated_power": charger.rated_power,
            "ac_charger_rated_current": charger.rated_current,
            "ac_charger_rated_voltage": AC_CHARGER_VOLTAGE,
            "ac_charger_input_breaker_rated_current": charger.breaker_current,
            "ac_charger_alarm_1": 0,
            "ac_charger_alarm_2": 0,
            "ac_charger_alarm_3": 0,
        }

    # ------------------------------------------------------------------ control

    def write(self, unit_id: int, key: str, value: Value | None) -> None:
        """Apply a validated write of a holding register (``None``: the 'not valid' pattern)."""
        if self._control_write(unit_id, key, value):
            self.refresh()
            return
        kind = self.unit_kind(unit_id)
        if kind is DeviceKind.PLANT:
            if key == "plant_start_stop":
                self.started = value == 1
            elif key == "grid_power_loss_lockout_alarm_clear":
                pass  # nothing latched to clear in the simulation
            else:
                self.settings[key] = value
        elif kind is DeviceKind.INVERTER:
            inv = self.inverter(unit_id)
            if key == "inverter_start_stop":
                inv.started = value == 1
            elif key != "dc_charger_start_stop":
                inv.settings[key] = value
        elif kind is DeviceKind.AC_CHARGER and self.ac_charger is not None:
            if key == "ac_charger_start_stop":
                self.ac_charger.started = value == 0  # 0: start, 1: stop
            else:
                self.ac_charger.settings[key] = value
        else:
            msg = f"no device at unit {unit_id}"
            raise KeyError(msg)
        self.refresh()

    # ------------------------------------------------------------------ control behaviour

    def _setup_control(self) -> None:
        """Shape the plant as the control options say, before the warm-up."""
        if self.control.unset_ess_limits:
            self.settings["ess_max_charging_limit"] = None
            self.settings["ess_max_discharging_limit"] = None
        if self.control.dc_charger:
            self.dc_charger = DcChargerState(unit_id=self.inverters[0].spec.unit_id)
            settings = self.inverters[0].settings
            settings["dc_charger_max_charging_power_limit"] = DC_CHARGER_RATED_KW
            settings["dc_charger_max_discharging_power_limit"] = DC_CHARGER_RATED_KW

    def _remote_mode(self) -> enums.RemoteEmsControlMode | None:
        """The remote EMS control mode in force; None while remote EMS is off (or off grid)."""
        if self.off_grid or not self.settings.get("remote_ems_enable"):
            return None
        setting = self.settings.get("remote_ems_control_mode")
        return enums.RemoteEmsControlMode.parse(setting if isinstance(setting, int) else None)

    def _limits_apply(self) -> bool:
        """Whether 40032/40034/40036 act now: always on V2.9, in the command modes before."""
        if not self.control.limits_in_command_modes_only:
            return True
        return self._remote_mode() in COMMAND_MODES

    def _limit_import(self, pv: list[float], ess: list[float], demand: float) -> None:
        """Charge less where the grid point (40040) or PCS (40044) import limit binds."""
        charging = sum(e for e in ess if e > 0)
        if charging <= 0:
            return
        total_ac = sum(p - e for p, e in zip(pv, ess, strict=True))
        excess = max(
            demand - total_ac - self._setting("grid_max_import_limit"),
            -total_ac - self._setting("pcs_max_import_limit"),
            0.0,
        )
        cut = min(excess, charging)
        if cut > 0:
            ess[:] = [e - cut * e / charging if e > 0 else e for e in ess]

    def _plant_reverts(self) -> None:
        """Put back the settings the firmware reverts on its own, once their time is up."""
        for key, (due, previous) in list(self._reverts.items()):
            if self.time >= due - 1e-6:
                del self._reverts[key]
                self.settings[key] = previous

    def _vehicle_plugged(self, hour: float) -> bool:
        """Whether a vehicle is connected to the AC charger: evenings and nights."""
        return hour >= 17.5 or hour < 7.5

    def _control_write(self, unit_id: int, key: str, value: Value | None) -> bool:
        """What a write does beyond storing the value; True when it is handled entirely here."""
        kind = self.unit_kind(unit_id)
        after = self.control.revert_grid_export_limit_after
        if kind is DeviceKind.PLANT and key == "grid_max_export_limit" and after is not None:
            # A later write before the revert keeps the value from before the first one.
            _, previous = self._reverts.pop(key, (0.0, self.settings.get(key)))
            self._reverts[key] = (self.time + after, previous)
            return False
        charger = self.dc_charger
        if kind is not DeviceKind.INVERTER or charger is None or unit_id != charger.unit_id:
            return False
        if key == "dc_charger_start_stop":  # 0: start, 1: stop
            charger.started = value == 0
            if charger.started:
                charger.session_energy = charger.session_seconds = 0.0
                charger.fault = self._dc_charge_limit() <= 0
            else:
                charger.fault = False
            return True
        if key == "dc_charger_max_charging_power_limit" and charger.started and value == 0:
            charger.fault = True
        return False

    def write_refusal(self, unit_id: int, key: str, value: Value | None) -> int | None:
        """The exception code the firmware answers a valid write with; None when it takes it."""
        options = self.control
        kind = self.unit_kind(unit_id)
        number = float(value) if isinstance(value, (int, float)) else math.inf
        if kind is DeviceKind.PLANT and key in {
            "ess_max_charging_limit",
            "ess_max_discharging_limit",
        }:
            if options.limit_writes_need_remote_ems and not self.settings.get("remote_ems_enable"):
                return int(ExceptionCode.ILLEGAL_ADDRESS)
            rated = sum(i.spec.ess_rated_power for i in self.inverters)
            if options.ratings_bound_writes and number > rated + 1e-9:
                return int(ExceptionCode.ILLEGAL_VALUE)
        charger = self.ac_charger
        if kind is DeviceKind.AC_CHARGER and charger is not None:
            if (
                key == "ac_charger_start_stop"
                and value == 0
                and options.ac_charger_start_needs_vehicle
                and not self._vehicle_plugged(self.local_hour())
            ):
                return int(ExceptionCode.ILLEGAL_ADDRESS)
            ceiling = min(charger.rated_current, charger.breaker_current)
            if key == "ac_charger_output_current" and options.ratings_bound_writes:
                return int(ExceptionCode.ILLEGAL_VALUE) if number > ceiling + 1e-9 else None
        if kind is DeviceKind.INVERTER and key in {
            "dc_charger_max_charging_power_limit",
            "dc_charger_max_discharging_power_limit",
        }:
            rated = DC_CHARGER_RATED_KW if self.dc_charger is not None else 0.0
            if options.ratings_bound_writes and number > rated + 1e-9:
                return int(ExceptionCode.ILLEGAL_VALUE)
        return None

    def _dc_charge_limit(self) -> float:
        charger = self.dc_charger
        if charger is None:
            return 0.0
        inv = self.inverter(charger.unit_id)
        limit = inv.settings.get("dc_charger_max_charging_power_limit")
        return float(limit) if isinstance(limit, (int, float)) else DC_CHARGER_RATED_KW

    def _dc_charger_power(self) -> float:
        """What the DC charger draws now, kW: its limit while it charges a vehicle not yet full."""
        charger = self.dc_charger
        if charger is None or not charger.started or charger.fault or charger.vehicle_soc >= 100:
            return 0.0
        if not self._inverter_running(self.inverter(charger.unit_id)):
            return 0.0
        return max(0.0, min(DC_CHARGER_RATED_KW, self._dc_charge_limit()))

    def _integrate_dc_charger(self, dt: float) -> None:
        charger = self.dc_charger
        power = self._dc_charger_power()
        if charger is None or power <= 0:
            return
        energy = power * dt / 3600.0
        charger.vehicle_soc = min(100.0, charger.vehicle_soc + energy / VEHICLE_KWH * 100)
        charger.session_energy += energy
        charger.session_seconds += dt
        charger.charge_total += energy

    def _dc_charger_values(self, inv: InverterState) -> dict[str, Value | None]:
        """The DC charger registers of the inverter that has one."""
        charger = self.dc_charger
        if charger is None or inv.spec.unit_id != charger.unit_id:
            return {}
        power = self._dc_charger_power()
        if charger.fault:
            state = enums.DcChargerState.FAULT
        elif power > 0:
            state = enums.DcChargerState.CHARGING
        elif charger.started:
            state = enums.DcChargerState.ENDED
        else:
            state = enums.DcChargerState.OCCUPIED
        voltage = 360.0 + 0.6 * charger.vehicle_soc
        return {
            "dc_charger_running_state": int(state),
            "dc_charger_rated_charging_power": DC_CHARGER_RATED_KW,
            "dc_charger_rated_discharging_power": DC_CHARGER_RATED_KW,
            "dc_charger_output_power": power,
            "dc_charger_vehicle_battery_voltage": round(voltage, 1),
            "dc_charger_charging_current": round(power * 1000 / voltage, 1),
            "dc_charger_vehicle_soc": round(charger.vehicle_soc, 1),
            "dc_charger_session_charge_energy": _floor(charger.session_energy, 100),
            "dc_charger_session_charge_duration": int(charger.session_seconds),
            "dc_charger_charge_energy_total": _floor(charger.charge_total, 100),
        }

    def set_scenario(self, scenario: Scenario | str, unit_id: int = 1) -> None:
        """Switch to a scenario; device faults hit the inverter at ``unit_id``."""
        scenario = Scenario(scenario)
        target = self.inverter(unit_id)
        self.scenario = scenario
        self.fault_unit = unit_id
        for inv in self.inverters:
            inv.dc_fault = inv.ac_fault = inv.battery_fault = False
        if scenario is Scenario.DC_FAULT:
            target.dc_fault = True
        elif scenario is Scenario.AC_FAULT:
            target.ac_fault = True
        elif scenario is Scenario.BATTERY_FAULT:
            target.battery_fault = True
        self.refresh()

    def set_firmware(self, unit_id: int, firmware: str) -> None:
        """Change the firmware version an inverter reports."""
        self.inverter(unit_id).firmware = firmware
        self._cache.clear()


SOC_TOLERANCE = 0.5
"""How close (%) the warm-up must end to the state of charge ``plant_at_soc`` asks for."""


def plant_soc(model: PlantModel) -> float:
    """The plant's state of charge, %: the batteries' weighted by their capacity."""
    capacity = sum(i.spec.capacity for i in model.inverters)
    return sum(i.soc * i.spec.capacity for i in model.inverters) / capacity


def plant_at_soc(soc: float, **kwargs: Any) -> PlantModel:
    """A plant whose batteries hold ``soc`` % at its start time, by the same physics.

    The batteries' state of charge at midnight is searched (bisection) so that
    the warm-up, the day's sun and load until the start time, ends at ``soc``:
    a demo started in the evening does not show a battery pinned at 100 %.
    Where no midnight state of charge gets there (on a sunny afternoon the sun
    has filled any battery), the nearest is taken and its batteries are set to
    ``soc`` at the start time. ``kwargs`` are ``PlantModel``'s.
    """
    low, high = 0.0, 100.0
    best = PlantModel(midnight_soc=low, **kwargs)
    if plant_soc(best) < soc:
        for _ in range(12):  # 100 % / 2**12: well under 0.1 % at the start
            middle = (low + high) / 2
            model = PlantModel(midnight_soc=middle, **kwargs)
            if abs(plant_soc(model) - soc) < abs(plant_soc(best) - soc):
                best = model
            if plant_soc(model) < soc:
                low = middle
            else:
                high = middle
    if abs(plant_soc(best) - soc) > SOC_TOLERANCE:
        for inverter in best.inverters:
            inverter.soc = _clamp(soc, 0.0, 100.0)
        best.refresh()
    return best


def default_start_time(tz: tzinfo) -> float:
    """Today 12:00 local time, as epoch seconds."""
    return datetime.combine(datetime.now(tz).date(), time(12), tz).timestamp()
