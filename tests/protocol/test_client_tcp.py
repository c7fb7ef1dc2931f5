"""SigenergyClient against the plant simulator: real Modbus TCP over loopback."""

from __future__ import annotations

import asyncio
import contextlib
import struct
import time
from typing import TYPE_CHECKING, Any

import pytest

from custom_components.sigenergy_modbus.protocol import client as client_module
from custom_components.sigenergy_modbus.protocol.client import SigenergyClient
from custom_components.sigenergy_modbus.protocol.exceptions import (
    SigenergyConnectionError,
    SigenergyDeviceError,
    SigenergyProtocolError,
    SigenergyReadOnlyError,
    SigenergyTimeoutError,
    SigenergyUnsupportedError,
    SigenergyValueError,
    SigenergyWriteVerificationError,
)
from custom_components.sigenergy_modbus.protocol.registers import (
    BY_KEY,
    PLANT_UNIT_ID,
    DeviceKind,
    RegisterKind,
    registers_for,
)
from tests.conftest import start_simulator

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Callable

    from custom_components.sigenergy_modbus.protocol.registers import Register
    from simulator import PlantSimulator

PLANT_KEYS = (
    "system_time",
    "system_time_zone",
    "ems_work_mode",
    "grid_sensor_active_power",
    "plant_max_active_power",
    "plant_ess_soc",
    "plant_phase_a_active_power",
    "ess_backup_soc",
    "ess_max_charging_limit",
)
INVERTER_KEYS = (
    "model_type",
    "serial_number",
    "firmware_version",
    "rated_active_power",
    "running_state",
    "ess_soc",
    "pack_count",
    "pv_energy_total",
    "pv1_voltage",
)

ILLEGAL_FUNCTION = 0x01
ILLEGAL_ADDRESS = 0x02
DEVICE_FAILURE = 0x04
WRITE_REGISTER = 0x06
WRITE_REGISTERS = 0x10


def readable(kind: DeviceKind) -> tuple[Register, ...]:
    return tuple(r for r in registers_for(kind) if r.access.readable)


@pytest.fixture
async def client(simulator: PlantSimulator) -> AsyncIterator[SigenergyClient]:
    modbus = SigenergyClient(simulator.host, simulator.port, timeout=1.0)
    yield modbus
    await modbus.close()


# -- planned reads ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("unit_id", "keys"), [(PLANT_UNIT_ID, PLANT_KEYS), (1, INVERTER_KEYS)], ids=["plant", "inv"]
)
async def test_read_matches_simulator_in_planned_requests(
    simulator: PlantSimulator, client: SigenergyClient, unit_id: int, keys: tuple[str, ...]
) -> None:
    registers = [BY_KEY[k] for k in keys]
    blocks = client.planner.plan(unit_id, registers)
    before_requests, before_read = simulator.stats.requests, simulator.stats.registers_read

    values = await client.read(unit_id, registers)

    assert values == {k: simulator.value(unit_id, k) for k in keys}
    assert all(v is not None for v in values.values())
    assert simulator.stats.requests - before_requests == len(blocks)
    assert client.stats.requests == len(blocks)
    words = sum(b.count for b in blocks)
    assert simulator.stats.registers_read - before_read == words
    assert client.stats.registers_read == words
    assert client.stats.connects == simulator.stats.connections == 1
    assert simulator.stats.exceptions == {}


@pytest.mark.parametrize(
    ("kind", "unit_id", "requests"),
    [(DeviceKind.INVERTER, 1, 5), (DeviceKind.PLANT, PLANT_UNIT_ID, 7)],
    ids=["inverter", "plant"],
)
async def test_read_whole_map(
    simulator: PlantSimulator,
    client: SigenergyClient,
    kind: DeviceKind,
    unit_id: int,
    requests: int,
) -> None:
    registers = readable(kind)
    assert len(client.planner.plan(unit_id, registers)) == requests

    values = await client.read(unit_id, registers)

    assert simulator.stats.requests == requests
    assert simulator.stats.exceptions == {}
    assert values == {r.key: simulator.value(unit_id, r.key) for r in registers}
    blocks = client.planner.plan(unit_id, registers)
    by_function: dict[int, int] = {}
    for block in blocks:
        by_function[block.kind.value] = by_function.get(block.kind.value, 0) + 1
    assert simulator.stats.by_function == by_function


