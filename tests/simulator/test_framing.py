"""Modbus TCP on the wire, byte by byte, over raw sockets: no Modbus library involved."""

from __future__ import annotations

import asyncio
import struct
from typing import TYPE_CHECKING, Self

import pytest

from custom_components.sigenergy_modbus.protocol.registers import DeviceKind
from simulator import PlantSimulator
from simulator.registermap import unit_map

from .conftest import NOON, TZ

if TYPE_CHECKING:
    from collections.abc import AsyncIterator
    from types import TracebackType

TIMEOUT = 2.0


def adu(tid: int, unit: int, pdu: str | bytes, *, protocol: int = 0, length: int = -1) -> bytes:
    """A request frame; ``length`` -1: the right one."""
    data = bytes.fromhex(pdu) if isinstance(pdu, str) else pdu
    size = len(data) + 1 if length < 0 else length
    return struct.pack(">HHHB", tid, protocol, size, unit) + data


class Wire:
    """A raw TCP connection to the simulator."""

    def __init__(self, sim: PlantSimulator) -> None:
        self.sim = sim
        self.reader: asyncio.StreamReader
        self.writer: asyncio.StreamWriter

    async def __aenter__(self) -> Self:
        self.reader, self.writer = await asyncio.open_connection(self.sim.host, self.sim.port)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.writer.close()
        await self.writer.wait_closed()

    async def send(self, data: bytes) -> None:
        self.writer.write(data)
        await self.writer.drain()

    async def reply(self, timeout: float = TIMEOUT) -> tuple[int, int, bytes]:
        """The next reply: transaction id, unit id, PDU (the header checked)."""
        header = await asyncio.wait_for(self.reader.readexactly(7), timeout)
        tid, protocol, length, unit = struct.unpack(">HHHB", header)
        assert protocol == 0
        pdu = await asyncio.wait_for(self.reader.readexactly(length - 1), timeout)
        return tid, unit, pdu

    async def ask(self, tid: int, unit: int, pdu: str) -> bytes:
        """Send one request and return the reply's PDU (same transaction and unit id)."""
        await self.send(adu(tid, unit, pdu))
        got_tid, got_unit, reply = await self.reply()
        assert (got_tid, got_unit) == (tid, unit)
        return reply

    async def silent(self, seconds: float = 0.1) -> bool:
        """Whether nothing arrives for ``seconds``."""
        try:
            data = await asyncio.wait_for(self.reader.read(1), seconds)
        except TimeoutError:
            return True
        assert data, "the connection was closed"
        return False

    async def closed(self) -> bool:
        """Whether the simulator closed the connection (nothing more to read)."""
        return await asyncio.wait_for(self.reader.read(), TIMEOUT) == b""


@pytest.fixture
async def wire(sim: PlantSimulator) -> AsyncIterator[Wire]:
    """A raw connection to ``sim``."""
    async with Wire(sim) as connection:
        yield connection


# --------------------------------------------------------------------------- framing


async def test_address_30000_is_register_30000(sim: PlantSimulator, wire: Wire) -> None:
    register = unit_map(DeviceKind.PLANT).starts[30000]
    words = sim.words(247, register.key)
    assert len(words) == register.count
    reply = await wire.ask(1, 247, f"04 7530 {register.count:04X}")
    assert reply == bytes([0x04, 2 * len(words)]) + struct.pack(f">{len(words)}H", *words)


async def test_split_frame_waits_for_the_rest(sim: PlantSimulator, wire: Wire) -> None:
    frame = adu(0x0102, 1, "04 774C 0002")
    for byte in frame[:-1]:
        await wire.send(bytes([byte]))
        await asyncio.sleep(0.005)
    assert await wire.silent(0.05)
    await wire.send(frame[-1:])
    assert await wire.reply() == (0x0102, 1, bytes.fromhex("04 04 0000 2EE0"))
    assert sim.stats.requests == 1


