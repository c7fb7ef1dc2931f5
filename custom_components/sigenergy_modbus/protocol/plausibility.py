"""Physical ranges of measured registers: a value outside one is a failed read.

The codec already turns the protocol's "no reading" patterns into ``None``.
Other garbage decodes to a number: a flipped byte makes 0.33 kW read as
65.1 kW, a corrupt frame makes the state of charge 150 %. Each measured
register gets a range it cannot physically leave, from the protocol
(percentages, power factors) or from the plant's ratings read at
identification (powers, currents, battery energy); a reading outside it is
no reading (``None``), so the entity is unavailable for that poll instead of
showing an invented number.

The ranges are wide on purpose: they must never reject a real reading.
Powers may reach twice the rated power (PV arrays are oversized on the DC
side, and ratings are what identification read), and wherever the grid can
add power (grid point, loads) a household connection on top of that.

What is *not* range-checked, by design:

* Codes and bit fields (no unit): a value outside their table is reported
  (``Finding`` of kind ``CODE``/``BITS``) and shown as unknown by the
  entities, never as a guess. An alarm register reading all ones
  (0xFFFF) is no reading: firmware uses it for "not available".
* Settings (holding registers): they are what the owner or the installer set,
  and real devices report values beyond the protocol's own write ranges
  (40053 reads 20.0 where the protocol says 0-10.0).
* Energy counters: ``guard.CounterGuard`` judges them against their history.
* Counts, serial numbers, model and firmware strings, times of day.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

from .enums import ALARM_TABLES, CODE_TABLES
from .registers import BY_KEY, PLANT_UNIT_ID, Access, Register

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from .codec import Value
    from .models import PlantInfo

POWER_MARGIN = 2.0
"""A power may reach this many times the rated power of its device."""

GRID_CONNECTION_KW = 55.0
"""What a household grid connection can add: three phases of 80 A at 230 V."""

INVERTER_FALLBACK_KW = 25.0
"""Rated power assumed for an inverter that reported none: the largest SigenStor."""

DC_CHARGER_KW = 25.0
"""The largest Sigen DC charger module."""

AC_CHARGER_FALLBACK_KW = 22.0
"""Rated power assumed for an AC charger that reported none: 3 x 32 A."""

BATTERY_FALLBACK_KWH = 50.0
"""Battery capacity assumed for an inverter that reported none: six 8 kWh packs, and some."""

NOMINAL_PHASE_VOLTS = 230.0

ALL_ONES = 0xFFFF
"""What an alarm register reads when the firmware has no value for it."""


class FindingKind(StrEnum):
    """Why a value was flagged."""

    RANGE = "range"
    """A measurement outside its physical range: it becomes no reading."""
    CODE = "code"
    """A code the protocol's table does not define: shown as unknown."""
    BITS = "bits"
    """Bits a bit field's table does not define: shown as unknown."""


@dataclass(frozen=True, slots=True)
class Range:
    """The closed interval a measured value may take."""

    low: float
    high: float

    def __contains__(self, value: object) -> bool:
        """Whether a number lies in the range."""
        return isinstance(value, int | float) and self.low <= value <= self.high

    def __str__(self) -> str:
        """The range as a reader writes it."""
        return f"{self.low:g} to {self.high:g}"


@dataclass(frozen=True, slots=True)
class Finding:
    """One value a poll read that is not what the register can hold."""

    key: str
    value: Value
    kind: FindingKind
    reason: str


@dataclass(frozen=True, slots=True)
class PlantRatings:
    """The ratings the ranges scale with, from the plant's identification."""

    plant_kw: float
    """The plant's maximum active power (30010), or its inverters' ratings summed."""
    inverter_kw: Mapping[int, float]
    """Each inverter's rated active power (30540), by unit id."""
    battery_kwh: Mapping[int, float]
    """Each inverter's rated battery capacity (30548), by unit id."""
    charger_kw: Mapping[int, float]
    """Each AC charger's rated power (32005), by unit id."""

    @classmethod
    def of(cls, plant: PlantInfo) -> PlantRatings:
        """The ratings of a plant as identification stored it."""
        inverters = {i.unit_id: i.rated_power or INVERTER_FALLBACK_KW for i in plant.inverters}
        summed = sum(inverters.values()) or INVERTER_FALLBACK_KW
        return cls(
            plant_kw=max(plant.max_active_power or 0.0, summed),
            inverter_kw=inverters,
            battery_kwh={
                i.unit_id: i.battery_capacity or BATTERY_FALLBACK_KWH for i in plant.inverters
            },
            charger_kw={
                c.unit_id: c.rated_power or AC_CHARGER_FALLBACK_KW for c in plant.ac_chargers
            },
        )

    def device_kw(self, unit_id: int) -> float:
        """The rated power of the device at a unit id (the plant's for 247)."""
        if unit_id == PLANT_UNIT_ID:
            return self.plant_kw
        return self.inverter_kw.get(unit_id) or self.charger_kw.get(unit_id) or self.plant_kw

    def capacity_kwh(self, unit_id: int) -> float:
        """The battery capacity behind a unit id (all of them for the plant)."""
        if unit_id == PLANT_UNIT_ID:
            return sum(self.battery_kwh.values()) or BATTERY_FALLBACK_KWH
        return self.battery_kwh.get(unit_id, BATTERY_FALLBACK_KWH)