async def test_ac_charger_map(loopback: None) -> None:
    sim = await start_simulator(ac_charger=True)
    client = SigenergyClient(sim.host, sim.port)
    try:
        unit = sim.ac_charger_id
        assert unit == 2
        registers = readable(DeviceKind.AC_CHARGER)
        values = await client.read(unit, registers)
        assert values == {r.key: sim.value(unit, r.key) for r in registers}
        assert sim.stats.requests == 2
    finally:
        await client.close()
        await sim.stop()


# -- exception replies --------------------------------------------------------------------------


async def test_device_failure_raises_and_keeps_the_connection(
    simulator: PlantSimulator, client: SigenergyClient
) -> None:
    registers = [BY_KEY[k] for k in INVERTER_KEYS]
    await client.read(1, registers)
    assert client.connected
    simulator.faults.exceptions[1, BY_KEY["model_type"].address] = DEVICE_FAILURE

    with pytest.raises(SigenergyDeviceError) as caught:
        await client.read(1, registers)

    err = caught.value
    assert not isinstance(err, SigenergyUnsupportedError)
    assert (err.code, err.unit_id, err.function_code) == (DEVICE_FAILURE, 1, 0x04)
    assert client.connected
    assert client.stats.exception_replies == 1
    assert simulator.stats.exceptions == {DEVICE_FAILURE: 1}
    assert client.planner.unsupported(1) == frozenset()  # 0x04 teaches nothing

    simulator.faults.exceptions.clear()
    values = await client.read(1, registers)
    assert values["serial_number"] == simulator.serial(1)
    assert simulator.stats.connections == 1
    assert simulator.stats.active_connections == 1
    assert client.stats.connects == 1


async def test_unsupported_register_is_learned(
    simulator: PlantSimulator, client: SigenergyClient
) -> None:
    refused = BY_KEY["pv5_voltage"]
    simulator.faults.unsupported.add((1, refused.address))
    registers = readable(DeviceKind.INVERTER)
    planned = len(client.planner.plan(1, registers))

    first = await client.read(1, registers)

    assert refused.key not in first
    assert set(first) == {r.key for r in registers} - {refused.key}
    assert first["pv4_voltage"] == simulator.value(1, "pv4_voltage")
    assert first["serial_number"] == simulator.serial(1)
    assert client.planner.unsupported(1) == {refused.key}
    assert simulator.stats.exceptions.get(ILLEGAL_ADDRESS, 0) >= 1
    exceptions = dict(simulator.stats.exceptions)
    requests = simulator.stats.requests

    second = await client.read(1, registers)

    assert set(second) == set(first)
    assert simulator.stats.exceptions == exceptions
    learned = len(client.planner.plan(1, registers))
    assert learned <= planned + 1
    assert simulator.stats.requests - requests == learned
    assert client.stats.connects == 1


async def test_refused_reserved_gap_is_learned(
    simulator: PlantSimulator, client: SigenergyClient
) -> None:
    simulator.faults.unsupported.add((1, 30554))  # Reserved 30554-30565 (table 5-3)
    registers = readable(DeviceKind.INVERTER)

    first = await client.read(1, registers)

    assert set(first) == {r.key for r in registers}
    assert client.planner.unsupported(1) == frozenset()
    assert client.planner.unbridgeable(1, RegisterKind.INPUT) == set(range(30554, 30566))
    assert simulator.stats.exceptions == {ILLEGAL_ADDRESS: 1}
    requests = simulator.stats.requests
    assert requests == 5 + 2  # the refused read, then its two halves

    second = await client.read(1, registers)

    assert second == first
    assert simulator.stats.exceptions == {ILLEGAL_ADDRESS: 1}
    assert simulator.stats.requests - requests == 6


# -- writes -------------------------------------------------------------------------------------


async def test_write_single_register_reads_back(
    simulator: PlantSimulator, client: SigenergyClient
) -> None:
    register = BY_KEY["ess_backup_soc"]
    assert simulator.value(PLANT_UNIT_ID, register.key) != 25.5

    back = await client.write(PLANT_UNIT_ID, register, 25.5)

    assert back == 25.5
    assert simulator.value(PLANT_UNIT_ID, register.key) == 25.5
    assert simulator.stats.writes == [(PLANT_UNIT_ID, WRITE_REGISTER, 40046, [255])]
    assert simulator.stats.requests == 2  # the write and its read-back
    assert client.stats.writes == 1
    assert (await client.read(PLANT_UNIT_ID, [register])) == {register.key: 25.5}


