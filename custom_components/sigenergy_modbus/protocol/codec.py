"""Decode and encode register values (protocol table 4-1).

Multi-register values are big-endian words, high word first: the protocol's
example 6.1.1 answers U32 30540 with ``00 00 61 A8``, which is 25000 (25 kW at
gain 1000) only when read that way. Signed types are two's complement.
STRING registers hold two ASCII characters each, high byte first, padded with
NUL or spaces, which decoding strips.

``decode_value``/``encode_value`` are exact inverses over each type's range.
A gain other than 1 yields a float, exact for raw values below 2**51 (at gain
100 that is 2.2e13 kWh): beyond it a U64 counter loses precision, far past
any real plant.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from .exceptions import SigenergyReadOnlyError, SigenergyValueError
from .registers import DataType

if TYPE_CHECKING:
    from collections.abc import Sequence

    from .registers import Register

type Value = int | float | str

WORDS: dict[DataType, int] = {
    DataType.U16: 1,
    DataType.S16: 1,
    DataType.BIT16: 1,
    DataType.U32: 2,
    DataType.S32: 2,
    DataType.U64: 4,
}

_SIGNED = {DataType.S16, DataType.S32}
_WORD_MAX = 0xFFFF

# The raw value a device sends when it has no reading: all ones for unsigned
# types, the most negative value for signed ones. Only measured values are
# checked; codes and bit fields use their whole range.
SENTINELS: dict[DataType, int] = {
    DataType.U16: 0xFFFF,
    DataType.U32: 0xFFFF_FFFF,
    DataType.U64: 0xFFFF_FFFF_FFFF_FFFF,
    DataType.S16: -0x8000,
    DataType.S32: -0x8000_0000,
}


def raw_range(data_type: DataType) -> tuple[int, int]:
    """Return the lowest and highest raw integer a numeric type holds."""
    bits = 16 * WORDS[data_type]
    if data_type in _SIGNED:
        return -(1 << (bits - 1)), (1 << (bits - 1)) - 1
    return 0, (1 << bits) - 1


def words_to_int(data_type: DataType, words: Sequence[int]) -> int:
    """Join big-endian words into the raw integer of a numeric type."""
    n = WORDS[data_type]
    if len(words) != n:
        msg = f"{data_type} needs {n} registers, got {len(words)}"
        raise SigenergyValueError(msg)
    raw = 0
    for word in words:
        if not 0 <= word <= _WORD_MAX:
            msg = f"register word {word} is not 16-bit"
            raise SigenergyValueError(msg)
        raw = raw << 16 | word
    if data_type in _SIGNED and raw >> (16 * n - 1):
        raw -= 1 << (16 * n)
    return raw


def int_to_words(data_type: DataType, raw: int) -> list[int]:
    """Split a raw integer into the big-endian words of a numeric type."""
    low, high = raw_range(data_type)
    if not low <= raw <= high:
        msg = f"{raw} is outside the {data_type} range [{low}, {high}]"
        raise SigenergyValueError(msg)
    n = WORDS[data_type]
    raw &= (1 << (16 * n)) - 1
    return [raw >> (16 * (n - 1 - i)) & 0xFFFF for i in range(n)]


def decode_string(words: Sequence[int]) -> str:
    """Decode ASCII packed two characters a register, high byte first."""
    if any(not 0 <= w <= _WORD_MAX for w in words):
        msg = f"register words {list(words)} are not all 16-bit"
        raise SigenergyValueError(msg)
    data = b"".join(w.to_bytes(2, "big") for w in words)
    return data.decode("ascii", errors="replace").strip("\x00 ").split("\x00", 1)[0]


def encode_string(text: str, count: int) -> list[int]:
    """Encode ASCII into ``count`` registers, padded with NUL."""
    try:
        data = text.encode("ascii")
    except UnicodeEncodeError as err:
        msg = f"{text!r} is not ASCII"
        raise SigenergyValueError(msg) from err
    if len(data) > 2 * count:
        msg = f"{text!r} does not fit in {count} registers"
        raise SigenergyValueError(msg)
    data = data.ljust(2 * count, b"\x00")
    return [int.from_bytes(data[i : i + 2], "big") for i in range(0, len(data), 2)]


def decode_value(data_type: DataType, words: Sequence[int], gain: int = 1) -> Value:
    """Decode the words of one value; a gain other than 1 divides into a float."""
    if data_type is DataType.STRING:
        return decode_string(words)
    raw = words_to_int(data_type, words)
    return raw if gain == 1 else raw / gain


def encode_value(data_type: DataType, value: Value, gain: int = 1, count: int = 0) -> list[int]:
    """Encode one value into words; the inverse of ``decode_value``."""
    if data_type is DataType.STRING:
        if not isinstance(value, str):
            msg = f"a STRING register takes text, not {value!r}"
            raise SigenergyValueError(msg)
        return encode_string(value, count)
    if isinstance(value, (str, bool)):
        msg = f"a {data_type} register takes a number, not {value!r}"
        raise SigenergyValueError(msg)
    scaled = value * gain
    if not math.isfinite(scaled):
        msg = f"{value} is not a finite number"
        raise SigenergyValueError(msg)
    raw = round(scaled)
    if abs(scaled - raw) > 1e-6 * max(1.0, abs(scaled)):
        msg = f"{value} is not a multiple of 1/{gain}"
        raise SigenergyValueError(msg)
    return int_to_words(data_type, raw)


def is_sentinel(register: Register, words: Sequence[int]) -> bool:
    """Whether a measured value carries the type's 'no reading' pattern.

    Codes and bit fields (no unit, no gain) use their whole range; measured
    values, power factors included, are checked.
    """
    coded = register.unit is None and register.gain == 1
    if coded or register.data_type not in SENTINELS:
        return False
    return words_to_int(register.data_type, words) == SENTINELS[register.data_type]


def decode(register: Register, words: Sequence[int]) -> Value | None:
    """Decode a register's words; ``None`` when the device reports no reading."""
    if is_sentinel(register, words):
        return None
    return decode_value(register.data_type, words, register.gain)


def encode(register: Register, value: Value) -> list[int]:
    """Encode a value for a write, checked against the register's limits."""
    if not register.access.writable:
        msg = f"{register.key} ({register.address}) is read-only"
        raise SigenergyReadOnlyError(msg)
    if register.data_type is not DataType.STRING:
        if isinstance(value, (str, bool)):
            msg = f"{register.key} takes a number, not {value!r}"
            raise SigenergyValueError(msg)
        if register.minimum is not None and value < register.minimum:
            msg = f"{value} is below the minimum {register.minimum} of {register.key}"
            raise SigenergyValueError(msg)
        if register.maximum is not None and value > register.maximum:
            msg = f"{value} is above the maximum {register.maximum} of {register.key}"
            raise SigenergyValueError(msg)
    words = encode_value(register.data_type, value, register.gain, register.count)
    if (
        register.allowed is not None
        and words_to_int(register.data_type, words) not in register.allowed
    ):
        msg = f"{value} is not one of the values {sorted(register.allowed)} of {register.key}"
        raise SigenergyValueError(msg)
    return words
