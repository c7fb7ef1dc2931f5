"""The simulator's own Modbus TCP framing and PDU codec, byte by byte."""

from __future__ import annotations

import re
import struct

import pytest

from simulator import modbus
from simulator.modbus import ExceptionCode, FunctionCode, Request


def adu(tid: int, unit: int, pdu: bytes, *, protocol: int = 0, length: int | None = None) -> bytes:
    size = len(pdu) + 1 if length is None else length
    return struct.pack(">HHHB", tid, protocol, size, unit) + pdu


# --------------------------------------------------------------------------- framing


def test_take_frame_waits_for_a_whole_frame() -> None:
    frame = adu(7, 1, bytes.fromhex("03 774C 0002"))
    for cut in range(len(frame)):
        buffer = bytearray(frame[:cut])
        assert modbus.take_frame(buffer) is None
        assert buffer == frame[:cut]  # nothing consumed
    buffer = bytearray(frame)
    taken = modbus.take_frame(buffer)
    assert taken == modbus.Frame(7, 0, 1, bytes.fromhex("03 774C 0002"))
    assert taken.function == 0x03
    assert buffer == b""


def test_take_frame_takes_one_frame_at_a_time() -> None:
    first = adu(1, 247, bytes.fromhex("04 7530 0002"))
    second = adu(2, 1, bytes.fromhex("06 9C40 0001"), protocol=5)
    buffer = bytearray(first + second + second[:3])
    assert modbus.take_frame(buffer) == modbus.Frame(1, 0, 247, first[7:])
    assert modbus.take_frame(buffer) == modbus.Frame(2, 5, 1, second[7:])
    assert modbus.take_frame(buffer) is None
    assert buffer == second[:3]


def test_take_frame_shortest_and_longest() -> None:
    buffer = bytearray(adu(1, 1, b"\x2b"))  # length 2: a function code, no data
    assert modbus.take_frame(buffer) == modbus.Frame(1, 0, 1, b"\x2b")
    pdu = b"\x10" + bytes(252)
    buffer = bytearray(adu(1, 1, pdu))  # length 254, a 260-byte frame
    frame = modbus.take_frame(buffer)
    assert frame is not None
    assert frame.pdu == pdu


@pytest.mark.parametrize("length", [0, 1, 255, 261, 0xFFFF])
def test_take_frame_refuses_impossible_lengths(length: int) -> None:
    buffer = bytearray(adu(1, 1, b"\x03", length=length))
    with pytest.raises(modbus.FrameError, match=f"length field {length} outside 2-254"):
        modbus.take_frame(buffer)


def test_encode_frame() -> None:
    assert modbus.encode_frame(0x1234, 247, b"\x83\x02") == bytes.fromhex("1234 0000 0003 F7 8302")


# --------------------------------------------------------------------------- requests


@pytest.mark.parametrize(
    ("pdu", "expected"),
    [
        ("01 0000 0002", Request(FunctionCode.READ_COILS, 0, 2)),
        ("02 0001 07D0", Request(FunctionCode.READ_DISCRETE_INPUTS, 1, 2000)),
        ("03 774C 0002", Request(FunctionCode.READ_HOLDING_REGISTERS, 30540, 2)),
        ("04 7530 007D", Request(FunctionCode.READ_INPUT_REGISTERS, 30000, 125)),
        ("05 0001 FF00", Request(FunctionCode.WRITE_SINGLE_COIL, 1, 1, (1,))),
        ("05 0000 0000", Request(FunctionCode.WRITE_SINGLE_COIL, 0, 1, (0,))),
        ("06 9C70 00C8", Request(FunctionCode.WRITE_SINGLE_REGISTER, 40048, 1, (200,))),
        ("0F 0000 0002 01 02", Request(FunctionCode.WRITE_MULTIPLE_COILS, 0, 2, (0, 1))),
        (
            "0F 0003 000A 02 CD 01",  # the specification's example: 1100 1101, 01
            Request(FunctionCode.WRITE_MULTIPLE_COILS, 3, 10, (1, 0, 1, 1, 0, 0, 1, 1, 1, 0)),
        ),
        (
            "10 9C6F 0002 04 0384 0064",
            Request(FunctionCode.WRITE_MULTIPLE_REGISTERS, 40047, 2, (900, 100)),
        ),
    ],
)
def test_decode_request(pdu: str, expected: Request) -> None:
    assert modbus.decode_request(bytes.fromhex(pdu)) == expected


def test_decode_the_largest_register_write() -> None:
    pdu = bytes.fromhex("10 0000 007B F6") + struct.pack(">123H", *range(123))
    assert len(pdu) == modbus.MAX_PDU_SIZE - 1
    request = modbus.decode_request(pdu)
    assert request.count == 123
    assert request.values == tuple(range(123))


