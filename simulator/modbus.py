"""Modbus TCP framing and the request and reply PDUs the simulator serves.

Pure functions over bytes, no I/O and no pymodbus: the simulator is an
implementation of the protocol independent of the client it tests.

A Modbus TCP frame (ADU) is a 7-byte MBAP header, big-endian: transaction id
(2 bytes, echoed in the reply), protocol id (2 bytes, 0 for Modbus), length
(2 bytes: the bytes that follow it, unit id and PDU) and unit id (1 byte),
then the PDU: a function code and its data. A PDU has at most 253 bytes, so
the length field of a valid frame is 2 (a function code, no data) to 254,
and a frame has at most 260 bytes.

Requests are decoded and checked as the Modbus application protocol
(V1.1b3, section 6) prescribes: a function code outside
:class:`FunctionCode` is refused with 0x01 (illegal function); a PDU whose
size does not match its function code, a byte count that does not match the
quantity or the bytes present, a quantity outside the function's range, or a
coil value other than 0x0000/0xFF00 is refused with 0x03 (illegal data
value). Whether the addresses exist is the device's business, not this
module's.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from enum import IntEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Sequence

HEADER_SIZE = 7
"""Bytes of the MBAP header: transaction id, protocol id, length, unit id."""

MAX_PDU_SIZE = 253
"""The largest PDU: function code and data."""

MIN_LENGTH = 2
"""The smallest valid length field: the unit id and a function code."""

MAX_LENGTH = 1 + MAX_PDU_SIZE
"""The largest valid length field: the unit id and the largest PDU."""

MODBUS_PROTOCOL_ID = 0
"""The protocol id of Modbus in the MBAP header."""

EXCEPTION_FLAG = 0x80
"""Set in the function code of an exception reply."""

COIL_ON = 0xFF00
COIL_OFF = 0x0000

_MAX_READ_BITS = 2000
_MAX_READ_REGISTERS = 125
_MAX_WRITE_COILS = 1968
_MAX_WRITE_REGISTERS = 123

_WRITE_MULTIPLE_HEADER = 6
"""Bytes of a 0x0F/0x10 request before its data: function, address, quantity, byte count."""

_HEADER = struct.Struct(">HHHB")
_ADDRESS_COUNT = struct.Struct(">HH")
_ADDRESS_COUNT_BYTES = struct.Struct(">HHB")


class FunctionCode(IntEnum):
    """The function codes the simulator decodes."""

    READ_COILS = 0x01
    READ_DISCRETE_INPUTS = 0x02
    READ_HOLDING_REGISTERS = 0x03
    READ_INPUT_REGISTERS = 0x04
    WRITE_SINGLE_COIL = 0x05
    WRITE_SINGLE_REGISTER = 0x06
    WRITE_MULTIPLE_COILS = 0x0F
    WRITE_MULTIPLE_REGISTERS = 0x10


BIT_READS = frozenset({FunctionCode.READ_COILS, FunctionCode.READ_DISCRETE_INPUTS})
REGISTER_READS = frozenset({FunctionCode.READ_HOLDING_REGISTERS, FunctionCode.READ_INPUT_REGISTERS})
WRITES = frozenset(
    {
        FunctionCode.WRITE_SINGLE_COIL,
        FunctionCode.WRITE_SINGLE_REGISTER,
        FunctionCode.WRITE_MULTIPLE_COILS,
        FunctionCode.WRITE_MULTIPLE_REGISTERS,
    }
)


class ExceptionCode(IntEnum):
    """The exception codes of Modbus exception replies."""

    ILLEGAL_FUNCTION = 0x01
    ILLEGAL_ADDRESS = 0x02
    ILLEGAL_VALUE = 0x03
    DEVICE_FAILURE = 0x04
    ACKNOWLEDGE = 0x05
    DEVICE_BUSY = 0x06
    NEGATIVE_ACKNOWLEDGE = 0x07
    MEMORY_PARITY_ERROR = 0x08
    GATEWAY_PATH_UNAVAILABLE = 0x0A
    GATEWAY_NO_RESPONSE = 0x0B
    """Gateway target device failed to respond."""


class FrameError(ValueError):
    """The byte stream cannot be split into frames: the connection must be closed."""


class RequestError(ValueError):
    """A request PDU that cannot be served as sent; ``code`` is the exception to answer."""

    def __init__(self, code: ExceptionCode, message: str) -> None:
        """Refuse with ``code``, for the reason ``message``."""
        super().__init__(message)
        self.code = code


@dataclass(frozen=True, slots=True)
class Frame:
    """One Modbus TCP frame as received: the MBAP header's fields and the PDU."""

    transaction_id: int
    protocol_id: int
    unit_id: int
    pdu: bytes
    """Function code and data; never empty."""

    @property
    def function(self) -> int:
        """The function code byte."""
        return self.pdu[0]


def take_frame(buffer: bytearray) -> Frame | None:
    """Remove the first whole frame from ``buffer`` and return it.

    Return None, leaving the buffer alone, while the frame is incomplete.
    Raise :class:`FrameError` when the header's length field is outside
    2-254: no valid frame has such a length, and nothing says where the next
    frame would start.
    """
    if len(buffer) < HEADER_SIZE:
        return None
    transaction_id, protocol_id, length, unit_id = _HEADER.unpack_from(buffer)
    if not MIN_LENGTH <= length <= MAX_LENGTH:
        msg = f"length field {length} outside {MIN_LENGTH}-{MAX_LENGTH}"
        raise FrameError(msg)
    end = HEADER_SIZE - 1 + length
    if len(buffer) < end:
        return None
    pdu = bytes(buffer[HEADER_SIZE:end])
    del buffer[:end]
    return Frame(transaction_id, protocol_id, unit_id, pdu)


