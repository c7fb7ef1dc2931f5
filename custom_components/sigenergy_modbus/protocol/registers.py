"""The Sigenergy Modbus Protocol V2.9 register map, as data.

Every register of tables 5-1 to 5-6 of the protocol (plant, hybrid inverter
with its ESS, PV strings and DC charger, AC charger) is one row below, with
the address, quantity, data type, gain and unit exactly as printed. The rows
were checked against the protocol's own tables (``tests/protocol/test_registers``
compares them with the validated CSV extraction). PSS and PID devices
(tables 5-7 to 5-10) are out of scope.

Decisions where the document is ambiguous or wrong, each visible in the data:

* A gain printed "N/A" is stored as 1 (the value is a code or a count).
* A unit printed "N/A" is stored as ``None``.
* Table 5-3 row 85 is printed "PV8 current" with unit V at 31050; it sits
  where PV9 voltage belongs, so its key is ``pv9_voltage``.
* The plant energy counters 30196-30224 and the "new statistics interface"
  30228-30268 share names; the older ones carry the ``_legacy`` suffix. The
  new ones reset to 0 once when the firmware that introduces them is installed.
* Reserved rows are not registers; they are kept in ``RESERVED`` so that the
  read planner knows those addresses belong to a table and may be bridged.
* Input registers (3xxxx) are read with function code 0x04, holding registers
  (4xxxx, 5xxxx) with 0x03: the document's Table 4-1 and its examples disagree
  on this (see shared notes), and this is what a Modbus device expects.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum, StrEnum
from types import MappingProxyType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Mapping

PLANT_UNIT_ID = 247
"""The plant's own unit id (protocol table 4-1)."""

BROADCAST_UNIT_ID = 0
"""Writes to unit 0 are executed by every device and never answered."""

DEVICE_UNIT_IDS = range(1, 247)
"""Unit ids an inverter or AC charger may have."""

_FIRST_HOLDING = 40000

MAX_READ_REGISTERS = 124
"""Most registers one 0x03/0x04 request may read (protocol 6.1: 1~124)."""

MAX_WRITE_REGISTERS = 123
"""Most registers one 0x10 request may write (protocol 6.1.4: 1~123)."""


class DataType(StrEnum):
    """A register's data type (protocol table 4-1)."""

    U16 = "U16"
    U32 = "U32"
    U64 = "U64"
    S16 = "S16"
    S32 = "S32"
    STRING = "STRING"
    BIT16 = "BIT16"


class Access(StrEnum):
    """Who may read and write a register (protocol table 4-1)."""

    RO = "RO"
    RW = "RW"
    WO = "WO"

    @property
    def readable(self) -> bool:
        """Whether the register can be read."""
        return self is not Access.WO

    @property
    def writable(self) -> bool:
        """Whether the register can be written."""
        return self is not Access.RO


class DeviceKind(StrEnum):
    """The kind of device whose unit id serves a register."""

    PLANT = "plant"
    INVERTER = "inverter"
    AC_CHARGER = "ac_charger"


class RegisterKind(IntEnum):
    """Modbus register space; the value is the read function code."""

    HOLDING = 0x03
    INPUT = 0x04


@dataclass(frozen=True, slots=True, kw_only=True)
class Register:
    """One register (or group of registers holding one value) of the map."""

    key: str
    address: int
    count: int
    data_type: DataType
    gain: int
    unit: str | None
    access: Access
    device: DeviceKind
    hybrid: bool
    """Applies to hybrid inverters (SigenStor, Sigen Hybrid)."""
    pv_inverter: bool
    """Applies to PV inverters."""
    table: str
    name: str
    """The name as printed in the protocol."""
    minimum: float | None = None
    """Lowest value a write may carry, where the protocol states one."""
    maximum: float | None = None
    """Highest value a write may carry, where the protocol states one."""
    allowed: frozenset[int] | None = None
    """The only raw values a write may carry, for coded registers."""

    @property
    def kind(self) -> RegisterKind:
        """Input registers live at 3xxxx, holding registers at 4xxxx/5xxxx."""
        return RegisterKind.INPUT if self.address < _FIRST_HOLDING else RegisterKind.HOLDING

    @property
    def end(self) -> int:
        """The first address after this register."""
        return self.address + self.count


@dataclass(frozen=True, slots=True)
class Reserved:
    """A reserved range printed in a table: not a value, but part of the table."""

    table: str
    address: int
    count: int
    access: Access

    @property
    def end(self) -> int:
        """The first address after this range."""
        return self.address + self.count


U16, U32, U64 = DataType.U16, DataType.U32, DataType.U64
S16, S32 = DataType.S16, DataType.S32
STRING = DataType.STRING
RO, RW, WO = Access.RO, Access.RW, Access.WO
PLANT, INVERTER, EVAC = DeviceKind.PLANT, DeviceKind.INVERTER, DeviceKind.AC_CHARGER

_BOOL = frozenset({0, 1})
# Write limits stated in the protocol's comment column. A register without an
# entry is still limited by its data type.
_LIMITS: dict[str, dict[str, object]] = {
    "active_power_percentage_target": {"minimum": -100, "maximum": 100},
    "qs_ratio_target": {"minimum": -60, "maximum": 60},
    "power_factor_target": {"minimum": -1, "maximum": 1},
    "pcc_power_factor_import": {"minimum": -1, "maximum": 1},
    "pcc_power_factor_export": {"minimum": -1, "maximum": 1},
    "pcs_max_export_limit": {"minimum": 0, "maximum": 0xFFFFFFFE / 1000},
    "pcs_max_import_limit": {"minimum": 0, "maximum": 0xFFFFFFFE / 1000},
    **{
        f"phase_{p}_active_power_percentage_target": {"minimum": -100, "maximum": 100}
        for p in "abc"
    },
    **{f"phase_{p}_qs_ratio_target": {"minimum": -60, "maximum": 60} for p in "abc"},
    "ess_backup_soc": {"minimum": 0, "maximum": 100},
    "ess_charge_cut_off_soc": {"minimum": 0, "maximum": 100},
    "ess_discharge_cut_off_soc": {"minimum": 0, "maximum": 100},
    "preheating_reserved_soc": {"minimum": 0, "maximum": 100},
    "active_power_regulation_gradient": {"minimum": 0, "maximum": 5000},
    "lvrt_reactive_factor": {"minimum": 0, "maximum": 10},
    "lvrt_negative_sequence_factor": {"minimum": 0, "maximum": 10},
    "hvrt_reactive_factor": {"minimum": 0, "maximum": 10},
    "hvrt_negative_sequence_factor": {"minimum": 0, "maximum": 10},
    "over_frequency_derating_ramp_rate": {"minimum": 0, "maximum": 100},
    "under_frequency_boost_ramp_rate": {"minimum": 0, "maximum": 100},
    "ac_charger_output_current": {"minimum": 6},
    "plant_start_stop": {"allowed": _BOOL},
    "inverter_start_stop": {"allowed": _BOOL},
    "dc_charger_start_stop": {"allowed": _BOOL},
    "ac_charger_start_stop": {"allowed": _BOOL},
    "remote_ems_enable": {"allowed": _BOOL},
    "independent_phase_power_control_enable": {"allowed": _BOOL},
    "remote_ems_control_mode": {"allowed": frozenset({0, 1, 2, 3, 4, 5, 6, 8})},
    "preheating_enable": {"allowed": _BOOL},
    "preheating_mode": {"allowed": _BOOL},
    "advance_preheating_enable": {"allowed": _BOOL},
    "lvrt_enable": {"allowed": _BOOL},
    "lvrt_mode": {"allowed": frozenset({0, 2, 3, 4, 5})},
    "lvrt_voltage_protection_blocking": {"allowed": _BOOL},
    "hvrt_enable": {"allowed": _BOOL},
    "hvrt_mode": {"allowed": frozenset({0, 2, 3, 4, 5})},
    "hvrt_voltage_protection_blocking": {"allowed": _BOOL},
    "over_frequency_derating_enable": {"allowed": _BOOL},
    "under_frequency_boost_enable": {"allowed": _BOOL},
    "grid_power_loss_lockout_alarm_clear": {"allowed": frozenset({1})},
}


def _r(  # noqa: PLR0913, PLR0917 - one argument a column of the protocol's tables
    table: str,
    key: str,
    address: int,
    count: int,
    data_type: DataType,
    gain: int,
    unit: str | None,
    access: Access,
    device: DeviceKind,
    applies: str,
    name: str,
) -> Register:
    limits = _LIMITS.get(key, {})
    return Register(
        key=key,
        address=address,
        count=count,
        data_type=data_type,
        gain=gain,
        unit=unit,
        access=access,
        device=device,
        hybrid="H" in applies,
        pv_inverter="V" in applies,
        table=table,
        name=name,
        minimum=limits.get("minimum"),  # type: ignore[arg-type]
        maximum=limits.get("maximum"),  # type: ignore[arg-type]
        allowed=limits.get("allowed"),  # type: ignore[arg-type]
    )


