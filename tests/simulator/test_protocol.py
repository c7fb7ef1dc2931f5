"""The simulator behaves like the device on the wire (Modbus TCP over loopback)."""

from __future__ import annotations

import asyncio
import time

import pytest
from pymodbus.client import AsyncModbusTcpClient
from pymodbus.exceptions import ModbusIOException

from custom_components.sigenergy_modbus.protocol import codec
from custom_components.sigenergy_modbus.protocol.registers import BY_KEY
from simulator import PlantSimulator

from .conftest import NOON, TZ, connect

ILLEGAL_FUNCTION = 0x01
ILLEGAL_ADDRESS = 0x02
ILLEGAL_VALUE = 0x03
DEVICE_FAILURE = 0x04
DEVICE_BUSY = 0x06
GATEWAY_NO_RESPONSE = 0x0B


def decoded(key: str, words: list[int]) -> object:
    """Decode the words of a register by key."""
    return codec.decode(BY_KEY[key], words)


# --------------------------------------------------------------------------- addressing


async def test_address_is_served_exactly_as_sent(
    sim: PlantSimulator, client: AsyncModbusTcpClient
) -> None:
    """30540 is rated active power: U32 gain 1000, 12 kW -> 00 00 2E E0."""
    for read in (client.read_input_registers, client.read_holding_registers):
        reply = await read(30540, count=2, device_id=1)
        assert not reply.isError(), reply
        assert reply.registers == [0, 12000]
    # One register further is the low word of the rated power: a read starting
    # inside a value is refused, as real devices do.
    reply = await client.read_input_registers(30541, count=2, device_id=1)
    assert reply.isError()
    assert reply.exception_code == ILLEGAL_ADDRESS
    reply = await client.read_input_registers(30500, count=15, device_id=1)
    assert decoded("model_type", reply.registers) == "SigenStor EC 12.0 TP"
    reply = await client.read_input_registers(30515, count=10, device_id=1)
    assert decoded("serial_number", reply.registers) == sim.serial(1)


async def test_raw_frames_and_pipelined_requests(sim: PlantSimulator) -> None:
    """The protocol's example frame, twice in one TCP segment: two answers."""
    reader, writer = await asyncio.open_connection(sim.host, sim.port)
    try:
        request = bytes.fromhex("0001 0000 0006 01 03 774C 0002")
        second = bytes.fromhex("0002 0000 0006 01 04 774C 0002")
        writer.write(request + second)
        await writer.drain()
        first_reply = await asyncio.wait_for(reader.readexactly(13), 2)
        second_reply = await asyncio.wait_for(reader.readexactly(13), 2)
    finally:
        writer.close()
        await writer.wait_closed()
    assert first_reply == bytes.fromhex("0001 0000 0007 01 03 04 0000 2EE0")
    assert second_reply == bytes.fromhex("0002 0000 0007 01 04 04 0000 2EE0")


async def test_holding_and_input_registers_read_with_either_code(
    client: AsyncModbusTcpClient,
) -> None:
    """The protocol's own examples read 3xxxx with 0x03 and 4xxxx with 0x04."""
    for read in (client.read_input_registers, client.read_holding_registers):
        reply = await read(40047, count=2, device_id=247)
        assert reply.registers == [1000, 50]  # charge cut-off 100.0 %, discharge 5.0 %
        reply = await read(30014, count=1, device_id=247)
        assert not reply.isError()


@pytest.mark.parametrize(
    ("unit", "address", "count"),
    [
        (1, 30620, 5),  # 30624 follows the last register of the 30500 block
        (1, 30000, 1),  # a plant register, on an inverter
        (247, 30540, 2),  # an inverter register, on the plant
        (247, 30287, 1),  # after the end of table 5-1
        (247, 40000, 1),  # Start/Stop is write-only
        (1, 40500, 1),  # write-only
        (1, 41001, 1),  # a write-only Reserved row
        (247, 39999, 2),  # straddles the start of the holding table
    ],
)
async def test_unmapped_addresses_answer_illegal_address(
    client: AsyncModbusTcpClient, unit: int, address: int, count: int
) -> None:
    reply = await client.read_holding_registers(address, count=count, device_id=unit)
    assert reply.isError()
    assert reply.exception_code == ILLEGAL_ADDRESS


