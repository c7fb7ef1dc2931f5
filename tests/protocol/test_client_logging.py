"""pymodbus's log lines about the client's connections: moved to its debug log, redacted."""

from __future__ import annotations

import logging
import socket
import struct
from typing import TYPE_CHECKING

import pytest
from pymodbus.client import AsyncModbusTcpClient

from custom_components.sigenergy_modbus.protocol import client as client_module
from custom_components.sigenergy_modbus.protocol.client import (
    PYMODBUS_LOGGER,
    PymodbusLogFilter,
    SigenergyClient,
)
from custom_components.sigenergy_modbus.protocol.exceptions import (
    SigenergyConnectionError,
    SigenergyTimeoutError,
)
from custom_components.sigenergy_modbus.protocol.registers import RegisterKind
from tests.protocol.test_client_tcp import _frame, _port, _registers, raw_device

if TYPE_CHECKING:
    from collections.abc import Iterator

OURS = client_module.__name__


def _closed_port() -> int:
    """A loopback port nothing listens on: connecting is refused."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def logs(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    """pymodbus at WARNING (its failures are logged), the client at DEBUG."""
    caplog.set_level(logging.WARNING, logger="pymodbus")
    caplog.set_level(logging.DEBUG, logger=OURS)
    return caplog


def _naming(caplog: pytest.LogCaptureFixture, *secrets: str) -> list[logging.LogRecord]:
    return [r for r in caplog.records if any(s in r.getMessage() for s in secrets)]


async def test_refused_connection_names_no_address(
    loopback: None, logs: pytest.LogCaptureFixture
) -> None:
    """Three refused attempts: no line above DEBUG with the address; the debug log has them."""
    port = _closed_port()
    client = SigenergyClient("127.0.0.1", port)
    for _ in range(3):
        client._next_attempt = 0.0  # the back-off has passed
        with pytest.raises(SigenergyConnectionError, match="cannot connect"):
            await client.connect()
    await client.close()
    assert client.stats.connect_failures == 3
    secrets = ("127.0.0.1", str(port))
    assert not [r for r in _naming(logs, *secrets) if r.levelno > logging.DEBUG]
    assert not [r for r in logs.records if r.name == PYMODBUS_LOGGER and r.levelno > logging.DEBUG]
    moved = [r.getMessage() for r in logs.records if r.name == OURS]
    failed = [m for m in moved if m.startswith("pymodbus warning: Failed to connect")]
    assert failed, moved
    assert all("(<plant>)" in m for m in failed), failed
    # pymodbus tells the same text again as "Repeating...." (3.11: then the text
    # again; 3.13 on: nothing more): moved all the same.
    assert len(moved) >= 2, moved
    assert set(moved) - set(failed) == {"pymodbus warning: Repeating...."}, moved
    assert not _naming(logs, *secrets)  # not at DEBUG either


async def test_other_pymodbus_users_are_untouched(
    loopback: None, logs: pytest.LogCaptureFixture
) -> None:
    """Another integration's pymodbus client, even to the same address, logs as it always did."""
    port = _closed_port()
    client = SigenergyClient("127.0.0.1", port)  # the filter is installed
    other = AsyncModbusTcpClient("127.0.0.1", port=port, reconnect_delay=0)
    assert not await other.connect()
    other.close()
    theirs = [r for r in logs.records if r.name == PYMODBUS_LOGGER]
    assert [r.levelno for r in theirs] == [logging.WARNING]
    assert f"('127.0.0.1', {port})" in theirs[0].getMessage()
    with pytest.raises(SigenergyConnectionError):
        await client.connect()
    assert [r for r in logs.records if r.name == PYMODBUS_LOGGER] == theirs  # ours: moved
    # The same text again, so pymodbus made it "Repeating....": moved all the same.
    assert [r.getMessage() for r in logs.records if r.name == OURS] == [
        "pymodbus warning: Repeating...."
    ]
    await client.close()


async def test_lines_from_the_connection_callbacks_are_moved(
    loopback: None, logs: pytest.LogCaptureFixture
) -> None:
    """pymodbus logs a skipped frame from the socket's data callback: that line is moved too."""

    def other_transaction(tid: int, unit: int, pdu: bytes) -> bytes:
        _, _, count = struct.unpack(">BHH", pdu)
        return _frame(tid + 1, unit, _registers(pdu[0], [0] * count))

    async with raw_device(other_transaction) as server:
        client = SigenergyClient("127.0.0.1", _port(server), timeout=0.2)
        with pytest.raises(SigenergyTimeoutError):
            await client.read_words(1, RegisterKind.INPUT, 30500, 2)
        await client.close()
    assert not [r for r in logs.records if r.name == PYMODBUS_LOGGER]
    moved = [r.getMessage() for r in logs.records if r.name == OURS]
    assert any(m.startswith("pymodbus error: ") and "transaction" in m for m in moved), moved


def test_filter_installed_once() -> None:
    clients = [SigenergyClient("192.0.2.1", port) for port in (502, 503, 504)]
    filters = logging.getLogger(PYMODBUS_LOGGER).filters
    assert len([f for f in filters if isinstance(f, PymodbusLogFilter)]) == 1
    assert len(clients) == 3
    assert not logging.getLogger("pymodbus").filters  # pymodbus's other loggers: untouched


def test_filter_passes_records_outside_the_client() -> None:
    """A record logged outside any of the client's connections is kept as it is."""
    record = logging.LogRecord(
        PYMODBUS_LOGGER, logging.WARNING, __file__, 1, "Failed to connect 192.0.2.1:502", (), None
    )
    assert PymodbusLogFilter().filter(record) is True
    assert record.getMessage() == "Failed to connect 192.0.2.1:502"


@pytest.mark.parametrize(
    ("host", "port", "text", "redacted"),
    [
        (
            "192.0.2.7",
            502,
            "Failed to connect [Errno 111] Connect call failed ('192.0.2.7', 502)",
            "Failed to connect [Errno 111] Connect call failed (<plant>)",
        ),
        (
            "inverter.local",
            502,
            "Connect call failed ('192.0.2.7', 502)",
            "Connect call failed (<plant>)",
        ),
        (
            "inverter.local",
            1502,
            (
                "Multiple exceptions: Connect call failed ('::1', 1502, 0, 0), "
                "Connect call failed ('127.0.0.1', 1502)"
            ),
            "Multiple exceptions: Connect call failed (<plant>), Connect call failed (<plant>)",
        ),
        ("192.0.2.7", 502, "Connecting to 192.0.2.7:502.", "Connecting to <plant>."),
        ("192.0.2.7", 502, "host 192.0.2.7 gone", "host <plant> gone"),
        ("192.0.2.7", 502, "Repeating....", "Repeating...."),
        ("192.0.2.7", 502, "other port ('192.0.2.8', 503)", "other port ('192.0.2.8', 503)"),
    ],
)
def test_redact(host: str, port: int, text: str, redacted: str) -> None:
    assert client_module._Endpoint(host, port).redact(text) == redacted