def encode_frame(transaction_id: int, unit_id: int, pdu: bytes) -> bytes:
    """A Modbus TCP frame carrying ``pdu``."""
    return _HEADER.pack(transaction_id, MODBUS_PROTOCOL_ID, len(pdu) + 1, unit_id) + pdu


@dataclass(frozen=True, slots=True)
class Request:
    """A decoded request PDU."""

    function: FunctionCode
    address: int
    """The first address, exactly as sent."""
    count: int
    """How many coils, discrete inputs or registers it reads or writes."""
    values: tuple[int, ...] = ()
    """What a write writes: register words, or coil states as 0 and 1."""


def _check_size(pdu: bytes, size: int) -> None:
    if len(pdu) != size:
        msg = f"function 0x{pdu[0]:02X} takes a {size}-byte PDU, not {len(pdu)}"
        raise RequestError(ExceptionCode.ILLEGAL_VALUE, msg)


def _check_count(count: int, highest: int) -> None:
    if not 1 <= count <= highest:
        msg = f"quantity {count} outside 1-{highest}"
        raise RequestError(ExceptionCode.ILLEGAL_VALUE, msg)


def _check_byte_count(pdu: bytes, byte_count: int, expected: int) -> None:
    present = len(pdu) - _WRITE_MULTIPLE_HEADER
    if byte_count != expected or present != byte_count:
        msg = f"byte count {byte_count} (needed {expected}) with {present} bytes of data"
        raise RequestError(ExceptionCode.ILLEGAL_VALUE, msg)


def decode_request(pdu: bytes) -> Request:
    """Decode a request PDU; raise :class:`RequestError` for one that cannot be served."""
    try:
        function = FunctionCode(pdu[0])
    except ValueError:
        msg = f"function code 0x{pdu[0]:02X} not implemented"
        raise RequestError(ExceptionCode.ILLEGAL_FUNCTION, msg) from None
    if function in BIT_READS or function in REGISTER_READS:
        _check_size(pdu, 5)
        address, count = _ADDRESS_COUNT.unpack_from(pdu, 1)
        _check_count(count, _MAX_READ_BITS if function in BIT_READS else _MAX_READ_REGISTERS)
        return Request(function, address, count)
    if function is FunctionCode.WRITE_SINGLE_COIL:
        _check_size(pdu, 5)
        address, value = _ADDRESS_COUNT.unpack_from(pdu, 1)
        if value not in {COIL_ON, COIL_OFF}:
            msg = f"coil value 0x{value:04X} is neither 0xFF00 nor 0x0000"
            raise RequestError(ExceptionCode.ILLEGAL_VALUE, msg)
        return Request(function, address, 1, (int(value == COIL_ON),))
    if function is FunctionCode.WRITE_SINGLE_REGISTER:
        _check_size(pdu, 5)
        address, value = _ADDRESS_COUNT.unpack_from(pdu, 1)
        return Request(function, address, 1, (value,))
    if len(pdu) < _WRITE_MULTIPLE_HEADER:
        msg = f"function 0x{pdu[0]:02X} takes at least 6 bytes, not {len(pdu)}"
        raise RequestError(ExceptionCode.ILLEGAL_VALUE, msg)
    address, count, byte_count = _ADDRESS_COUNT_BYTES.unpack_from(pdu, 1)
    if function is FunctionCode.WRITE_MULTIPLE_COILS:
        _check_count(count, _MAX_WRITE_COILS)
        _check_byte_count(pdu, byte_count, (count + 7) // 8)
        data = pdu[_WRITE_MULTIPLE_HEADER:]
        bits = tuple((data[i // 8] >> (i % 8)) & 1 for i in range(count))
        return Request(function, address, count, bits)
    _check_count(count, _MAX_WRITE_REGISTERS)
    _check_byte_count(pdu, byte_count, 2 * count)
    words = struct.unpack_from(f">{count}H", pdu, _WRITE_MULTIPLE_HEADER)
    return Request(function, address, count, words)


def bits_reply(function: int, bits: Sequence[bool]) -> bytes:
    """The reply PDU of a coil or discrete input read: a byte count, then the bits, LSB first."""
    packed = bytearray((len(bits) + 7) // 8)
    for index, bit in enumerate(bits):
        if bit:
            packed[index // 8] |= 1 << (index % 8)
    return bytes([function, len(packed)]) + packed


def registers_reply(function: int, words: Sequence[int]) -> bytes:
    """The reply PDU of a register read: a byte count, then the words, big-endian."""
    return bytes([function, 2 * len(words)]) + struct.pack(f">{len(words)}H", *words)


def write_reply(request: Request) -> bytes:
    """The reply PDU of a successful write.

    A single write echoes the request; a multiple write answers its address and quantity.
    """
    if request.function is FunctionCode.WRITE_SINGLE_COIL:
        value = COIL_ON if request.values[0] else COIL_OFF
        return bytes([request.function]) + _ADDRESS_COUNT.pack(request.address, value)
    if request.function is FunctionCode.WRITE_SINGLE_REGISTER:
        return bytes([request.function]) + _ADDRESS_COUNT.pack(request.address, request.values[0])
    return bytes([request.function]) + _ADDRESS_COUNT.pack(request.address, request.count)


def exception_reply(function: int, code: int) -> bytes:
    """The exception reply PDU: the function code with its high bit set, then the code."""
    return bytes([(function | EXCEPTION_FLAG) & 0xFF, code])