async def test_reserved_ranges_read_as_zero(client: AsyncModbusTcpClient) -> None:
    reply = await client.read_input_registers(30552, count=14, device_id=1)
    assert not reply.isError(), reply
    assert reply.registers[2:] == [0] * 12  # 30554-30565 Reserved
    reply = await client.read_input_registers(30072, count=13, device_id=247)
    assert reply.registers[1:11] == [0] * 10  # 30073-30082 Reserved
    reply = await client.read_holding_registers(40025, count=6, device_id=247)
    assert reply.registers[1:4] == [0, 0, 0]  # 40026-40028 Reserved


async def test_read_limit_is_124_registers(client: AsyncModbusTcpClient) -> None:
    reply = await client.read_input_registers(30100, count=124, device_id=247)
    assert not reply.isError()
    assert len(reply.registers) == 124
    reply = await client.read_input_registers(30100, count=125, device_id=247)
    assert reply.exception_code == ILLEGAL_VALUE


async def test_unsupported_function_answers_illegal_function(
    client: AsyncModbusTcpClient,
) -> None:
    reply = await client.readwrite_registers(
        read_address=40047, read_count=1, write_address=40047, values=[900], device_id=247
    )
    assert reply.exception_code == ILLEGAL_FUNCTION


# --------------------------------------------------------------------------- writes


async def test_writes_are_validated(sim: PlantSimulator, client: AsyncModbusTcpClient) -> None:
    write = client.write_register
    assert (await write(40048, 1001, device_id=247)).exception_code == ILLEGAL_VALUE  # 100.1 %
    assert (await write(40031, 7, device_id=247)).exception_code == ILLEGAL_VALUE  # Reserved mode
    assert (await write(40029, 2, device_id=247)).exception_code == ILLEGAL_VALUE  # 0/1 only
    assert (await write(30601, 1, device_id=1)).exception_code == ILLEGAL_ADDRESS  # RO
    assert (await write(40026, 1, device_id=247)).exception_code == ILLEGAL_ADDRESS  # Reserved
    assert (await write(40047, 900, device_id=1)).exception_code == ILLEGAL_ADDRESS  # plant reg
    assert (await write(40036, 0, device_id=247)).exception_code == ILLEGAL_VALUE  # 2 words
    assert (await write(40037, 0, device_id=247)).exception_code == ILLEGAL_ADDRESS  # mid-register
    reply = await client.write_registers(40047, [900, 100, 0], device_id=247)
    assert reply.exception_code == ILLEGAL_VALUE  # 40049 is a U32: only its first word
    assert sim.value(247, "ess_charge_cut_off_soc") == 100.0  # nothing was applied

    reply = await write(40048, 200, device_id=247)
    assert not reply.isError(), reply
    assert reply.registers == [200]
    assert sim.value(247, "ess_discharge_cut_off_soc") == 20.0
    assert sim.value(247, "plant_ess_discharge_cut_off_soc") == 20.0

    reply = await client.write_registers(40047, [900, 100], device_id=247)
    assert not reply.isError()
    assert sim.value(247, "ess_charge_cut_off_soc") == 90.0
    assert sim.value(247, "ess_discharge_cut_off_soc") == 10.0

    # 40042 PCS export limit: all ones means "not valid" (no limit)
    reply = await client.write_registers(40042, [0xFFFF, 0xFFFF], device_id=247)
    assert not reply.isError()
    assert sim.value(247, "pcs_max_export_limit") is None


