"""How the client tells pymodbus's outcomes apart: by exception type and by what it saw.

pymodbus is replaced by a stand-in with the same public surface, which
raises what a test asks for; no network.
"""

from __future__ import annotations

import asyncio
import struct
from typing import TYPE_CHECKING, Any

import pytest
from pymodbus.exceptions import (
    ConnectionException,
    ModbusException,
    ModbusIOException,
    ParameterException,
)

from custom_components.sigenergy_modbus.protocol import client as client_module
from custom_components.sigenergy_modbus.protocol.client import SigenergyClient
from custom_components.sigenergy_modbus.protocol.exceptions import (
    SigenergyConnectionError,
    SigenergyProtocolError,
    SigenergyTimeoutError,
)
from custom_components.sigenergy_modbus.protocol.registers import RegisterKind

if TYPE_CHECKING:
    from collections.abc import Callable

HOST = "192.0.2.44"
PORT = 1502


class FakeModbus:
    """pymodbus's ``AsyncModbusTcpClient`` as the client uses it, answering as told."""

    made: list[FakeModbus] = []  # noqa: RUF012 - the instances of one test

    def __init__(
        self,
        host: str,
        *,
        port: int,
        timeout: float,
        retries: int,
        reconnect_delay: float,
        trace_connect: Callable[[bool], None],
        trace_packet: Callable[[bool, bytes], bytes],
    ) -> None:
        self.host, self.port = host, port
        self.trace_connect = trace_connect
        self.trace_packet = trace_packet
        self.up = False
        self.closed = False
        self.outcome: BaseException | Callable[[], Any] | None = None
        FakeModbus.made.append(self)

    async def connect(self) -> bool:
        self.up = True
        self.trace_connect(True)
        return True

    @property
    def connected(self) -> bool:
        return self.up

    def close(self) -> None:
        self.up = False
        self.closed = True

    async def read_input_registers(self, address: int, *, count: int, device_id: int) -> Any:
        self.trace_packet(True, struct.pack(">HHHB", 1, 0, 6, device_id) + b"\x04\x00\x00\x00\x01")
        outcome = self.outcome
        if isinstance(outcome, BaseException):
            raise outcome
        if outcome is None:
            await asyncio.Event().wait()  # never answers
        return outcome()  # type: ignore[operator]


class Reply:
    """A register reply, as pymodbus returns one."""

    def __init__(self, registers: list[int]) -> None:
        self.registers = registers
        self.exception_code = 0

    def isError(self) -> bool:
        return False


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> type[FakeModbus]:
    FakeModbus.made = []
    monkeypatch.setattr(client_module, "AsyncModbusTcpClient", FakeModbus)
    return FakeModbus


def _client() -> SigenergyClient:
    return SigenergyClient(HOST, PORT, timeout=0.1, clock=lambda: 1000.0)


async def _read(client: SigenergyClient) -> list[int]:
    return await client.read_words(1, RegisterKind.INPUT, 30500, 1)


async def _answered(client: SigenergyClient, fake: type[FakeModbus]) -> FakeModbus:
    """Connect and have one reply: the connection has answered."""
    await client.connect()
    modbus = fake.made[-1]
    modbus.outcome = lambda: Reply([7])
    assert await _read(client) == [7]
    return modbus


# The texts are pymodbus's own (with the address), or chosen to mislead: none decides.
CLASSIFIED = [
    pytest.param(
        ConnectionException(f"Not connected[AsyncModbusTcpClient {HOST}:{PORT}]"),
        SigenergyConnectionError,
        id="ConnectionException",
    ),
    pytest.param(
        ConnectionException("Request cancelled outside pymodbus."),
        SigenergyConnectionError,
        id="ConnectionException-cancelled-text",
    ),
    pytest.param(
        ModbusIOException("No response received after 0 retries"),
        SigenergyProtocolError,
        id="ModbusIOException-no-response-text",
    ),
    pytest.param(
        ModbusIOException(f"Unable to decode request from {HOST}"),
        SigenergyProtocolError,
        id="ModbusIOException",
    ),
    pytest.param(ParameterException("bad count"), SigenergyProtocolError, id="ParameterException"),
    pytest.param(ModbusException("anything"), SigenergyProtocolError, id="ModbusException"),
    pytest.param(
        ConnectionResetError(104, f"Connection reset by peer ('{HOST}', {PORT})"),
        SigenergyConnectionError,
        id="OSError",
    ),
]


@pytest.mark.parametrize(("raised", "expected"), CLASSIFIED)
async def test_exception_type_decides(
    fake: type[FakeModbus], raised: BaseException, expected: type[Exception]
) -> None:
    """Each pymodbus exception type maps to one error; its text never matters or shows."""
    client = _client()
    modbus = await _answered(client, fake)
    modbus.outcome = raised
    with pytest.raises(expected) as caught:
        await _read(client)
    assert type(caught.value) is expected  # not a timeout, not the other kind
    assert caught.value.__cause__ is raised
    assert HOST not in str(caught.value)
    assert str(PORT) not in str(caught.value)
    assert modbus.closed  # dropped: the next request gets a new connection
    assert not client.connected
    assert client.retry_in == 0.0  # the connection had answered: no failed attempt
    assert client.stats.timeouts == 0
    await client.close()


@pytest.mark.parametrize(("raised", "expected"), CLASSIFIED)
async def test_failure_before_any_answer_is_a_failed_attempt(
    fake: type[FakeModbus], raised: BaseException, expected: type[Exception]
) -> None:
    """A connection that failed its first request counts as a failed connection attempt."""
    client = _client()
    await client.connect()
    fake.made[-1].outcome = raised
    with pytest.raises(expected):
        await _read(client)
    assert 0.5 <= client.retry_in <= 1.0
    with pytest.raises(SigenergyConnectionError, match="next attempt in"):
        await _read(client)
    assert len(fake.made) == 1  # nothing tried while backing off


