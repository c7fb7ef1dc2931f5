"""probe_io against the simulator: reads only, and support told from exception replies."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from custom_components.sigenergy_modbus.protocol.client import SigenergyClient
from custom_components.sigenergy_modbus.protocol.contacts import IoSupport, probe_io
from custom_components.sigenergy_modbus.protocol.exceptions import (
    SigenergyConnectionError,
    SigenergyDeviceError,
)

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from simulator import PlantSimulator

READ_COILS = 0x01
READ_DISCRETE_INPUTS = 0x02


@pytest.fixture
async def client(simulator: PlantSimulator) -> AsyncIterator[SigenergyClient]:
    modbus = SigenergyClient(simulator.host, simulator.port)
    yield modbus
    await modbus.close()


async def test_probe_io_supported(simulator: PlantSimulator, client: SigenergyClient) -> None:
    simulator.set_coil(1, 0, True)

    support = await probe_io(client, 1)

    assert support == IoSupport(dry_contacts=True, digital_inputs=True)
    assert simulator.stats.by_function == {READ_COILS: 1, READ_DISCRETE_INPUTS: 1}
    assert simulator.stats.writes == []
    assert client.stats.writes == 0
    assert simulator.coil(1, 0) is True  # nothing switched


@pytest.mark.parametrize("simulator_options", [{"coils": False}])
async def test_probe_io_illegal_function(
    simulator: PlantSimulator, client: SigenergyClient
) -> None:
    support = await probe_io(client, 1)

    assert not support.dry_contacts
    assert not support.digital_inputs
    assert support.dry_contacts_reason == "exception 0x01 (illegal function)"
    assert support.digital_inputs_reason == "exception 0x01 (illegal function)"
    assert simulator.stats.writes == []
    assert simulator.stats.exceptions == {0x01: 2}
    assert client.connected


async def test_probe_io_illegal_address(simulator: PlantSimulator, client: SigenergyClient) -> None:
    """Firmware with the dry contacts but without DI5 (the fault covers address 4 only)."""
    simulator.faults.unsupported.add((1, 4))

    support = await probe_io(client, 1)

    assert support == IoSupport(
        dry_contacts=True,
        digital_inputs=False,
        digital_inputs_reason="exception 0x02 (illegal data address)",
    )
    assert simulator.stats.writes == []


async def test_probe_io_on_a_unit_without_contacts(
    simulator: PlantSimulator, client: SigenergyClient
) -> None:
    """The plant unit (247) has no COM terminal: the simulator answers 0x02."""
    support = await probe_io(client, 247)
    assert not support.dry_contacts
    assert not support.digital_inputs
    assert support.dry_contacts_reason is not None
    assert "0x02" in support.dry_contacts_reason


async def test_probe_io_other_exception_propagates(
    simulator: PlantSimulator, client: SigenergyClient
) -> None:
    simulator.faults.exceptions[1, 0] = 0x04
    with pytest.raises(SigenergyDeviceError) as caught:
        await probe_io(client, 1)
    assert caught.value.code == 0x04
    assert simulator.stats.writes == []


async def test_probe_io_connection_error_propagates(simulator: PlantSimulator) -> None:
    await simulator.stop()
    client = SigenergyClient(simulator.host, simulator.port)
    with pytest.raises(SigenergyConnectionError):
        await probe_io(client, 1)