# fmt: off
REGISTERS: tuple[Register, ...] = (
    # Table 5-1: plant running information (input registers, unit id 247)
    _r("5-1", "system_time", 30000, 2, U32, 1, "s", RO, PLANT, "HV", "System time"),
    _r("5-1", "system_time_zone", 30002, 1, S16, 1, "min", RO, PLANT, "HV", "System time zone"),
    _r("5-1", "ems_work_mode", 30003, 1, U16, 1, None, RO, PLANT, "HV", "EMS work mode"),
    _r("5-1", "grid_sensor_status", 30004, 1, U16, 1, None, RO, PLANT, "HV", "[Grid Sensor] Status"),
    _r("5-1", "grid_sensor_active_power", 30005, 2, S32, 1000, "kW", RO, PLANT, "HV", "[Grid sensor] Active power"),
    _r("5-1", "grid_sensor_reactive_power", 30007, 2, S32, 1000, "kVar", RO, PLANT, "HV", "[Grid sensor] Reactive power"),
    _r("5-1", "grid_status", 30009, 1, U16, 1, None, RO, PLANT, "H", "On/Off Grid status"),
    _r("5-1", "plant_max_active_power", 30010, 2, U32, 1000, "kW", RO, PLANT, "HV", "Max active power"),
    _r("5-1", "plant_max_apparent_power", 30012, 2, U32, 1000, "kVar", RO, PLANT, "HV", "Max apparent power"),
    _r("5-1", "plant_ess_soc", 30014, 1, U16, 10, "%", RO, PLANT, "H", "[ESS] SOC"),
    _r("5-1", "plant_phase_a_active_power", 30015, 2, S32, 1000, "kW", RO, PLANT, "HV", "Plant phase A active power"),
    _r("5-1", "plant_phase_b_active_power", 30017, 2, S32, 1000, "kW", RO, PLANT, "HV", "Plant phase B active power"),
    _r("5-1", "plant_phase_c_active_power", 30019, 2, S32, 1000, "kW", RO, PLANT, "HV", "Plant phase C active power"),
    _r("5-1", "plant_phase_a_reactive_power", 30021, 2, S32, 1000, "kVar", RO, PLANT, "HV", "Plant phase A reactive power"),
    _r("5-1", "plant_phase_b_reactive_power", 30023, 2, S32, 1000, "kVar", RO, PLANT, "HV", "Plant phase B reactive power"),
    _r("5-1", "plant_phase_c_reactive_power", 30025, 2, S32, 1000, "kVar", RO, PLANT, "HV", "Plant phase C reactive power"),
    _r("5-1", "plant_alarm_1", 30027, 1, U16, 1, None, RO, PLANT, "HV", "Merged Alarm1"),
    _r("5-1", "plant_alarm_2", 30028, 1, U16, 1, None, RO, PLANT, "HV", "Merged Alarm2"),
    _r("5-1", "plant_alarm_3", 30029, 1, U16, 1, None, RO, PLANT, "H", "Merged Alarm3"),
    _r("5-1", "plant_alarm_4", 30030, 1, U16, 1, None, RO, PLANT, "HV", "Merged Alarm4"),
    _r("5-1", "plant_active_power", 30031, 2, S32, 1000, "kW", RO, PLANT, "HV", "Plant active power"),
    _r("5-1", "plant_reactive_power", 30033, 2, S32, 1000, "kVar", RO, PLANT, "HV", "Plant reactive power"),
    _r("5-1", "plant_pv_power", 30035, 2, S32, 1000, "kW", RO, PLANT, "HV", "Photovoltaic power"),
    _r("5-1", "plant_ess_power", 30037, 2, S32, 1000, "kW", RO, PLANT, "H", "[ESS] Power"),
    _r("5-1", "plant_available_max_active_power", 30039, 2, U32, 1000, "kW", RO, PLANT, "HV", "Available max active power"),
    _r("5-1", "plant_available_min_active_power", 30041, 2, U32, 1000, "kW", RO, PLANT, "H", "Available min active power"),
    _r("5-1", "plant_available_max_reactive_power", 30043, 2, U32, 1000, "kVar", RO, PLANT, "HV", "Available max reactive power"),
    _r("5-1", "plant_available_min_reactive_power", 30045, 2, U32, 1000, "kVar", RO, PLANT, "HV", "Available min reactive power"),
    _r("5-1", "plant_ess_available_max_charging_power", 30047, 2, U32, 1000, "kW", RO, PLANT, "H", "[ESS]Available max charging power"),
    _r("5-1", "plant_ess_available_max_discharging_power", 30049, 2, U32, 1000, "kW", RO, PLANT, "H", "[ESS]Available max discharging power"),
    _r("5-1", "plant_running_state", 30051, 1, U16, 1, None, RO, PLANT, "HV", "Plant running state"),
    _r("5-1", "grid_sensor_phase_a_active_power", 30052, 2, S32, 1000, "kW", RO, PLANT, "HV", "[Grid sensor] Phase A active power"),
    _r("5-1", "grid_sensor_phase_b_active_power", 30054, 2, S32, 1000, "kW", RO, PLANT, "HV", "[Grid sensor] Phase B active power"),
    _r("5-1", "grid_sensor_phase_c_active_power", 30056, 2, S32, 1000, "kW", RO, PLANT, "HV", "[Grid sensor] Phase C active power"),
    _r("5-1", "grid_sensor_phase_a_reactive_power", 30058, 2, S32, 1000, "kVar", RO, PLANT, "HV", "[Grid sensor] Phase A reactive power"),
    _r("5-1", "grid_sensor_phase_b_reactive_power", 30060, 2, S32, 1000, "kVar", RO, PLANT, "HV", "[Grid sensor] Phase B reactive power"),
    _r("5-1", "grid_sensor_phase_c_reactive_power", 30062, 2, S32, 1000, "kVar", RO, PLANT, "HV", "[Grid sensor] Phase C reactive power"),
    _r("5-1", "plant_ess_available_charge_energy", 30064, 2, U32, 100, "kWh", RO, PLANT, "H", "[ESS]Available max charging capacity"),
    _r("5-1", "plant_ess_available_discharge_energy", 30066, 2, U32, 100, "kWh", RO, PLANT, "H", "[ESS]Available max discharging capacity"),
    _r("5-1", "plant_ess_rated_charging_power", 30068, 2, U32, 1000, "kW", RO, PLANT, "H", "[ESS] Rated charging power"),
    _r("5-1", "plant_ess_rated_discharging_power", 30070, 2, U32, 1000, "kW", RO, PLANT, "H", "[ESS] Rated discharging power"),
    _r("5-1", "plant_alarm_5", 30072, 1, U16, 1, None, RO, PLANT, "H", "Merged Alarm5"),
    _r("5-1", "plant_ess_rated_energy_capacity", 30083, 2, U32, 100, "kWh", RO, PLANT, "H", "[ESS] Rated energy capacity"),
    _r("5-1", "plant_ess_charge_cut_off_soc", 30085, 1, U16, 10, "%", RO, PLANT, "H", "[ESS] Charge Cut-Off SOC"),
    _r("5-1", "plant_ess_discharge_cut_off_soc", 30086, 1, U16, 10, "%", RO, PLANT, "H", "[ESS] Discharge Cut-Off SOC"),
    _r("5-1", "plant_ess_soh", 30087, 1, U16, 10, "%", RO, PLANT, "H", "[ESS] SOH"),
    _r("5-1", "plant_pv_energy_total", 30088, 4, U64, 100, "kWh", RO, PLANT, "HV", "Plant PV total generation"),
    _r("5-1", "plant_load_energy_daily", 30092, 2, U32, 100, "kWh", RO, PLANT, "HV", "Total load daily consumption"),
    _r("5-1", "plant_load_energy_total", 30094, 4, U64, 100, "kWh", RO, PLANT, "HV", "Total load consumption"),
    _r("5-1", "smart_load_1_energy_total", 30098, 2, U32, 100, "kWh", RO, PLANT, "HV", "[Smart load 1] Total consumption"),
    _r("5-1", "smart_load_2_energy_total", 30100, 2, U32, 100, "kWh", RO, PLANT, "HV", "[Smart load 2] Total consumption"),
    _r("5-1", "smart_load_3_energy_total", 30102, 2, U32, 100, "kWh", RO, PLANT, "HV", "[Smart load 3] Total consumption"),
    _r("5-1", "smart_load_4_energy_total", 30104, 2, U32, 100, "kWh", RO, PLANT, "HV", "[Smart load 4] Total consumption"),
    _r("5-1", "smart_load_5_energy_total", 30106, 2, U32, 100, "kWh", RO, PLANT, "HV", "[Smart load 5] Total consumption"),
    _r("5-1", "smart_load_6_energy_total", 30108, 2, U32, 100, "kWh", RO, PLANT, "HV", "[Smart load 6] Total consumption"),
    _r("5-1", "smart_load_7_energy_total", 30110, 2, U32, 100, "kWh", RO, PLANT, "HV", "[Smart load 7] Total consumption"),
    _r("5-1", "smart_load_8_energy_total", 30112, 2, U32, 100, "kWh", RO, PLANT, "HV", "[Smart load 8] Total consumption"),
    _r("5-1", "smart_load_9_energy_total", 30114, 2, U32, 100, "kWh", RO, PLANT, "HV", "[Smart load 9] Total consumption"),
    _r("5-1", "smart_load_10_energy_total", 30116, 2, U32, 100, "kWh", RO, PLANT, "HV", "[Smart load 10] Total consumption"),
    _r("5-1", "smart_load_11_energy_total", 30118, 2, U32, 100, "kWh", RO, PLANT, "HV", "[Smart load 11] Total consumption"),
    _r("5-1", "smart_load_12_energy_total", 30120, 2, U32, 100, "kWh", RO, PLANT, "HV", "[Smart load 12] Total consumption"),
    _r("5-1", "smart_load_13_energy_total", 30122, 2, U32, 100, "kWh", RO, PLANT, "HV", "[Smart load 13] Total consumption"),
    _r("5-1", "smart_load_14_energy_total", 30124, 2, U32, 100, "kWh", RO, PLANT, "HV", "[Smart load 14] Total consumption"),
    _r("5-1", "smart_load_15_energy_total", 30126, 2, U32, 100, "kWh", RO, PLANT, "HV", "[Smart load 15] Total consumption"),
    _r("5-1", "smart_load_16_energy_total", 30128, 2, U32, 100, "kWh", RO, PLANT, "HV", "[Smart load 16] Total consumption"),
    _r("5-1", "smart_load_17_energy_total", 30130, 2, U32, 100, "kWh", RO, PLANT, "HV", "[Smart load 17] Total consumption"),
    _r("5-1", "smart_load_18_energy_total", 30132, 2, U32, 100, "kWh", RO, PLANT, "HV", "[Smart load 18] Total consumption"),
    _r("5-1", "smart_load_19_energy_total", 30134, 2, U32, 100, "kWh", RO, PLANT, "HV", "[Smart load 19] Total consumption"),
    _r("5-1", "smart_load_20_energy_total", 30136, 2, U32, 100, "kWh", RO, PLANT, "HV", "[Smart load 20] Total consumption"),
    _r("5-1", "smart_load_21_energy_total", 30138, 2, U32, 100, "kWh", RO, PLANT, "HV", "[Smart load 21] Total consumption"),
    _r("5-1", "smart_load_22_energy_total", 30140, 2, U32, 100, "kWh", RO, PLANT, "HV", "[Smart load 22] Total consumption"),
    _r("5-1", "smart_load_23_energy_total", 30142, 2, U32, 100, "kWh", RO, PLANT, "HV", "[Smart load 23] Total consumption"),
    _r("5-1", "smart_load_24_energy_total", 30144, 2, U32, 100, "kWh", RO, PLANT, "HV", "[Smart load 24] Total consumption"),
    _r("5-1", "smart_load_1_power", 30146, 2, S32, 1000, "kW", RO, PLANT, "HV", "[Smart load 1] Power"),
    _r("5-1", "smart_load_2_power", 30148, 2, S32, 1000, "kW", RO, PLANT, "HV", "[Smart load 2] Power"),
    _r("5-1", "smart_load_3_power", 30150, 2, S32, 1000, "kW", RO, PLANT, "HV", "[Smart load 3] Power"),
    _r("5-1", "smart_load_4_power", 30152, 2, S32, 1000, "kW", RO, PLANT, "HV", "[Smart load 4] Power"),
    _r("5-1", "smart_load_5_power", 30154, 2, S32, 1000, "kW", RO, PLANT, "HV", "[Smart load 5] Power"),
    _r("5-1", "smart_load_6_power", 30156, 2, S32, 1000, "kW", RO, PLANT, "HV", "[Smart load 6] Power"),
    _r("5-1", "smart_load_7_power", 30158, 2, S32, 1000, "kW", RO, PLANT, "HV", "[Smart load 7] Power"),
    _r("5-1", "smart_load_8_power", 30160, 2, S32, 1000, "kW", RO, PLANT, "HV", "[Smart load 8] Power"),
    _r("5-1", "smart_load_9_power", 30162, 2, S32, 1000, "kW", RO, PLANT, "HV", "[Smart load 9] Power"),
    _r("5-1", "smart_load_10_power", 30164, 2, S32, 1000, "kW", RO, PLANT, "HV", "[Smart load 10] Power"),
    _r("5-1", "smart_load_11_power", 30166, 2, S32, 1000, "kW", RO, PLANT, "HV", "[Smart load 11] Power"),
    _r("5-1", "smart_load_12_power", 30168, 2, S32, 1000, "kW", RO, PLANT, "HV", "[Smart load 12] Power"),
    _r("5-1", "smart_load_13_power", 30170, 2, S32, 1000, "kW", RO, PLANT, "HV", "[Smart load 13] Power"),
    _r("5-1", "smart_load_14_power", 30172, 2, S32, 1000, "kW", RO, PLANT, "HV", "[Smart load 14] Power"),
    _r("5-1", "smart_load_15_power", 30174, 2, S32, 1000, "kW", RO, PLANT, "HV", "[Smart load 15] Power"),
    _r("5-1", "smart_load_16_power", 30176, 2, S32, 1000, "kW", RO, PLANT, "HV", "[Smart load 16] Power"),
    _r("5-1", "smart_load_17_power", 30178, 2, S32, 1000, "kW", RO, PLANT, "HV", "[Smart load 17] Power"),
    _r("5-1", "smart_load_18_power", 30180, 2, S32, 1000, "kW", RO, PLANT, "HV", "[Smart load 18] Power"),
    _r("5-1", "smart_load_19_power", 30182, 2, S32, 1000, "kW", RO, PLANT, "HV", "[Smart load 19] Power"),
    _r("5-1", "smart_load_20_power", 30184, 2, S32, 1000, "kW", RO, PLANT, "HV", "[Smart load 20] Power"),
    _r("5-1", "smart_load_21_power", 30186, 2, S32, 1000, "kW", RO, PLANT, "HV", "[Smart load 21] Power"),
    _r("5-1", "smart_load_22_power", 30188, 2, S32, 1000, "kW", RO, PLANT, "HV", "[Smart load 22] Power"),
    _r("5-1", "smart_load_23_power", 30190, 2, S32, 1000, "kW", RO, PLANT, "HV", "[Smart load 23] Power"),
    _r("5-1", "smart_load_24_power", 30192, 2, S32, 1000, "kW", RO, PLANT, "HV", "[Smart load 24] Power"),
    _r("5-1", "third_party_pv_power", 30194, 2, S32, 1000, "kW", RO, PLANT, "HV", "Third Party inverter active power"),
    _r("5-1", "third_party_pv_energy_total_legacy", 30196, 4, U64, 100, "kWh", RO, PLANT, "HV", "Total generation of third party inverter"),
    _r("5-1", "plant_ess_charge_energy_total_legacy", 30200, 4, U64, 100, "kWh", RO, PLANT, "HV", "Total charged energy of the ESS"),
    _r("5-1", "plant_ess_discharge_energy_total_legacy", 30204, 4, U64, 100, "kWh", RO, PLANT, "HV", "Total discharged energy of the ESS"),
    _r("5-1", "evdc_charge_energy_total_legacy", 30208, 4, U64, 100, "kWh", RO, PLANT, "HV", "Total charged energy of the EVDC"),
    _r("5-1", "evdc_discharge_energy_total_legacy", 30212, 4, U64, 100, "kWh", RO, PLANT, "HV", "Total discharged energy of the EVDC"),
    _r("5-1", "grid_import_energy_total_legacy", 30216, 4, U64, 100, "kWh", RO, PLANT, "HV", "Total imported energy"),
    _r("5-1", "grid_export_energy_total_legacy", 30220, 4, U64, 100, "kWh", RO, PLANT, "HV", "Total exported energy"),
    _r("5-1", "generator_energy_total_legacy", 30224, 4, U64, 100, "kWh", RO, PLANT, "HV", "Total energy output of oil-fueled generator"),
    _r("5-1", "common_load_energy_total", 30228, 4, U64, 100, "kWh", RO, PLANT, "HV", "Total energy consumption of common loads"),
    _r("5-1", "evac_charge_energy_total", 30232, 4, U64, 100, "kWh", RO, PLANT, "HV", "Total charged energy of the EVAC"),
    _r("5-1", "self_pv_energy_total", 30236, 4, U64, 100, "kWh", RO, PLANT, "HV", "Total generation of self PV"),
    _r("5-1", "third_party_pv_energy_total", 30240, 4, U64, 100, "kWh", RO, PLANT, "HV", "Total generation of third party inverter"),
    _r("5-1", "plant_ess_charge_energy_total", 30244, 4, U64, 100, "kWh", RO, PLANT, "HV", "Total charged energy of the ESS"),
    _r("5-1", "plant_ess_discharge_energy_total", 30248, 4, U64, 100, "kWh", RO, PLANT, "HV", "Total discharged energy of the ESS"),
    _r("5-1", "evdc_charge_energy_total", 30252, 4, U64, 100, "kWh", RO, PLANT, "HV", "Total charged energy of the EVDC"),
    _r("5-1", "evdc_discharge_energy_total", 30256, 4, U64, 100, "kWh", RO, PLANT, "HV", "Total discharged energy of the EVDC"),
    _r("5-1", "grid_import_energy_total", 30260, 4, U64, 100, "kWh", RO, PLANT, "HV", "Total imported energy"),
    _r("5-1", "grid_export_energy_total", 30264, 4, U64, 100, "kWh", RO, PLANT, "HV", "Total exported energy"),
    _r("5-1", "generator_energy_total", 30268, 4, U64, 100, "kWh", RO, PLANT, "HV", "Total energy output of oil-fueled generator"),
    _r("5-1", "plant_pv_energy_daily", 30272, 2, U32, 100, "kWh", RO, PLANT, "HV", "PV total daily generation"),
    _r("5-1", "plant_pv_energy_previous_day", 30274, 2, U32, 100, "kWh", RO, PLANT, "HV", "PV total generation of previous day"),
    _r("5-1", "grid_code_rated_frequency", 30276, 1, U16, 100, "Hz", RO, PLANT, "HV", "[Grid code]Rated Frequency"),
    _r("5-1", "grid_code_rated_voltage", 30277, 2, U32, 100, "V", RO, PLANT, "HV", "[Grid code]Rated Voltage"),
    _r("5-1", "current_control_command_value", 30279, 1, U16, 100, "%", RO, PLANT, "HV", "Current control command value"),
    _r("5-1", "plant_alarm_6", 30280, 1, U16, 1, None, RO, PLANT, "HV", "Merged Alarm6"),
    _r("5-1", "plant_alarm_7", 30281, 1, U16, 1, None, RO, PLANT, "HV", "Merged Alarm7"),
    _r("5-1", "general_load_power", 30282, 2, S32, 1000, "kW", RO, PLANT, "HV", "General load power"),
    _r("5-1", "total_load_power", 30284, 2, S32, 1000, "kW", RO, PLANT, "HV", "Total load power"),
    _r("5-1", "plant_ess_average_cell_temperature", 30286, 1, S16, 10, "℃", RO, PLANT, "H", "[ESS]Average cell temperature"),
    # Table 5-2-1: plant parameter setting (holding registers, unit id 247)
    _r("5-2-1", "ess_max_charging_limit", 40032, 2, U32, 1000, "kW", RW, PLANT, "H", "ESS max charging limit"),
    _r("5-2-1", "ess_max_discharging_limit", 40034, 2, U32, 1000, "kW", RW, PLANT, "H", "ESS max discharging limit"),
    _r("5-2-1", "pv_max_power_limit", 40036, 2, U32, 1000, "kW", RW, PLANT, "H", "PV max power limit"),
    _r("5-2-1", "grid_max_export_limit", 40038, 2, U32, 1000, "kW", RW, PLANT, "HV", "[Grid Point]Maximum export limitation"),
    _r("5-2-1", "grid_max_import_limit", 40040, 2, U32, 1000, "kW", RW, PLANT, "HV", "[Grid Point] Maximum import limitation"),
    _r("5-2-1", "pcs_max_export_limit", 40042, 2, U32, 1000, "kW", RW, PLANT, "HV", "PCS maximum export limitation"),
    _r("5-2-1", "pcs_max_import_limit", 40044, 2, U32, 1000, "kW", RW, PLANT, "HV", "PCS maximum import limitation"),
    _r("5-2-1", "pcc_power_factor_import", 40157, 1, S16, 1000, None, RW, PLANT, "HV", "PCC Power factor adjustment target value (Grid import)"),
    _r("5-2-1", "pcc_power_factor_export", 40158, 1, S16, 1000, None, RW, PLANT, "HV", "PCC Power factor adjustment target value (Grid export )"),
    # Table 5-2-2: plant remote EMS power dispatch (holding registers, unit id 247)
    _r("5-2-2", "active_power_fixed_target", 40001, 2, S32, 1000, "kW", RW, PLANT, "HV", "Active power fixed adjustment target value"),
    _r("5-2-2", "reactive_power_fixed_target", 40003, 2, S32, 1000, "kVar", RW, PLANT, "HV", "Reactive power fixed adjustment target value"),
    _r("5-2-2", "active_power_percentage_target", 40005, 1, S16, 100, "%", RW, PLANT, "HV", "Active power percentage adjustment target value"),
    _r("5-2-2", "qs_ratio_target", 40006, 1, S16, 100, "%", RW, PLANT, "HV", "Q/S adjustment target value"),
    _r("5-2-2", "power_factor_target", 40007, 1, S16, 1000, None, RW, PLANT, "HV", "Power factor adjustment target value"),
    _r("5-2-2", "phase_a_active_power_fixed_target", 40008, 2, S32, 1000, "kW", RW, PLANT, "HV", "Phase A active power fixed adjustment target value"),
    _r("5-2-2", "phase_b_active_power_fixed_target", 40010, 2, S32, 1000, "kW", RW, PLANT, "HV", "Phase B active power fixed adjustment target value"),
    _r("5-2-2", "phase_c_active_power_fixed_target", 40012, 2, S32, 1000, "kW", RW, PLANT, "HV", "Phase C active power fixed adjustment target value"),
    _r("5-2-2", "phase_a_reactive_power_fixed_target", 40014, 2, S32, 1000, "kVar", RW, PLANT, "HV", "Phase A reactive power fixed adjustment target value"),
    _r("5-2-2", "phase_b_reactive_power_fixed_target", 40016, 2, S32, 1000, "kVar", RW, PLANT, "HV", "Phase B reactive power fixed adjustment target value"),
    _r("5-2-2", "phase_c_reactive_power_fixed_target", 40018, 2, S32, 1000, "kVar", RW, PLANT, "HV", "Phase C reactive power fixed adjustment target value"),
    _r("5-2-2", "phase_a_active_power_percentage_target", 40020, 1, S16, 100, "%", RW, PLANT, "HV", "Phase A Active power percentage adjustment target value"),
    _r("5-2-2", "phase_b_active_power_percentage_target", 40021, 1, S16, 100, "%", RW, PLANT, "HV", "Phase B Active power percentage adjustment target value"),
    _r("5-2-2", "phase_c_active_power_percentage_target", 40022, 1, S16, 100, "%", RW, PLANT, "HV", "Phase C Active power percentage adjustment target value"),
    _r("5-2-2", "phase_a_qs_ratio_target", 40023, 1, S16, 100, "%", RW, PLANT, "HV", "Phase A Q/S fixed adjustment target value"),
    _r("5-2-2", "phase_b_qs_ratio_target", 40024, 1, S16, 100, "%", RW, PLANT, "HV", "Phase B Q/S fixed adjustment target value"),
    _r("5-2-2", "phase_c_qs_ratio_target", 40025, 1, S16, 100, "%", RW, PLANT, "HV", "Phase C Q/S fixed adjustment target value"),
    # Table 5-2-3: plant ESS preheating (holding registers, unit id 247; Sigen PV M1-HYA/HYB only)
    _r("5-2-3", "preheating_enable", 50000, 1, U16, 1, None, RW, PLANT, "H", "[ESS Preheating ] Preheating Enable"),
    _r("5-2-3", "preheating_mode", 50001, 1, U16, 1, None, RW, PLANT, "H", "[ESS Preheating ] Preheating mode"),
    _r("5-2-3", "advance_preheating_enable", 50002, 1, U16, 1, None, RW, PLANT, "H", "[ESS Preheating ] Advance Preheating Enable"),
    _r("5-2-3", "preheating_tou_1_start", 50003, 2, U32, 1, "s", RW, PLANT, "H", "[ESS Preheating ] tou 1:Start Time"),
    _r("5-2-3", "preheating_tou_1_end", 50005, 2, U32, 1, "s", RW, PLANT, "H", "[ESS Preheating ] tou 1:End Time"),
    _r("5-2-3", "preheating_tou_1_power", 50007, 2, S32, 1000, "kW", RW, PLANT, "H", "[ESS Preheating ] tou 1:Target Charging/Discharging Power"),
    _r("5-2-3", "preheating_tou_2_start", 50009, 2, U32, 1, "s", RW, PLANT, "H", "[ESS Preheating ] tou 2:Start Time"),
    _r("5-2-3", "preheating_tou_2_end", 50011, 2, U32, 1, "s", RW, PLANT, "H", "[ESS Preheating ] tou 2:End Time"),
    _r("5-2-3", "preheating_tou_2_power", 50013, 2, S32, 1000, "kW", RW, PLANT, "H", "[ESS Preheating ] tou 2:Target Charging/Discharging Power"),
    _r("5-2-3", "preheating_tou_3_start", 50015, 2, U32, 1, "s", RW, PLANT, "H", "[ESS Preheating ] tou 3:Start Time"),
    _r("5-2-3", "preheating_tou_3_end", 50017, 2, U32, 1, "s", RW, PLANT, "H", "[ESS Preheating ] tou 3:End Time"),
    _r("5-2-3", "preheating_tou_3_power", 50019, 2, S32, 1000, "kW", RW, PLANT, "H", "[ESS Preheating ] tou 3:Target Charging/Discharging Power"),
    _r("5-2-3", "preheating_tou_4_start", 50021, 2, U32, 1, "s", RW, PLANT, "H", "[ESS Preheating ] tou 4:Start Time"),
    _r("5-2-3", "preheating_tou_4_end", 50023, 2, U32, 1, "s", RW, PLANT, "H", "[ESS Preheating ] tou 4:End Time"),
    _r("5-2-3", "preheating_tou_4_power", 50025, 2, S32, 1000, "kW", RW, PLANT, "H", "[ESS Preheating ] tou 4:Target Charging/Discharging Power"),
    _r("5-2-3", "preheating_tou_5_start", 50027, 2, U32, 1, "s", RW, PLANT, "H", "[ESS Preheating ] tou 5:Start Time"),
    _r("5-2-3", "preheating_tou_5_end", 50029, 2, U32, 1, "s", RW, PLANT, "H", "[ESS Preheating ] tou 5:End Time"),
    _r("5-2-3", "preheating_tou_5_power", 50031, 2, S32, 1000, "kW", RW, PLANT, "H", "[ESS Preheating ] tou 5:Target Charging/Discharging Power"),
    _r("5-2-3", "preheating_tou_6_start", 50033, 2, U32, 1, "s", RW, PLANT, "H", "[ESS Preheating ] tou 6:Start Time"),
    _r("5-2-3", "preheating_tou_6_end", 50035, 2, U32, 1, "s", RW, PLANT, "H", "[ESS Preheating ] tou 6:End Time"),
    _r("5-2-3", "preheating_tou_6_power", 50037, 2, S32, 1000, "kW", RW, PLANT, "H", "[ESS Preheating ] tou 6:Target Charging/Discharging Power"),
    _r("5-2-3", "preheating_tou_7_start", 50039, 2, U32, 1, "s", RW, PLANT, "H", "[ESS Preheating ] tou 7:Start Time"),
    _r("5-2-3", "preheating_tou_7_end", 50041, 2, U32, 1, "s", RW, PLANT, "H", "[ESS Preheating ] tou 7:End Time"),
    _r("5-2-3", "preheating_tou_7_power", 50043, 2, S32, 1000, "kW", RW, PLANT, "H", "[ESS Preheating ] tou 7:Target Charging/Discharging Power"),
    _r("5-2-3", "preheating_tou_8_start", 50045, 2, U32, 1, "s", RW, PLANT, "H", "[ESS Preheating ] tou 8:Start Time"),
    _r("5-2-3", "preheating_tou_8_end", 50047, 2, U32, 1, "s", RW, PLANT, "H", "[ESS Preheating ] tou 8:End Time"),
    _r("5-2-3", "preheating_tou_8_power", 50049, 2, S32, 1000, "kW", RW, PLANT, "H", "[ESS Preheating ] tou 8:Target Charging/Discharging Power"),
    _r("5-2-3", "preheating_tou_9_start", 50051, 2, U32, 1, "s", RW, PLANT, "H", "[ESS Preheating ] tou 9:Start Time"),
    _r("5-2-3", "preheating_tou_9_end", 50053, 2, U32, 1, "s", RW, PLANT, "H", "[ESS Preheating ] tou 9:End Time"),
    _r("5-2-3", "preheating_tou_9_power", 50055, 2, S32, 1000, "kW", RW, PLANT, "H", "[ESS Preheating ] tou 9:Target Charging/Discharging Power"),
    _r("5-2-3", "preheating_tou_10_start", 50057, 2, U32, 1, "s", RW, PLANT, "H", "[ESS Preheating ] tou 10:Start Time"),
    _r("5-2-3", "preheating_tou_10_end", 50059, 2, U32, 1, "s", RW, PLANT, "H", "[ESS Preheating ] tou 10:End Time"),
    _r("5-2-3", "preheating_tou_10_power", 50061, 2, S32, 1000, "kW", RW, PLANT, "H", "[ESS Preheating ] tou 10:Target Charging/Discharging Power"),
    _r("5-2-3", "preheating_tou_11_start", 50063, 2, U32, 1, "s", RW, PLANT, "H", "[ESS Preheating ] tou 11:Start Time"),
    _r("5-2-3", "preheating_tou_11_end", 50065, 2, U32, 1, "s", RW, PLANT, "H", "[ESS Preheating ] tou 11:End Time"),
    _r("5-2-3", "preheating_tou_11_power", 50067, 2, S32, 1000, "kW", RW, PLANT, "H", "[ESS Preheating ] tou 11:Target Charging/Discharging Power"),
    _r("5-2-3", "preheating_tou_12_start", 50069, 2, U32, 1, "s", RW, PLANT, "H", "[ESS Preheating ] tou 12:Start Time"),
    _r("5-2-3", "preheating_tou_12_end", 50071, 2, U32, 1, "s", RW, PLANT, "H", "[ESS Preheating ] tou 12:End Time"),
    _r("5-2-3", "preheating_tou_12_power", 50073, 2, S32, 1000, "kW", RW, PLANT, "H", "[ESS Preheating ] tou 12:Target Charging/Discharging Power"),
    _r("5-2-3", "preheating_tou_13_start", 50075, 2, U32, 1, "s", RW, PLANT, "H", "[ESS Preheating ] tou 13:Start Time"),
    _r("5-2-3", "preheating_tou_13_end", 50077, 2, U32, 1, "s", RW, PLANT, "H", "[ESS Preheating ] tou 13:End Time"),
    _r("5-2-3", "preheating_tou_13_power", 50079, 2, S32, 1000, "kW", RW, PLANT, "H", "[ESS Preheating ] tou 13:Target Charging/Discharging Power"),
    _r("5-2-3", "preheating_tou_14_start", 50081, 2, U32, 1, "s", RW, PLANT, "H", "[ESS Preheating ] tou 14:Start Time"),
    _r("5-2-3", "preheating_tou_14_end", 50083, 2, U32, 1, "s", RW, PLANT, "H", "[ESS Preheating ] tou 14:End Time"),
    _r("5-2-3", "preheating_tou_14_power", 50085, 2, S32, 1000, "kW", RW, PLANT, "H", "[ESS Preheating ] tou 14:Target Charging/Discharging Power"),
    _r("5-2-3", "preheating_tou_15_start", 50087, 2, U32, 1, "s", RW, PLANT, "H", "[ESS Preheating ] tou 15:Start Time"),
    _r("5-2-3", "preheating_tou_15_end", 50089, 2, U32, 1, "s", RW, PLANT, "H", "[ESS Preheating ] tou 15:End Time"),
    _r("5-2-3", "preheating_tou_15_power", 50091, 2, S32, 1000, "kW", RW, PLANT, "H", "[ESS Preheating ] tou 15:Target Charging/Discharging Power"),
    _r("5-2-3", "preheating_tou_16_start", 50093, 2, U32, 1, "s", RW, PLANT, "H", "[ESS Preheating ] tou 16:Start Time"),
    _r("5-2-3", "preheating_tou_16_end", 50095, 2, U32, 1, "s", RW, PLANT, "H", "[ESS Preheating ] tou 16:End Time"),
    _r("5-2-3", "preheating_tou_16_power", 50097, 2, S32, 1000, "kW", RW, PLANT, "H", "[ESS Preheating ] tou 16:Target Charging/Discharging Power"),
    _r("5-2-3", "preheating_tou_17_start", 50099, 2, U32, 1, "s", RW, PLANT, "H", "[ESS Preheating ] tou 17:Start Time"),
    _r("5-2-3", "preheating_tou_17_end", 50101, 2, U32, 1, "s", RW, PLANT, "H", "[ESS Preheating ] tou 17:End Time"),
    _r("5-2-3", "preheating_tou_17_power", 50103, 2, S32, 1000, "kW", RW, PLANT, "H", "[ESS Preheating ] tou 17:Target Charging/Discharging Power"),
    _r("5-2-3", "preheating_tou_18_start", 50105, 2, U32, 1, "s", RW, PLANT, "H", "[ESS Preheating ] tou 18:Start Time"),
    _r("5-2-3", "preheating_tou_18_end", 50107, 2, U32, 1, "s", RW, PLANT, "H", "[ESS Preheating ] tou 18:End Time"),
    _r("5-2-3", "preheating_tou_18_power", 50109, 2, S32, 1000, "kW", RW, PLANT, "H", "[ESS Preheating ] tou 18:Target Charging/Discharging Power"),
    _r("5-2-3", "preheating_tou_19_start", 50111, 2, U32, 1, "s", RW, PLANT, "H", "[ESS Preheating ] tou 19:Start Time"),
    _r("5-2-3", "preheating_tou_19_end", 50113, 2, U32, 1, "s", RW, PLANT, "H", "[ESS Preheating ] tou 19:End Time"),
    _r("5-2-3", "preheating_tou_19_power", 50115, 2, S32, 1000, "kW", RW, PLANT, "H", "[ESS Preheating ] tou 19:Target Charging/Discharging Power"),
    _r("5-2-3", "preheating_tou_20_start", 50117, 2, U32, 1, "s", RW, PLANT, "H", "[ESS Preheating ] tou 20:Start Time"),
    _r("5-2-3", "preheating_tou_20_end", 50119, 2, U32, 1, "s", RW, PLANT, "H", "[ESS Preheating ] tou 20:End Time"),
    _r("5-2-3", "preheating_tou_20_power", 50121, 2, S32, 1000, "kW", RW, PLANT, "H", "[ESS Preheating ] tou 20:Target Charging/Discharging Power"),
    _r("5-2-3", "preheating_tou_21_start", 50123, 2, U32, 1, "s", RW, PLANT, "H", "[ESS Preheating ] tou 21:Start Time"),
    _r("5-2-3", "preheating_tou_21_end", 50125, 2, U32, 1, "s", RW, PLANT, "H", "[ESS Preheating ] tou 21:End Time"),
    _r("5-2-3", "preheating_tou_21_power", 50127, 2, S32, 1000, "kW", RW, PLANT, "H", "[ESS Preheating ] tou 21:Target Charging/Discharging Power"),
    _r("5-2-3", "preheating_tou_22_start", 50129, 2, U32, 1, "s", RW, PLANT, "H", "[ESS Preheating ] tou 22:Start Time"),
    _r("5-2-3", "preheating_tou_22_end", 50131, 2, U32, 1, "s", RW, PLANT, "H", "[ESS Preheating ] tou 22:End Time"),
    _r("5-2-3", "preheating_tou_22_power", 50133, 2, S32, 1000, "kW", RW, PLANT, "H", "[ESS Preheating ] tou 22:Target Charging/Discharging Power"),
    _r("5-2-3", "preheating_tou_23_start", 50135, 2, U32, 1, "s", RW, PLANT, "H", "[ESS Preheating ] tou 23:Start Time"),
    _r("5-2-3", "preheating_tou_23_end", 50137, 2, U32, 1, "s", RW, PLANT, "H", "[ESS Preheating ] tou 23:End Time"),
    _r("5-2-3", "preheating_tou_23_power", 50139, 2, S32, 1000, "kW", RW, PLANT, "H", "[ESS Preheating ] tou 23:Target Charging/Discharging Power"),
    _r("5-2-3", "preheating_tou_24_start", 50141, 2, U32, 1, "s", RW, PLANT, "H", "[ESS Preheating ] tou 24:Start Time"),
    _r("5-2-3", "preheating_tou_24_end", 50143, 2, U32, 1, "s", RW, PLANT, "H", "[ESS Preheating ] tou 24:End Time"),
    _r("5-2-3", "preheating_tou_24_power", 50145, 2, S32, 1000, "kW", RW, PLANT, "H", "[ESS Preheating ] tou 24:Target Charging/Discharging Power"),
    _r("5-2-3", "preheating_tou_25_start", 50147, 2, U32, 1, "s", RW, PLANT, "H", "[ESS Preheating ] tou 25:Start Time"),
    _r("5-2-3", "preheating_tou_25_end", 50149, 2, U32, 1, "s", RW, PLANT, "H", "[ESS Preheating ] tou 25:End Time"),
    _r("5-2-3", "preheating_tou_25_power", 50151, 2, S32, 1000, "kW", RW, PLANT, "H", "[ESS Preheating ] tou 25:Target Charging/Discharging Power"),
    _r("5-2-3", "preheating_tou_26_start", 50153, 2, U32, 1, "s", RW, PLANT, "H", "[ESS Preheating ] tou 26:Start Time"),
    _r("5-2-3", "preheating_tou_26_end", 50155, 2, U32, 1, "s", RW, PLANT, "H", "[ESS Preheating ] tou 26:End Time"),
    _r("5-2-3", "preheating_tou_26_power", 50157, 2, S32, 1000, "kW", RW, PLANT, "H", "[ESS Preheating ] tou 26:Target Charging/Discharging Power"),
    _r("5-2-3", "preheating_tou_27_start", 50159, 2, U32, 1, "s", RW, PLANT, "H", "[ESS Preheating ] tou 27:Start Time"),
    _r("5-2-3", "preheating_tou_27_end", 50161, 2, U32, 1, "s", RW, PLANT, "H", "[ESS Preheating ] tou 27:End Time"),
    _r("5-2-3", "preheating_tou_27_power", 50163, 2, S32, 1000, "kW", RW, PLANT, "H", "[ESS Preheating ] tou 27:Target Charging/Discharging Power"),
    _r("5-2-3", "preheating_tou_28_start", 50165, 2, U32, 1, "s", RW, PLANT, "H", "[ESS Preheating ] tou 28:Start Time"),
    _r("5-2-3", "preheating_tou_28_end", 50167, 2, U32, 1, "s", RW, PLANT, "H", "[ESS Preheating ] tou 28:End Time"),
    _r("5-2-3", "preheating_tou_28_power", 50169, 2, S32, 1000, "kW", RW, PLANT, "H", "[ESS Preheating ] tou 28:Target Charging/Discharging Power"),
    _r("5-2-3", "preheating_tou_29_start", 50171, 2, U32, 1, "s", RW, PLANT, "H", "[ESS Preheating ] tou 29:Start Time"),
    _r("5-2-3", "preheating_tou_29_end", 50173, 2, U32, 1, "s", RW, PLANT, "H", "[ESS Preheating ] tou 29:End Time"),
    _r("5-2-3", "preheating_tou_29_power", 50175, 2, S32, 1000, "kW", RW, PLANT, "H", "[ESS Preheating ] tou 29:Target Charging/Discharging Power"),
    _r("5-2-3", "preheating_tou_30_start", 50177, 2, U32, 1, "s", RW, PLANT, "H", "[ESS Preheating ] tou 30:Start Time"),
    _r("5-2-3", "preheating_tou_30_end", 50179, 2, U32, 1, "s", RW, PLANT, "H", "[ESS Preheating ] tou 30:End Time"),
    _r("5-2-3", "preheating_tou_30_power", 50181, 2, S32, 1000, "kW", RW, PLANT, "H", "[ESS Preheating ] tou 30:Target Charging/Discharging Power"),
    _r("5-2-3", "preheating_reserved_soc", 50183, 1, U16, 100, "%", RW, PLANT, "H", "[ESS Preheating ] Preheating reserved SOC"),
    # Table 5-2-4: plant control (holding registers, unit id 247)
    _r("5-2-4", "plant_start_stop", 40000, 1, U16, 1, None, WO, PLANT, "HV", "Start/Stop"),
    _r("5-2-4", "remote_ems_enable", 40029, 1, U16, 1, None, RW, PLANT, "HV", "Remote EMS enable"),
    _r("5-2-4", "independent_phase_power_control_enable", 40030, 1, U16, 1, None, RW, PLANT, "HV", "Independent phase power control enable"),
    _r("5-2-4", "remote_ems_control_mode", 40031, 1, U16, 1, None, RW, PLANT, "HV", "Remote EMS control mode"),
    _r("5-2-4", "ess_backup_soc", 40046, 1, U16, 10, "%", RW, PLANT, "H", "[ESS]Backup SOC"),
    _r("5-2-4", "ess_charge_cut_off_soc", 40047, 1, U16, 10, "%", RW, PLANT, "H", "[ESS] Charge Cut-Off SOC"),
    _r("5-2-4", "ess_discharge_cut_off_soc", 40048, 1, U16, 10, "%", RW, PLANT, "H", "[ESS] Discharge Cut-Off SOC"),
    _r("5-2-4", "active_power_regulation_gradient", 40049, 2, U32, 1000, "%/s", RW, PLANT, "HV", "Active power regulation gradient"),
    _r("5-2-4", "lvrt_enable", 40051, 1, U16, 1, None, RW, PLANT, "HV", "[Grid code]LVRT enable"),
    _r("5-2-4", "lvrt_reactive_factor", 40052, 1, U16, 100, None, RW, PLANT, "HV", "[Grid code]LVRT reactive power compensation factor"),
    _r("5-2-4", "lvrt_negative_sequence_factor", 40053, 1, U16, 100, None, RW, PLANT, "HV", "[Grid code]LVRT negative-sequence reactive power compensation factor"),
    _r("5-2-4", "lvrt_mode", 40054, 1, U16, 1, None, RW, PLANT, "HV", "[Grid code]LVRT mode"),
    _r("5-2-4", "lvrt_voltage_protection_blocking", 40055, 1, U16, 1, None, RW, PLANT, "HV", "[Grid code]LVRT grid voltage protection blocking"),
    _r("5-2-4", "hvrt_enable", 40056, 1, U16, 1, None, RW, PLANT, "HV", "[Grid code]HVRT enable"),
    _r("5-2-4", "hvrt_reactive_factor", 40057, 1, U16, 100, None, RW, PLANT, "HV", "[Grid code]HVRT reactive power compensation factor"),
    _r("5-2-4", "hvrt_negative_sequence_factor", 40058, 1, U16, 100, None, RW, PLANT, "HV", "[Grid code]HVRT negative-sequence reactive power compensation factor"),
    _r("5-2-4", "hvrt_mode", 40059, 1, U16, 1, None, RW, PLANT, "HV", "[Grid code]HVRT mode"),
    _r("5-2-4", "hvrt_voltage_protection_blocking", 40060, 1, U16, 1, None, RW, PLANT, "HV", "[Grid code]HVRT grid voltage protection blocking"),
    _r("5-2-4", "over_frequency_derating_enable", 40061, 1, U16, 1, None, RW, PLANT, "HV", "[Grid code]Over-frequency derating enable"),
    _r("5-2-4", "over_frequency_derating_ramp_rate", 40062, 1, U16, 100, "%", RW, PLANT, "HV", "[Grid code]Over-frequency derating power ramp rate"),
    _r("5-2-4", "over_frequency_derating_trigger_frequency", 40063, 1, U16, 100, "Hz", RW, PLANT, "HV", "[Grid code]Over-frequency derating trigger frequency"),
    _r("5-2-4", "over_frequency_derating_cut_off_frequency", 40064, 1, U16, 100, "Hz", RW, PLANT, "HV", "[Grid code]Over-frequency derating cut-off frequency"),
    _r("5-2-4", "under_frequency_boost_enable", 40065, 1, U16, 1, None, RW, PLANT, "HV", "[Grid code]Under-frequency power boost enable"),
    _r("5-2-4", "under_frequency_boost_ramp_rate", 40066, 1, U16, 100, "%", RW, PLANT, "HV", "[Grid code]Under-frequency power boost power ramp rate"),
    _r("5-2-4", "under_frequency_boost_trigger_frequency", 40067, 1, U16, 100, "Hz", RW, PLANT, "HV", "[Grid code]Under-frequency power boost trigger frequency"),
    _r("5-2-4", "under_frequency_boost_cut_off_frequency", 40068, 1, U16, 100, "Hz", RW, PLANT, "HV", "[Grid code]Under-frequency power boost cut-off frequency"),
    _r("5-2-4", "grid_power_loss_lockout_alarm_clear", 40159, 1, U16, 1, None, WO, PLANT, "HV", "Grid Power Loss Lockout Alarm Clear"),
    # Table 5-3: hybrid inverter running information, ESS, PV strings and DC charger (input registers, unit id 1-246)
    _r("5-3", "model_type", 30500, 15, STRING, 1, None, RO, INVERTER, "HV", "Model type"),
    _r("5-3", "serial_number", 30515, 10, STRING, 1, None, RO, INVERTER, "HV", "Serial number"),
    _r("5-3", "firmware_version", 30525, 15, STRING, 1, None, RO, INVERTER, "HV", "Machine firmware version"),
    _r("5-3", "rated_active_power", 30540, 2, U32, 1000, "kW", RO, INVERTER, "HV", "Rated active power"),
    _r("5-3", "max_apparent_power", 30542, 2, U32, 1000, "kVA", RO, INVERTER, "HV", "Max. apparent power"),
    _r("5-3", "max_active_power", 30544, 2, U32, 1000, "kW", RO, INVERTER, "HV", "Max. active power"),
    _r("5-3", "max_absorption_power", 30546, 2, U32, 1000, "kW", RO, INVERTER, "H", "Max. absorption power"),
    _r("5-3", "rated_battery_capacity", 30548, 2, U32, 100, "kWh", RO, INVERTER, "H", "Rated battery capacity"),
    _r("5-3", "ess_rated_charge_power", 30550, 2, U32, 1000, "kW", RO, INVERTER, "H", "[ESS]Rated charge power"),
    _r("5-3", "ess_rated_discharge_power", 30552, 2, U32, 1000, "kW", RO, INVERTER, "H", "[ESS]Rated discharge power"),
    _r("5-3", "ess_charge_energy_daily", 30566, 2, U32, 100, "kWh", RO, INVERTER, "H", "[ESS]Daily charge energy"),
    _r("5-3", "ess_charge_energy_total", 30568, 4, U64, 100, "kWh", RO, INVERTER, "H", "[ESS]Accumulated charge energy"),
    _r("5-3", "ess_discharge_energy_daily", 30572, 2, U32, 100, "kWh", RO, INVERTER, "H", "[ESS]Daily discharge energy"),
    _r("5-3", "ess_discharge_energy_total", 30574, 4, U64, 100, "kWh", RO, INVERTER, "H", "[ESS]Accumulated discharge energy"),
    _r("5-3", "running_state", 30578, 1, U16, 1, None, RO, INVERTER, "HV", "Running state"),
    _r("5-3", "max_active_power_adjustment", 30579, 2, S32, 1000, "kW", RO, INVERTER, "HV", "Max.active power adjustment value"),
    _r("5-3", "min_active_power_adjustment", 30581, 2, S32, 1000, "kW", RO, INVERTER, "H", "Min. active power adjustment value"),
    _r("5-3", "max_reactive_power_fed", 30583, 2, U32, 1000, "kVar", RO, INVERTER, "HV", "Max. reactive power adjustment value fed to the ac terminal"),
    _r("5-3", "max_reactive_power_absorbed", 30585, 2, U32, 1000, "kVar", RO, INVERTER, "HV", "Max. reactive power adjustment value absorbed from the ac terminal"),
    _r("5-3", "active_power", 30587, 2, S32, 1000, "kW", RO, INVERTER, "HV", "Active power"),
    _r("5-3", "reactive_power", 30589, 2, S32, 1000, "kVar", RO, INVERTER, "HV", "Reactive power"),
    _r("5-3", "ess_max_charge_power", 30591, 2, U32, 1000, "kW", RO, INVERTER, "H", "[ESS]Max. battery charge power"),
    _r("5-3", "ess_max_discharge_power", 30593, 2, U32, 1000, "kW", RO, INVERTER, "H", "[ESS]Max. battery discharge power"),
    _r("5-3", "ess_available_charge_energy", 30595, 2, U32, 100, "kWh", RO, INVERTER, "H", "[ESS]Available battery charge Energy"),
    _r("5-3", "ess_available_discharge_energy", 30597, 2, U32, 100, "kWh", RO, INVERTER, "H", "[ESS]Available battery discharge Energy"),
    _r("5-3", "ess_power", 30599, 2, S32, 1000, "kW", RO, INVERTER, "H", "[ESS] Charge /discharge power"),
    _r("5-3", "ess_soc", 30601, 1, U16, 10, "%", RO, INVERTER, "H", "[ESS]Battery SOC"),
    _r("5-3", "ess_soh", 30602, 1, U16, 10, "%", RO, INVERTER, "H", "[ESS]Battery SOH"),
    _r("5-3", "ess_average_cell_temperature", 30603, 1, S16, 10, "℃", RO, INVERTER, "H", "[ESS]Average cell temperature"),
    _r("5-3", "ess_average_cell_voltage", 30604, 1, U16, 1000, "V", RO, INVERTER, "H", "[ESS] Average cell voltage"),
    _r("5-3", "alarm_1", 30605, 1, U16, 1, None, RO, INVERTER, "HV", "Alarm1"),
    _r("5-3", "alarm_2", 30606, 1, U16, 1, None, RO, INVERTER, "HV", "Alarm2"),
    _r("5-3", "alarm_3", 30607, 1, U16, 1, None, RO, INVERTER, "H", "Alarm3"),
    _r("5-3", "alarm_4", 30608, 1, U16, 1, None, RO, INVERTER, "HV", "Alarm4"),
    _r("5-3", "alarm_5", 30609, 1, U16, 1, None, RO, INVERTER, "H", "Alarm5"),
    _r("5-3", "active_power_fixed_feedback", 30613, 2, S32, 1000, "kW", RO, INVERTER, "HV", "Active power fixed value adjustment feedback"),
    _r("5-3", "reactive_power_fixed_feedback", 30615, 2, S32, 1000, "kVar", RO, INVERTER, "HV", "Reactive power fixed value adjustment feedback"),
    _r("5-3", "active_power_percentage_feedback", 30617, 1, S16, 100, "%", RO, INVERTER, "HV", "Active power percentage adjustment feedback"),
    _r("5-3", "qs_ratio_feedback", 30618, 1, S16, 100, "%", RO, INVERTER, "HV", "Reactive power Q/S adjustment feedback"),
    _r("5-3", "power_factor_feedback", 30619, 1, S16, 1000, None, RO, INVERTER, "HV", "Power factor adjustment feedback"),
    _r("5-3", "ess_max_cell_temperature", 30620, 1, S16, 10, "℃", RO, INVERTER, "H", "[ESS]Maximum battery (cluster) temperature"),
    _r("5-3", "ess_min_cell_temperature", 30621, 1, S16, 10, "℃", RO, INVERTER, "H", "[ESS]Minimum battery (cluster) temperature"),
    _r("5-3", "ess_max_cell_voltage", 30622, 1, U16, 1000, "V", RO, INVERTER, "H", "[ESS] Maximum battery (cluster) cell voltage"),
    _r("5-3", "ess_min_cell_voltage", 30623, 1, U16, 1000, "V", RO, INVERTER, "H", "[ESS] Minimum battery (cluster) cell voltage"),
    _r("5-3", "rated_grid_voltage", 31000, 1, U16, 10, "V", RO, INVERTER, "HV", "Rated grid voltage"),
    _r("5-3", "rated_grid_frequency", 31001, 1, U16, 100, "Hz", RO, INVERTER, "HV", "Rated grid frequency"),
    _r("5-3", "grid_frequency", 31002, 1, U16, 100, "Hz", RO, INVERTER, "HV", "Grid frequency"),
    _r("5-3", "pcs_internal_temperature", 31003, 1, S16, 10, "℃", RO, INVERTER, "HV", "[PCS] Internal temperature"),
    _r("5-3", "output_type", 31004, 1, U16, 1, None, RO, INVERTER, "HV", "Output type"),
    _r("5-3", "line_voltage_ab", 31005, 2, U32, 100, "V", RO, INVERTER, "HV", "A-B line voltage"),
    _r("5-3", "line_voltage_bc", 31007, 2, U32, 100, "V", RO, INVERTER, "HV", "B-C line voltage"),
    _r("5-3", "line_voltage_ca", 31009, 2, U32, 100, "V", RO, INVERTER, "HV", "C-A line voltage"),
    _r("5-3", "phase_a_voltage", 31011, 2, U32, 100, "V", RO, INVERTER, "HV", "Phase A voltage"),
    _r("5-3", "phase_b_voltage", 31013, 2, U32, 100, "V", RO, INVERTER, "HV", "Phase B voltage"),
    _r("5-3", "phase_c_voltage", 31015, 2, U32, 100, "V", RO, INVERTER, "HV", "Phase C voltage"),
    _r("5-3", "phase_a_current", 31017, 2, S32, 100, "A", RO, INVERTER, "HV", "Phase A current"),
    _r("5-3", "phase_b_current", 31019, 2, S32, 100, "A", RO, INVERTER, "HV", "Phase B current"),
    _r("5-3", "phase_c_current", 31021, 2, S32, 100, "A", RO, INVERTER, "HV", "Phase C current"),
    _r("5-3", "power_factor", 31023, 1, S16, 1000, None, RO, INVERTER, "HV", "Power factor"),
    _r("5-3", "pack_count", 31024, 1, U16, 1, None, RO, INVERTER, "H", "PACK count"),
    _r("5-3", "pv_string_count", 31025, 1, U16, 1, None, RO, INVERTER, "HV", "PV string count"),
    _r("5-3", "mppt_count", 31026, 1, U16, 1, None, RO, INVERTER, "HV", "MPPT count"),
    _r("5-3", "pv1_voltage", 31027, 1, S16, 10, "V", RO, INVERTER, "HV", "PV1 voltage"),
    _r("5-3", "pv1_current", 31028, 1, S16, 100, "A", RO, INVERTER, "HV", "PV1 current"),
    _r("5-3", "pv2_voltage", 31029, 1, S16, 10, "V", RO, INVERTER, "HV", "PV2 voltage"),
    _r("5-3", "pv2_current", 31030, 1, S16, 100, "A", RO, INVERTER, "HV", "PV2 current"),
    _r("5-3", "pv3_voltage", 31031, 1, S16, 10, "V", RO, INVERTER, "HV", "PV3 voltage"),
    _r("5-3", "pv3_current", 31032, 1, S16, 100, "A", RO, INVERTER, "HV", "PV3 current"),
    _r("5-3", "pv4_voltage", 31033, 1, S16, 10, "V", RO, INVERTER, "HV", "PV4 voltage"),
    _r("5-3", "pv4_current", 31034, 1, S16, 100, "A", RO, INVERTER, "HV", "PV4 current"),
    _r("5-3", "pv_power", 31035, 2, S32, 1000, "kW", RO, INVERTER, "HV", "PV power"),
    _r("5-3", "insulation_resistance", 31037, 1, U16, 1000, "MΩ", RO, INVERTER, "HV", "Insulation resistance"),
    _r("5-3", "startup_time", 31038, 2, U32, 1, "s", RO, INVERTER, "HV", "Startup time"),
    _r("5-3", "shutdown_time", 31040, 2, U32, 1, "s", RO, INVERTER, "HV", "Shutdown time"),
    _r("5-3", "pv5_voltage", 31042, 1, S16, 10, "V", RO, INVERTER, "HV", "PV5 voltage"),
    _r("5-3", "pv5_current", 31043, 1, S16, 100, "A", RO, INVERTER, "HV", "PV5 current"),
    _r("5-3", "pv6_voltage", 31044, 1, S16, 10, "V", RO, INVERTER, "HV", "PV6 voltage"),
    _r("5-3", "pv6_current", 31045, 1, S16, 100, "A", RO, INVERTER, "HV", "PV6 current"),
    _r("5-3", "pv7_voltage", 31046, 1, S16, 10, "V", RO, INVERTER, "HV", "PV7 voltage"),
    _r("5-3", "pv7_current", 31047, 1, S16, 100, "A", RO, INVERTER, "HV", "PV7 current"),
    _r("5-3", "pv8_voltage", 31048, 1, S16, 10, "V", RO, INVERTER, "HV", "PV8 voltage"),
    _r("5-3", "pv8_current", 31049, 1, S16, 100, "A", RO, INVERTER, "HV", "PV8 current"),
    _r("5-3", "pv9_voltage", 31050, 1, S16, 10, "V", RO, INVERTER, "HV", "PV8 current"),
    _r("5-3", "pv9_current", 31051, 1, S16, 100, "A", RO, INVERTER, "HV", "PV9 current"),
    _r("5-3", "pv10_voltage", 31052, 1, S16, 10, "V", RO, INVERTER, "HV", "PV10 voltage"),
    _r("5-3", "pv10_current", 31053, 1, S16, 100, "A", RO, INVERTER, "HV", "PV10 current"),
    _r("5-3", "pv11_voltage", 31054, 1, S16, 10, "V", RO, INVERTER, "HV", "PV11 voltage"),
    _r("5-3", "pv11_current", 31055, 1, S16, 100, "A", RO, INVERTER, "HV", "PV11 current"),
    _r("5-3", "pv12_voltage", 31056, 1, S16, 10, "V", RO, INVERTER, "HV", "PV12 voltage"),
    _r("5-3", "pv12_current", 31057, 1, S16, 100, "A", RO, INVERTER, "HV", "PV12 current"),
    _r("5-3", "pv13_voltage", 31058, 1, S16, 10, "V", RO, INVERTER, "HV", "PV13 voltage"),
    _r("5-3", "pv13_current", 31059, 1, S16, 100, "A", RO, INVERTER, "HV", "PV13 current"),
    _r("5-3", "pv14_voltage", 31060, 1, S16, 10, "V", RO, INVERTER, "HV", "PV14 voltage"),
    _r("5-3", "pv14_current", 31061, 1, S16, 100, "A", RO, INVERTER, "HV", "PV14 current"),
    _r("5-3", "pv15_voltage", 31062, 1, S16, 10, "V", RO, INVERTER, "HV", "PV15 voltage"),
    _r("5-3", "pv15_current", 31063, 1, S16, 100, "A", RO, INVERTER, "HV", "PV15 current"),
    _r("5-3", "pv16_voltage", 31064, 1, S16, 10, "V", RO, INVERTER, "HV", "PV16 voltage"),
    _r("5-3", "pv16_current", 31065, 1, S16, 100, "A", RO, INVERTER, "HV", "PV16 current"),
    _r("5-3", "pv17_voltage", 31066, 1, S16, 10, "V", RO, INVERTER, "V", "PV17 voltage"),
    _r("5-3", "pv17_current", 31067, 1, S16, 100, "A", RO, INVERTER, "V", "PV17 current"),
    _r("5-3", "pv18_voltage", 31068, 1, S16, 10, "V", RO, INVERTER, "V", "PV18 voltage"),
    _r("5-3", "pv18_current", 31069, 1, S16, 100, "A", RO, INVERTER, "V", "PV18 current"),
    _r("5-3", "pv19_voltage", 31070, 1, S16, 10, "V", RO, INVERTER, "V", "PV19 voltage"),
    _r("5-3", "pv19_current", 31071, 1, S16, 100, "A", RO, INVERTER, "V", "PV19 current"),
    _r("5-3", "pv20_voltage", 31072, 1, S16, 10, "V", RO, INVERTER, "V", "PV20 voltage"),
    _r("5-3", "pv20_current", 31073, 1, S16, 100, "A", RO, INVERTER, "V", "PV20 current"),
    _r("5-3", "pv21_voltage", 31074, 1, S16, 10, "V", RO, INVERTER, "V", "PV21 voltage"),
    _r("5-3", "pv21_current", 31075, 1, S16, 100, "A", RO, INVERTER, "V", "PV21 current"),
    _r("5-3", "pv22_voltage", 31076, 1, S16, 10, "V", RO, INVERTER, "V", "PV22 voltage"),
    _r("5-3", "pv22_current", 31077, 1, S16, 100, "A", RO, INVERTER, "V", "PV22 current"),
    _r("5-3", "pv23_voltage", 31078, 1, S16, 10, "V", RO, INVERTER, "V", "PV23 voltage"),
    _r("5-3", "pv23_current", 31079, 1, S16, 100, "A", RO, INVERTER, "V", "PV23 current"),
    _r("5-3", "pv24_voltage", 31080, 1, S16, 10, "V", RO, INVERTER, "V", "PV24 voltage"),
    _r("5-3", "pv24_current", 31081, 1, S16, 100, "A", RO, INVERTER, "V", "PV24 current"),
    _r("5-3", "pv25_voltage", 31082, 1, S16, 10, "V", RO, INVERTER, "V", "PV25 voltage"),
    _r("5-3", "pv25_current", 31083, 1, S16, 100, "A", RO, INVERTER, "V", "PV25 current"),
    _r("5-3", "pv26_voltage", 31084, 1, S16, 10, "V", RO, INVERTER, "V", "PV26 voltage"),
    _r("5-3", "pv26_current", 31085, 1, S16, 100, "A", RO, INVERTER, "V", "PV26 current"),
    _r("5-3", "pv27_voltage", 31086, 1, S16, 10, "V", RO, INVERTER, "V", "PV27 voltage"),
    _r("5-3", "pv27_current", 31087, 1, S16, 100, "A", RO, INVERTER, "V", "PV27 current"),
    _r("5-3", "pv28_voltage", 31088, 1, S16, 10, "V", RO, INVERTER, "V", "PV28 voltage"),
    _r("5-3", "pv28_current", 31089, 1, S16, 100, "A", RO, INVERTER, "V", "PV28 current"),
    _r("5-3", "pv29_voltage", 31090, 1, S16, 10, "V", RO, INVERTER, "V", "PV29 voltage"),
    _r("5-3", "pv29_current", 31091, 1, S16, 100, "A", RO, INVERTER, "V", "PV29 current"),
    _r("5-3", "pv30_voltage", 31092, 1, S16, 10, "V", RO, INVERTER, "V", "PV30 voltage"),
    _r("5-3", "pv30_current", 31093, 1, S16, 100, "A", RO, INVERTER, "V", "PV30 current"),
    _r("5-3", "pv31_voltage", 31094, 1, S16, 10, "V", RO, INVERTER, "V", "PV31 voltage"),
    _r("5-3", "pv31_current", 31095, 1, S16, 100, "A", RO, INVERTER, "V", "PV31 current"),
    _r("5-3", "pv32_voltage", 31096, 1, S16, 10, "V", RO, INVERTER, "V", "PV32 voltage"),
    _r("5-3", "pv32_current", 31097, 1, S16, 100, "A", RO, INVERTER, "V", "PV32 current"),
    _r("5-3", "pv33_voltage", 31098, 1, S16, 10, "V", RO, INVERTER, "V", "PV33 voltage"),
    _r("5-3", "pv33_current", 31099, 1, S16, 100, "A", RO, INVERTER, "V", "PV33 current"),
    _r("5-3", "pv34_voltage", 31100, 1, S16, 10, "V", RO, INVERTER, "V", "PV34 voltage"),
    _r("5-3", "pv34_current", 31101, 1, S16, 100, "A", RO, INVERTER, "V", "PV34 current"),
    _r("5-3", "pv35_voltage", 31102, 1, S16, 10, "V", RO, INVERTER, "V", "PV35 voltage"),
    _r("5-3", "pv35_current", 31103, 1, S16, 100, "A", RO, INVERTER, "V", "PV35 current"),
    _r("5-3", "pv36_voltage", 31104, 1, S16, 10, "V", RO, INVERTER, "V", "PV36 voltage"),
    _r("5-3", "pv36_current", 31105, 1, S16, 100, "A", RO, INVERTER, "V", "PV36 current"),
    _r("5-3", "dc_charger_vehicle_battery_voltage", 31500, 1, U16, 10, "V", RO, INVERTER, "H", "[DC Charger] Vehicle battery voltage"),
    _r("5-3", "dc_charger_charging_current", 31501, 1, U16, 10, "A", RO, INVERTER, "H", "[DC Charger] Charging current"),
    _r("5-3", "dc_charger_output_power", 31502, 2, S32, 1000, "kW", RO, INVERTER, "H", "[DC Charger] Output power"),
    _r("5-3", "dc_charger_vehicle_soc", 31504, 1, U16, 10, "%", RO, INVERTER, "H", "[DC Charger] Vehicle SOC"),
    _r("5-3", "dc_charger_session_charge_energy", 31505, 2, U32, 100, "kWh", RO, INVERTER, "H", "[DC Charger] Current charging capacity"),
    _r("5-3", "dc_charger_session_charge_duration", 31507, 2, U32, 1, "s", RO, INVERTER, "H", "[DC Charger] Current charging duration"),
    _r("5-3", "pv_energy_daily", 31509, 2, U32, 100, "kWh", RO, INVERTER, "HV", "PV daily generation"),
    _r("5-3", "pv_energy_total", 31511, 2, U32, 100, "kWh", RO, INVERTER, "HV", "PV total generation"),
    _r("5-3", "dc_charger_running_state", 31513, 1, U16, 1, None, RO, INVERTER, "H", "[DC Charger] Running state"),
    _r("5-3", "dc_charger_discharging_current", 31514, 1, U16, 10, "A", RO, INVERTER, "H", "[DC Charger] Discharging current"),
    _r("5-3", "dc_charger_session_discharge_energy", 31515, 2, U32, 100, "kWh", RO, INVERTER, "H", "[DC Charger]Current discharging capacity"),
    _r("5-3", "dc_charger_session_discharge_duration", 31517, 2, U32, 1, "s", RO, INVERTER, "H", "[DC Charger]Current discharging duration"),
    _r("5-3", "dc_charger_charge_energy_total", 31519, 2, U32, 100, "kWh", RO, INVERTER, "H", "[DC Charger]Total charging capacity"),
    _r("5-3", "dc_charger_discharge_energy_total", 31521, 2, U32, 100, "kWh", RO, INVERTER, "H", "[DC Charger]Total Discharging capacity"),
    _r("5-3", "dc_charger_rated_charging_power", 31523, 2, U32, 1000, "kW", RO, INVERTER, "H", "[DC Charger]Rated charging power"),
    _r("5-3", "dc_charger_rated_discharging_power", 31525, 2, U32, 1000, "kW", RO, INVERTER, "H", "[DC Charger]Rated discharging power"),
    # Table 5-4: hybrid inverter parameter setting (holding registers, unit id 1-246)
    _r("5-4", "inverter_start_stop", 40500, 1, U16, 1, None, WO, INVERTER, "HV", "Start/Stop"),
    _r("5-4", "dc_charger_start_stop", 41000, 1, U16, 1, None, WO, INVERTER, "H", "[DC Charger] Start/Stop"),
    _r("5-4", "dc_charger_max_charging_power_limit", 41002, 2, U32, 1000, "kW", RW, INVERTER, "H", "[DC Charger] max charging power limit"),
    _r("5-4", "dc_charger_max_discharging_power_limit", 41004, 2, U32, 1000, "kW", RW, INVERTER, "H", "[DC Charger] max discharging power limit"),
    _r("5-4", "inverter_active_power_fixed_adjustment", 41501, 2, S32, 1000, "kW", RW, INVERTER, "V", "Active power fixed value adjustment"),
    _r("5-4", "inverter_reactive_power_fixed_adjustment", 41503, 2, S32, 1000, "kVar", RW, INVERTER, "V", "Reactive power fixed value adjustment"),
    _r("5-4", "inverter_active_power_percentage_adjustment", 41505, 1, S16, 100, "%", RW, INVERTER, "V", "Active power percentage adjustment"),
    _r("5-4", "inverter_qs_ratio_adjustment", 41506, 1, S16, 100, "%", RW, INVERTER, "V", "Reactive power Q/S adjustment"),
    _r("5-4", "inverter_power_factor_adjustment", 41507, 1, S16, 1000, None, RW, INVERTER, "V", "Power factor adjustment"),
    # Table 5-5: AC charger (EVAC) running information (input registers, own unit id)
    _r("5-5", "ac_charger_system_state", 32000, 1, U16, 1, None, RO, EVAC, "HV", "System state"),
    _r("5-5", "ac_charger_energy_total", 32001, 2, U32, 100, "kWh", RO, EVAC, "HV", "Total energy consumed"),
    _r("5-5", "ac_charger_charging_power", 32003, 2, S32, 1000, "kW", RO, EVAC, "HV", "Charging power"),
    _r("5-5", "ac_charger_rated_power", 32005, 2, U32, 1000, "kW", RO, EVAC, "HV", "Rated power"),
    _r("5-5", "ac_charger_rated_current", 32007, 2, S32, 100, "A", RO, EVAC, "HV", "Rated current"),
    _r("5-5", "ac_charger_rated_voltage", 32009, 1, U16, 10, "V", RO, EVAC, "HV", "Rated voltage"),
    _r("5-5", "ac_charger_input_breaker_rated_current", 32010, 2, S32, 100, "A", RO, EVAC, "HV", "AC-Charger input breaker rated current"),
    _r("5-5", "ac_charger_alarm_1", 32012, 1, U16, 1, None, RO, EVAC, "HV", "Alarm1"),
    _r("5-5", "ac_charger_alarm_2", 32013, 1, U16, 1, None, RO, EVAC, "HV", "Alarm2"),
    _r("5-5", "ac_charger_alarm_3", 32014, 1, U16, 1, None, RO, EVAC, "HV", "Alarm3"),
    # Table 5-6: AC charger (EVAC) parameter setting (holding registers, own unit id)
    _r("5-6", "ac_charger_start_stop", 42000, 1, U16, 1, None, WO, EVAC, "HV", "Start/Stop"),
    _r("5-6", "ac_charger_output_current", 42001, 2, U32, 100, None, RW, EVAC, "HV", "Charger output current"),
)
# fmt: on