async def test_plant_settings_take_effect(
    sim: PlantSimulator, client: AsyncModbusTcpClient
) -> None:
    assert sim.value(247, "plant_pv_power") > 5.0
    reply = await client.write_registers(40036, [0, 2000], device_id=247)  # PV limit 2 kW
    assert not reply.isError()
    assert sim.value(247, "plant_pv_power") <= 2.0

    assert sim.value(247, "ems_work_mode") == 0
    await client.write_register(40031, 1, device_id=247)  # remote EMS: standby
    await client.write_register(40029, 1, device_id=247)  # remote EMS on
    assert sim.value(247, "ems_work_mode") == 7
    assert sim.value(247, "plant_ess_power") == 0.0
    await client.write_register(40029, 0, device_id=247)
    assert sim.value(247, "ems_work_mode") == 0

    await client.write_register(40000, 0, device_id=247)  # plant stop
    assert sim.value(247, "plant_running_state") == 3
    assert sim.value(1, "running_state") == 3
    assert sim.value(247, "plant_pv_power") == 0.0
    await client.write_register(40000, 1, device_id=247)
    assert sim.value(247, "plant_running_state") == 1


async def test_broadcast_write_is_executed_without_reply(
    sim: PlantSimulator, client: AsyncModbusTcpClient
) -> None:
    await client.write_register(40048, 300, device_id=0, no_response_expected=True)
    for _ in range(50):
        if sim.value(247, "ess_discharge_cut_off_soc") == 30.0:
            break
        await asyncio.sleep(0.01)
    assert sim.value(247, "ess_discharge_cut_off_soc") == 30.0
    assert sim.stats.writes[-1] == (0, 6, 40048, [300])


# --------------------------------------------------------------------------- coils


async def test_coils_and_discrete_inputs(sim: PlantSimulator, client: AsyncModbusTcpClient) -> None:
    reply = await client.read_coils(0, count=2, device_id=1)
    assert reply.bits[:2] == [False, False]
    reply = await client.write_coil(1, True, device_id=1)
    assert not reply.isError(), reply
    assert sim.coil(1, 1) is True
    assert (await client.read_coils(0, count=2, device_id=1)).bits[:2] == [False, True]
    await client.write_coil(1, False, device_id=1)
    assert sim.coil(1, 1) is False

    sim.set_discrete_input(1, 3, True)
    reply = await client.read_discrete_inputs(0, count=5, device_id=1)
    assert reply.bits[:5] == [False, False, False, True, False]
    assert sim.discrete_input(1, 3) is True

    assert (await client.read_coils(2, count=1, device_id=1)).exception_code == ILLEGAL_ADDRESS
    assert (await client.read_coils(0, count=3, device_id=1)).exception_code == ILLEGAL_ADDRESS
    assert (await client.write_coil(2, True, device_id=1)).exception_code == ILLEGAL_ADDRESS
    reply = await client.read_discrete_inputs(5, count=1, device_id=1)
    assert reply.exception_code == ILLEGAL_ADDRESS
    for unit in (247,):
        assert (
            await client.read_coils(0, count=1, device_id=unit)
        ).exception_code == ILLEGAL_ADDRESS
        reply = await client.read_discrete_inputs(0, count=1, device_id=unit)
        assert reply.exception_code == ILLEGAL_ADDRESS


async def test_no_coils_firmware_answers_illegal_function() -> None:
    async with PlantSimulator(
        coils=False, latency=0, auto_advance=False, tz=TZ, start_time=NOON
    ) as sim:
        client = await connect(sim)
        try:
            assert (
                await client.read_coils(0, count=1, device_id=1)
            ).exception_code == ILLEGAL_FUNCTION
            assert (
                await client.write_coil(0, True, device_id=1)
            ).exception_code == ILLEGAL_FUNCTION
            reply = await client.read_discrete_inputs(0, count=1, device_id=1)
            assert reply.exception_code == ILLEGAL_FUNCTION
            assert (
                await client.read_coils(0, count=1, device_id=247)
            ).exception_code == ILLEGAL_FUNCTION
            assert not (await client.read_input_registers(30540, count=2, device_id=1)).isError()
        finally:
            client.close()


# --------------------------------------------------------------------------- unit ids


async def test_missing_unit_answers_gateway_no_response(client: AsyncModbusTcpClient) -> None:
    start = time.monotonic()
    reply = await client.read_input_registers(30540, count=2, device_id=9)
    assert reply.exception_code == GATEWAY_NO_RESPONSE
    assert time.monotonic() - start < 0.5


