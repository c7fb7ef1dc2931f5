"""Plant identification and host scanning against the simulator over loopback."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import pytest

from custom_components.sigenergy_modbus.protocol.client import SigenergyClient
from custom_components.sigenergy_modbus.protocol.discovery import (
    NotASigenergyPlantError,
    identify_plant,
    port_open,
    probe_inverter,
    probe_plant,
    scan_hosts,
)
from custom_components.sigenergy_modbus.protocol.exceptions import SigenergyConnectionError
from custom_components.sigenergy_modbus.protocol.registers import (
    BY_KEY,
    DEVICE_UNIT_IDS,
    PLANT_UNIT_ID,
    RegisterKind,
)
from tests.conftest import start_simulator

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from simulator import PlantSimulator

ILLEGAL_ADDRESS = 0x02
DEVICE_FAILURE = 0x04
GATEWAY_NO_RESPONSE = 0x0B
"""What the simulator answers for a unit id nothing has (``missing_ids="exception"``)."""


@pytest.fixture
async def client(simulator: PlantSimulator) -> AsyncIterator[SigenergyClient]:
    modbus = SigenergyClient(simulator.host, simulator.port)
    yield modbus
    await modbus.close()


@pytest.fixture
async def plant3(loopback: None) -> AsyncIterator[PlantSimulator]:
    """Three inverters (units 1-3) and an AC charger (unit 4)."""
    sim = await start_simulator(inverters=3, ac_charger=True)
    yield sim
    await sim.stop()


@pytest.fixture
async def client3(plant3: PlantSimulator) -> AsyncIterator[SigenergyClient]:
    modbus = SigenergyClient(plant3.host, plant3.port)
    yield modbus
    await modbus.close()


# -- identification ---------------------------------------------------------------------------


async def test_identify_one_inverter_plant(
    simulator: PlantSimulator, client: SigenergyClient
) -> None:
    seen: list[int] = []

    plant = await identify_plant(client, on_progress=seen.append)

    assert (plant.host, plant.port) == (simulator.host, simulator.port)
    assert len(plant.inverters) == 1
    (inverter,) = plant.inverters
    assert inverter.unit_id == 1
    assert inverter.model == "SigenStor EC 12.0 TP"
    assert inverter.serial == simulator.serial(1)
    assert inverter.firmware
    assert inverter.firmware == simulator.value(1, "firmware_version")
    assert inverter.rated_power == 12.0
    assert inverter.battery_capacity == simulator.value(1, "rated_battery_capacity")
    assert inverter.battery_capacity
    assert (inverter.pv_string_count, inverter.mppt_count, inverter.pack_count) == (3, 3, 3)
    assert inverter.has_battery
    assert inverter.dc_charger is False
    assert plant.serial == inverter.serial
    assert plant.max_active_power == simulator.value(PLANT_UNIT_ID, "plant_max_active_power")
    assert plant.max_active_power
    assert plant.ac_chargers == ()
    assert seen == list(DEVICE_UNIT_IDS)


async def test_identification_request_count(
    simulator: PlantSimulator, client: SigenergyClient
) -> None:
    """1 plant probe + 246 identity reads + 2 more for the one inverter.

    Absent ids answer 0x0B (gateway: no response), not 0x02, so none of them
    costs an AC charger probe.
    """
    await identify_plant(client)

    requests = simulator.stats.requests
    print(f"identification of a 1-inverter plant over ids 1-246: {requests} requests")  # noqa: T201
    assert requests == 1 + 246 + 2 == 249
    assert client.stats.requests == requests
    assert simulator.stats.by_function == {RegisterKind.INPUT.value: requests}
    assert simulator.stats.exceptions == {GATEWAY_NO_RESPONSE: 245}
    assert simulator.stats.connections == 1
    assert simulator.stats.writes == []


async def test_identify_three_inverters_and_ac_charger(
    plant3: PlantSimulator, client3: SigenergyClient
) -> None:
    seen: list[int] = []

    plant = await identify_plant(client3, on_progress=seen.append)

    assert [i.unit_id for i in plant.inverters] == [1, 2, 3]
    serials = [i.serial for i in plant.inverters]
    assert serials == [plant3.serial(u) for u in (1, 2, 3)]
    assert len(set(serials)) == 3
    assert plant.serial == plant3.serial(1)
    for inverter in plant.inverters:
        unit = inverter.unit_id
        assert inverter.model == plant3.value(unit, "model_type")
        assert inverter.pack_count == plant3.value(unit, "pack_count")
        assert inverter.pv_string_count == plant3.value(unit, "pv_string_count")
    assert [c.unit_id for c in plant.ac_chargers] == [4]
    assert plant.ac_chargers[0].rated_power == plant3.value(4, "ac_charger_rated_power")
    assert seen == list(range(1, 247))
    # 1 + 246 + 2 x 3 inverters + 1 AC charger probe (unit 4 answers 0x02 to 30500)
    assert plant3.stats.requests == 254
    assert plant3.stats.exceptions == {ILLEGAL_ADDRESS: 1, GATEWAY_NO_RESPONSE: 242}


async def test_identification_does_not_stop_at_a_gap(
    plant3: PlantSimulator, client3: SigenergyClient
) -> None:
    """Unit 2 answers like an absent id: units 3 and 4 behind the gap are still found."""
    plant3.faults.exceptions[2, BY_KEY["model_type"].address] = GATEWAY_NO_RESPONSE
    seen: list[int] = []

    plant = await identify_plant(client3, unit_ids=[1, 2, 3, 4, 5, 10], on_progress=seen.append)

    assert seen == [1, 2, 3, 4, 5, 10]
    assert [i.unit_id for i in plant.inverters] == [1, 3]
    assert [c.unit_id for c in plant.ac_chargers] == [4]


async def test_identification_sorts_inverters_by_unit_id(
    plant3: PlantSimulator, client3: SigenergyClient
) -> None:
    plant = await identify_plant(client3, unit_ids=[3, 10, 1, 2])
    assert [i.unit_id for i in plant.inverters] == [1, 2, 3]
    assert plant.serial == plant3.serial(1)


@pytest.mark.parametrize("order", [[1, 2, 3], [3, 2, 1]], ids=["ascending", "descending"])
async def test_identification_dedupes_by_serial(
    plant3: PlantSimulator, client3: SigenergyClient, order: list[int]
) -> None:
    """A device answering on two ids is one device: the lowest id is kept, in any order."""
    plant3.set_value(2, "serial_number", plant3.serial(1))

    plant = await identify_plant(client3, unit_ids=order)

    assert [(i.unit_id, i.serial) for i in plant.inverters] == [
        (1, plant3.serial(1)),
        (3, plant3.serial(3)),
    ]


async def test_identification_with_silent_missing_ids(loopback: None) -> None:
    sim = await start_simulator(missing_ids="silent")
    client = SigenergyClient(sim.host, sim.port)
    try:
        start = time.monotonic()
        plant = await identify_plant(client, unit_ids=range(1, 6), probe_timeout=0.1)
        elapsed = time.monotonic() - start
    finally:
        await client.close()
        await sim.stop()
    assert [i.unit_id for i in plant.inverters] == [1]
    assert client.stats.timeouts == 4
    # Each silent id drops the connection; the next id reconnects (ids 3, 4, 5).
    assert client.stats.connects == 1 + 3
    assert 0.4 <= elapsed < 2.0


async def test_unit_without_serial_is_not_an_inverter(
    simulator: PlantSimulator, client: SigenergyClient
) -> None:
    simulator.set_value(1, "serial_number", "")
    assert await probe_inverter(client, 1) is None
    assert simulator.stats.requests == 1  # no counts, no DC charger read
    plant = await identify_plant(client, unit_ids=[1])
    assert plant.inverters == ()
    assert plant.serial == ""


async def test_dc_charger_and_battery_detection(
    simulator: PlantSimulator, client: SigenergyClient
) -> None:
    simulator.set_value(1, "dc_charger_rated_charging_power", 25.0)
    simulator.set_value(1, "pack_count", 0)
    simulator.set_value(1, "rated_battery_capacity", 0)

    inverter = await probe_inverter(client, 1)

    assert inverter is not None
    assert inverter.dc_charger is True
    assert inverter.pack_count == 0
    assert inverter.battery_capacity == 0
    assert inverter.has_battery is False


async def test_missing_dc_charger_registers(
    simulator: PlantSimulator, client: SigenergyClient
) -> None:
    """Firmware without the DC charger block: the inverter is still found."""
    simulator.faults.unsupported.add((1, BY_KEY["dc_charger_rated_charging_power"].address))
    inverter = await probe_inverter(client, 1)
    assert inverter is not None
    assert inverter.serial == simulator.serial(1)
    assert inverter.dc_charger is False
    assert simulator.stats.exceptions == {ILLEGAL_ADDRESS: 1}


async def test_unit_refusing_the_identity_block_is_probed_for_an_ac_charger(
    simulator: PlantSimulator, client: SigenergyClient
) -> None:
    """An inverter that refuses 30500 (0x02) is asked for 32000, which it refuses too."""
    simulator.faults.unsupported.add((1, BY_KEY["model_type"].address))
    plant = await identify_plant(client, unit_ids=[1])
    assert plant.inverters == ()
    assert plant.ac_chargers == ()
    assert simulator.stats.requests == 3  # plant, 30500 (0x02), 32000 (0x02)
    assert simulator.stats.exceptions == {ILLEGAL_ADDRESS: 2}


async def test_other_exception_on_identity_skips_the_unit(
    simulator: PlantSimulator, client: SigenergyClient
) -> None:
    simulator.faults.exceptions[1, BY_KEY["model_type"].address] = DEVICE_FAILURE
    plant = await identify_plant(client, unit_ids=[1])
    assert plant.inverters == ()
    assert simulator.stats.requests == 2  # no AC charger probe after 0x04


async def test_ac_charger_probe_times_out(plant3: PlantSimulator, client3: SigenergyClient) -> None:
    """The AC charger probe of an id that hangs gives up after the probe timeout."""
    original = plant3._read_registers

    def stall_after_identity(unit_id: int, address: int, count: int) -> object:
        reply = original(unit_id, address, count)
        if unit_id == 4 and address == BY_KEY["model_type"].address:
            plant3.faults.stall(0.5)  # the next request, the AC charger probe, hangs
        return reply

    plant3._read_registers = stall_after_identity  # type: ignore[method-assign]
    plant = await identify_plant(client3, unit_ids=[4], probe_timeout=0.1)
    plant3.faults.clear_stall()
    assert plant.ac_chargers == ()
    assert client3.stats.timeouts == 1


# -- not a plant ------------------------------------------------------------------------------


async def test_not_a_plant_when_unit_247_refuses(
    simulator: PlantSimulator, client: SigenergyClient
) -> None:
    simulator.faults.exceptions[PLANT_UNIT_ID, 30000] = ILLEGAL_ADDRESS
    seen: list[int] = []
    with pytest.raises(NotASigenergyPlantError, match="does not answer as a Sigenergy plant"):
        await identify_plant(client, on_progress=seen.append)
    assert seen == []
    assert simulator.stats.requests == 1


async def test_not_a_plant_without_system_time(
    simulator: PlantSimulator, client: SigenergyClient
) -> None:
    simulator.set_value(PLANT_UNIT_ID, "system_time", None)
    with pytest.raises(NotASigenergyPlantError, match="no plant registers"):
        await probe_plant(client)


async def test_probe_plant_values(simulator: PlantSimulator, client: SigenergyClient) -> None:
    values = await probe_plant(client)
    assert values["system_time"] == simulator.value(PLANT_UNIT_ID, "system_time")
    assert values["plant_max_active_power"] == simulator.value(
        PLANT_UNIT_ID, "plant_max_active_power"
    )
    assert simulator.stats.requests == 1
    assert simulator.stats.registers_read == 12  # 30000-30011


async def test_identify_closed_port(simulator: PlantSimulator) -> None:
    await simulator.stop()
    client = SigenergyClient(simulator.host, simulator.port)
    with pytest.raises(SigenergyConnectionError):
        await identify_plant(client)


# -- scanning ---------------------------------------------------------------------------------


async def test_scan_hosts_finds_the_simulators(loopback: None) -> None:
    first = await start_simulator("127.0.0.2")
    second = await start_simulator("127.0.0.3", first.port)
    try:
        hosts = [f"127.0.0.{n}" for n in range(1, 7)]
        assert await scan_hosts(hosts, first.port, timeout=0.5) == ["127.0.0.2", "127.0.0.3"]
        assert await scan_hosts(hosts, first.port, concurrency=1, timeout=0.5) == [
            "127.0.0.2",
            "127.0.0.3",
        ]
        await second.stop()
        assert await scan_hosts(hosts, first.port, timeout=0.5) == ["127.0.0.2"]
    finally:
        await second.stop()
        await first.stop()
    # A port check opens and closes a connection; it sends no Modbus request.
    assert first.stats.requests == second.stats.requests == 0


async def test_port_open(simulator: PlantSimulator) -> None:
    assert await port_open(simulator.host, simulator.port, 0.5)
    await simulator.stop()
    assert not await port_open(simulator.host, simulator.port, 0.5)
