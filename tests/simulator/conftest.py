"""Fixtures of the simulator tests: a simulator on loopback and a pymodbus client.

pytest-homeassistant-custom-component blocks sockets for every test (its
``pytest_runtest_setup`` calls ``pytest_socket.disable_socket``) and only lets
``connect`` reach 127.0.0.1. These tests talk Modbus TCP over loopback, so an
autouse fixture requests pytest-socket's ``socket_enabled`` for each of them.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING

import pytest
from pymodbus.client import AsyncModbusTcpClient

from simulator import PlantSimulator

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

TZ = timezone(timedelta(hours=1), "CET")
"""A fixed zone, so that the day curves do not depend on the host."""

NOON = datetime(2025, 6, 2, 12, 0, tzinfo=TZ)
MIDNIGHT = datetime(2025, 6, 2, 0, 0, tzinfo=TZ)


@pytest.fixture(autouse=True)
def _sockets(socket_enabled: None) -> None:
    """Allow sockets (loopback only: the plugin's allowed host list stays)."""


@pytest.fixture
async def sim() -> AsyncIterator[PlantSimulator]:
    """A one-inverter plant at noon, no latency, time moved only by the test."""
    async with PlantSimulator(
        inverters=1, latency=0, auto_advance=False, start_time=NOON, tz=TZ
    ) as simulator:
        yield simulator


async def connect(simulator: PlantSimulator, timeout: float = 2.0) -> AsyncModbusTcpClient:
    """Connect a pymodbus client that neither retries nor reconnects."""
    client = AsyncModbusTcpClient(
        simulator.host, port=simulator.port, timeout=timeout, retries=0, reconnect_delay=0
    )
    assert await client.connect()
    return client


@pytest.fixture
async def client(sim: PlantSimulator) -> AsyncIterator[AsyncModbusTcpClient]:
    """A client connected to ``sim``."""
    modbus = await connect(sim)
    yield modbus
    modbus.close()