RESERVED: tuple[Reserved, ...] = (
    Reserved("5-1", 30073, 10, Access.RO),
    Reserved("5-2-4", 40026, 3, Access.RW),
    Reserved("5-2-4", 40069, 88, Access.RW),
    Reserved("5-3", 30554, 12, Access.RO),
    Reserved("5-3", 30610, 3, Access.RO),
    Reserved("5-4", 40501, 1, Access.RW),
    Reserved("5-4", 41001, 1, Access.WO),
    Reserved("5-4", 41500, 1, Access.RW),
    Reserved("5-6", 42003, 1, Access.WO),
)

BY_KEY: Mapping[str, Register] = MappingProxyType({r.key: r for r in REGISTERS})
"""Every register by its key."""


def registers_for(device: DeviceKind) -> tuple[Register, ...]:
    """Return the registers a device of this kind serves, by address."""
    return tuple(sorted((r for r in REGISTERS if r.device is device), key=lambda r: r.address))


def pv_string_registers(string: int) -> tuple[Register, Register]:
    """Return the voltage and current registers of PV string 1-36."""
    return BY_KEY[f"pv{string}_voltage"], BY_KEY[f"pv{string}_current"]


def smart_load_registers(load: int) -> tuple[Register, Register]:
    """Return the power and lifetime energy registers of smart load 1-24."""
    return BY_KEY[f"smart_load_{load}_power"], BY_KEY[f"smart_load_{load}_energy_total"]
