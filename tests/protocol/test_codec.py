"""Decoding and encoding register values (protocol table 4-1)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from custom_components.sigenergy_modbus.protocol.codec import (
    SENTINELS,
    WORDS,
    decode,
    decode_string,
    decode_value,
    encode,
    encode_string,
    encode_value,
    int_to_words,
    is_sentinel,
    raw_range,
    words_to_int,
)
from custom_components.sigenergy_modbus.protocol.exceptions import SigenergyValueError
from custom_components.sigenergy_modbus.protocol.registers import BY_KEY, REGISTERS, DataType

NUMERIC = [DataType.U16, DataType.U32, DataType.U64, DataType.S16, DataType.S32, DataType.BIT16]
GAINS = [1, 10, 100, 1000]
PROPERTY = settings(max_examples=150, deadline=None)
WORD = st.integers(0, 0xFFFF)

U64_EXACT_LIMIT = 2**51
"""Largest |raw| for which a U64 value at gain 10-1000 round-trips exactly (as the codec says)."""


def _raw(data_type: DataType, gain: int) -> st.SearchStrategy[int]:
    low, high = raw_range(data_type)
    if data_type is DataType.U64 and gain > 1:
        high = U64_EXACT_LIMIT - 1
    return st.integers(low, high)


# -- ranges and word order ---------------------------------------------------


@pytest.mark.parametrize(
    ("data_type", "expected"),
    [
        (DataType.U16, (0, 0xFFFF)),
        (DataType.BIT16, (0, 0xFFFF)),
        (DataType.S16, (-0x8000, 0x7FFF)),
        (DataType.U32, (0, 0xFFFF_FFFF)),
        (DataType.S32, (-0x8000_0000, 0x7FFF_FFFF)),
        (DataType.U64, (0, 2**64 - 1)),
    ],
)
def test_raw_range(data_type: DataType, expected: tuple[int, int]) -> None:
    assert raw_range(data_type) == expected


def test_protocol_example_is_big_endian() -> None:
    """Example 6.1.1: U32 30540 answers ``00 00 61 A8``; 25000 at gain 1000 is 25 kW."""
    assert decode_value(DataType.U32, [0x0000, 0x61A8], 1000) == 25.0
    assert decode(BY_KEY["rated_active_power"], [0x0000, 0x61A8]) == 25.0
    assert encode_value(DataType.U32, 25.0, 1000) == [0x0000, 0x61A8]


def test_word_order_high_word_first() -> None:
    assert words_to_int(DataType.U32, [0x1234, 0x5678]) == 0x12345678
    assert words_to_int(DataType.U64, [0x0102, 0x0304, 0x0506, 0x0708]) == 0x0102030405060708
    assert int_to_words(DataType.U64, 0x0102030405060708) == [0x0102, 0x0304, 0x0506, 0x0708]


@pytest.mark.parametrize(
    ("data_type", "words", "raw"),
    [
        (DataType.S16, [0xFFFF], -1),
        (DataType.S16, [0x8000], -0x8000),
        (DataType.S16, [0x7FFF], 0x7FFF),
        (DataType.S16, [0xFF38], -200),
        (DataType.S32, [0xFFFF, 0xFFFF], -1),
        (DataType.S32, [0xFFFF, 0xFFFE], -2),
        (DataType.S32, [0x8000, 0x0000], -0x8000_0000),
        (DataType.S32, [0x7FFF, 0xFFFF], 0x7FFF_FFFF),
        (DataType.S32, [0x0000, 0x8000], 0x8000),
        (DataType.U16, [0xFFFF], 0xFFFF),
        (DataType.U32, [0xFFFF, 0xFFFF], 0xFFFF_FFFF),
    ],
)
def test_twos_complement(data_type: DataType, words: list[int], raw: int) -> None:
    assert words_to_int(data_type, words) == raw
    assert int_to_words(data_type, raw) == words


def test_signed_power_decodes_negative() -> None:
    """[ESS] power is "<0: discharging": -1.5 kW at gain 1000 is raw -1500."""
    assert decode(BY_KEY["ess_power"], [0xFFFF, 0xFA24]) == -1.5


# -- round trips over the full range ----------------------------------------


@pytest.mark.parametrize("data_type", NUMERIC)
@PROPERTY
@given(data=st.data())
def test_round_trip_gain_1(data_type: DataType, data: st.DataObject) -> None:
    raw = data.draw(_raw(data_type, 1))
    words = encode_value(data_type, raw)
    assert len(words) == WORDS[data_type]
    assert all(0 <= w <= 0xFFFF for w in words)
    decoded = decode_value(data_type, words)
    assert decoded == raw
    assert type(decoded) is int


@pytest.mark.parametrize("data_type", NUMERIC)
@pytest.mark.parametrize("gain", [10, 100, 1000])
@PROPERTY
@given(data=st.data())
def test_round_trip_with_gain(data_type: DataType, gain: int, data: st.DataObject) -> None:
    raw = data.draw(_raw(data_type, gain))
    value = raw / gain
    words = encode_value(data_type, value, gain)
    assert words == int_to_words(data_type, raw)
    assert decode_value(data_type, words, gain) == value


@pytest.mark.parametrize("data_type", NUMERIC)
@pytest.mark.parametrize("gain", GAINS)
@PROPERTY
@given(data=st.data())
def test_words_round_trip(data_type: DataType, gain: int, data: st.DataObject) -> None:
    """encode_value∘decode_value is the identity on words, too."""
    words = data.draw(st.lists(WORD, min_size=WORDS[data_type], max_size=WORDS[data_type]))
    raw = words_to_int(data_type, words)
    if data_type is DataType.U64 and gain > 1 and raw >= U64_EXACT_LIMIT:
        return
    assert encode_value(data_type, decode_value(data_type, words, gain), gain) == words


@pytest.mark.parametrize("data_type", NUMERIC)
@pytest.mark.parametrize("gain", GAINS)
def test_round_trip_at_range_ends(data_type: DataType, gain: int) -> None:
    low, high = raw_range(data_type)
    if data_type is DataType.U64 and gain > 1:
        high = U64_EXACT_LIMIT - 1
    for raw in (low, low + 1, -1, 0, 1, high - 1, high):
        if not low <= raw <= high:
            continue
        value = raw if gain == 1 else raw / gain
        assert decode_value(data_type, encode_value(data_type, value, gain), gain) == value


# -- strings -------------------------------------------------------------------


_ASCII_TEXT = st.text(st.characters(min_codepoint=1, max_codepoint=127)).filter(
    lambda s: s == s.strip(" ")
)


@PROPERTY
@given(text=_ASCII_TEXT, count=st.integers(1, 15))
def test_string_round_trip(text: str, count: int) -> None:
    if len(text) > 2 * count:
        with pytest.raises(SigenergyValueError):
            encode_string(text, count)
        return
    words = encode_value(DataType.STRING, text, count=count)
    assert len(words) == count
    assert decode_value(DataType.STRING, words) == text


def test_string_high_byte_first() -> None:
    assert encode_string("SigenStor", 5) == [0x5369, 0x6765, 0x6E53, 0x746F, 0x7200]
    assert decode_string([0x5369, 0x6765, 0x6E53, 0x746F, 0x7200]) == "SigenStor"


@pytest.mark.parametrize(
    ("words", "text"),
    [
        ([0x4142, 0x4300, 0x0000], "ABC"),  # NUL padding
        ([0x4142, 0x4320, 0x2020], "ABC"),  # space padding
        ([0x2020, 0x4142, 0x4300], "ABC"),  # leading spaces
        ([0x0000, 0x4142, 0x4300], "ABC"),  # leading NUL
        ([0x4142, 0x0043, 0x4400], "AB"),  # NUL terminates
        ([0x4120, 0x4200, 0x0000], "A B"),  # inner space kept
        ([0x0000, 0x0000], ""),
        ([0x2020], ""),
        ([], ""),
    ],
)
def test_string_padding_trimmed(words: list[int], text: str) -> None:
    assert decode_string(words) == text
    assert decode(BY_KEY["serial_number"], [*words, *[0] * (10 - len(words))]) == text


def test_string_is_ascii_with_replacement() -> None:
    assert decode_string([0x41FF]) == "A\ufffd"


def test_string_too_long() -> None:
    with pytest.raises(SigenergyValueError):
        encode_string("x" * 31, 15)
    assert len(encode_string("x" * 30, 15)) == 15


def test_string_register_takes_text_only() -> None:
    with pytest.raises(SigenergyValueError):
        encode_value(DataType.STRING, 12, count=2)


def test_string_non_ascii_is_value_error() -> None:
    with pytest.raises(SigenergyValueError):
        encode_value(DataType.STRING, "Zähler", count=5)


# -- errors ----------------------------------------------------------------------


@pytest.mark.parametrize("data_type", NUMERIC)
def test_wrong_word_count(data_type: DataType) -> None:
    n = WORDS[data_type]
    for count in (0, n - 1, n + 1, n + 4):
        if count == n or count < 0:
            continue
        with pytest.raises(SigenergyValueError, match="registers"):
            decode_value(data_type, [0] * count)


@pytest.mark.parametrize("word", [-1, 0x10000, 2**32])
def test_word_not_16_bit(word: int) -> None:
    with pytest.raises(SigenergyValueError, match="16-bit"):
        words_to_int(DataType.U16, [word])
    with pytest.raises(SigenergyValueError):
        decode_value(DataType.U32, [0, word])


@pytest.mark.parametrize("data_type", NUMERIC)
def test_value_out_of_range(data_type: DataType) -> None:
    low, high = raw_range(data_type)
    for raw in (low - 1, high + 1):
        with pytest.raises(SigenergyValueError, match="outside"):
            encode_value(data_type, raw)
        with pytest.raises(SigenergyValueError):
            int_to_words(data_type, raw)
    with pytest.raises(SigenergyValueError):
        encode_value(data_type, (high + 1) / 10, 10)


@pytest.mark.parametrize(
    ("gain", "value"),
    [(1, 1.5), (1, 0.1), (10, 0.05), (10, 50.01), (100, 0.001), (1000, 1.0005)],
)
def test_not_a_multiple_of_the_gain_step(gain: int, value: float) -> None:
    with pytest.raises(SigenergyValueError, match="multiple"):
        encode_value(DataType.S32, value, gain)


@pytest.mark.parametrize(("gain", "value"), [(10, 50.1), (100, 0.01), (1000, 1.001), (1, 7.0)])
def test_multiple_of_the_gain_step(gain: int, value: float) -> None:
    assert decode_value(DataType.S32, encode_value(DataType.S32, value, gain), gain) == value


@pytest.mark.parametrize("value", ["1", True, False])
def test_numeric_type_takes_numbers_only(value: object) -> None:
    with pytest.raises(SigenergyValueError):
        encode_value(DataType.U16, value)  # type: ignore[arg-type]
    with pytest.raises(SigenergyValueError):
        encode(BY_KEY["ess_backup_soc"], value)  # type: ignore[arg-type]


@pytest.mark.parametrize("key", ["ess_soc", "running_state", "model_type", "alarm_1"])
def test_encode_read_only_register(key: str) -> None:
    with pytest.raises(SigenergyValueError, match="read-only"):
        encode(BY_KEY[key], 1 if key != "model_type" else "x")


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("ess_backup_soc", -0.1),
        ("ess_backup_soc", 100.1),
        ("active_power_percentage_target", -100.01),
        ("active_power_percentage_target", 100.01),
        ("qs_ratio_target", 60.5),
        ("power_factor_target", -1.001),
        ("active_power_regulation_gradient", 5000.001),
        ("ac_charger_output_current", 5.99),
        ("pcs_max_export_limit", 0xFFFF_FFFF / 1000),  # "0xFFFFFFFF: not valid"
    ],
)
def test_encode_outside_limits(key: str, value: float) -> None:
    with pytest.raises(SigenergyValueError, match=r"minimum|maximum"):
        encode(BY_KEY[key], value)


@pytest.mark.parametrize(
    ("key", "value", "words"),
    [
        ("ess_backup_soc", 0, [0]),
        ("ess_backup_soc", 100, [1000]),
        ("ess_backup_soc", 20.5, [205]),
        ("active_power_percentage_target", -100, [0xD8F0]),
        ("power_factor_target", -1, [0xFC18]),
        ("ac_charger_output_current", 6, [0, 600]),
        ("pcs_max_export_limit", 0xFFFF_FFFE / 1000, [0xFFFF, 0xFFFE]),
        ("active_power_fixed_target", -2.5, [0xFFFF, 0xF63C]),
        ("remote_ems_control_mode", 8, [8]),
        ("plant_start_stop", 1, [1]),
        ("grid_power_loss_lockout_alarm_clear", 1, [1]),
        ("preheating_tou_1_start", 1_700_000_000, [0x6553, 0xF100]),
    ],
)
def test_encode_within_limits(key: str, value: float, words: list[int]) -> None:
    assert encode(BY_KEY[key], value) == words


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("remote_ems_control_mode", 7),  # Appendix 6: 0x07 Reserved
        ("remote_ems_control_mode", 9),
        ("remote_ems_enable", 2),
        ("lvrt_mode", 1),  # 40054 lists 0, 2, 3, 4, 5
        ("plant_start_stop", 2),
        ("grid_power_loss_lockout_alarm_clear", 0),
        ("dc_charger_start_stop", 1.0 + 1.0),
    ],
)
def test_encode_not_allowed(key: str, value: float) -> None:
    with pytest.raises(SigenergyValueError, match="not one of"):
        encode(BY_KEY[key], value)


@pytest.mark.parametrize("value", [float("nan"), float("inf"), float("-inf")])
def test_encode_non_finite_is_value_error(value: float) -> None:
    with pytest.raises(SigenergyValueError):
        encode(BY_KEY["ess_max_charging_limit"], value)


# -- sentinels -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "words"),
    [
        ("ess_soc", [0xFFFF]),  # U16 %
        ("pv1_voltage", [0x8000]),  # S16 V
        ("rated_active_power", [0xFFFF, 0xFFFF]),  # U32 kW
        ("active_power", [0x8000, 0x0000]),  # S32 kW
        ("plant_pv_energy_total", [0xFFFF] * 4),  # U64 kWh
        ("pcs_max_export_limit", [0xFFFF, 0xFFFF]),  # "With value 0xFFFFFFFF ... not valid"
    ],
)
def test_sentinel_decodes_to_none(key: str, words: list[int]) -> None:
    register = BY_KEY[key]
    assert is_sentinel(register, words)
    assert decode(register, words) is None
    # One unit off the sentinel is a reading.
    near = [*words[:-1], words[-1] ^ 1]
    assert decode(register, near) is not None


@pytest.mark.parametrize(
    ("key", "words", "value"),
    [
        ("alarm_1", [0xFFFF], 0xFFFF),
        ("plant_alarm_6", [0xFFFF], 0xFFFF),
        ("running_state", [0xFFFF], 0xFFFF),
        ("pv_string_count", [0xFFFF], 0xFFFF),
        ("remote_ems_control_mode", [0xFFFF], 0xFFFF),
    ],
)
def test_coded_registers_have_no_sentinel(key: str, words: list[int], value: int) -> None:
    register = BY_KEY[key]
    assert register.unit is None
    assert not is_sentinel(register, words)
    assert decode(register, words) == value


def test_sentinel_table() -> None:
    for data_type, raw in SENTINELS.items():
        low, high = raw_range(data_type)
        assert raw == (low if low < 0 else high)
    assert DataType.BIT16 not in SENTINELS
    assert DataType.STRING not in SENTINELS


def test_unitless_measured_value_sentinel() -> None:
    assert decode(BY_KEY["power_factor"], [0x8000]) is None


# -- fuzzing -------------------------------------------------------------------------


@settings(max_examples=400, deadline=None)
@given(register=st.sampled_from(REGISTERS), words=st.lists(WORD, max_size=20))
def test_decode_fuzz(register, words: list[int]) -> None:
    try:
        value = decode(register, words)
    except SigenergyValueError:
        assert register.data_type is not DataType.STRING
        assert len(words) != register.count
        return
    assert value is None or isinstance(value, (int, float, str))
    if register.data_type is not DataType.STRING:
        assert len(words) == register.count


@settings(max_examples=400, deadline=None)
@given(
    register=st.sampled_from([r for r in REGISTERS if r.access.writable]),
    value=st.one_of(
        st.integers(-(2**70), 2**70),
        st.floats(min_value=-1e300, max_value=1e300),
        st.booleans(),
        st.text(max_size=40),
    ),
)
def test_encode_fuzz(register, value: object) -> None:
    try:
        words = encode(register, value)  # type: ignore[arg-type]
    except SigenergyValueError:
        return
    assert len(words) == register.count
    assert all(0 <= w <= 0xFFFF for w in words)
    decoded = decode_value(register.data_type, words, register.gain)
    assert decoded == pytest.approx(value, rel=1e-9, abs=0.5 / register.gain)
