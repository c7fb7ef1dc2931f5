"""The register map against the protocol's tables 5-1 to 5-6 (tests/data/registers.csv)."""

from __future__ import annotations

import re
from itertools import pairwise

import pytest

from custom_components.sigenergy_modbus.protocol.registers import (
    BROADCAST_UNIT_ID,
    BY_KEY,
    DEVICE_UNIT_IDS,
    MAX_READ_REGISTERS,
    MAX_WRITE_REGISTERS,
    PLANT_UNIT_ID,
    REGISTERS,
    RESERVED,
    Access,
    DataType,
    DeviceKind,
    RegisterKind,
    pv_string_registers,
    registers_for,
    smart_load_registers,
)

from .protocol_data import SCOPE_TABLES, gain, register_rows, reserved_rows, unit

ROWS = register_rows()
BY_TABLE_ADDRESS = {(r.table, r.address): r for r in REGISTERS}
TABLE_DEVICE = {
    "5-1": DeviceKind.PLANT,
    "5-2-1": DeviceKind.PLANT,
    "5-2-2": DeviceKind.PLANT,
    "5-2-3": DeviceKind.PLANT,
    "5-2-4": DeviceKind.PLANT,
    "5-3": DeviceKind.INVERTER,
    "5-4": DeviceKind.INVERTER,
    "5-5": DeviceKind.AC_CHARGER,
    "5-6": DeviceKind.AC_CHARGER,
}
TYPE_WORDS = {
    DataType.U16: 1,
    DataType.S16: 1,
    DataType.BIT16: 1,
    DataType.U32: 2,
    DataType.S32: 2,
    DataType.U64: 4,
}


def _row_id(row: dict[str, str]) -> str:
    return f"{row['table']}#{row['no']}@{row['address']}"


def test_csv_copy_is_complete() -> None:
    """The test data holds every in-scope row (extraction-check: 458 rows, 9 Reserved)."""
    assert len(ROWS) == 449
    assert len(reserved_rows()) == 9
    assert {row["table"] for row in ROWS} == set(SCOPE_TABLES)


@pytest.mark.parametrize("row", ROWS, ids=_row_id)
def test_row_is_a_register(row: dict[str, str]) -> None:
    register = BY_TABLE_ADDRESS.get((row["table"], int(row["address"])))
    assert register is not None, f"{row['name']} missing"
    assert register.count == int(row["count"])
    assert register.data_type == DataType(row["type"])
    assert register.gain == gain(row)
    assert register.unit == unit(row)
    assert register.access == Access(row["access"])
    assert register.name == row["name"]
    assert register.device is TABLE_DEVICE[row["table"]]
    if row["table"] in {"5-5", "5-6"}:
        # No applicability columns: EVAC registers apply whatever the inverter is.
        assert row["hybrid_inv"] == row["pv_inv"] == ""
        assert register.hybrid
        assert register.pv_inverter
    else:
        assert register.hybrid is (row["hybrid_inv"] == "1")
        assert register.pv_inverter is (row["pv_inv"] == "1")


def test_no_register_outside_the_tables() -> None:
    expected = {(row["table"], int(row["address"])) for row in ROWS}
    assert set(BY_TABLE_ADDRESS) == expected
    assert len(REGISTERS) == len(ROWS)


def test_reserved_rows() -> None:
    expected = {
        (row["table"], int(row["address"]), int(row["count"]), Access(row["access"]))
        for row in reserved_rows()
    }
    actual = {(r.table, r.address, r.count, r.access) for r in RESERVED}
    assert actual == expected
    assert len(RESERVED) == len(expected)


def test_keys_unique_and_snake_case() -> None:
    keys = [r.key for r in REGISTERS]
    assert len(set(keys)) == len(keys)
    assert len(BY_KEY) == len(REGISTERS)
    assert all(re.fullmatch(r"[a-z][a-z0-9_]*", key) for key in keys)
    assert all(BY_KEY[r.key] is r for r in REGISTERS)


@pytest.mark.parametrize("device", list(DeviceKind))
def test_no_overlap_within_device(device: DeviceKind) -> None:
    tables = {t for t, d in TABLE_DEVICE.items() if d is device}
    spans = [(r.address, r.end, r.key) for r in registers_for(device)]
    spans += [(r.address, r.end, f"reserved {r.address}") for r in RESERVED if r.table in tables]
    spans.sort()
    for (_, end, key), (start, _, next_key) in pairwise(spans):
        assert end <= start, f"{key} overlaps {next_key}"


def test_no_overlap_at_all() -> None:
    """Device kinds live in disjoint address ranges too, so one plan may mix them."""
    spans = sorted((r.address, r.end) for r in (*REGISTERS, *RESERVED))
    for (_, end), (start, _) in pairwise(spans):
        assert end <= start


@pytest.mark.parametrize("device", list(DeviceKind))
def test_registers_for(device: DeviceKind) -> None:
    regs = registers_for(device)
    assert [r.address for r in regs] == sorted(r.address for r in regs)
    assert set(regs) == {r for r in REGISTERS if r.device is device}


@pytest.mark.parametrize("register", REGISTERS, ids=lambda r: r.key)
def test_count_matches_type(register) -> None:
    if register.data_type is DataType.STRING:
        assert register.count in {10, 15}
    else:
        assert register.count == TYPE_WORDS[register.data_type]


def test_pv9_voltage_quirk() -> None:
    """Table 5-3 row 85 is printed "PV8 current" with unit V at 31050: it is PV9 voltage."""
    register = BY_KEY["pv9_voltage"]
    assert register.address == 31050
    assert register.name == "PV8 current"  # as printed
    assert register.unit == "V"
    assert register.gain == 10
    assert register.data_type is DataType.S16
    assert BY_KEY["pv8_current"].address == 31049
    assert BY_KEY["pv9_current"].address == 31051


