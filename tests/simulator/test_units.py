"""Units at any id, added and removed while running, and what absent ids answer."""

from __future__ import annotations

import asyncio
import re
import signal
import sys

import pytest
from pymodbus.client import AsyncModbusTcpClient
from pymodbus.exceptions import ModbusIOException

from simulator import PlantSimulator

from .conftest import NOON, TZ, connect
from .test_cli import ROOT

ILLEGAL_ADDRESS = 0x02
GATEWAY_NO_RESPONSE = 0x0B
SERIAL = 30515  # an inverter's serial number, 10 registers


def _plant(**options: object) -> PlantSimulator:
    return PlantSimulator(latency=0, auto_advance=False, tz=TZ, start_time=NOON, **options)  # type: ignore[arg-type]


async def test_units_at_ids_set_far_apart() -> None:
    """Inverters at 1, 7 and 200, the AC charger at 12: only those ids answer as devices."""
    async with _plant(unit_ids=[1, 7, 200], ac_charger_id=12) as sim:
        assert sim.model.unit_ids() == [247, 1, 7, 200, 12]
        assert sim.ac_charger_id == 12
        assert len({sim.serial(u) for u in (1, 7, 200)}) == 3
        client = await connect(sim)
        try:
            for unit in (1, 7, 200):
                reply = await client.read_input_registers(SERIAL, count=10, device_id=unit)
                assert not reply.isError(), (unit, reply)
            reply = await client.read_input_registers(SERIAL, count=10, device_id=2)
            assert reply.exception_code == GATEWAY_NO_RESPONSE
            reply = await client.read_input_registers(32000, count=15, device_id=12)
            assert not reply.isError(), reply
        finally:
            client.close()


@pytest.mark.parametrize(
    ("unit_ids", "ac_charger_id"),
    [([], None), ([1, 1], None), ([1, 247], None), ([1, 2], 2), ([0], None)],
)
def test_placement_is_checked(unit_ids: list[int], ac_charger_id: int | None) -> None:
    with pytest.raises(ValueError, match=r"unit ids|inverters"):
        _plant(unit_ids=unit_ids, ac_charger_id=ac_charger_id)


async def test_absent_ids_answer_illegal_address() -> None:
    async with _plant(missing_ids="illegal_address") as sim:
        client = await connect(sim)
        try:
            reply = await client.read_input_registers(SERIAL, count=10, device_id=9)
            assert reply.exception_code == ILLEGAL_ADDRESS
        finally:
            client.close()


async def test_units_added_removed_and_offline_while_running() -> None:
    """An installer adds inverter 5 and an AC charger at 9, removes 5; unit 1 goes offline."""
    async with _plant(unit_ids=[1, 2]) as sim:
        client = await connect(sim, timeout=0.3)
        try:
            serial = sim.add_inverter(5, rated_power=10.0)
            assert serial not in {sim.serial(1), sim.serial(2)}
            reply = await client.read_input_registers(SERIAL, count=10, device_id=5)
            assert not reply.isError(), reply
            assert sim.value(5, "rated_active_power") == 10.0
            with pytest.raises(ValueError, match="taken"):
                sim.add_inverter(2)
            sim.add_ac_charger(9)
            assert sim.ac_charger_id == 9
            with pytest.raises(ValueError, match="AC charger"):
                sim.add_ac_charger(10)

            sim.remove_unit(5)
            reply = await client.read_input_registers(SERIAL, count=10, device_id=5)
            assert reply.exception_code == GATEWAY_NO_RESPONSE
            sim.remove_unit(9)
            assert sim.ac_charger_id is None

            sim.faults.offline.add(1)
            reply = await client.read_input_registers(SERIAL, count=10, device_id=1)
            assert reply.exception_code == GATEWAY_NO_RESPONSE
            sim.faults.clear()
            reply = await client.read_input_registers(SERIAL, count=10, device_id=1)
            assert not reply.isError(), reply
        finally:
            client.close()
        sim.remove_unit(2)
        with pytest.raises(KeyError):
            sim.remove_unit(1)  # the last inverter: a plant has one at least


async def test_offline_unit_of_a_silent_plant_times_out() -> None:
    async with _plant(inverters=2, missing_ids="silent") as sim:
        sim.faults.offline.add(2)
        client = await connect(sim, timeout=0.3)
        try:
            with pytest.raises(ModbusIOException):
                await client.read_input_registers(SERIAL, count=10, device_id=2)
        finally:
            client.close()


async def test_command_line_places_units() -> None:
    """``--unit-ids``, ``--ac-charger-id`` and ``--missing-ids`` on the command line."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "simulator",
        "--port",
        "0",
        "--unit-ids",
        "1,4",
        "--ac-charger-id",
        "20",
        "--missing-ids",
        "illegal-address",
        "--latency",
        "0",
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        assert process.stdout is not None
        line = (await asyncio.wait_for(process.stdout.readline(), 20)).decode()
        match = re.search(r"on 127\.0\.0\.1:(\d+), unit ids 247, 1, 4, 20 ", line)
        assert match, line
        client = AsyncModbusTcpClient(
            "127.0.0.1", port=int(match[1]), timeout=2, retries=0, reconnect_delay=0
        )
        assert await client.connect()
        try:
            reply = await client.read_input_registers(SERIAL, count=10, device_id=2)
            assert reply.exception_code == ILLEGAL_ADDRESS
            reply = await client.read_input_registers(SERIAL, count=10, device_id=4)
            assert not reply.isError(), reply
        finally:
            client.close()
        process.send_signal(signal.SIGTERM)
        await asyncio.wait_for(process.communicate(), 10)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    assert process.returncode == 0