@pytest.mark.parametrize(
    ("pdu", "code", "reason"),
    [
        ("2B 0E01 00", ExceptionCode.ILLEGAL_FUNCTION, "function code 0x2B not implemented"),
        ("17 0000 0001", ExceptionCode.ILLEGAL_FUNCTION, "0x17"),
        ("08 0000 1234", ExceptionCode.ILLEGAL_FUNCTION, "0x08"),
        ("83 0000 0001", ExceptionCode.ILLEGAL_FUNCTION, "0x83"),
        ("00", ExceptionCode.ILLEGAL_FUNCTION, "0x00"),
        ("03 774C 00", ExceptionCode.ILLEGAL_VALUE, "takes a 5-byte PDU, not 4"),
        ("04 774C 0002 00", ExceptionCode.ILLEGAL_VALUE, "takes a 5-byte PDU, not 6"),
        ("03", ExceptionCode.ILLEGAL_VALUE, "not 1"),
        ("03 774C 0000", ExceptionCode.ILLEGAL_VALUE, "quantity 0 outside 1-125"),
        ("04 774C 007E", ExceptionCode.ILLEGAL_VALUE, "quantity 126 outside 1-125"),
        ("01 0000 0000", ExceptionCode.ILLEGAL_VALUE, "quantity 0 outside 1-2000"),
        ("02 0000 07D1", ExceptionCode.ILLEGAL_VALUE, "quantity 2001 outside 1-2000"),
        ("05 0000 1234", ExceptionCode.ILLEGAL_VALUE, "coil value 0x1234"),
        ("05 0000 00FF", ExceptionCode.ILLEGAL_VALUE, "coil value 0x00FF"),
        ("05 0000", ExceptionCode.ILLEGAL_VALUE, "5-byte"),
        ("06 9C70 00C8 00", ExceptionCode.ILLEGAL_VALUE, "5-byte"),
        ("10 9C6F 0002", ExceptionCode.ILLEGAL_VALUE, "at least 6 bytes, not 5"),
        ("0F 0000", ExceptionCode.ILLEGAL_VALUE, "at least 6 bytes, not 3"),
        ("10 9C6F 0002 04 0384", ExceptionCode.ILLEGAL_VALUE, "byte count 4 (needed 4) with 2"),
        ("10 9C6F 0002 03 0384 00", ExceptionCode.ILLEGAL_VALUE, "byte count 3 (needed 4)"),
        ("10 9C6F 0001 02 0384 0064", ExceptionCode.ILLEGAL_VALUE, "with 4 bytes"),
        ("10 9C6F 0000 00", ExceptionCode.ILLEGAL_VALUE, "quantity 0 outside 1-123"),
        ("10 9C6F 007C F8", ExceptionCode.ILLEGAL_VALUE, "quantity 124 outside 1-123"),
        ("0F 0000 0000 00", ExceptionCode.ILLEGAL_VALUE, "quantity 0 outside 1-1968"),
        ("0F 0000 07B1 F7", ExceptionCode.ILLEGAL_VALUE, "quantity 1969 outside 1-1968"),
        ("0F 0000 0009 01 FF", ExceptionCode.ILLEGAL_VALUE, "byte count 1 (needed 2)"),
        ("0F 0000 0002 01 03 00", ExceptionCode.ILLEGAL_VALUE, "with 2 bytes"),
    ],
)
def test_decode_refuses(pdu: str, code: ExceptionCode, reason: str) -> None:
    with pytest.raises(modbus.RequestError, match=re.escape(reason)) as caught:
        modbus.decode_request(bytes.fromhex(pdu))
    assert caught.value.code is code


# --------------------------------------------------------------------------- replies


def test_replies() -> None:
    assert modbus.bits_reply(0x01, [True, False]) == bytes.fromhex("01 01 01")
    bits = [True, False, True, True, False, False, True, True, True, False]
    assert modbus.bits_reply(0x02, bits) == bytes.fromhex("02 02 CD 01")
    assert modbus.bits_reply(0x01, [False] * 8) == bytes.fromhex("01 01 00")
    assert modbus.registers_reply(0x03, [0, 12000]) == bytes.fromhex("03 04 0000 2EE0")
    assert modbus.registers_reply(0x04, [0xFFFF]) == bytes.fromhex("04 02 FFFF")
    for request, reply in [
        ("05 0001 FF00", "05 0001 FF00"),
        ("05 0001 0000", "05 0001 0000"),
        ("06 9C70 00C8", "06 9C70 00C8"),
        ("0F 0000 0002 01 02", "0F 0000 0002"),
        ("10 9C6F 0002 04 0384 0064", "10 9C6F 0002"),
    ]:
        decoded = modbus.decode_request(bytes.fromhex(request))
        assert modbus.write_reply(decoded) == bytes.fromhex(reply)


def test_exception_reply() -> None:
    assert modbus.exception_reply(0x03, ExceptionCode.ILLEGAL_ADDRESS) == b"\x83\x02"
    assert modbus.exception_reply(0x2B, 0x01) == b"\xab\x01"
    assert modbus.exception_reply(0x83, 0x01) == b"\x83\x01"  # the flag is set already
    assert modbus.exception_reply(0x10, 0x0B) == b"\x90\x0b"
