"""Plant identification and host scanning against the simulator over loopback."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import pytest

from custom_components.sigenergy_modbus.protocol.client import SigenergyClient
from custom_components.sigenergy_modbus.protocol.discovery import (
    FIRST_PASS_GAP,
    IdentifyProgress,
    NotASigenergyPlantError,
    TooManyUnitsError,
    check_plant,
    identify_plant,
    port_open,
    probe_inverter,
    probe_plant,
    probe_unit,
    scan_hosts,
)
from custom_components.sigenergy_modbus.protocol.exceptions import (
    SigenergyConnectionError,
    SigenergyTimeoutError,
)
from custom_components.sigenergy_modbus.protocol.models import AcChargerInfo, InverterInfo
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
    seen: list[IdentifyProgress] = []

    found = await identify_plant(client, on_progress=seen.append)

    plant = found.plant
    assert found.next_unit_id is None  # every id was asked
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
    assert [p.unit_id for p in seen] == [PLANT_UNIT_ID, *DEVICE_UNIT_IDS, 246]
    assert seen[-1].fraction == 1.0
    assert seen[-1].inverters == 1


async def test_full_identification_request_count(
    simulator: PlantSimulator, client: SigenergyClient
) -> None:
    """Without a gap: 1 plant probe + 246 identity reads + 2 more for the one inverter.

    Absent ids answer 0x0B (gateway: no response), not 0x02, so none of them
    costs an AC charger probe.
    """
    await identify_plant(client)

    requests = simulator.stats.requests
    assert requests == 1 + 246 + 2 == 249
    assert client.stats.requests == requests
    assert simulator.stats.by_function == {RegisterKind.INPUT.value: requests}
    assert simulator.stats.exceptions == {GATEWAY_NO_RESPONSE: 245}
    assert simulator.stats.connections == 1
    assert simulator.stats.writes == []


async def test_first_pass_stops_after_the_gap(
    plant3: PlantSimulator, client3: SigenergyClient
) -> None:
    """Inverters 1-3 and the AC charger at 4, then two absent ids: it stops at 7."""
    seen: list[IdentifyProgress] = []

    found = await identify_plant(client3, on_progress=seen.append, gap=FIRST_PASS_GAP)

    assert [i.unit_id for i in found.plant.inverters] == [1, 2, 3]
    assert [c.unit_id for c in found.plant.ac_chargers] == [4]
    assert found.next_unit_id == 7
    assert [p.unit_id for p in seen] == [PLANT_UNIT_ID, 1, 2, 3, 4, 5, 6]
    fractions = [p.fraction for p in seen]
    assert fractions == sorted(fractions)
    # 1 + 3 x 3 inverters + 2 for the charger (0x02 to 30500, then 32000) + 2 absent
    assert plant3.stats.requests == 1 + 9 + 2 + 2
    assert plant3.stats.exceptions == {ILLEGAL_ADDRESS: 1, GATEWAY_NO_RESPONSE: 2}


async def test_first_pass_waits_for_the_first_inverter(loopback: None) -> None:
    """Inverters at 5 and 6: the absent ids before them do not end the first pass."""
    sim = await start_simulator(unit_ids=[5, 6])
    client = SigenergyClient(sim.host, sim.port)
    try:
        found = await identify_plant(client, gap=FIRST_PASS_GAP)
    finally:
        await client.close()
        await sim.stop()
    assert [i.unit_id for i in found.plant.inverters] == [5, 6]
    assert found.plant.serial == sim.serial(5)
    assert found.next_unit_id == 9


@pytest.mark.parametrize(
    "missing_ids", ["exception", "illegal_address", "silent"], ids=["0x0B", "0x02", "silent"]
)
async def test_non_contiguous_ids_are_all_found(loopback: None, missing_ids: str) -> None:
    """Inverters at 1, 7, 40 and an AC charger at 12: asking every id finds them all.

    The first pass stops after unit 3; asking the ids it left, one by one as
    the background sweep does, finds the rest, whatever absent ids answer.
    """
    sim = await start_simulator(unit_ids=[1, 7, 40], ac_charger_id=12, missing_ids=missing_ids)
    client = SigenergyClient(sim.host, sim.port, timeout=0.2)
    try:
        first = await identify_plant(client, gap=FIRST_PASS_GAP, probe_timeout=0.05)
        assert [i.unit_id for i in first.plant.inverters] == [1]
        assert first.next_unit_id == 4
        rest = []
        for unit_id in range(first.next_unit_id, 51):
            try:
                unit = await probe_unit(client, unit_id, 0.05)
            except SigenergyTimeoutError:
                continue
            if unit is not None:
                rest.append(unit)
    finally:
        await client.close()
        await sim.stop()
    assert [(type(u).__name__, u.unit_id) for u in rest] == [
        ("InverterInfo", 7),
        ("AcChargerInfo", 12),
        ("InverterInfo", 40),
    ]
    assert isinstance(rest[0], InverterInfo)
    assert rest[0].serial == sim.serial(7)
    assert isinstance(rest[1], AcChargerInfo)


async def test_identification_sorts_inverters_by_unit_id(
    plant3: PlantSimulator, client3: SigenergyClient
) -> None:
    plant = (await identify_plant(client3, unit_ids=[3, 10, 1, 2])).plant
    assert [i.unit_id for i in plant.inverters] == [1, 2, 3]
    assert plant.serial == plant3.serial(1)


@pytest.mark.parametrize("order", [[1, 2, 3], [3, 2, 1]], ids=["ascending", "descending"])
async def test_identification_dedupes_by_serial(
    plant3: PlantSimulator, client3: SigenergyClient, order: list[int]
) -> None:
    """A device answering on two ids is one device: the lowest id is kept, in any order."""
    plant3.set_value(2, "serial_number", plant3.serial(1))

    plant = (await identify_plant(client3, unit_ids=order)).plant

    assert [(i.unit_id, i.serial) for i in plant.inverters] == [
        (1, plant3.serial(1)),
        (3, plant3.serial(3)),
    ]


async def test_too_many_units(loopback: None) -> None:
    """More units than the limit stop the identification with a clear error."""
    sim = await start_simulator(inverters=4)
    client = SigenergyClient(sim.host, sim.port)
    try:
        with pytest.raises(TooManyUnitsError, match="more than 3 inverters") as raised:
            await identify_plant(client, gap=FIRST_PASS_GAP, limit=3)
    finally:
        await client.close()
        await sim.stop()
    assert raised.value.limit == 3
    assert sim.stats.requests == 1 + 4 * 3  # it stops at the fourth


async def test_identification_with_silent_missing_ids(loopback: None) -> None:
    sim = await start_simulator(missing_ids="silent")
    client = SigenergyClient(sim.host, sim.port)
    try:
        start = time.monotonic()
        found = await identify_plant(client, unit_ids=range(1, 6), probe_timeout=0.1)
        elapsed = time.monotonic() - start
    finally:
        await client.close()
        await sim.stop()
    assert [i.unit_id for i in found.plant.inverters] == [1]
    assert client.stats.timeouts == 4
    # Each silent id drops the connection; the next id reconnects (ids 3, 4, 5).
    assert client.stats.connects == 1 + 3
    assert 0.4 <= elapsed < 2.0


async def test_probe_timeout_follows_a_slow_plant(loopback: None) -> None:
    """Replies that take 0.1 s make a probe wait four times that, not the 0.05 s least."""
    sim = await start_simulator(missing_ids="silent", latency=0.1)
    client = SigenergyClient(sim.host, sim.port)
    try:
        start = time.monotonic()
        found = await identify_plant(client, gap=FIRST_PASS_GAP, probe_timeout=0.05)
        elapsed = time.monotonic() - start
    finally:
        await client.close()
        await sim.stop()
    assert [i.unit_id for i in found.plant.inverters] == [1]
    assert client.stats.timeouts == 2
    # 4 answered requests (0.4 s) and two silent ids at about 4 x 0.1 s each
    assert 1.0 <= elapsed < 2.5


async def test_unit_without_serial_is_not_an_inverter(
    simulator: PlantSimulator, client: SigenergyClient
) -> None:
    simulator.set_value(1, "serial_number", "")
    assert await probe_inverter(client, 1) is None
    assert simulator.stats.requests == 1  # no counts, no DC charger read
    plant = (await identify_plant(client, unit_ids=[1])).plant
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


async def test_refused_counts_leave_an_inverter_an_inverter(
    simulator: PlantSimulator, client: SigenergyClient
) -> None:
    """An inverter refusing 31024-31026 is still one (not probed as an AC charger)."""
    simulator.faults.unsupported.add((1, BY_KEY["pack_count"].address))
    unit = await probe_unit(client, 1)
    assert isinstance(unit, InverterInfo)
    assert (unit.pack_count, unit.pv_string_count) == (0, 0)
    assert simulator.stats.requests == 3


async def test_unit_refusing_the_identity_block_is_probed_for_an_ac_charger(
    simulator: PlantSimulator, client: SigenergyClient
) -> None:
    """An inverter that refuses 30500 (0x02) is asked for 32000, which it refuses too."""
    simulator.faults.unsupported.add((1, BY_KEY["model_type"].address))
    plant = (await identify_plant(client, unit_ids=[1])).plant
    assert plant.inverters == ()
    assert plant.ac_chargers == ()
    assert simulator.stats.requests == 3  # plant, 30500 (0x02), 32000 (0x02)
    assert simulator.stats.exceptions == {ILLEGAL_ADDRESS: 2}


async def test_other_exception_on_identity_skips_the_unit(
    simulator: PlantSimulator, client: SigenergyClient
) -> None:
    simulator.faults.exceptions[1, BY_KEY["model_type"].address] = DEVICE_FAILURE
    plant = (await identify_plant(client, unit_ids=[1])).plant
    assert plant.inverters == ()
    assert simulator.stats.requests == 2  # no AC charger probe after 0x04


async def test_ac_charger_probe_times_out(plant3: PlantSimulator, client3: SigenergyClient) -> None:
    """An AC charger probe that hangs is a silent id: it gives up after the probe timeout."""
    original = plant3._read_registers

    def stall_after_identity(unit_id: int, address: int, count: int) -> object:
        reply = original(unit_id, address, count)
        if unit_id == 4 and address == BY_KEY["model_type"].address:
            plant3.faults.stall(0.5)  # the next request, the AC charger probe, hangs
        return reply

    plant3._read_registers = stall_after_identity  # type: ignore[method-assign]
    plant = (await identify_plant(client3, unit_ids=[4], probe_timeout=0.1)).plant
    plant3.faults.clear_stall()
    assert plant.ac_chargers == ()
    assert client3.stats.timeouts == 1


async def test_implausible_ac_charger_is_none(
    plant3: PlantSimulator, client3: SigenergyClient
) -> None:
    """An AC charger whose state is outside Appendix 7 is no AC charger."""
    plant3.set_value(4, "ac_charger_system_state", 99)
    assert await probe_unit(client3, 4) is None


# -- the DHCP check: two requests ---------------------------------------------------------


async def test_check_plant_costs_two_requests(
    simulator: PlantSimulator, client: SigenergyClient
) -> None:
    check = await check_plant(client)
    assert check.serial == simulator.serial(1)
    assert check.model == "SigenStor EC 12.0 TP"
    assert simulator.stats.requests == 2


async def test_check_plant_without_inverter_at_1(loopback: None) -> None:
    sim = await start_simulator(unit_ids=[2], missing_ids="silent")
    client = SigenergyClient(sim.host, sim.port)
    try:
        check = await check_plant(client)
    finally:
        await client.close()
        await sim.stop()
    assert (check.model, check.serial) == (None, None)
    assert sim.stats.requests == 2


# -- not a plant ------------------------------------------------------------------------------


async def test_not_a_plant_when_unit_247_refuses(
    simulator: PlantSimulator, client: SigenergyClient
) -> None:
    simulator.faults.exceptions[PLANT_UNIT_ID, 30000] = ILLEGAL_ADDRESS
    seen: list[IdentifyProgress] = []
    with pytest.raises(NotASigenergyPlantError, match="does not answer as a Sigenergy plant"):
        await identify_plant(client, on_progress=seen.append)
    assert [p.unit_id for p in seen] == [PLANT_UNIT_ID]
    assert simulator.stats.requests == 1


async def test_not_a_plant_without_system_time(
    simulator: PlantSimulator, client: SigenergyClient
) -> None:
    simulator.set_value(PLANT_UNIT_ID, "system_time", None)
    with pytest.raises(NotASigenergyPlantError, match="no system time"):
        await probe_plant(client)


async def test_errors_do_not_name_the_address(
    simulator: PlantSimulator, client: SigenergyClient
) -> None:
    """What identification raises ends up in logs: it never names the host or port."""
    simulator.faults.exceptions[PLANT_UNIT_ID, 30000] = ILLEGAL_ADDRESS
    with pytest.raises(NotASigenergyPlantError) as refused:
        await probe_plant(client)
    simulator.faults.exceptions.clear()
    simulator.set_value(PLANT_UNIT_ID, "grid_status", 9)
    with pytest.raises(NotASigenergyPlantError) as implausible:
        await probe_plant(client)
    for err in (refused.value, implausible.value):
        assert simulator.host not in str(err)


async def test_probe_plant_values(simulator: PlantSimulator, client: SigenergyClient) -> None:
    values = await probe_plant(client)
    assert values["system_time"] == simulator.value(PLANT_UNIT_ID, "system_time")
    assert values["plant_max_active_power"] == simulator.value(
        PLANT_UNIT_ID, "plant_max_active_power"
    )
    assert values["plant_running_state"] == simulator.value(PLANT_UNIT_ID, "plant_running_state")
    assert simulator.stats.requests == 1
    assert simulator.stats.registers_read == 52  # 30000-30051


async def test_identify_closed_port(simulator: PlantSimulator) -> None:
    await simulator.stop()
    client = SigenergyClient(simulator.host, simulator.port)
    with pytest.raises(SigenergyConnectionError):
        await identify_plant(client)


# -- scanning ---------------------------------------------------------------------------------


async def test_scan_hosts_finds_the_simulators(loopback: None) -> None:
    first = await start_simulator("127.0.0.2")
    second = await start_simulator("127.0.0.3", first.port)
    heard: list[tuple[str, bool]] = []
    try:
        hosts = [f"127.0.0.{n}" for n in range(1, 7)]
        found = await scan_hosts(
            hosts, first.port, timeout=0.5, on_result=lambda h, o: heard.append((h, o))
        )
        assert found == ["127.0.0.2", "127.0.0.3"]
        assert sorted(heard) == [(h, h in found) for h in hosts]
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