async def test_write_two_registers_uses_0x10(
    simulator: PlantSimulator, client: SigenergyClient
) -> None:
    register = BY_KEY["ess_max_charging_limit"]

    back = await client.write(PLANT_UNIT_ID, register, 70.123)

    assert back == 70.123
    assert simulator.value(PLANT_UNIT_ID, register.key) == 70.123
    assert simulator.stats.writes == [(PLANT_UNIT_ID, WRITE_REGISTERS, 40032, [1, 4587])]


async def test_write_write_only_register_is_not_read_back(
    simulator: PlantSimulator, client: SigenergyClient
) -> None:
    register = BY_KEY["plant_start_stop"]
    assert simulator.model.started

    assert await client.write(PLANT_UNIT_ID, register, 0) == 0

    assert not simulator.model.started
    assert simulator.stats.writes == [(PLANT_UNIT_ID, WRITE_REGISTER, 40000, [0])]
    assert simulator.stats.requests == 1
    assert simulator.stats.by_function == {WRITE_REGISTER: 1}

    assert await client.write(PLANT_UNIT_ID, register, 1) == 1
    assert simulator.model.started
    assert simulator.stats.requests == 2


@pytest.mark.parametrize(
    ("key", "value", "error"),
    [
        ("ess_backup_soc", 150, SigenergyValueError),
        ("ess_backup_soc", -1, SigenergyValueError),
        ("plant_start_stop", 2, SigenergyValueError),
        ("plant_ess_soc", 50, SigenergyReadOnlyError),
    ],
)
async def test_invalid_write_sends_nothing(
    simulator: PlantSimulator,
    client: SigenergyClient,
    key: str,
    value: float,
    error: type[Exception],
) -> None:
    await client.connect()
    with pytest.raises(error):
        await client.write(PLANT_UNIT_ID, BY_KEY[key], value)
    assert simulator.stats.requests == 0
    assert simulator.stats.writes == []
    assert client.stats.requests == 0
    assert client.connected


async def test_read_only_client_reads_but_never_writes(simulator: PlantSimulator) -> None:
    client = SigenergyClient(simulator.host, simulator.port, read_only=True)
    try:
        register = BY_KEY["ess_backup_soc"]
        before = simulator.value(PLANT_UNIT_ID, register.key)
        with pytest.raises(SigenergyReadOnlyError):
            await client.write(PLANT_UNIT_ID, register, 20)
        with pytest.raises(SigenergyReadOnlyError):
            await client.write_coil(1, 0, True)
        assert simulator.stats.requests == 0
        assert simulator.stats.connections == 0
        assert await client.read(PLANT_UNIT_ID, [register]) == {register.key: before}
        assert simulator.stats.writes == []
    finally:
        await client.close()


async def test_read_only_client_writes_an_undo(simulator: PlantSimulator) -> None:
    """Putting back what the plant held before is the one write read-only mode allows."""
    client = SigenergyClient(simulator.host, simulator.port, read_only=True)
    try:
        register = BY_KEY["ess_backup_soc"]
        with pytest.raises(SigenergyReadOnlyError):
            await client.write(PLANT_UNIT_ID, register, 25)
        assert await client.write(PLANT_UNIT_ID, register, 25, undo=True) == 25.0
        assert simulator.stats.writes == [(PLANT_UNIT_ID, WRITE_REGISTER, 40046, [250])]
        assert simulator.value(PLANT_UNIT_ID, register.key) == 25.0
    finally:
        await client.close()


async def test_write_verification_failure(
    simulator: PlantSimulator, client: SigenergyClient
) -> None:
    register = BY_KEY["ess_backup_soc"]
    simulator.set_value(PLANT_UNIT_ID, register.key, 10.0)  # reads stay at 10 %

    with pytest.raises(SigenergyWriteVerificationError, match=r"wrote \[300\], read back \[100\]"):
        await client.write(PLANT_UNIT_ID, register, 30)

    assert simulator.stats.writes == [(PLANT_UNIT_ID, WRITE_REGISTER, 40046, [300])]
    assert simulator.stats.requests == 2
    assert client.connected
    simulator.clear_override(PLANT_UNIT_ID, register.key)
    assert simulator.value(PLANT_UNIT_ID, register.key) == 30.0  # the device did take it


