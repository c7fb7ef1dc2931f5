"""Firmware profiles: the simulator answers the way real firmware does (over TCP)."""

from __future__ import annotations

import asyncio
import re
import signal
import sys
from typing import TYPE_CHECKING

import pytest
from pymodbus.client import AsyncModbusTcpClient

from custom_components.sigenergy_modbus.protocol import codec
from custom_components.sigenergy_modbus.protocol.registers import (
    BY_KEY,
    RESERVED,
    DeviceKind,
    Register,
)
from simulator import PlantSimulator
from simulator.firmware import DEFAULT_FIRMWARE, PROFILES
from simulator.registermap import unit_map

from .conftest import NOON, TZ, connect
from .test_cli import ROOT

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

ILLEGAL_FUNCTION = 0x01
ILLEGAL_ADDRESS = 0x02
REAL = [name for name in PROFILES if name != "v2.9"]


@pytest.fixture
async def plant(request: pytest.FixtureRequest) -> AsyncIterator[PlantSimulator]:
    """A plant with the firmware (and options) the test is parametrised with."""
    options: dict[str, object] = {"start_time": NOON, **getattr(request, "param", {})}
    async with PlantSimulator(
        inverters=1,
        latency=0,
        auto_advance=False,
        tz=TZ,
        **options,  # type: ignore[arg-type]
    ) as simulator:
        yield simulator


async def read(
    simulator: PlantSimulator, unit_id: int, address: int, count: int
) -> list[int] | int:
    """Read input or holding registers: the words, or the exception code."""
    client = await connect(simulator)
    try:
        call = client.read_input_registers if address < 40000 else client.read_holding_registers
        reply = await call(address, count=count, device_id=unit_id)
    finally:
        client.close()
    return int(reply.exception_code) if reply.isError() else list(reply.registers)


def value(key: str, words: list[int] | int) -> object:
    assert isinstance(words, list), words
    return codec.decode(BY_KEY[key], words)


def test_profiles() -> None:
    assert list(PROFILES) == ["v2.9", "spc116", "early-2025", "spc109", "v2.8"]
    assert PROFILES["v2.9"].coils
    assert not any(PROFILES[name].coils for name in REAL)
    with pytest.raises(ValueError, match="firmware must be one of"):
        PlantSimulator(firmware="v3.0")


async def test_the_default_is_the_protocol(sim: PlantSimulator) -> None:
    assert sim.firmware.name == "v2.9"
    assert sim.value(1, "firmware_version") == DEFAULT_FIRMWARE
    assert isinstance(await read(sim, 247, 40157, 2), list)
    assert isinstance(await read(sim, 247, 50000, 3), list)
    assert isinstance(await read(sim, 1, 31500, 27), list)
    assert await read(sim, 247, 30281, 1) == [0]


@pytest.mark.parametrize("plant", [{"firmware": name} for name in REAL], indirect=True, ids=REAL)
async def test_real_firmware_has_no_coils_and_refuses_what_sigenstor_refuses(
    plant: PlantSimulator,
) -> None:
    client = await connect(plant)
    try:
        assert (await client.read_coils(0, count=2, device_id=1)).exception_code == ILLEGAL_FUNCTION
        reply = await client.read_discrete_inputs(0, count=5, device_id=1)
        assert reply.exception_code == ILLEGAL_FUNCTION
    finally:
        client.close()
    assert await read(plant, 247, 40157, 1) == ILLEGAL_ADDRESS
    assert await read(plant, 247, 40158, 1) == ILLEGAL_ADDRESS
    assert await read(plant, 247, 50000, 1) == ILLEGAL_ADDRESS
    assert await read(plant, 247, 50183, 1) == ILLEGAL_ADDRESS
    assert plant.value(1, "firmware_version") == plant.firmware.version


@pytest.mark.parametrize(
    "plant", [{"firmware": name} for name in PROFILES], indirect=True, ids=list(PROFILES)
)
async def test_reads_across_reserved_gaps_work_reads_splitting_a_value_do_not(
    plant: PlantSimulator,
) -> None:
    """Every profile: the reserved gaps read across; a read may not start or end mid-value."""
    for reserved in RESERVED:
        if reserved.address >= 40000 or not reserved.access.readable:
            continue
        unit, kind = (
            (247, DeviceKind.PLANT) if reserved.address < 30500 else (1, DeviceKind.INVERTER)
        )
        owners = unit_map(kind)
        before, after = owners.owner(reserved.address - 1), owners.owner(reserved.end)
        assert before is not None
        assert after is not None
        words = await read(plant, unit, before.address, reserved.end - before.address)
        assert isinstance(words, list), reserved
        assert words[reserved.address - before.address :] == [0] * reserved.count
        across = await read(plant, unit, before.address, after.end - before.address)
        if isinstance(after, Register) and after.key in plant.firmware.refused:
            assert across == ILLEGAL_ADDRESS  # the gap reads; the register after it does not
        else:
            assert isinstance(across, list), reserved
    assert isinstance(await read(plant, 247, 30100, 124), list)
    assert await read(plant, 1, 30541, 1) == ILLEGAL_ADDRESS  # starts inside 30540-30541
    assert await read(plant, 1, 30540, 3) == ILLEGAL_ADDRESS  # ends inside 30542-30543
    assert await read(plant, 1, 30500, 14) == ILLEGAL_ADDRESS  # ends inside the model string
    assert isinstance(await read(plant, 1, 30540, 4), list)