async def test_missing_unit_silent_mode_times_out() -> None:
    async with PlantSimulator(
        missing_ids="silent", latency=0, auto_advance=False, tz=TZ, start_time=NOON
    ) as sim:
        client = await connect(sim, timeout=0.3)
        try:
            with pytest.raises(ModbusIOException):
                await client.read_input_registers(30540, count=2, device_id=9)
        finally:
            client.close()


async def test_ac_charger_unit() -> None:
    async with PlantSimulator(
        inverters=2, ac_charger=True, latency=0, auto_advance=False, tz=TZ, start_time=NOON
    ) as sim:
        assert sim.ac_charger_id == 3
        client = await connect(sim)
        try:
            reply = await client.read_input_registers(32000, count=15, device_id=3)
            assert not reply.isError(), reply
            assert decoded("ac_charger_rated_power", reply.registers[5:7]) == 11.0
            reply = await client.read_input_registers(30540, count=2, device_id=3)
            assert reply.exception_code == ILLEGAL_ADDRESS
            reply = await client.write_registers(42001, [0, 1000], device_id=3)  # 10 A
            assert not reply.isError()
            assert sim.value(3, "ac_charger_output_current") == 10.0
            reply = await client.write_registers(42001, [0, 500], device_id=3)  # 5 A < 6 A
            assert reply.exception_code == ILLEGAL_VALUE
        finally:
            client.close()


# --------------------------------------------------------------------------- faults


async def test_exception_rules_and_unsupported_registers(
    sim: PlantSimulator, client: AsyncModbusTcpClient
) -> None:
    sim.faults.exceptions[1, 30601] = DEVICE_FAILURE
    assert (await client.read_input_registers(30599, count=4, device_id=1)).exception_code == 4
    assert not (await client.read_input_registers(30599, count=2, device_id=1)).isError()
    sim.faults.exceptions[1, 30599] = DEVICE_BUSY  # a register's start: covers both words
    assert (await client.read_input_registers(30600, count=1, device_id=1)).exception_code == 6
    sim.faults.exceptions.clear()

    sim.faults.unsupported.add((1, 30540))
    reply = await client.read_input_registers(30540, count=4, device_id=1)
    assert reply.exception_code == ILLEGAL_ADDRESS
    assert not (await client.read_input_registers(30542, count=2, device_id=1)).isError()
    sim.faults.unsupported.clear()
    assert not (await client.read_input_registers(30540, count=4, device_id=1)).isError()

    sim.faults.exceptions[1, 0] = DEVICE_FAILURE  # coil 0 (DO1)
    assert (await client.write_coil(0, True, device_id=1)).exception_code == DEVICE_FAILURE
    assert (await client.read_coils(0, count=2, device_id=1)).exception_code == DEVICE_FAILURE
    assert not (await client.read_coils(1, count=1, device_id=1)).isError()
    assert sim.coil(1, 0) is False


async def test_forced_values(sim: PlantSimulator, client: AsyncModbusTcpClient) -> None:
    sim.set_value(1, "ess_soc", None)
    reply = await client.read_input_registers(30601, count=1, device_id=1)
    assert reply.registers == [0xFFFF]
    assert sim.value(1, "ess_soc") is None
    sim.set_raw(1, "pv_power", [0x8000, 0])
    reply = await client.read_input_registers(31035, count=2, device_id=1)
    assert reply.registers == [0x8000, 0]
    sim.set_value(1, "model_type", "Garbage")
    assert sim.value(1, "model_type") == "Garbage"
    sim.clear_override(1, "ess_soc")
    sim.clear_overrides()
    assert sim.value(1, "ess_soc") is not None
    assert sim.value(1, "model_type") == "SigenStor EC 12.0 TP"
    sim.set_firmware(1, "V100R001C00SPC113")
    reply = await client.read_input_registers(30525, count=15, device_id=1)
    assert decoded("firmware_version", reply.registers) == "V100R001C00SPC113"