async def test_write_refused_by_device(simulator: PlantSimulator, client: SigenergyClient) -> None:
    simulator.faults.exceptions[PLANT_UNIT_ID, 40046] = DEVICE_FAILURE
    with pytest.raises(SigenergyDeviceError) as caught:
        await client.write(PLANT_UNIT_ID, BY_KEY["ess_backup_soc"], 30)
    assert caught.value.code == DEVICE_FAILURE
    assert caught.value.function_code == WRITE_REGISTER
    assert client.stats.writes == 0
    assert simulator.stats.requests == 1  # no read-back after a refusal


# -- coils and discrete inputs ------------------------------------------------------------------


async def test_write_coil(simulator: PlantSimulator, client: SigenergyClient) -> None:
    assert await client.read_coils(1) == [simulator.coil(1, 0), simulator.coil(1, 1)]
    for value in (True, False, True):
        assert await client.write_coil(1, 1, value) is value
        assert simulator.coil(1, 1) is value
        assert await client.read_coils(1, 1, 1) == [value]
    assert simulator.stats.writes == [(1, 0x05, 1, [v]) for v in (True, False, True)]
    assert client.stats.writes == 3


async def test_write_coil_verification_failure(
    simulator: PlantSimulator, client: SigenergyClient
) -> None:
    """A device that acknowledges a coil write but does not switch: caught on read-back."""
    original = simulator._write

    def ignore_coil_writes(unit_id: int, func_code: int, address: int, values: Any) -> Any:
        if func_code == 0x05:
            return None  # acknowledge, switch nothing
        return original(unit_id, func_code, address, values)

    simulator._write = ignore_coil_writes  # type: ignore[method-assign]
    simulator.set_coil(1, 0, False)
    with pytest.raises(SigenergyWriteVerificationError, match="coil 0 of unit 1"):
        await client.write_coil(1, 0, True)
    assert simulator.coil(1, 0) is False


async def test_read_discrete_inputs(simulator: PlantSimulator, client: SigenergyClient) -> None:
    for index in range(5):
        simulator.set_discrete_input(1, index, False)
    assert await client.read_discrete_inputs(1) == [False] * 5
    simulator.set_discrete_input(1, 2, True)
    simulator.set_discrete_input(1, 4, True)
    assert await client.read_discrete_inputs(1) == [False, False, True, False, True]
    assert await client.read_discrete_inputs(1, 2, 1) == [True]


@pytest.mark.parametrize("simulator_options", [{"coils": False}])
async def test_coils_disabled(simulator: PlantSimulator, client: SigenergyClient) -> None:
    calls = (
        lambda: client.read_coils(1),
        lambda: client.read_discrete_inputs(1),
        lambda: client.write_coil(1, 0, True),
    )
    for call in calls:
        with pytest.raises(SigenergyUnsupportedError) as caught:
            await call()
        assert caught.value.code == ILLEGAL_FUNCTION
    assert simulator.stats.exceptions == {ILLEGAL_FUNCTION: 3}
    assert client.connected
    assert simulator.stats.connections == 1


# -- connection handling -----------------------------------------------------------------------


async def test_restart_reconnects(simulator: PlantSimulator, client: SigenergyClient) -> None:
    register = [BY_KEY["system_time"]]
    await client.read(PLANT_UNIT_ID, register)
    assert client.stats.connects == 1

    await simulator.restart()
    await asyncio.sleep(0.05)  # let the client's transport see the close

    # pymodbus has seen the server close the connection: the client knows it
    # is down and reconnects for the next request, which succeeds.
    assert not client.connected
    assert await client.read(PLANT_UNIT_ID, register) == {
        "system_time": simulator.value(PLANT_UNIT_ID, "system_time")
    }
    assert client.stats.connects == 2
    assert client.stats.connect_failures == 0


async def test_restart_without_pause(simulator: PlantSimulator, client: SigenergyClient) -> None:
    """``restart`` awaits the server's shutdown, by when the client has seen the close."""
    register = [BY_KEY["system_time"]]
    await client.read(PLANT_UNIT_ID, register)
    await simulator.restart()
    assert await client.read(PLANT_UNIT_ID, register)
    assert client.stats.connects == 2
    assert client.stats.requests == 2