async def test_frames_of_one_segment_are_served_in_order(sim: PlantSimulator, wire: Wire) -> None:
    sim.faults.latency = 0.01
    frames = [
        adu(1, 1, "04 774C 0002"),
        adu(2, 9, "04 774C 0002"),  # no such unit
        adu(3, 247, "2B 0E01 00"),  # not implemented
        adu(4, 1, "03 774D 0001"),
        adu(5, 247, "06 9C70 00C8"),
    ]
    await wire.send(b"".join(frames) + frames[0][:4])  # and the start of a sixth
    replies = [await wire.reply() for _ in range(5)]
    assert replies == [
        (1, 1, bytes.fromhex("04 04 0000 2EE0")),
        (2, 9, bytes.fromhex("84 0B")),
        (3, 247, bytes.fromhex("AB 01")),
        (4, 1, bytes.fromhex("83 02")),  # it starts inside 30540-30541: refused
        (5, 247, bytes.fromhex("06 9C70 00C8")),
    ]
    await wire.send(frames[0][4:])
    assert await wire.reply() == replies[0]


async def test_bad_protocol_id_is_discarded(sim: PlantSimulator, wire: Wire) -> None:
    await wire.send(adu(1, 1, "04 774C 0002", protocol=1) + adu(2, 1, "04 774C 0002"))
    assert await wire.reply() == (2, 1, bytes.fromhex("04 04 0000 2EE0"))
    await wire.send(adu(3, 1, "04 774C 0002", protocol=0xFFFF))
    assert await wire.silent()
    assert sim.stats.bad_frames == 2
    assert sim.stats.requests == 1
    assert sim.stats.active_connections == 1


@pytest.mark.parametrize("length", [0, 1, 255, 261, 0x0200, 0xFFFF])
async def test_impossible_length_closes_the_connection(
    sim: PlantSimulator, wire: Wire, length: int
) -> None:
    await wire.send(adu(1, 1, "04 774C 0002", length=length))
    assert await wire.closed()
    assert sim.stats.bad_frames == 1
    assert sim.stats.requests == 0
    for _ in range(50):
        if sim.stats.active_connections == 0:
            break
        await asyncio.sleep(0.01)
    assert sim.stats.active_connections == 0
    async with Wire(sim) as again:  # the server itself is fine
        assert await again.ask(2, 1, "04 774C 0002") == bytes.fromhex("04 04 0000 2EE0")


async def test_largest_frame_is_served(sim: PlantSimulator, wire: Wire) -> None:
    """Length 254 (260 bytes): 123 registers, refused by the device, not by the framing."""
    pdu = bytes.fromhex("10 9C40 007B F6") + bytes(246)
    await wire.send(adu(1, 247, pdu))
    assert await wire.reply() == (1, 247, bytes.fromhex("90 02"))  # 40123 is not a register


async def test_client_closing_its_side_closes_the_connection(
    sim: PlantSimulator, wire: Wire
) -> None:
    assert await wire.ask(1, 1, "04 774C 0002")
    wire.writer.write_eof()
    assert await wire.closed()


# --------------------------------------------------------------------------- functions


async def test_read_coils_and_discrete_inputs(sim: PlantSimulator, wire: Wire) -> None:
    sim.set_coil(1, 1, True)
    assert await wire.ask(1, 1, "01 0000 0002") == bytes.fromhex("01 01 02")
    assert await wire.ask(2, 1, "01 0001 0001") == bytes.fromhex("01 01 01")
    sim.set_discrete_input(1, 0, True)
    sim.set_discrete_input(1, 4, True)
    assert await wire.ask(3, 1, "02 0000 0005") == bytes.fromhex("02 01 11")
    assert await wire.ask(4, 1, "02 0004 0001") == bytes.fromhex("02 01 01")