@pytest.mark.parametrize("plant", [{"firmware": "spc116", "phases": 1}], indirect=True)
async def test_spc116_single_phase(plant: PlantSimulator) -> None:
    """All ones in alarm 7 and where values are absent, -1 on absent signed channels."""
    assert await read(plant, 247, 30281, 1) == [0xFFFF]  # alarm 7
    assert await read(plant, 247, 30279, 1) == [0xFFFF]
    assert await read(plant, 1, 30622, 2) == [0xFFFF, 0xFFFF]  # highest/lowest cell voltage
    assert value("output_type", await read(plant, 1, 31004, 1)) == 0  # L/N
    assert value("phase_a_voltage", await read(plant, 1, 31011, 2)) > 200  # type: ignore[operator]
    assert await read(plant, 1, 31013, 2) == [0xFFFF, 0xFFFF]  # phase B voltage: all ones
    assert value("phase_b_current", await read(plant, 1, 31019, 2)) == -0.01  # -1
    assert value("phase_c_current", await read(plant, 1, 31021, 2)) == -0.01
    strings = plant.model.inverter(1).spec.pv_strings
    assert value(f"pv{strings}_voltage", await read(plant, 1, 31025 + 2 * strings, 1)) > 0  # type: ignore[operator]
    assert value("pv4_voltage", await read(plant, 1, 31033, 1)) == -0.1  # beyond the count
    assert value("pv36_current", await read(plant, 1, 31105, 1)) == -0.01
    # Not set until written; 40053 reads beyond the protocol's 0-10.0.
    assert await read(plant, 247, 40032, 4) == [0xFFFF] * 4
    assert value("lvrt_negative_sequence_factor", await read(plant, 247, 40053, 1)) == 20.0
    assert await read(plant, 1, 31500, 1) == ILLEGAL_ADDRESS  # no DC charger registers


@pytest.mark.parametrize("plant", [{"phases": 1}], indirect=True)
async def test_single_phase_on_the_protocol_reads_zero_for_absent_phases(
    plant: PlantSimulator,
) -> None:
    assert value("output_type", await read(plant, 1, 31004, 1)) == 0
    assert plant.value(1, "model_type") == "SigenStor EC 12.0 SP"
    for key in ("phase_b_voltage", "phase_c_current", "line_voltage_ab"):
        assert plant.value(1, key) == 0.0, key
    assert plant.value(247, "plant_phase_b_active_power") == 0.0
    assert plant.value(247, "plant_phase_a_active_power") == plant.value(1, "active_power")


@pytest.mark.parametrize("plant", [{"start_time": NOON.replace(hour=21)}], indirect=True)
async def test_vpp_scenario_reports_mode_6_and_discharges(plant: PlantSimulator) -> None:
    """An evening VPP event: the batteries give the grid all they can."""
    sim = plant
    assert sim.value(247, "ems_work_mode") == 0
    sim.set_scenario("vpp")
    sim.advance(60)
    assert sim.value(247, "ems_work_mode") == 6
    power = sim.value(1, "ess_power")
    assert isinstance(power, float)
    assert power < -1.0  # discharging at full power


@pytest.mark.parametrize(
    ("plant", "refused", "kept"),
    [
        (
            {"firmware": "early-2025"},
            [(247, 30083, 2), (247, 30087, 1), (1, 30620, 1), (1, 30623, 1), (247, 30279, 1)],
            [(247, 30072, 1), (247, 30088, 4), (1, 30604, 6), (247, 30280, 1)],
        ),
        (
            {"firmware": "spc109"},
            [(1, 30613, 2), (1, 30618, 1), (1, 30609, 10)],
            [(1, 30619, 1), (1, 30601, 10)],
        ),
        (
            {"firmware": "v2.8"},
            [(1, 31500, 1), (1, 31523, 2), (1, 41002, 2), (1, 31505, 8)],
            [(1, 31509, 4), (1, 31000, 40)],
        ),
    ],
    indirect=["plant"],
    ids=["early-2025", "spc109", "v2.8"],
)
async def test_refusals(
    plant: PlantSimulator,
    refused: list[tuple[int, int, int]],
    kept: list[tuple[int, int, int]],
) -> None:
    """A refused register answers 0x02 to any read covering it; its neighbours read."""
    for unit, address, count in refused:
        assert await read(plant, unit, address, count) == ILLEGAL_ADDRESS, (address, count)
    for unit, address, count in kept:
        assert isinstance(await read(plant, unit, address, count), list), (address, count)


async def test_command_line_firmware_phases_and_vpp() -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "simulator",
        "--port",
        "0",
        "--latency",
        "0",
        "--firmware",
        "spc116",
        "--phases",
        "1",
        "--scenario",
        "vpp",
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        assert process.stdout is not None
        line = (await asyncio.wait_for(process.stdout.readline(), 20)).decode()
        match = re.search(r"on 127\.0\.0\.1:(\d+), .*\(vpp, firmware spc116", line)
        assert match, line
        client = AsyncModbusTcpClient(
            "127.0.0.1", port=int(match[1]), timeout=2, retries=0, reconnect_delay=0
        )
        assert await client.connect()
        try:
            assert (await client.read_input_registers(30003, count=1, device_id=247)).registers == [
                6
            ]
            assert (await client.read_input_registers(31004, count=1, device_id=1)).registers == [0]
            assert (await client.read_coils(0, count=2, device_id=1)).exception_code == 1
        finally:
            client.close()
        process.send_signal(signal.SIGTERM)
        _, err = await asyncio.wait_for(process.communicate(), 10)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    assert process.returncode == 0, err.decode()