async def test_stopped_simulator_backs_off(simulator: PlantSimulator) -> None:
    now = [1000.0]
    client = SigenergyClient(simulator.host, simulator.port, clock=lambda: now[0])
    await simulator.stop()
    register = [BY_KEY["system_time"]]

    with pytest.raises(SigenergyConnectionError, match="cannot connect"):
        await client.read(PLANT_UNIT_ID, register)
    assert client.stats.connect_failures == 1
    first_wait = client.retry_in
    assert 0.5 <= first_wait <= 1.0  # Backoff: 1 s, half of it jitter

    for _ in range(3):
        with pytest.raises(SigenergyConnectionError, match="next attempt in"):
            await client.read(PLANT_UNIT_ID, register)
    assert client.stats.connect_failures == 1
    assert client.stats.requests == 0

    now[0] += first_wait / 2
    assert client.retry_in == pytest.approx(first_wait / 2)
    with pytest.raises(SigenergyConnectionError, match="next attempt in"):
        await client.read(PLANT_UNIT_ID, register)
    assert client.stats.connect_failures == 1

    now[0] += first_wait / 2 + 0.001
    assert client.retry_in == 0.0
    with pytest.raises(SigenergyConnectionError, match="cannot connect"):
        await client.read(PLANT_UNIT_ID, register)
    assert client.stats.connect_failures == 2
    assert 1.0 <= client.retry_in <= 2.0  # the second delay doubles

    # The plant comes back: once the back-off has passed, the client connects.
    await simulator.start(simulator.host, simulator.port)
    with pytest.raises(SigenergyConnectionError, match="next attempt in"):
        await client.read(PLANT_UNIT_ID, register)
    now[0] += 2.0
    assert await client.read(PLANT_UNIT_ID, register)
    assert client.stats.connects == 1
    assert client.retry_in == 0.0
    await client.close()


async def test_connect_and_close(simulator: PlantSimulator, client: SigenergyClient) -> None:
    await client.connect()
    assert client.connected
    assert simulator.stats.connections == 1
    await client.connect()  # already up: nothing happens
    assert simulator.stats.connections == 1
    await client.close()
    assert not client.connected
    await client.close()
    await asyncio.sleep(0.05)
    assert simulator.stats.active_connections == 0


async def test_stall_times_out_and_drops_the_connection(
    simulator: PlantSimulator,
) -> None:
    client = SigenergyClient(simulator.host, simulator.port, timeout=0.2)
    register = [BY_KEY["system_time"]]
    await client.read(PLANT_UNIT_ID, register)
    simulator.faults.stall(None)
    try:
        start = time.monotonic()
        with pytest.raises(SigenergyTimeoutError, match=r"within 0\.2 s"):
            await client.read(PLANT_UNIT_ID, register)
        elapsed = time.monotonic() - start
        assert 0.19 <= elapsed < 0.5
        assert not client.connected
        assert client.stats.timeouts == 1
    finally:
        simulator.faults.clear_stall()
    assert await client.read(PLANT_UNIT_ID, register)
    assert client.stats.connects == 2
    assert simulator.stats.connections == 2
    await client.close()


async def test_per_request_timeout(simulator: PlantSimulator, client: SigenergyClient) -> None:
    simulator.faults.stall(None)
    try:
        start = time.monotonic()
        with pytest.raises(SigenergyTimeoutError, match=r"within 0\.1 s"):
            await client.read_words(1, RegisterKind.INPUT, 30500, 1, timeout=0.1)
        assert time.monotonic() - start < 0.5
    finally:
        simulator.faults.clear_stall()


async def test_dropped_connection_while_idle(
    simulator: PlantSimulator, client: SigenergyClient
) -> None:
    """A read sent before the close arrives fails at once (no timeout); the next reconnects.

    The client does not retry a request on its own: the poll that meets a
    dropped connection fails, the following one works.
    """
    register = [BY_KEY["system_time"]]
    await client.read(PLANT_UNIT_ID, register)
    simulator.drop_connections()
    start = time.monotonic()
    with pytest.raises(SigenergyConnectionError, match="lost") as caught:
        await client.read(PLANT_UNIT_ID, register)
    assert not isinstance(caught.value, SigenergyTimeoutError)
    assert time.monotonic() - start < 0.5
    assert not client.connected
    assert await client.read(PLANT_UNIT_ID, register)
    assert client.stats.connects == 2
    assert simulator.stats.connections == 2


async def test_dropped_connection_noticed(
    simulator: PlantSimulator, client: SigenergyClient
) -> None:
    """Once the close has reached the client, the next read simply reconnects."""
    register = [BY_KEY["system_time"]]
    await client.read(PLANT_UNIT_ID, register)
    simulator.drop_connections()
    await asyncio.sleep(0.05)
    assert not client.connected
    assert await client.read(PLANT_UNIT_ID, register)
    assert client.stats.connects == 2