@pytest.mark.parametrize("register", REGISTERS, ids=lambda r: r.key)
def test_register_kind(register) -> None:
    if 30000 <= register.address < 40000:
        assert register.kind is RegisterKind.INPUT
        assert register.table in {"5-1", "5-3", "5-5"}
    else:
        assert 40000 <= register.address < 60000
        assert register.kind is RegisterKind.HOLDING
        assert register.table not in {"5-1", "5-3", "5-5"}
    assert register.end == register.address + register.count


def test_register_kind_is_read_function_code() -> None:
    assert RegisterKind.HOLDING == 0x03
    assert RegisterKind.INPUT == 0x04


def test_input_tables_are_read_only() -> None:
    for register in REGISTERS:
        if register.kind is RegisterKind.INPUT:
            assert register.access is Access.RO, register.key


def test_access_properties() -> None:
    assert Access.RO.readable
    assert not Access.RO.writable
    assert Access.RW.readable
    assert Access.RW.writable
    assert not Access.WO.readable
    assert Access.WO.writable


def test_unit_ids_and_limits() -> None:
    assert PLANT_UNIT_ID == 247
    assert BROADCAST_UNIT_ID == 0
    assert list(DEVICE_UNIT_IDS) == list(range(1, 247))
    assert MAX_READ_REGISTERS == 124
    assert MAX_WRITE_REGISTERS == 123


@pytest.mark.parametrize("string", range(1, 37))
def test_pv_string_registers(string: int) -> None:
    voltage, current = pv_string_registers(string)
    first = 31027 + 2 * (string - 1) if string <= 4 else 31042 + 2 * (string - 5)
    assert (voltage.address, current.address) == (first, first + 1)
    assert (voltage.unit, voltage.gain, voltage.data_type) == ("V", 10, DataType.S16)
    assert (current.unit, current.gain, current.data_type) == ("A", 100, DataType.S16)
    assert voltage.key == f"pv{string}_voltage"
    assert current.key == f"pv{string}_current"
    # Strings 17-36 are PV-inverter only.
    assert voltage.hybrid is (string <= 16)
    assert voltage.pv_inverter


@pytest.mark.parametrize("string", [0, 37])
def test_pv_string_registers_out_of_range(string: int) -> None:
    with pytest.raises(KeyError):
        pv_string_registers(string)


@pytest.mark.parametrize("load", range(1, 25))
def test_smart_load_registers(load: int) -> None:
    power, energy = smart_load_registers(load)
    assert power.address == 30146 + 2 * (load - 1)
    assert energy.address == 30098 + 2 * (load - 1)
    assert (power.unit, power.gain, power.data_type) == ("kW", 1000, DataType.S32)
    assert (energy.unit, energy.gain, energy.data_type) == ("kWh", 100, DataType.U32)
    assert power.name == f"[Smart load {load}] Power"
    assert energy.name == f"[Smart load {load}] Total consumption"


@pytest.mark.parametrize("load", [0, 25])
def test_smart_load_registers_out_of_range(load: int) -> None:
    with pytest.raises(KeyError):
        smart_load_registers(load)


def test_legacy_energy_counters() -> None:
    """30196-30224 and 30240-30268 share names; the older ones carry ``_legacy``."""
    for register in REGISTERS:
        if register.key.endswith("_legacy"):
            assert 30196 <= register.address <= 30224
            new = BY_KEY[register.key.removesuffix("_legacy")]
            assert new.name == register.name
            assert 30240 <= new.address <= 30268


# -- write limits against the protocol's comment column ----------------------

_ENUM_VALUE = re.compile(r"(?:^|[;.]\s*)(\d+)\s*:")
_NUMBER = r"(-?(?:0x[0-9A-F]+|[\d.]+))"
_RANGE = re.compile(rf"Range\s*:\s*\[\s*{_NUMBER}\s*,\s*{_NUMBER}\s*\]")


def _comment(register) -> str:
    row = next(
        r for r in ROWS if r["table"] == register.table and int(r["address"]) == register.address
    )
    return row["comment"]


def test_limits_only_on_writable_registers() -> None:
    for register in REGISTERS:
        if register.minimum is not None or register.maximum is not None or register.allowed:
            assert register.access.writable, register.key


@pytest.mark.parametrize(
    "register",
    [r for r in REGISTERS if r.allowed is not None],
    ids=lambda r: r.key,
)
def test_allowed_values_match_comment(register) -> None:
    if register.key == "remote_ems_control_mode":
        # Appendix 6 minus 0x07 "Reserved".
        expected = {0, 1, 2, 3, 4, 5, 6, 8}
    else:
        expected = {int(v) for v in _ENUM_VALUE.findall(_comment(register))}
    assert register.allowed == expected


@pytest.mark.parametrize(
    "register",
    [r for r in REGISTERS if r.access.writable and _RANGE.search(_comment(r))],
    ids=lambda r: r.key,
)
def test_numeric_range_matches_comment(register) -> None:
    low, high = _RANGE.search(_comment(register)).groups()
    assert register.minimum == float(low)
    if high.startswith("0x"):
        # Printed as the raw value: 40042/40044 "Range:[0, 0xFFFFFFFE]".
        assert register.maximum == int(high, 16) / register.gain
    else:
        assert register.maximum == float(high)


def test_enumerated_writable_registers_all_have_allowed_values() -> None:
    """A writable U16 code register whose comment enumerates values is restricted to them."""
    for register in REGISTERS:
        if not register.access.writable or register.unit is not None or register.gain != 1:
            continue
        if _ENUM_VALUE.search(_comment(register)):
            assert register.allowed is not None, register.key
