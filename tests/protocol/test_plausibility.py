"""Plausibility: physical ranges of measured registers (pure, no sockets)."""

from __future__ import annotations

import pytest

from custom_components.sigenergy_modbus.protocol.codec import decode
from custom_components.sigenergy_modbus.protocol.enums import ALARM_TABLES, CODE_TABLES
from custom_components.sigenergy_modbus.protocol.models import (
    AcChargerInfo,
    InverterInfo,
    PlantInfo,
)
from custom_components.sigenergy_modbus.protocol.plausibility import (
    FindingKind,
    PlantRatings,
    Plausibility,
    Range,
    register_range,
)
from custom_components.sigenergy_modbus.protocol.registers import (
    BY_KEY,
    PLANT_UNIT_ID,
    REGISTERS,
    Access,
    DataType,
    DeviceKind,
)

PLANT = PlantInfo(
    serial="S",
    host="h",
    port=502,
    max_active_power=13.2,
    inverters=(InverterInfo(unit_id=1, serial="A", rated_power=12.0, battery_capacity=24.0),),
    ac_chargers=(AcChargerInfo(unit_id=2, rated_power=11.0),),
)
RATINGS = PlantRatings.of(PLANT)

# Measured registers (read-only, with a unit) that are deliberately not range-checked.
NOT_CHECKED = {
    "s": "times: epoch seconds, durations",
    "MΩ": "insulation resistance: any value of the type is a resistance",
    "kWh": "energy counters: the guard judges them against their history",
}


def _unit_of(device: DeviceKind) -> int:
    return {DeviceKind.PLANT: PLANT_UNIT_ID, DeviceKind.INVERTER: 1, DeviceKind.AC_CHARGER: 2}[
        device
    ]


def test_every_measured_register_has_a_range_or_a_reason() -> None:
    """Read-only registers with a unit or a gain are ranged, unless exempt for a stated reason."""
    unranged = []
    for register in REGISTERS:
        if register.access is not Access.RO or register.data_type is DataType.STRING:
            continue
        if register.unit is None and register.gain == 1:
            continue  # codes, counts, bit fields
        limits = register_range(register, _unit_of(register.device), RATINGS)
        if limits is None and register.unit not in NOT_CHECKED:
            unranged.append(register.key)
        if register.unit == "kWh" and "capacity" not in register.key:
            is_stored = "available" in register.key
            assert (limits is not None) == is_stored, register.key
    assert unranged == []


def test_codes_and_settings_are_not_ranged() -> None:
    """Codes have their tables; settings are what was set (40053 reads 20.0 on live systems)."""
    for key in (*CODE_TABLES, *ALARM_TABLES, "lvrt_negative_sequence_factor", "pv_max_power_limit"):
        assert register_range(BY_KEY[key], PLANT_UNIT_ID, RATINGS) is None, key
    assert register_range(BY_KEY["ess_backup_soc"], PLANT_UNIT_ID, RATINGS) == Range(0, 100)


@pytest.mark.parametrize(
    ("unit_id", "key", "good", "bad"),
    [
        (247, "plant_ess_soc", [0.0, 55.5, 100.0], [100.1, 150.0, 200.0]),
        (1, "ess_soh", [0.0, 99.9, 100.0], [100.5, 6553.4]),
        (247, "plant_pv_power", [0.0, 26.4, -0.01], [26.5, 2147483.647]),
        (247, "grid_sensor_active_power", [-30.0, 81.4], [81.5, -81.5]),
        (1, "active_power", [0.33, -24.0, 24.0], [65.1, -24.1]),
        (1, "pv1_voltage", [-0.1, 0.0, 1100.0], [1100.1, -3276.8 + 0.1]),
        (1, "pv1_current", [-0.01, 12.5], [327.67, -5.01]),
        (1, "phase_b_current", [-0.01, 0.0, 104.3], [104.4, 21474836.47]),
        (1, "phase_a_voltage", [0.0, 230.0, 264.5], [400.1]),
        (1, "line_voltage_ab", [400.0], [700.1]),
        (1, "ess_max_cell_voltage", [3.3], [5.1, 65.534]),
        (1, "grid_frequency", [0.0, 50.0, 60.0], [70.1, 655.34]),
        (1, "pcs_internal_temperature", [-40.0, 45.0, 120.0], [120.1, -3276.7]),
        (1, "ess_average_cell_temperature", [25.0, 80.0], [80.1]),
        (1, "power_factor", [-1.0, 0.99, 1.0], [1.001, 32.767]),
        (1, "ess_available_discharge_energy", [0.0, 27.4], [27.5]),
        (247, "plant_ess_available_charge_energy", [27.4], [27.5]),
        (2, "ac_charger_charging_power", [22.0], [22.1]),
        (1, "dc_charger_output_power", [50.0], [50.1]),
        (247, "system_time_zone", [-720, 0, 720, 840], [841, -721]),
    ],
)
def test_ranges(unit_id: int, key: str, good: list[float], bad: list[float]) -> None:
    limits = register_range(BY_KEY[key], unit_id, RATINGS)
    assert limits is not None
    for value in good:
        assert value in limits, (key, value)
    for value in bad:
        assert value not in limits, (key, value)