async def test_connection_lost_during_a_request(
    simulator: PlantSimulator, client: SigenergyClient
) -> None:
    """The device closes the connection while a request waits: a connection error, at once."""
    register = [BY_KEY["system_time"]]
    await client.read(PLANT_UNIT_ID, register)
    simulator.faults.stall(None)
    loop = asyncio.get_running_loop()
    loop.call_later(0.05, simulator.drop_connections)
    try:
        start = time.monotonic()
        with pytest.raises(SigenergyConnectionError) as caught:
            await client.read(PLANT_UNIT_ID, register)
        assert not isinstance(caught.value, SigenergyTimeoutError)
        assert time.monotonic() - start < 0.5  # not the 1 s timeout
        assert not client.connected
    finally:
        simulator.faults.clear_stall()
    assert await client.read(PLANT_UNIT_ID, register)
    assert client.stats.connects == 2


async def test_cancelling_a_read_propagates(
    simulator: PlantSimulator, client: SigenergyClient
) -> None:
    """A caller's cancellation is a cancellation, not a connection error."""
    register = [BY_KEY["system_time"]]
    await client.read(PLANT_UNIT_ID, register)
    simulator.faults.stall(None)
    try:
        task = asyncio.create_task(client.read(PLANT_UNIT_ID, register))
        await asyncio.sleep(0.05)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert not client.connected  # a late reply cannot be taken for a later request
    finally:
        simulator.faults.clear_stall()
    assert await client.read(PLANT_UNIT_ID, register)


async def test_one_request_at_a_time(simulator: PlantSimulator, client: SigenergyClient) -> None:
    latency = 0.02
    simulator.faults.latency = latency
    serve = simulator._serve
    outstanding = peak = 0

    async def counting_serve(*args: Any) -> None:
        nonlocal outstanding, peak
        outstanding += 1
        peak = max(peak, outstanding)
        try:
            await serve(*args)
        finally:
            outstanding -= 1

    simulator._serve = counting_serve  # type: ignore[method-assign]
    keys = ("system_time", "ems_work_mode", "plant_ess_soc", "ess_backup_soc", "system_time_zone")
    start = time.monotonic()

    results = await asyncio.gather(*(client.read(PLANT_UNIT_ID, [BY_KEY[k]]) for k in keys))

    elapsed = time.monotonic() - start
    assert [list(r) for r in results] == [[k] for k in keys]
    assert simulator.stats.requests == len(keys)
    assert peak == 1  # never a second request on the wire before the answer
    assert elapsed >= len(keys) * latency
    assert simulator.stats.connections == 1

    # The probe does see overlap: two clients (two connections) queue up at the device.
    other = SigenergyClient(simulator.host, simulator.port)
    try:
        await asyncio.gather(
            *(c.read(PLANT_UNIT_ID, [BY_KEY["system_time"]]) for c in (client, other))
        )
    finally:
        await other.close()
    assert peak == 2