async def test_read_registers(wire: Wire) -> None:
    assert await wire.ask(1, 1, "03 774C 0002") == bytes.fromhex("03 04 0000 2EE0")
    assert await wire.ask(2, 1, "04 774C 0002") == bytes.fromhex("04 04 0000 2EE0")
    assert await wire.ask(3, 247, "03 9C6F 0002") == bytes.fromhex("03 04 03E8 0032")


async def test_write_single_coil(sim: PlantSimulator, wire: Wire) -> None:
    assert await wire.ask(1, 1, "05 0001 FF00") == bytes.fromhex("05 0001 FF00")
    assert sim.coil(1, 1) is True
    assert await wire.ask(2, 1, "05 0001 0000") == bytes.fromhex("05 0001 0000")
    assert sim.coil(1, 1) is False
    assert await wire.ask(3, 1, "05 0001 1234") == bytes.fromhex("85 03")
    assert sim.coil(1, 1) is False
    assert sim.stats.writes == [(1, 5, 1, [1]), (1, 5, 1, [0])]


async def test_write_single_register(sim: PlantSimulator, wire: Wire) -> None:
    assert await wire.ask(1, 247, "06 9C70 00C8") == bytes.fromhex("06 9C70 00C8")
    assert sim.value(247, "ess_discharge_cut_off_soc") == 20.0
    assert await wire.ask(2, 247, "06 9C6F 03E9") == bytes.fromhex("86 03")  # 100.1 %
    assert await wire.ask(3, 247, "06 7530 0001") == bytes.fromhex("86 02")  # read-only


async def test_write_multiple_coils(sim: PlantSimulator, wire: Wire) -> None:
    assert await wire.ask(1, 1, "0F 0000 0002 01 03") == bytes.fromhex("0F 0000 0002")
    assert [sim.coil(1, 0), sim.coil(1, 1)] == [True, True]
    assert await wire.ask(2, 1, "0F 0001 0001 01 00") == bytes.fromhex("0F 0001 0001")
    assert [sim.coil(1, 0), sim.coil(1, 1)] == [True, False]
    # Coil 2 does not exist: nothing switches, not even coil 1.
    assert await wire.ask(3, 1, "0F 0001 0002 01 03") == bytes.fromhex("8F 02")
    assert sim.coil(1, 1) is False
    assert await wire.ask(4, 1, "0F 0000 0002 02 03 00") == bytes.fromhex("8F 03")
    assert await wire.ask(5, 247, "0F 0000 0001 01 01") == bytes.fromhex("8F 02")  # the plant
    assert sim.stats.writes[:2] == [(1, 15, 0, [1, 1]), (1, 15, 1, [0])]


async def test_write_multiple_registers(sim: PlantSimulator, wire: Wire) -> None:
    reply = await wire.ask(1, 247, "10 9C6F 0002 04 0384 0064")
    assert reply == bytes.fromhex("10 9C6F 0002")
    assert sim.value(247, "ess_charge_cut_off_soc") == 90.0
    assert sim.value(247, "ess_discharge_cut_off_soc") == 10.0
    # The second value is out of range: neither is written.
    assert await wire.ask(2, 247, "10 9C6F 0002 04 0320 03E9") == bytes.fromhex("90 03")
    assert sim.value(247, "ess_charge_cut_off_soc") == 90.0
    # Byte count and quantity disagree.
    assert await wire.ask(3, 247, "10 9C6F 0002 02 0384") == bytes.fromhex("90 03")
    assert sim.stats.writes == [(247, 16, 40047, [900, 100]), (247, 16, 40047, [800, 1001])]


# --------------------------------------------------------------------------- exceptions