# Plant power registers the grid can add to: the grid point, the loads, a
# third-party inverter the plant only measures.
_GRID_POWERS = frozenset(
    {
        "grid_sensor_active_power",
        "grid_sensor_reactive_power",
        *(f"grid_sensor_phase_{p}_{q}_power" for p in "abc" for q in ("active", "reactive")),
        "general_load_power",
        "total_load_power",
        "third_party_pv_power",
        *(f"smart_load_{n}_power" for n in range(1, 25)),
    }
)
_PERCENT_0_100 = frozenset(
    {
        "plant_ess_soc",
        "plant_ess_soh",
        "plant_ess_charge_cut_off_soc",
        "plant_ess_discharge_cut_off_soc",
        "ess_soc",
        "ess_soh",
        "dc_charger_vehicle_soc",
        "current_control_command_value",
        # Settings, but states of charge all the same: the one kind of
        # setting whose range is physics, not a choice.
        "ess_backup_soc",
        "ess_charge_cut_off_soc",
        "ess_discharge_cut_off_soc",
    }
)
_CELL_TEMPERATURES = frozenset(
    {
        "plant_ess_average_cell_temperature",
        "ess_average_cell_temperature",
        "ess_max_cell_temperature",
        "ess_min_cell_temperature",
    }
)
_STORED_ENERGY = frozenset(
    {
        "plant_ess_available_charge_energy",
        "plant_ess_available_discharge_energy",
        "plant_ess_rated_energy_capacity",
        "ess_available_charge_energy",
        "ess_available_discharge_energy",
        "rated_battery_capacity",
    }
)
_AC_VOLTAGES = frozenset(
    {"phase_a_voltage", "phase_b_voltage", "phase_c_voltage", "rated_grid_voltage"}
)
_LINE_VOLTAGES = frozenset(
    {"line_voltage_ab", "line_voltage_bc", "line_voltage_ca", "grid_code_rated_voltage"}
)


def _power(register: Register, unit_id: int, ratings: PlantRatings) -> Range:
    if register.key.startswith("dc_charger_"):
        limit = POWER_MARGIN * DC_CHARGER_KW
    elif register.key in _GRID_POWERS:
        limit = POWER_MARGIN * ratings.plant_kw + GRID_CONNECTION_KW
    else:
        limit = POWER_MARGIN * ratings.device_kw(unit_id)
    return Range(-limit, limit)


def _stored_energy(register: Register, unit_id: int, ratings: PlantRatings) -> Range | None:
    if register.key not in _STORED_ENERGY:
        return None  # an energy counter: the guard's
    return Range(0.0, 1.1 * ratings.capacity_kwh(unit_id) + 1.0)


def _volts(register: Register, _unit_id: int, _ratings: PlantRatings) -> Range:
    key = register.key
    if key in _AC_VOLTAGES:
        return Range(0.0, 400.0)  # 230/277 V phases and their tolerances
    if key in _LINE_VOLTAGES:
        return Range(0.0, 700.0)
    if key.startswith(("ess_", "plant_ess_")):
        return Range(0.0, 5.0)  # one lithium cell
    if key.startswith("pv"):
        return Range(-10.0, 1100.0)  # a string; -0.1 V is a string at rest
    return Range(0.0, 1000.0)  # a vehicle's battery, an AC charger's rating


def _amps(register: Register, unit_id: int, ratings: PlantRatings) -> Range:
    key = register.key
    if key.startswith("pv"):
        return Range(-5.0, 40.0)  # one string
    if key.startswith(("phase_", "ac_charger_")):
        # All of a device's power on one phase at 230 V, with the margin.
        limit = POWER_MARGIN * ratings.device_kw(unit_id) * 1000 / NOMINAL_PHASE_VOLTS
        return Range(-limit, limit)
    return Range(0.0, POWER_MARGIN * DC_CHARGER_KW * 1000 / 200)  # DC charger, 200 V upwards


