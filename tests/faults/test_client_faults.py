"""The protocol client alone through the fault proxy: what each fault raises, and the back-off.

Real time, no Home Assistant: each request's timeout is short.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import TYPE_CHECKING

import pytest

from custom_components.sigenergy_modbus.protocol.client import SigenergyClient
from custom_components.sigenergy_modbus.protocol.exceptions import (
    SigenergyConnectionError,
    SigenergyProtocolError,
    SigenergyTimeoutError,
)
from custom_components.sigenergy_modbus.protocol.registers import BY_KEY, PLANT_UNIT_ID

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Iterator

    from tests.faults.proxy import FaultProxy

SYSTEM_TIME = [BY_KEY["system_time"]]


@pytest.fixture(autouse=True)
def _quiet() -> Iterator[None]:
    logger = logging.getLogger("pymodbus")
    level = logger.level
    logger.setLevel(logging.CRITICAL)  # the faults make pymodbus complain, on purpose
    yield
    logger.setLevel(level)


@pytest.fixture
async def client(proxy: FaultProxy) -> AsyncIterator[SigenergyClient]:
    """A client through the proxy, with a short timeout."""
    sigenergy = SigenergyClient(proxy.host, proxy.port, timeout=0.2)
    yield sigenergy
    await sigenergy.close()


async def test_reset_before_any_answer_backs_off(
    proxy: FaultProxy, client: SigenergyClient
) -> None:
    """A connection accepted and reset before it answered counts as a failed attempt."""
    proxy.set_mode("reset_mid_response")
    with pytest.raises(SigenergyConnectionError, match="lost"):
        await client.read(PLANT_UNIT_ID, SYSTEM_TIME)
    assert 0.5 <= client.retry_in <= 1.0  # the first back-off step
    with pytest.raises(SigenergyConnectionError, match="next attempt in"):
        await client.read(PLANT_UNIT_ID, SYSTEM_TIME)
    assert proxy.connections == 1  # nothing sent while backing off
    proxy.set_mode("pass")
    client._next_attempt = 0.0  # the back-off has passed
    assert await client.read(PLANT_UNIT_ID, SYSTEM_TIME)
    assert client._failures == 0


async def test_reset_after_answers_reconnects_at_once(
    proxy: FaultProxy, client: SigenergyClient
) -> None:
    """A connection that answered before and then breaks is no failed attempt."""
    assert await client.read(PLANT_UNIT_ID, SYSTEM_TIME)
    proxy.set_mode("reset_mid_response")
    with pytest.raises(SigenergyConnectionError, match="lost"):
        await client.read(PLANT_UNIT_ID, SYSTEM_TIME)
    assert client.retry_in == 0.0
    proxy.set_mode("pass")
    assert await client.read(PLANT_UNIT_ID, SYSTEM_TIME)


async def test_undecodable_reply_fails_at_once(
    proxy: FaultProxy, caplog: pytest.LogCaptureFixture
) -> None:
    """A reply that is no Modbus function fails the request now, not after the timeout.

    pymodbus never sees it: it would raise inside the event loop's data
    callback, and asyncio would log a traceback.
    """
    client = SigenergyClient(proxy.host, proxy.port, timeout=5.0)
    proxy.set_mode("garbage")
    start = time.monotonic()
    with pytest.raises(SigenergyProtocolError, match="malformed reply") as caught:
        await client.read(PLANT_UNIT_ID, SYSTEM_TIME)
    assert time.monotonic() - start < 1.0
    assert not client.connected
    assert caught.value.__cause__ is None  # told by what the client saw, not by pymodbus
    assert client.stats.timeouts == 0
    await client.close()
    await asyncio.sleep(0.05)  # anything asyncio would log about the connection, logged
    for record in caplog.records:
        assert record.exc_info is None, record.getMessage()
        assert "Traceback" not in record.getMessage()
        assert "Fatal error" not in record.getMessage()
    proxy.set_mode("pass")
    client._next_attempt = 0.0  # the back-off has passed
    assert await client.read(PLANT_UNIT_ID, SYSTEM_TIME)
    await client.close()


@pytest.mark.parametrize("mode", ["wrong_tid", "truncate", "stall"])
async def test_no_usable_reply_times_out(
    proxy: FaultProxy, client: SigenergyClient, mode: str
) -> None:
    """A reply for another transaction, a cut one or none: a timeout, the connection dropped."""
    assert await client.read(PLANT_UNIT_ID, SYSTEM_TIME)
    proxy.set_mode(mode)  # type: ignore[arg-type]
    with pytest.raises(SigenergyTimeoutError):
        await client.read(PLANT_UNIT_ID, SYSTEM_TIME)
    assert not client.connected
    assert client.retry_in == 0.0  # a timeout is no failed attempt (silent unit ids time out)
    proxy.set_mode("pass")
    assert await client.read(PLANT_UNIT_ID, SYSTEM_TIME)
    assert proxy.connections == 2


async def test_refused_then_accepted(proxy: FaultProxy, client: SigenergyClient) -> None:
    """Connection refused: the back-off; listening again: the next attempt connects."""
    await proxy.refuse()
    with pytest.raises(SigenergyConnectionError, match="cannot connect to the plant"):
        await client.read(PLANT_UNIT_ID, SYSTEM_TIME)
    assert client.retry_in > 0
    await proxy.accept()
    client._next_attempt = 0.0
    assert await client.read(PLANT_UNIT_ID, SYSTEM_TIME)
    assert proxy.connections == 1