@pytest.mark.parametrize(
    ("unit", "pdu", "reply"),
    [
        (1, "2B 0E01 00", "AB 01"),  # read device identification: not implemented
        (1, "17 9C6F 0001 9C6F 0001 02 0384", "97 01"),  # read/write registers
        (1, "08 0000 1234", "88 01"),  # diagnostics
        (1, "00", "80 01"),
        (1, "83 774C 0002", "83 01"),  # an exception code is no request
        (1, "04 7530 0001", "84 02"),  # a plant register, on an inverter
        (247, "03 9C40 0001", "83 02"),  # write-only
        (247, "04 75F8 007C", "84 02"),  # 124 registers, 30287 on unmapped
        (247, "04 7594 007D", "84 03"),  # 125 registers: over the device's limit
        (247, "04 7594 0000", "84 03"),
        (247, "04 7594 00", "84 03"),  # a byte short
        (247, "04 7594 0001 00", "84 03"),  # a byte too many
        (1, "01 0000 0000", "81 03"),
        (1, "01 0000 0003", "81 02"),  # coils 0-1 only
        (1, "02 0005 0001", "82 02"),  # inputs 0-4 only
        (1, "05 0002 FF00", "85 02"),
        (1, "10 9C6F 0000 00", "90 03"),
    ],
)
async def test_exception_replies(wire: Wire, unit: int, pdu: str, reply: str) -> None:
    assert await wire.ask(0xABCD, unit, pdu) == bytes.fromhex(reply)


async def test_injected_exceptions(sim: PlantSimulator, wire: Wire) -> None:
    sim.faults.exceptions[1, 30540] = 0x04
    sim.faults.exceptions[1, 1] = 0x06
    assert await wire.ask(1, 1, "04 774C 0002") == bytes.fromhex("84 04")
    assert await wire.ask(2, 1, "04 774D 0001") == bytes.fromhex("84 04")  # inside the register
    assert await wire.ask(3, 1, "04 774E 0002") == bytes.fromhex("04 04 0000 3390")
    assert await wire.ask(4, 1, "01 0000 0002") == bytes.fromhex("81 06")
    assert await wire.ask(5, 1, "05 0001 FF00") == bytes.fromhex("85 06")
    assert await wire.ask(6, 1, "0F 0000 0002 01 03") == bytes.fromhex("8F 06")
    assert sim.coil(1, 1) is False
    sim.faults.unsupported.add((247, 30000))
    assert await wire.ask(7, 247, "04 7530 0001") == bytes.fromhex("84 02")
    sim.faults.exceptions[247, 40048] = 0x04
    assert await wire.ask(8, 247, "10 9C6F 0002 04 0384 0064") == bytes.fromhex("90 04")
    assert sim.value(247, "ess_charge_cut_off_soc") == 100.0
    assert sim.stats.exceptions == {4: 3, 6: 3, 2: 1}


async def test_missing_unit_answers_before_decoding(wire: Wire) -> None:
    """An absent unit id answers 0x0B whatever the request: the gateway knows no more."""
    assert await wire.ask(1, 9, "04 774C 0002") == bytes.fromhex("84 0B")
    assert await wire.ask(2, 200, "2B 0E01 00") == bytes.fromhex("AB 0B")
    assert await wire.ask(3, 255, "03 774C 0000") == bytes.fromhex("83 0B")


async def test_missing_unit_silent() -> None:
    async with (
        PlantSimulator(
            missing_ids="silent", latency=0, auto_advance=False, tz=TZ, start_time=NOON
        ) as sim,
        Wire(sim) as wire,
    ):
        await wire.send(adu(1, 9, "04 774C 0002") + adu(2, 1, "04 774C 0002"))
        assert await wire.reply() == (2, 1, bytes.fromhex("04 04 0000 2EE0"))
        assert await wire.silent()
        assert sim.stats.requests == 2


async def test_no_coils_refuses_every_bit_function() -> None:
    async with (
        PlantSimulator(coils=False, latency=0, auto_advance=False, tz=TZ, start_time=NOON) as sim,
        Wire(sim) as wire,
    ):
        for pdu in ("01 0000 0001", "02 0000 0001", "05 0000 FF00", "0F 0000 0001 01 01"):
            reply = await wire.ask(1, 1, pdu)
            assert reply == bytes([0x80 | int(pdu[:2], 16), 0x01])
        assert await wire.ask(2, 1, "05 0000 1234") == bytes.fromhex("85 01")  # not even decoded
        assert await wire.ask(3, 1, "04 774C 0002") == bytes.fromhex("04 04 0000 2EE0")
        assert sim.coil(1, 0) is False


