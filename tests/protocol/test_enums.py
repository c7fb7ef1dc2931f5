"""Enumerations and alarm bit tables against the protocol's appendices."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from custom_components.sigenergy_modbus.protocol.enums import (
    AC_CHARGER_ALARM_1,
    AC_CHARGER_ALARM_2,
    AC_CHARGER_ALARM_3,
    ALARM_TABLES,
    DC_CHARGER_ALARM,
    ESS_ALARM,
    GATEWAY_ALARM,
    PCS_ALARM_1,
    PCS_ALARM_2,
    PLANT_ALARM_1,
    PLANT_ALARM_2,
    AcChargerState,
    AlarmTable,
    DcChargerState,
    EmsWorkMode,
    GridSensorStatus,
    GridStatus,
    OutputType,
    RemoteEmsControlMode,
    RunningState,
)
from custom_components.sigenergy_modbus.protocol.registers import BY_KEY, REGISTERS, Access

from .protocol_data import appendix, register_rows

ENUM_APPENDICES = [
    (RunningState, 1),
    (RemoteEmsControlMode, 6),
    (AcChargerState, 7),
    (DcChargerState, 14),
]
ALARM_APPENDICES = [
    (PCS_ALARM_1, 2),
    (PCS_ALARM_2, 3),
    (ESS_ALARM, 4),
    (GATEWAY_ALARM, 5),
    (AC_CHARGER_ALARM_1, 8),
    (AC_CHARGER_ALARM_2, 9),
    (AC_CHARGER_ALARM_3, 10),
    (DC_CHARGER_ALARM, 11),
    (PLANT_ALARM_1, 12),
    (PLANT_ALARM_2, 13),
]
# Enumerations printed in a register's comment column rather than an appendix.
ENUM_COMMENTS = [
    (EmsWorkMode, 30003),
    (GridSensorStatus, 30004),
    (GridStatus, 30009),
    (OutputType, 31004),
]
# Codes real plants send that the protocol does not print (see the enum's docstring).
BEYOND_PROTOCOL = {EmsWorkMode: {6}}  # "VPP Scheduling", during virtual-power-plant events
# Member-name words that are not a prefix of a word of the printed text.
_ALIASES = {"init": "innit"}  # Appendix 7 prints "System innit"


def _words(text: str) -> list[str]:
    return [w for w in re.split(r"[^a-z0-9]+", text.lower()) if w]


@pytest.mark.parametrize(("enum", "number"), ENUM_APPENDICES, ids=str)
def test_enumeration_matches_appendix(enum, number: int) -> None:
    printed = {int(k): v for k, v in appendix(number)["values_decimal"].items()}
    assert appendix(number)["kind"] == "enumeration"
    assert {m.value for m in enum} == set(printed)
    for value, text in printed.items():
        member = enum(value)
        # Each word of the member name is (a prefix of) a word of the printed text.
        words = _words(text)
        for name_word in member.name.lower().split("_"):
            word = _ALIASES.get(name_word, name_word)
            assert any(w.startswith(word) for w in words), (member, text)


@pytest.mark.parametrize(("enum", "address"), ENUM_COMMENTS, ids=str)
def test_enumeration_matches_register_comment(enum, address: int) -> None:
    row = next(r for r in register_rows() if int(r["address"]) == address)
    printed = {int(v) for v in re.findall(r"(?:^|;\s*)(\d+)\s*:", row["comment"])}
    extra = BEYOND_PROTOCOL.get(enum, set())
    assert not extra & printed
    assert {m.value for m in enum} == printed | extra


@pytest.mark.parametrize(
    "enum",
    [
        RunningState,
        EmsWorkMode,
        GridStatus,
        GridSensorStatus,
        RemoteEmsControlMode,
        OutputType,
        AcChargerState,
        DcChargerState,
    ],
)
def test_parse(enum) -> None:
    for member in enum:
        assert enum.parse(member.value) is member
        assert enum.parse(int(member.value)) is member
    assert enum.parse(None) is None
    listed = {m.value for m in enum}
    unlisted = [v for v in (*range(-1, 300), 0x7FFF, 0x8000, 0xFFFF) if v not in listed]
    assert all(enum.parse(v) is None for v in unlisted)


def test_parse_specific_gaps() -> None:
    assert RunningState.parse(4) is None  # Appendix 1 skips 4-6
    assert RunningState.parse(7) is RunningState.ENVIRONMENTAL_ABNORMALITY
    assert EmsWorkMode.parse(3) is None
    assert DcChargerState.parse(11) is None
    assert AcChargerState.parse(0) is AcChargerState.SYSTEM_INIT


@pytest.mark.parametrize(("table", "number"), ALARM_APPENDICES, ids=str)
def test_alarm_table_matches_appendix(table: AlarmTable, number: int) -> None:
    printed = appendix(number)
    assert printed["kind"] == "bitfield"
    assert table.appendix == number
    assert dict(table.bits) == {int(bit): entry["name"] for bit, entry in printed["bits"].items()}


@pytest.mark.parametrize(("table", "number"), ALARM_APPENDICES, ids=str)
def test_alarm_registers_use_their_appendix(table: AlarmTable, number: int) -> None:
    """Each register the appendix names is decoded with that appendix's table."""
    references = appendix(number)["referenced_by_registers"]
    assert references
    by_address = {r.address: r for r in REGISTERS}
    for ref in references:
        register = by_address[ref["address"]]
        assert register.name == ref["name"]
        assert ALARM_TABLES[register.key] is table


def test_alarm_table_keys_exist() -> None:
    for key in ALARM_TABLES:
        assert key in BY_KEY
        register = BY_KEY[key]
        assert register.unit is None
        assert register.gain == 1
        assert register.count == 1


def test_every_alarm_register_has_a_table() -> None:
    alarms = {r.key for r in REGISTERS if "alarm" in r.name.lower() and r.access is Access.RO}
    assert alarms == set(ALARM_TABLES)
    assert len(alarms) == 15


def test_alarm_bits_frozen() -> None:
    with pytest.raises(TypeError):
        PCS_ALARM_1.bits[0] = "changed"  # type: ignore[index]


def test_active_names_set_bits() -> None:
    assert PCS_ALARM_1.active(0) == []
    assert PCS_ALARM_1.active(1 << 9) == ["Grid power outage"]
    assert PCS_ALARM_1.active((1 << 1) | (1 << 15)) == [
        "Low insulation resistance",
        "DC component of output current out of limit",
    ]
    assert len(PCS_ALARM_1.active(0xFFFF)) == 16


def test_active_reports_undefined_bits() -> None:
    # Appendix 3 skips bit 6 and defines nothing above 9.
    assert PCS_ALARM_2.active((1 << 6) | (1 << 4) | (1 << 15)) == [
        "Off-grid protection",
        "Unknown alarm (bit 6)",
        "Unknown alarm (bit 15)",
    ]
    assert PLANT_ALARM_2.active(0b100) == ["Unknown alarm (bit 2)"]


@settings(max_examples=200, deadline=None)
@given(
    table=st.sampled_from([t for t, _ in ALARM_APPENDICES]),
    value=st.integers(0, 0xFFFF),
)
def test_active_property(table: AlarmTable, value: int) -> None:
    names = table.active(value)
    set_bits = [bit for bit in range(16) if value >> bit & 1]
    assert len(names) == len(set_bits)
    for bit, name in zip(set_bits, names, strict=True):
        assert name == table.bits.get(bit, f"Unknown alarm (bit {bit})")