def test_vet_makes_a_value_outside_its_range_no_reading_and_counts_it() -> None:
    plausibility = Plausibility(PLANT)
    values = {"plant_ess_soc": 150.0, "plant_pv_power": 3.2, "grid_status": 0}
    vetted, found = plausibility.vet(PLANT_UNIT_ID, values)
    assert vetted == {"plant_ess_soc": None, "plant_pv_power": 3.2, "grid_status": 0}
    assert values["plant_ess_soc"] == 150.0  # the caller's values are left alone
    assert [(f.key, f.kind, f.reason) for f in found] == [
        ("plant_ess_soc", FindingKind.RANGE, "150 % is outside 0 to 100 %")
    ]
    plausibility.vet(PLANT_UNIT_ID, values)
    assert plausibility.counts() == {PLANT_UNIT_ID: {"plant_ess_soc": 2}}


def test_alarm_register_all_ones_is_no_reading_not_sixteen_alarms() -> None:
    plausibility = Plausibility(PLANT)
    raw = decode(BY_KEY["plant_alarm_7"], [0xFFFF])
    assert raw == 0xFFFF  # a code to the codec: the whole range is valid
    vetted, found = plausibility.vet(PLANT_UNIT_ID, {"plant_alarm_7": raw, "plant_alarm_6": 0})
    assert vetted == {"plant_alarm_7": None, "plant_alarm_6": 0}
    assert found == []


def test_alarm_bits_outside_their_table_are_kept_and_reported() -> None:
    plausibility = Plausibility(PLANT)
    vetted, found = plausibility.vet(PLANT_UNIT_ID, {"plant_alarm_7": 0b1000_0000_0000_0101})
    assert vetted == {"plant_alarm_7": 0b1000_0000_0000_0101}
    assert [(f.kind, f.reason) for f in found] == [
        (FindingKind.BITS, "bits 2, 15 are not in its table")
    ]
    assert plausibility.vet(PLANT_UNIT_ID, {"plant_alarm_7": 0b11}) == ({"plant_alarm_7": 3}, [])


def test_codes_outside_their_table_are_kept_and_reported() -> None:
    plausibility = Plausibility(PLANT)
    vetted, found = plausibility.vet(1, {"running_state": 42, "output_type": 2})
    assert vetted == {"running_state": 42, "output_type": 2}
    assert [(f.key, f.kind) for f in found] == [("running_state", FindingKind.CODE)]
    assert plausibility.vet(PLANT_UNIT_ID, {"ems_work_mode": 6}) == ({"ems_work_mode": 6}, [])


def test_no_reading_and_texts_pass_untouched() -> None:
    plausibility = Plausibility(PLANT)
    values = {"plant_ess_soc": None, "serial_number": "110B123", "startup_time": 12}
    assert plausibility.vet(1, values) == (values, [])


def test_ratings_of_a_plant() -> None:
    assert RATINGS.plant_kw == 13.2
    assert RATINGS.device_kw(PLANT_UNIT_ID) == 13.2
    assert RATINGS.device_kw(1) == 12.0
    assert RATINGS.device_kw(2) == 11.0
    assert RATINGS.device_kw(9) == 13.2
    assert RATINGS.capacity_kwh(PLANT_UNIT_ID) == 24.0
    assert RATINGS.capacity_kwh(9) == 50.0