async def test_latency_and_one_request_at_a_time(sim: PlantSimulator) -> None:
    sim.faults.latency = 0.04
    clients = [await connect(sim) for _ in range(2)]
    try:

        async def poll(client: AsyncModbusTcpClient) -> None:
            for _ in range(3):
                reply = await client.read_input_registers(30601, count=1, device_id=1)
                assert not reply.isError()

        start = time.monotonic()
        await asyncio.gather(*(poll(c) for c in clients))
        elapsed = time.monotonic() - start
    finally:
        for client in clients:
            client.close()
    assert elapsed >= 6 * 0.04 * 0.95  # six requests, served one after another
    assert sim.stats.requests == 6
    assert sim.stats.connections == 2


async def test_stall(sim: PlantSimulator) -> None:
    client = await connect(sim, timeout=0.3)
    try:
        sim.faults.stall(0.2)
        start = time.monotonic()
        assert not (await client.read_input_registers(30601, count=1, device_id=1)).isError()
        assert time.monotonic() - start >= 0.18

        sim.faults.stall(None)
        assert sim.faults.stalled
        with pytest.raises(ModbusIOException):
            await client.read_input_registers(30601, count=1, device_id=1)
    finally:
        client.close()
    sim.faults.clear_stall()
    assert not sim.faults.stalled
    client = await connect(sim)
    try:
        assert not (await client.read_input_registers(30601, count=1, device_id=1)).isError()
    finally:
        client.close()


async def test_stats(sim: PlantSimulator, client: AsyncModbusTcpClient) -> None:
    sim.stats.reset()
    await client.read_input_registers(30540, count=2, device_id=1)
    await client.read_holding_registers(40047, count=2, device_id=247)
    await client.read_input_registers(30000, count=2, device_id=1)  # exception 0x02
    await client.write_register(40048, 100, device_id=247)
    await client.write_registers(40036, [0, 5000], device_id=247)
    await client.write_coil(0, True, device_id=1)
    stats = sim.stats
    assert stats.requests == 6
    assert stats.by_function == {4: 2, 3: 1, 6: 1, 16: 1, 5: 1}
    assert stats.registers_read == 4
    assert stats.writes == [
        (247, 6, 40048, [100]),
        (247, 16, 40036, [0, 5000]),
        (1, 5, 0, [1]),
    ]
    assert stats.exceptions == {ILLEGAL_ADDRESS: 1}
    assert stats.active_connections == 1
    stats.reset()
    assert stats.requests == 0
    assert stats.by_function == {}
    assert stats.active_connections == 1


async def test_drop_connections(sim: PlantSimulator, client: AsyncModbusTcpClient) -> None:
    assert not (await client.read_input_registers(30601, count=1, device_id=1)).isError()
    assert sim.stats.active_connections == 1
    sim.drop_connections()
    assert sim.stats.active_connections == 0
    for _ in range(50):
        if not client.connected:
            break
        await asyncio.sleep(0.01)
    assert not client.connected
    again = await connect(sim)
    try:
        assert not (await again.read_input_registers(30601, count=1, device_id=1)).isError()
    finally:
        again.close()


async def test_stop_and_restart_on_the_same_port(sim: PlantSimulator) -> None:
    port = sim.port
    client = await connect(sim)
    client.close()
    await sim.stop()
    assert not sim.running
    refused = AsyncModbusTcpClient(sim.host, port=port, timeout=0.5, retries=0, reconnect_delay=0)
    assert not await refused.connect()
    refused.close()
    await sim.restart()
    assert sim.running
    assert sim.port == port
    client = await connect(sim)
    try:
        reply = await client.read_input_registers(30540, count=2, device_id=1)
        assert reply.registers == [0, 12000]
    finally:
        client.close()


async def test_clock_runs_at_speed() -> None:
    sim = PlantSimulator(speed=3600.0, latency=0, tz=TZ, start_time=NOON)
    start = sim.time
    await asyncio.sleep(0.1)
    assert sim.time - start >= 300  # 0.1 s at one hour per second
    sim.advance(600)
    assert sim.time - start >= 900
    assert sim.value(247, "system_time") >= int(start) + 900