async def test_broadcast_is_executed_and_never_answered(sim: PlantSimulator, wire: Wire) -> None:
    await wire.send(
        adu(1, 0, "06 9C70 012C")  # executed on the plant
        + adu(2, 0, "10 9C6F 0001 02 0384")
        + adu(3, 0, "04 774C 0002")  # a read: nothing to do
        + adu(4, 0, "06 9C70 FFFF")  # refused, silently
        + adu(5, 0, "2B 0E01 00")
        + adu(6, 247, "03 9C6F 0002")
    )
    assert await wire.reply() == (6, 247, bytes.fromhex("03 04 0384 012C"))
    assert await wire.silent()
    assert sim.value(247, "ess_discharge_cut_off_soc") == 30.0
    assert sim.stats.requests == 6
    assert sim.stats.exceptions == {}
    assert sim.stats.writes[:2] == [(0, 6, 40048, [300]), (0, 16, 40047, [900])]


async def test_a_model_failure_answers_device_failure(
    sim: PlantSimulator,
    wire: Wire,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    def broken(*args: object) -> None:
        msg = "broken"
        raise RuntimeError(msg)

    monkeypatch.setattr(sim, "_read", broken)
    monkeypatch.setattr(sim, "_write", broken)
    assert await wire.ask(1, 1, "04 774C 0002") == bytes.fromhex("84 04")
    assert "Simulator failed to serve" in caplog.text
    await wire.send(adu(2, 0, "06 9C70 012C") + adu(3, 1, "06 9C70 012C"))
    assert await wire.reply() == (3, 1, bytes.fromhex("86 04"))
    assert "failed to serve a broadcast" in caplog.text


async def test_one_request_at_a_time_across_connections(sim: PlantSimulator) -> None:
    sim.faults.latency = 0.03
    async with Wire(sim) as first, Wire(sim) as second:
        await first.send(adu(1, 1, "04 774C 0002") + adu(2, 1, "04 774C 0002"))
        await asyncio.sleep(0.01)
        await second.send(adu(3, 1, "04 774C 0002"))
        loop = asyncio.get_running_loop()
        start = loop.time()
        await first.reply()
        await first.reply()
        await second.reply()
        assert loop.time() - start >= 2 * 0.03 * 0.9
    assert sim.stats.connections == 2


async def test_stop_with_requests_waiting(sim: PlantSimulator) -> None:
    sim.faults.stall(None)
    async with Wire(sim) as wire:
        await wire.send(adu(1, 1, "04 774C 0002") * 3)
        await asyncio.sleep(0.02)
        await sim.stop()
        assert await wire.closed()
    assert sim.stats.active_connections == 0
    sim.faults.clear_stall()
    await sim.start()
    async with Wire(sim) as wire:
        assert await wire.ask(1, 1, "04 774C 0002") == bytes.fromhex("04 04 0000 2EE0")


# --------------------------------------------------------------------------- API edges


async def test_api_refuses_what_it_cannot_do(sim: PlantSimulator) -> None:
    with pytest.raises(RuntimeError, match="already running"):
        await sim.start()
    with pytest.raises(ValueError, match="missing_ids must be"):
        PlantSimulator(missing_ids="drop")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="needs 2 words"):
        sim.set_raw(1, "pv_power", [1])
    with pytest.raises(KeyError, match="has no register"):
        sim.value(247, "pv_power")
    # Functions the device routes elsewhere, asked of the datastore directly.
    assert sim._read(1, 0x05, 0, 1) == 0x01
    assert sim._write(1, 0x03, 0, [1]) == 0x01
    assert sim.scenario == "normal"