async def test_our_timer_decides(
    simulator: PlantSimulator, client: SigenergyClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """pymodbus is given a timeout longer than any request's: the client's own timer ends it.

    A stalled request asked to wait 2 s (more than the 1 s default, less than
    pymodbus's) ends after 2 s with the client's timeout, not with an
    exception of pymodbus's.
    """
    made: list[dict[str, Any]] = []

    class Recording(client_module.AsyncModbusTcpClient):  # type: ignore[misc]
        def __init__(self, host: str, **kwargs: Any) -> None:
            made.append({"host": host, **kwargs})
            super().__init__(host, **kwargs)

    monkeypatch.setattr(client_module, "AsyncModbusTcpClient", Recording)
    await client.connect()
    (settings,) = made
    assert settings["timeout"] == client_module.LIBRARY_TIMEOUT > 2 * 2.0
    assert settings["retries"] == 0
    assert settings["reconnect_delay"] == 0  # reconnecting is the client's, with back-off
    simulator.faults.stall(None)
    try:
        start = time.monotonic()
        with pytest.raises(SigenergyTimeoutError, match=r"within 2\.0 s") as caught:
            await client.read_words(PLANT_UNIT_ID, RegisterKind.INPUT, 30000, 2, timeout=2.0)
        assert 1.95 <= time.monotonic() - start < 2.5
        assert caught.value.__cause__ is None
    finally:
        simulator.faults.clear_stall()
    assert client.stats.timeouts == 1
    assert not client.connected
    assert await client.read_words(PLANT_UNIT_ID, RegisterKind.INPUT, 30000, 2)
    assert len(made) == 2  # a new pymodbus client for the new connection


@pytest.mark.parametrize("timeout", [0.0, -1.0, client_module.LIBRARY_TIMEOUT, 1e9])
async def test_timeout_out_of_range(client: SigenergyClient, timeout: float) -> None:
    """A timeout pymodbus's own would cut short is refused, before anything is sent."""
    with pytest.raises(ValueError, match="timeout"):
        SigenergyClient("127.0.0.1", timeout=timeout)
    with pytest.raises(ValueError, match="timeout"):
        await client.read_words(PLANT_UNIT_ID, RegisterKind.INPUT, 30000, 2, timeout=timeout)
    assert client.stats.requests == 0
    assert not client.connected


# -- a misbehaving device: a raw Modbus TCP server ------------------------------------------

type Reply = Callable[[int, int, bytes], bytes]


def _frame(tid: int, unit: int, pdu: bytes) -> bytes:
    return struct.pack(">HHHB", tid, 0, len(pdu) + 1, unit) + pdu


def _registers(function: int, words: list[int]) -> bytes:
    return struct.pack(f">BB{len(words)}H", function, 2 * len(words), *words)


@contextlib.asynccontextmanager
async def raw_device(reply: Reply) -> AsyncIterator[asyncio.Server]:
    """Answer each request frame with ``reply(transaction id, unit id, request pdu)``."""

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(asyncio.IncompleteReadError, ConnectionError):
            while True:
                tid, _, length, unit = struct.unpack(">HHHB", await reader.readexactly(7))
                pdu = await reader.readexactly(length - 1)
                writer.write(reply(tid, unit, pdu))
                await writer.drain()
        writer.close()

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    try:
        yield server
    finally:
        server.close()
        await server.wait_closed()


def _port(server: asyncio.Server) -> int:
    return int(server.sockets[0].getsockname()[1])


def _other_unit(tid: int, unit: int, pdu: bytes) -> bytes:
    _, _, count = struct.unpack(">BHH", pdu)
    return _frame(tid, unit + 1, _registers(pdu[0], [0] * count))


def _other_transaction(tid: int, unit: int, pdu: bytes) -> bytes:
    _, _, count = struct.unpack(">BHH", pdu)
    return _frame(tid + 1, unit, _registers(pdu[0], [0] * count))


@pytest.mark.parametrize("reply", [_other_unit, _other_transaction], ids=["unit", "transaction"])
async def test_stray_reply_is_ignored(loopback: None, reply: Reply) -> None:
    """pymodbus discards a frame of another unit id or transaction: the request times out."""
    async with raw_device(reply) as server:
        client = SigenergyClient("127.0.0.1", _port(server), timeout=0.2)
        with pytest.raises(SigenergyTimeoutError):
            await client.read_words(1, RegisterKind.INPUT, 30500, 2)
        assert not client.connected  # a late or stray reply must not answer a later request
        assert client.stats.timeouts == 1
        await client.close()


async def test_short_reply_is_a_protocol_error(loopback: None) -> None:
    def short(tid: int, unit: int, pdu: bytes) -> bytes:
        _, _, count = struct.unpack(">BHH", pdu)
        return _frame(tid, unit, _registers(pdu[0], [7] * (count - 1)))

    async with raw_device(short) as server:
        client = SigenergyClient("127.0.0.1", _port(server))
        with pytest.raises(SigenergyProtocolError, match="for 3 registers at 31024, got 2"):
            await client.read(1, [BY_KEY[k] for k in ("pack_count", "mppt_count")])
        assert not client.connected
        assert client.stats.registers_read == 0
        await client.close()


async def test_raw_device_well_behaved(loopback: None) -> None:
    """The raw server itself answers correctly: the two tests above fail for their reason."""

    def echo_address(tid: int, unit: int, pdu: bytes) -> bytes:
        _, address, count = struct.unpack(">BHH", pdu)
        return _frame(tid, unit, _registers(pdu[0], [address + n for n in range(count)]))

    async with raw_device(echo_address) as server:
        client = SigenergyClient("127.0.0.1", _port(server))
        assert await client.read_words(1, RegisterKind.INPUT, 30500, 2) == [30500, 30501]
        assert await client.read_words(1, RegisterKind.HOLDING, 40046, 1) == [40046]
        await client.close()


# -- busy: asked once more ---------------------------------------------------------------------

BUSY = 0x06


def _busy_then(times: int) -> tuple[Reply, list[tuple[float, int, int]]]:
    """Answer busy (0x06) ``times`` times, then properly; note each request that came.

    Registers read as their address; a single register written (0x06) is
    echoed and read back as written.
    """
    seen: list[tuple[float, int, int]] = []
    written: dict[int, int] = {}

    def reply(tid: int, unit: int, pdu: bytes) -> bytes:
        function, address, value = struct.unpack(">BHH", pdu[:5])
        seen.append((time.monotonic(), function, address))
        if len(seen) <= times:
            return _frame(tid, unit, bytes([function | 0x80, BUSY]))
        if function == WRITE_REGISTER:
            written[address] = value
            return _frame(tid, unit, pdu)
        words = [written.get(address + n, address + n) for n in range(value)]
        return _frame(tid, unit, _registers(function, words))

    return reply, seen


async def test_busy_is_asked_again_once(loopback: None) -> None:
    """One busy reply: the same request again after the pause, and the caller sees the answer."""
    reply, seen = _busy_then(1)
    async with raw_device(reply) as server:
        client = SigenergyClient("127.0.0.1", _port(server))
        try:
            assert await client.read_words(1, RegisterKind.INPUT, 30500, 2) == [30500, 30501]
            assert [(f, a) for _, f, a in seen] == [(0x04, 30500), (0x04, 30500)]
            pause = seen[1][0] - seen[0][0]
            assert (
                client_module.BUSY_RETRY_DELAY - 0.01
                <= pause
                < client_module.BUSY_RETRY_DELAY + 0.3
            )
            assert client.stats.requests == 2
            assert client.stats.busy_retries == 1
            assert client.stats.exception_replies == 1
            assert client.connected
            assert client.stats.connects == 1
        finally:
            await client.close()


async def test_busy_twice_raises(loopback: None) -> None:
    """Busy again on the retry: the exception reply raises, as before; the connection stays."""
    reply, seen = _busy_then(2)
    async with raw_device(reply) as server:
        client = SigenergyClient("127.0.0.1", _port(server))
        try:
            with pytest.raises(SigenergyDeviceError) as caught:
                await client.read_words(1, RegisterKind.INPUT, 30500, 2)
            err = caught.value
            assert not isinstance(err, SigenergyUnsupportedError)
            assert (err.code, err.unit_id, err.function_code, err.address) == (BUSY, 1, 0x04, 30500)
            assert len(seen) == 2  # one retry, not more
            assert client.stats.busy_retries == 1
            assert client.stats.exception_replies == 2
            assert client.connected
            assert await client.read_words(1, RegisterKind.INPUT, 30500, 1) == [30500]
            assert len(seen) == 3  # the next request is asked once: it is answered
            assert client.stats.connects == 1
        finally:
            await client.close()


async def test_busy_write_is_sent_again(loopback: None) -> None:
    """A busy device did not take the write (Modbus: retransmit later): it is sent again."""
    reply, seen = _busy_then(1)
    register = BY_KEY["ess_backup_soc"]
    async with raw_device(reply) as server:
        client = SigenergyClient("127.0.0.1", _port(server))
        try:
            assert await client.write(PLANT_UNIT_ID, register, 25.5) == 25.5
            assert [(f, a) for _, f, a in seen] == [
                (WRITE_REGISTER, register.address),
                (WRITE_REGISTER, register.address),
                (0x03, register.address),  # the read-back
            ]
            assert client.stats.writes == 1
        finally:
            await client.close()


async def test_busy_pause_holds_the_line(loopback: None) -> None:
    """No other request goes out while the client waits to ask a busy device again."""
    reply, seen = _busy_then(1)
    async with raw_device(reply) as server:
        client = SigenergyClient("127.0.0.1", _port(server))
        try:
            first, second = await asyncio.gather(
                client.read_words(1, RegisterKind.INPUT, 30500, 1),
                client.read_words(1, RegisterKind.INPUT, 30600, 1),
            )
            assert (first, second) == ([30500], [30600])
            assert [a for _, _, a in seen] == [30500, 30500, 30600]
        finally:
            await client.close()
