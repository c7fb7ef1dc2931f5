"""Fixtures shared by every test: the plant simulator over loopback TCP."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
import pytest_socket
from pytest_homeassistant_custom_component.syrupy import HomeAssistantSnapshotExtension

from simulator import PlantSimulator

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from syrupy.assertion import SnapshotAssertion

# 2026-06-21 10:00 UTC: a summer morning, the sun up, the battery charging.
START = 1782036000.0

LOOPBACK_HOSTS = [f"127.0.0.{n}" for n in range(1, 9)]


@pytest.fixture
def loopback(socket_enabled: None) -> None:
    """Allow TCP to the loopback addresses the tests' simulators listen on.

    pytest-homeassistant-custom-component blocks sockets; these tests talk
    real Modbus TCP to the simulator, the same path an inverter takes.
    """
    pytest_socket.socket_allow_hosts(LOOPBACK_HOSTS, allow_unix_socket=True)


async def start_simulator(
    host: str = "127.0.0.1", port: int = 0, **kwargs: object
) -> PlantSimulator:
    """Start a deterministic simulator: time moves only when a test says so."""
    options: dict[str, object] = {
        "latency": 0.0,
        "auto_advance": False,
        "start_time": START,
        "seed": 1,
    }
    options.update(kwargs)
    sim = PlantSimulator(**options)  # type: ignore[arg-type]
    await sim.start(host=host, port=port)
    return sim


@pytest.fixture
def simulator_options() -> dict[str, object]:
    """Override to change the simulated plant of a test."""
    return {}


@pytest.fixture
async def simulator(
    loopback: None, simulator_options: dict[str, object]
) -> AsyncIterator[PlantSimulator]:
    """A one-inverter plant on 127.0.0.1 and an ephemeral port."""
    sim = await start_simulator(**simulator_options)
    yield sim
    await sim.stop()


@pytest.fixture
def snapshot(snapshot: SnapshotAssertion) -> SnapshotAssertion:
    """Home Assistant's snapshot format in tests/**/snapshots/, whichever plugin loaded first.

    pytest-homeassistant-custom-component and syrupy both offer a ``snapshot``
    fixture; depending on install order either wins, and syrupy's writes
    another format to another directory. This pins Home Assistant's.
    """
    return snapshot.use_extension(HomeAssistantSnapshotExtension)