def _temperature(register: Register, _unit_id: int, _ratings: PlantRatings) -> Range:
    return Range(-40.0, 80.0) if register.key in _CELL_TEMPERATURES else Range(-40.0, 120.0)


def _fixed(limits: Range) -> Callable[[Register, int, PlantRatings], Range]:
    return lambda _register, _unit_id, _ratings: limits


def _power_factor(register: Register, _unit_id: int, _ratings: PlantRatings) -> Range | None:
    return Range(-1.0, 1.0) if register.gain == 1000 else None  # noqa: PLR2004 - their gain


_RULES: Mapping[str | None, Callable[[Register, int, PlantRatings], Range | None]] = {
    "kW": _power,
    "kVar": _power,
    "kVA": _power,
    "kWh": _stored_energy,
    "V": _volts,
    "A": _amps,
    "Hz": _fixed(Range(0.0, 70.0)),  # 50/60 Hz grids; 0 while no grid is there
    "℃": _temperature,
    "%": _fixed(Range(-100.0, 100.0)),  # adjustment feedbacks, in either direction
    "min": _fixed(Range(-720.0, 840.0)),  # time zones, UTC-12 to UTC+14
    None: _power_factor,  # a unitless measured value with a gain
}
"""The range of a measured register, by its unit."""


def register_range(register: Register, unit_id: int, ratings: PlantRatings) -> Range | None:
    """The physical range of a register's value, or None when it is not range-checked."""
    key = register.key
    if key in _PERCENT_0_100:
        return Range(0.0, 100.0)
    if register.access is not Access.RO or key in CODE_TABLES or key in ALARM_TABLES:
        return None
    rule = _RULES.get(register.unit)
    return None if rule is None else rule(register, unit_id, ratings)


class Plausibility:
    """Vets what a poll read against the ranges, and counts what it flagged.

    One per plant: the ranges come from its ratings. ``findings`` counts every
    flagged value by (unit id, register key), for the diagnostics.
    """

    def __init__(self, plant: PlantInfo) -> None:
        """Prepare the ranges of a plant."""
        self.ratings = PlantRatings.of(plant)
        self._ranges: dict[tuple[int, str], Range | None] = {}
        self.findings: dict[tuple[int, str], int] = {}

    def rate(self, plant: PlantInfo) -> None:
        """Take the ratings of a plant that gained units while running."""
        self.ratings = PlantRatings.of(plant)
        self._ranges.clear()

    def range(self, unit_id: int, key: str) -> Range | None:
        """The range of a register on a unit (None: not range-checked)."""
        if (unit_id, key) not in self._ranges:
            self._ranges[unit_id, key] = register_range(BY_KEY[key], unit_id, self.ratings)
        return self._ranges[unit_id, key]

    def vet(
        self, unit_id: int, values: Mapping[str, Value | None]
    ) -> tuple[dict[str, Value | None], list[Finding]]:
        """The values a poll may publish, and what it flagged.

        A measurement outside its range and an alarm register reading all
        ones become ``None``; a code or bit field outside its table is kept
        (entities show it as unknown) and reported.
        """
        vetted = dict(values)
        found: list[Finding] = []
        for key, value in values.items():
            if value is None or isinstance(value, str):
                continue
            if key in ALARM_TABLES and value == ALL_ONES:
                vetted[key] = None  # the firmware's "not available", not an alarm
                continue
            finding = self._finding(unit_id, key, value)
            if finding is None:
                continue
            if finding.kind is FindingKind.RANGE:
                vetted[key] = None
            found.append(finding)
            self.findings[unit_id, key] = self.findings.get((unit_id, key), 0) + 1
        return vetted, found

    def _finding(self, unit_id: int, key: str, value: float) -> Finding | None:
        if (table := ALARM_TABLES.get(key)) is not None:
            undefined = table.undefined(int(value))
            if undefined:
                bits = ", ".join(str(b) for b in undefined)
                return Finding(key, value, FindingKind.BITS, f"bits {bits} are not in its table")
            return None
        if (enum := CODE_TABLES.get(key)) is not None:
            if enum.parse(int(value)) is None:
                return Finding(key, value, FindingKind.CODE, f"{value} is not in its table")
            return None
        limits = self.range(unit_id, key)
        if limits is None or value in limits:
            return None
        unit = BY_KEY[key].unit or ""
        return Finding(
            key, value, FindingKind.RANGE, f"{value:g} {unit} is outside {limits} {unit}".strip()
        )

    def counts(self) -> dict[int, dict[str, int]]:
        """The flagged values so far, by unit id and register key."""
        counts: dict[int, dict[str, int]] = {}
        for (unit_id, key), count in sorted(self.findings.items()):
            counts.setdefault(unit_id, {})[key] = count
        return counts