async def test_our_timer_is_a_timeout(fake: type[FakeModbus]) -> None:
    """No reply within the request's timeout: a timeout, told by the client's own timer."""
    client = _client()
    modbus = await _answered(client, fake)
    modbus.outcome = None  # never answers
    with pytest.raises(SigenergyTimeoutError, match=r"within 0\.1 s") as caught:
        await _read(client)
    assert caught.value.__cause__ is None
    assert modbus.closed
    assert client.stats.timeouts == 1
    assert client.retry_in == 0.0  # a silent unit id times out too: no failed attempt
    await client.close()


async def test_lost_connection_fails_the_request_at_once(fake: type[FakeModbus]) -> None:
    """pymodbus reports the connection lost (trace_connect): the request fails now."""
    client = SigenergyClient(HOST, PORT, timeout=5.0)
    modbus = await _answered(client, fake)
    modbus.outcome = None
    loop = asyncio.get_running_loop()
    loop.call_later(0.02, modbus.trace_connect, False)
    start = loop.time()
    with pytest.raises(SigenergyConnectionError, match="lost") as caught:
        await _read(client)
    assert loop.time() - start < 1.0
    assert type(caught.value) is SigenergyConnectionError
    assert modbus.closed
    assert client.stats.timeouts == 0
    await client.close()


async def test_caller_cancellation_propagates(fake: type[FakeModbus]) -> None:
    client = SigenergyClient(HOST, PORT, timeout=5.0)
    modbus = await _answered(client, fake)
    modbus.outcome = None
    task = asyncio.create_task(_read(client))
    await asyncio.sleep(0.02)
    assert client.pending is not None
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert modbus.closed  # a late reply finds no one
    assert client.pending is None


async def test_pymodbus_settings(fake: type[FakeModbus]) -> None:
    """Only documented constructor arguments; pymodbus's timeout longer than any of ours."""
    client = _client()
    await client.connect()
    (modbus,) = fake.made
    assert (modbus.host, modbus.port) == (HOST, PORT)
    assert client.connected
    await client.close()
    assert modbus.closed
    assert not client.connected


# -- the frame check (trace_packet) ---------------------------------------------------------


def _frame(tid: int, unit: int, pdu: bytes, protocol: int = 0) -> bytes:
    return struct.pack(">HHHB", tid, protocol, len(pdu) + 1, unit) + pdu


REQUEST = client_module._Request(0x04, 3, transaction_id=9)


@pytest.mark.parametrize(
    ("data", "malformed"),
    [
        pytest.param(_frame(9, 3, b"\x04\x04\x00\x01\x00\x02"), False, id="reply"),
        pytest.param(_frame(9, 3, b"\x84\x02"), False, id="exception-reply"),
        pytest.param(_frame(9, 3, b"\x04\x04\x00\x01\x00\x02")[:-2], False, id="incomplete"),
        pytest.param(_frame(9, 3, b"\x04\x04\x00\x01\x00\x02")[:5], False, id="header-part"),
        pytest.param(_frame(8, 3, b"\x5a\x5a\x5a"), False, id="other-transaction"),
        pytest.param(_frame(9, 4, b"\x5a\x5a\x5a"), False, id="other-unit"),
        pytest.param(_frame(9, 3, b"\x5a\x5a\x5a"), True, id="no-function"),
        pytest.param(_frame(0, 3, b"\x5a\x5a\x5a"), True, id="transaction-0"),
        pytest.param(_frame(9, 3, b"\x03\x02\x00\x01"), True, id="other-function"),
        pytest.param(_frame(9, 3, b"\x04\x03\x00\x01\x00"), True, id="odd-byte-count"),
        pytest.param(_frame(9, 3, b"\x04\x04\x00\x01"), True, id="byte-count-short"),
        pytest.param(_frame(9, 3, b"\x04\x02\x00\x01\x00\x02"), True, id="count-mismatch"),
        pytest.param(_frame(9, 3, b"\x84\x02\x00"), True, id="long-exception"),
        pytest.param(_frame(9, 3, b"\x04\x02\x00\x01", protocol=1), True, id="protocol-id"),
        pytest.param(b"HTTP/1.1 400 Bad Request\r\n\r\n", True, id="http"),
        pytest.param(struct.pack(">HHHB", 9, 0, 300, 3) + b"\x04", True, id="too-long"),
        pytest.param(
            _frame(8, 3, b"\x04\x02\x00\x01") + _frame(9, 3, b"\x5a"), True, id="second-frame"
        ),
    ],
)
def test_frame_check(data: bytes, malformed: bool) -> None:
    assert client_module._malformed(data, REQUEST) is malformed


@pytest.mark.parametrize(
    ("function", "pdu", "valid"),
    [
        (0x01, b"\x01\x01\x03", True),
        (0x02, b"\x02\x01", False),
        (0x03, b"\x03\x02\x00\x07", True),
        (0x05, b"\x05\x00\x01\xff\x00", True),
        (0x06, b"\x06\x9c\x6e\x00\xff", True),
        (0x06, b"\x06\x9c\x6e\x00", False),
        (0x10, b"\x10\x9c\x60\x00\x02", True),
        (0x10, b"\x90\x04", True),
    ],
)
def test_valid_pdu(function: int, pdu: bytes, valid: bool) -> None:
    assert client_module._valid_pdu(function, pdu) is valid


def test_frame_check_idle() -> None:
    """No request yet: only the header is checked."""
    assert not client_module._malformed(_frame(1, 1, b"\x5a\x5a"), None)
    assert client_module._malformed(_frame(1, 1, b"\x5a\x5a", protocol=7), None)
