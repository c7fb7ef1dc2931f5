"""Modbus TCP server of a simulated SigenStor plant, and the Python API tests drive.

The simulator speaks Modbus TCP itself: an ``asyncio.Protocol`` per
connection, the framing and the PDUs in :mod:`simulator.modbus`. It does not
use pymodbus at all, for two reasons. pymodbus' server side is not a public,
stable API: between 3.11 and 3.12 its device contexts, request handler and
transaction manager changed incompatibly, and a simulator built on them
broke with every Home Assistant that pins a newer pymodbus. And the
integration's client is built on pymodbus: a device written independently of
it is the better oracle, since a misreading of the protocol shared by client
and server cannot hide.

Every address is served exactly as it is sent on the wire. Like the real
inverter it serves one request at a time, across all connections, each after
a configurable latency. Faults can be injected at run time through
:attr:`PlantSimulator.faults`.

On the wire:

* Frames are delimited by the MBAP length field: a frame split across TCP
  segments waits for the rest, and the frames of one segment are all served,
  in order.
* A length field outside 2-254 closes the connection: no valid frame has such
  a length, and nothing would tell where the next frame starts.
* A frame whose protocol id is not 0 is not Modbus. It is discarded without an
  answer and the connection stays open: its length field still tells where
  the next frame starts. :attr:`Stats.bad_frames` counts both cases.
* A request the device cannot decode is answered with an exception: 0x01 for
  a function code it does not implement, 0x03 for a malformed PDU.
* Unit id 0 is a broadcast: register writes are executed on the plant, and
  nothing is ever answered.
* When the client closes its side of the connection, the simulator closes
  its side too; answers not yet sent are dropped.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, tzinfo
from typing import TYPE_CHECKING, Any, Literal, Self, cast

from custom_components.sigenergy_modbus.protocol import codec
from custom_components.sigenergy_modbus.protocol.exceptions import SigenergyValueError
from custom_components.sigenergy_modbus.protocol.registers import (
    BY_KEY,
    MAX_READ_REGISTERS,
    PLANT_UNIT_ID,
    DataType,
    DeviceKind,
    Register,
    Reserved,
)

from . import modbus
from .firmware import PROFILES, FirmwareProfile
from .modbus import ExceptionCode
from .model import ControlOptions, PlantModel, Scenario, default_start_time, plant_at_soc
from .registermap import encode_register, unit_map

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from types import TracebackType

    from custom_components.sigenergy_modbus.protocol.codec import Value

_LOGGER = logging.getLogger(__name__)

COILS = 2
"""Coils 0 and 1 are the dry contacts DO1 and DO2."""

DISCRETE_INPUTS = 5
"""Discrete inputs 0-4 are the digital inputs DI1-DI5."""

BROADCAST_UNIT_ID = 0
"""Requests to unit 0 are for every device; none of them answers."""

REGISTER_FUNCTIONS = frozenset({0x03, 0x04, 0x06, 0x10})
BIT_FUNCTIONS = frozenset({0x01, 0x02, 0x05, 0x0F})
WRITE_FUNCTIONS = frozenset({0x05, 0x06, 0x0F, 0x10})
_COIL_FUNCTIONS = frozenset({0x01, 0x05, 0x0F})

# Writing all ones to these means "no limit" (protocol p.16).
_NOT_VALID_WRITABLE = frozenset({"pcs_max_export_limit", "pcs_max_import_limit"})

type MissingIds = Literal["exception", "illegal_address", "silent"]
"""What a unit id without a device answers: 0x0B (gateway target failed to respond),
0x02 (illegal data address), or nothing."""

_MISSING_REPLIES: dict[str, ExceptionCode | None] = {
    "exception": ExceptionCode.GATEWAY_NO_RESPONSE,
    "illegal_address": ExceptionCode.ILLEGAL_ADDRESS,
    "silent": None,
}

type ReadResult = list[int] | list[bool] | ExceptionCode
"""What a read gives: the words or bits, or the exception to answer."""


class Faults:
    """Faults to inject into the device's behaviour, switchable at run time.

    * ``latency``: seconds the device takes for each request.
    * ``exceptions[(unit_id, address)] = code``: any read or write covering
      that address (the whole register when it is a register's start address;
      coil and discrete input addresses 0-4 too) answers that exception code
      (an :class:`~simulator.modbus.ExceptionCode` value).
    * ``once[(unit_id, address)] = code``: the same, for the next request
      covering that address only (a device busy for a moment).
    * ``unsupported``: ``(unit_id, address)`` pairs the firmware lacks; any
      request covering them answers 0x02.
    * ``write_exceptions[(unit_id, address)] = code``: like ``exceptions``, for
      writes only (reads of the address are answered).
    * ``stall(seconds)`` / ``stall(None)``: the device hangs, for a time or
      until ``clear_stall()``; requests queue up and are served afterwards.
    * ``offline``: unit ids whose device is switched off or cut off from the
      plant: they answer as absent ids do (``missing_ids``), and keep their state.
    """

    def __init__(self, latency: float) -> None:
        """Start without faults, with the given latency."""
        self.latency = latency
        self.exceptions: dict[tuple[int, int], int] = {}
        self.once: dict[tuple[int, int], int] = {}
        self.unsupported: set[tuple[int, int]] = set()
        self.write_exceptions: dict[tuple[int, int], int] = {}
        self.offline: set[int] = set()
        self._stall_until: float | None = 0.0
        self._wakeup: asyncio.Event | None = None

    def stall(self, seconds: float | None) -> None:
        """Hang every request for ``seconds`` from now; ``None``: until cleared."""
        self._stall_until = None if seconds is None else time.monotonic() + seconds
        self._wake()

    def clear_stall(self) -> None:
        """End a stall now; waiting requests are served."""
        self._stall_until = 0.0
        self._wake()

    @property
    def stalled(self) -> bool:
        """Whether the device is hanging right now."""
        return self._stall_until is None or self._stall_until > time.monotonic()

    def _wake(self) -> None:
        if self._wakeup is not None:
            self._wakeup.set()
            self._wakeup = None

    async def wait_while_stalled(self) -> None:
        """Return once the device no longer hangs."""
        while self.stalled:
            if self._wakeup is None:
                self._wakeup = asyncio.Event()
            wakeup = self._wakeup
            timeout = None if self._stall_until is None else self._stall_until - time.monotonic()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(wakeup.wait(), timeout)

    def clear(self) -> None:
        """Remove every injected fault except the latency."""
        self.exceptions.clear()
        self.once.clear()
        self.unsupported.clear()
        self.write_exceptions.clear()
        self.offline.clear()
        self.clear_stall()


@dataclass(slots=True)
class Stats:
    """What the device served since the start (or the last ``reset``)."""

    _active: Callable[[], int]
    requests: int = 0
    """Frames served, answered or not: broadcasts and refused requests too."""
    by_function: dict[int, int] = field(default_factory=dict)
    """Frames served, by function code."""
    registers_read: int = 0
    """Registers returned by successful 0x03/0x04 reads."""
    writes: list[tuple[int, int, int, list[int]]] = field(default_factory=list)
    """Every write request decoded: (unit id, function code, address, values).

    Coil states are 0 and 1.
    """
    write_times: list[float] = field(default_factory=list)
    """When each of ``writes`` arrived (``time.monotonic()``), for the pacing between writes."""
    exceptions: dict[int, int] = field(default_factory=dict)
    """Exception replies sent, by exception code."""
    connections: int = 0
    """Connections opened."""
    bad_frames: int = 0
    """Frames discarded (protocol id not 0) or impossible (a length that closed the connection)."""

    @property
    def active_connections(self) -> int:
        """Connections open right now."""
        return self._active()

    def reset(self) -> None:
        """Zero the counters (open connections are not a counter)."""
        self.requests = self.registers_read = self.connections = self.bad_frames = 0
        self.by_function.clear()
        self.writes.clear()
        self.write_times.clear()
        self.exceptions.clear()


class _Connection(asyncio.Protocol):
    """One client connection: splits the byte stream into frames and queues them."""

    def __init__(self, simulator: PlantSimulator) -> None:
        self._sim = simulator
        self._buffer = bytearray()
        self._transport: asyncio.Transport | None = None
        self.peer = "unknown peer"

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = cast("asyncio.Transport", transport)
        peer = transport.get_extra_info("peername")
        if isinstance(peer, tuple):
            self.peer = f"{peer[0]}:{peer[1]}"
        self._sim._connected(self)  # noqa: SLF001

    def connection_lost(self, exc: Exception | None) -> None:
        self._sim._disconnected(self)  # noqa: SLF001

    def data_received(self, data: bytes) -> None:
        self._buffer += data
        stats = self._sim.stats
        while True:
            try:
                frame = modbus.take_frame(self._buffer)
            except modbus.FrameError as err:
                stats.bad_frames += 1
                _LOGGER.warning("Simulator closes the connection of %s: %s", self.peer, err)
                self.close()
                return
            if frame is None:
                return
            if frame.protocol_id != modbus.MODBUS_PROTOCOL_ID:
                stats.bad_frames += 1
                _LOGGER.warning(
                    "Simulator discards a frame of %s: protocol id %s, not Modbus",
                    self.peer,
                    frame.protocol_id,
                )
                continue
            self._sim._dispatch(self, frame)  # noqa: SLF001

    def send(self, data: bytes) -> None:
        """Write a frame, unless the connection is closed or closing."""
        transport = self._transport
        if transport is not None and not transport.is_closing():
            transport.write(data)

    def close(self) -> None:
        """Close the connection (what was written is still sent)."""
        self._buffer.clear()
        if self._transport is not None:
            self._transport.close()


class PlantSimulator:
    """A whole SigenStor plant served over Modbus TCP.

    Unit 247 is the plant, 1..N the inverters, N+1 the AC charger (if any),
    unless ``unit_ids`` and ``ac_charger_id`` place them elsewhere; units can be
    added and removed while it runs (:meth:`add_inverter`, :meth:`add_ac_charger`,
    :meth:`remove_unit`). Simulated time runs at ``speed`` x real time when ``auto_advance`` is on,
    and only through :meth:`advance` otherwise.
    """

    def __init__(  # noqa: PLR0913 - every option of the simulated plant
        self,
        inverters: int = 1,
        *,
        ac_charger: bool = False,
        coils: bool = True,
        latency: float = 0.015,
        speed: float = 1.0,
        auto_advance: bool = True,
        start_time: float | datetime | None = None,
        seed: int = 1,
        missing_ids: MissingIds = "exception",
        tz: tzinfo | None = None,
        firmware: str = "v2.9",
        phases: int = 3,
        start_soc: float | None = None,
        control: ControlOptions | None = None,
        unit_ids: Sequence[int] | None = None,
        ac_charger_id: int | None = None,
    ) -> None:
        """Build the plant; nothing listens until :meth:`start`.

        ``start_time`` is epoch seconds or an aware datetime (default: today
        12:00 local). ``tz`` is the plant's time zone (default: the start
        datetime's, else the host's); it decides the time of day of the
        physics and when daily counters reset. ``firmware`` names a profile
        of :mod:`simulator.firmware` (real-firmware profiles have no coils);
        ``phases`` 1 makes the inverters single-phase models. ``start_soc``:
        the batteries' state of charge at the start (default: what the seeded
        day gives). ``control``: how the firmware treats control writes
        (``ControlOptions``; default: the firmware profile's). ``unit_ids``
        (one per inverter, any of 1-246) and ``ac_charger_id`` place the devices.
        """
        if firmware not in PROFILES:
            msg = f"firmware must be one of {', '.join(PROFILES)}, not {firmware!r}"
            raise ValueError(msg)
        if missing_ids not in _MISSING_REPLIES:
            msg = f"missing_ids must be one of {sorted(_MISSING_REPLIES)}, not {missing_ids!r}"
            raise ValueError(msg)
        if tz is None and isinstance(start_time, datetime):
            tz = start_time.tzinfo
        self.tz: tzinfo = tz or datetime.now(UTC).astimezone().tzinfo or UTC
        if isinstance(start_time, datetime):
            start = start_time.timestamp()
        elif start_time is None:
            start = default_start_time(self.tz)
        else:
            start = float(start_time)
        self.firmware: FirmwareProfile = PROFILES[firmware]
        plant: dict[str, Any] = {
            "inverters": inverters,
            "ac_charger": ac_charger or ac_charger_id is not None,
            "seed": seed,
            "start_time": start,
            "tz": self.tz,
            "phases": phases,
            "control": control if control is not None else replace(self.firmware.control),
            "unit_ids": unit_ids,
            "ac_charger_id": ac_charger_id,
        }
        self.model = PlantModel(**plant) if start_soc is None else plant_at_soc(start_soc, **plant)
        self._refused = {kind: self.firmware.refuses(kind) for kind in DeviceKind}
        for unit_id in self.inverter_ids:
            self.model.set_firmware(unit_id, self.firmware.version)
        for key in self.firmware.unset:
            self.model.settings[key] = None
        self.model.settings.update(self.firmware.settings)
        self.coils_enabled = coils and self.firmware.coils
        self.speed = speed
        self.auto_advance = auto_advance
        self.missing_ids: MissingIds = missing_ids
        self.faults = Faults(latency)
        self.stats = Stats(self._active_connections)
        self.host: str = "127.0.0.1"
        self.port: int = 0
        self._start_time = start
        self._offset = 0.0
        self._monotonic0 = time.monotonic()
        self._overrides: dict[tuple[int, str], list[int]] = {}
        self._server: asyncio.Server | None = None
        self._connections: set[_Connection] = set()
        self._lock: asyncio.Lock | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    # ------------------------------------------------------------- lifecycle

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> None:
        """Listen on ``host:port`` (port 0: an ephemeral port, see :attr:`port`)."""
        if self._server is not None:
            msg = "the simulator is already running"
            raise RuntimeError(msg)
        self._lock = asyncio.Lock()
        loop = asyncio.get_running_loop()
        server = await loop.create_server(lambda: _Connection(self), host, port)
        self._server = server
        self.host = host
        self.port = int(server.sockets[0].getsockname()[1])
        _LOGGER.info("Simulator listening on %s:%s", self.host, self.port)

    async def stop(self) -> None:
        """Stop listening and close every connection; requests in progress are dropped."""
        server, self._server = self._server, None
        if server is None:
            return
        server.close()
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
        self.drop_connections()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(server.wait_closed(), 2.0)
        _LOGGER.info("Simulator on %s:%s stopped", self.host, self.port)

    async def restart(self) -> None:
        """Stop, then listen again on the same host and port."""
        await self.stop()
        await self.start(self.host, self.port)

    @property
    def running(self) -> bool:
        """Whether the server is listening."""
        return self._server is not None

    async def __aenter__(self) -> Self:
        """Start on 127.0.0.1 and an ephemeral port."""
        await self.start("127.0.0.1", 0)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Stop."""
        await self.stop()

    def drop_connections(self) -> None:
        """Close every client connection now (the server keeps listening)."""
        connections = list(self._connections)
        self._connections.clear()
        for connection in connections:
            connection.close()

    def _active_connections(self) -> int:
        return len(self._connections)

    def _connected(self, connection: _Connection) -> None:
        if self._server is None:  # pragma: no cover - accepted just before stop()
            connection.close()
            return
        self._connections.add(connection)
        self.stats.connections += 1
        _LOGGER.debug("Simulator: connection from %s", connection.peer)

    def _disconnected(self, connection: _Connection) -> None:
        self._connections.discard(connection)

    # ------------------------------------------------------------- clock

    @property
    def time(self) -> float:
        """The simulated time, epoch seconds."""
        self._sync_clock()
        return self.model.time

    def advance(self, seconds: float) -> None:
        """Move simulated time forward by ``seconds``, integrating the physics."""
        if self.auto_advance:
            self._offset += seconds
            self._sync_clock()
        else:
            self.model.advance(seconds)

    def _sync_clock(self) -> None:
        if not self.auto_advance:
            return
        target = (
            self._start_time + self._offset + (time.monotonic() - self._monotonic0) * self.speed
        )
        if target > self.model.time:
            self.model.advance(target - self.model.time)

    # ------------------------------------------------------------- plant API

    @property
    def unit_ids(self) -> list[int]:
        """Every unit id that answers: 247, the inverters, the AC charger."""
        return self.model.unit_ids()

    @property
    def inverter_ids(self) -> list[int]:
        """The inverters' unit ids."""
        return [i.spec.unit_id for i in self.model.inverters]

    @property
    def ac_charger_id(self) -> int | None:
        """The AC charger's unit id, if there is one."""
        return None if self.model.ac_charger is None else self.model.ac_charger.unit_id

    def add_inverter(self, unit_id: int, *, rated_power: float = 12.0, packs: int = 3) -> str:
        """Install an inverter at a free unit id while running; its serial number."""
        self._sync_clock()
        inverter = self.model.add_inverter(unit_id, rated_power=rated_power, packs=packs)
        self.model.set_firmware(unit_id, self.firmware.version)
        return inverter.spec.serial

    def add_ac_charger(self, unit_id: int) -> None:
        """Install the AC charger at a free unit id while running."""
        self._sync_clock()
        self.model.add_ac_charger(unit_id)

    def remove_unit(self, unit_id: int) -> None:
        """Take an inverter or the AC charger off the plant: from now on its id is absent."""
        self._sync_clock()
        self.model.remove_unit(unit_id)
        for key in [k for k in self._overrides if k[0] == unit_id]:
            del self._overrides[key]

    def _register(self, unit_id: int, key: str) -> Register:
        register = BY_KEY[key]
        kind = self.model.unit_kind(unit_id)
        if kind is not register.device:
            msg = f"unit {unit_id} ({kind}) has no register {key!r}"
            raise KeyError(msg)
        return register

    def value(self, unit_id: int, key: str) -> Value | None:
        """The current value of a register, decoded as a client would (None: no reading)."""
        self._sync_clock()
        register = self._register(unit_id, key)
        return codec.decode(register, self._words(unit_id, register))

    def words(self, unit_id: int, key: str) -> list[int]:
        """The current raw words of a register."""
        self._sync_clock()
        return self._words(unit_id, self._register(unit_id, key))

    def set_value(self, unit_id: int, key: str, value: Value | None) -> None:
        """Force what a register reads (``None``: the 'no reading' pattern) until cleared."""
        register = self._register(unit_id, key)
        self._overrides[unit_id, key] = encode_register(register, value)

    def set_raw(self, unit_id: int, key: str, words: Sequence[int]) -> None:
        """Force the raw words a register reads, e.g. garbage, until cleared."""
        register = self._register(unit_id, key)
        if len(words) != register.count or not all(0 <= w <= 0xFFFF for w in words):
            msg = f"{key} needs {register.count} words of 16 bits"
            raise ValueError(msg)
        self._overrides[unit_id, key] = list(words)

    def clear_override(self, unit_id: int, key: str) -> None:
        """Let a forced register follow the model again."""
        self._overrides.pop((unit_id, key), None)

    def clear_overrides(self) -> None:
        """Let every forced register follow the model again."""
        self._overrides.clear()

    def set_scenario(self, scenario: str, unit_id: int = 1) -> None:
        """Switch scenario: normal, off_grid, overload, dc_fault, ac_fault, battery_fault.

        Device faults hit the inverter at ``unit_id``.
        """
        self._sync_clock()
        self.model.set_scenario(Scenario(scenario.replace("-", "_")), unit_id)

    @property
    def scenario(self) -> str:
        """The current scenario."""
        return str(self.model.scenario)

    def set_firmware(self, unit_id: int, firmware: str) -> None:
        """Change the firmware version an inverter reports (30525)."""
        self.model.set_firmware(unit_id, firmware)

    def serial(self, unit_id: int) -> str:
        """The serial number of an inverter."""
        return self.model.inverter(unit_id).spec.serial

    def coil(self, unit_id: int, index: int) -> bool:
        """The state of dry contact DO1 (0) or DO2 (1) of an inverter."""
        return self.model.inverter(unit_id).coils[index]

    def set_coil(self, unit_id: int, index: int, value: bool) -> None:  # noqa: FBT001
        """Set a dry contact as if the device had switched it."""
        self.model.inverter(unit_id).coils[index] = value

    def discrete_input(self, unit_id: int, index: int) -> bool:
        """The state of digital input DI1-DI5 (index 0-4) of an inverter."""
        return self.model.inverter(unit_id).discrete_inputs[index]

    def set_discrete_input(self, unit_id: int, index: int, value: bool) -> None:  # noqa: FBT001
        """Drive digital input DI1-DI5 (index 0-4) of an inverter."""
        self.model.inverter(unit_id).discrete_inputs[index] = value

    # ------------------------------------------------------------- serving

    def _dispatch(self, connection: _Connection, frame: modbus.Frame) -> None:
        """Queue a frame; the lock serves the queue in order of arrival."""
        task = asyncio.get_running_loop().create_task(self._serve(connection, frame))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _serve(self, connection: _Connection, frame: modbus.Frame) -> None:
        lock = self._lock
        if lock is None:  # pragma: no cover - only dispatched while running
            return
        async with lock:
            await self.faults.wait_while_stalled()
            reply = await self._handle(frame)
            if reply is not None:
                connection.send(modbus.encode_frame(frame.transaction_id, frame.unit_id, reply))

    async def _handle(self, frame: modbus.Frame) -> bytes | None:
        """Serve one frame: the reply PDU, or None when nothing is answered."""
        function = frame.function
        stats = self.stats
        stats.requests += 1
        stats.by_function[function] = stats.by_function.get(function, 0) + 1
        request: modbus.Request | modbus.RequestError
        try:
            request = modbus.decode_request(frame.pdu)
        except modbus.RequestError as err:
            request = err
        else:
            if request.function in WRITE_FUNCTIONS:
                stats.writes.append(
                    (frame.unit_id, int(request.function), request.address, list(request.values))
                )
                stats.write_times.append(time.monotonic())
        reply = await self._respond(frame.unit_id, function, request)
        if not isinstance(reply, ExceptionCode):
            return reply
        code = int(reply)
        stats.exceptions[code] = stats.exceptions.get(code, 0) + 1
        return modbus.exception_reply(function, reply)

    async def _respond(
        self, unit_id: int, function: int, request: modbus.Request | modbus.RequestError
    ) -> bytes | ExceptionCode | None:
        if unit_id == BROADCAST_UNIT_ID:  # the plant executes writes and never answers
            if isinstance(request, modbus.Request) and function in {0x06, 0x10}:
                await self._latency()
                self._sync_clock()
                try:
                    self._write(PLANT_UNIT_ID, function, request.address, list(request.values))
                except Exception:
                    _LOGGER.exception("Simulator failed to serve a broadcast %s", request)
            return None
        if self.model.unit_kind(unit_id) is None or unit_id in self.faults.offline:
            reply = _MISSING_REPLIES[self.missing_ids]
            if reply is not None:  # an exception reply takes a round trip like any other
                await self._latency()
            return reply
        await self._latency()
        self._sync_clock()
        allowed = REGISTER_FUNCTIONS | BIT_FUNCTIONS if self.coils_enabled else REGISTER_FUNCTIONS
        if function not in allowed:
            return ExceptionCode.ILLEGAL_FUNCTION
        if isinstance(request, modbus.RequestError):
            _LOGGER.debug("Simulator refuses a request to unit %s: %s", unit_id, request)
            return request.code
        try:
            return self._execute(unit_id, request)
        except Exception:
            _LOGGER.exception("Simulator failed to serve %s", request)
            return ExceptionCode.DEVICE_FAILURE

    def _execute(self, unit_id: int, request: modbus.Request) -> bytes | ExceptionCode:
        function = request.function
        if function in modbus.BIT_READS or function in modbus.REGISTER_READS:
            result = self._read(unit_id, function, request.address, request.count)
            if isinstance(result, ExceptionCode):
                return result
            if function in modbus.BIT_READS:
                return modbus.bits_reply(function, [bool(bit) for bit in result])
            return modbus.registers_reply(function, result)
        refused = self._write(unit_id, function, request.address, list(request.values))
        if refused is not None:
            return ExceptionCode(refused)
        return modbus.write_reply(request)

    def _words(self, unit_id: int, register: Register) -> list[int]:
        forced = self._overrides.get((unit_id, register.key))
        if forced is not None:
            return forced
        key = register.key
        if key in self.firmware.all_ones:
            return [0xFFFF] * register.count
        if key in self.model.absent_channels(unit_id):
            absent = self.firmware.absent_words(key)
            if absent is not None:
                return absent
        return encode_register(register, self.model.values(unit_id).get(key, 0))

    def _fault(
        self, unit_id: int, address: int, count: int, *, write: bool = False
    ) -> ExceptionCode | None:
        """The exception an injected fault answers for this range, if any."""
        kind = self.model.unit_kind(unit_id)
        starts = unit_map(kind).starts if kind is not None else {}

        def covers(target: int) -> bool:
            register = starts.get(target)
            end = target + (register.count if register is not None else 1)
            return target < address + count and address < end

        faults = self.faults
        exceptions = {**faults.exceptions, **(faults.write_exceptions if write else {})}
        for (unit, target), code in exceptions.items():
            if unit == unit_id and covers(target):
                return ExceptionCode(code)
        for (unit, target), code in list(self.faults.once.items()):
            if unit == unit_id and covers(target):
                del self.faults.once[unit, target]
                return ExceptionCode(code)
        for unit, target in self.faults.unsupported:
            if unit == unit_id and covers(target):
                return ExceptionCode.ILLEGAL_ADDRESS
        refused = self._refused.get(kind) if kind is not None else None
        if refused and not refused.isdisjoint(range(address, address + count)):
            return ExceptionCode.ILLEGAL_ADDRESS  # the firmware lacks a register there
        return None

    def _bits(self, unit_id: int, func_code: int) -> list[bool] | None:
        if self.model.unit_kind(unit_id) is not DeviceKind.INVERTER:
            return None
        inverter = self.model.inverter(unit_id)
        return inverter.coils if func_code in _COIL_FUNCTIONS else inverter.discrete_inputs

    def _read(self, unit_id: int, func_code: int, address: int, count: int) -> ReadResult:
        """Read coils (0x01), discrete inputs (0x02) or registers (0x03/0x04)."""
        if func_code in {0x01, 0x02}:
            if (fault := self._fault(unit_id, address, count)) is not None:
                return fault
            bits = self._bits(unit_id, func_code)
            if bits is None or address + count > len(bits):
                return ExceptionCode.ILLEGAL_ADDRESS
            return bits[address : address + count]
        if func_code in {0x03, 0x04}:
            return self._read_registers(unit_id, address, count)
        return ExceptionCode.ILLEGAL_FUNCTION

    def _read_registers(self, unit_id: int, address: int, count: int) -> list[int] | ExceptionCode:
        if not 1 <= count <= MAX_READ_REGISTERS:
            return ExceptionCode.ILLEGAL_VALUE
        if (fault := self._fault(unit_id, address, count)) is not None:
            return fault
        owners = unit_map(self._kind(unit_id))
        end = address + count
        # Real devices refuse a read that starts or ends inside a multi-register value.
        if _splits(owners.owner(address), address) or _splits(owners.owner(end - 1), end):
            return ExceptionCode.ILLEGAL_ADDRESS
        words: list[int] = []
        position = address
        while position < end:
            owner = owners.owner(position)
            if owner is None or not owner.access.readable:
                return ExceptionCode.ILLEGAL_ADDRESS
            if isinstance(owner, Reserved):
                words.append(0)
                position += 1
                continue
            first = position - owner.address
            last = min(owner.count, end - owner.address)
            words.extend(self._words(unit_id, owner)[first:last])
            position = owner.address + last
        self.stats.registers_read += count
        return words

    def _write(
        self, unit_id: int, func_code: int, address: int, values: Sequence[int]
    ) -> ExceptionCode | None:
        """Write coils (0x05/0x0F) or registers (0x06/0x10): None, or the exception."""
        if func_code in {0x05, 0x0F}:
            return self._write_coils(unit_id, func_code, address, values)
        if func_code in {0x06, 0x10}:
            return self._write_registers(unit_id, address, [int(v) for v in values])
        return ExceptionCode.ILLEGAL_FUNCTION

    def _write_coils(
        self, unit_id: int, func_code: int, address: int, values: Sequence[int]
    ) -> ExceptionCode | None:
        """Switch coils: all addresses are checked before any coil switches."""
        if (fault := self._fault(unit_id, address, len(values), write=True)) is not None:
            return fault
        bits = self._bits(unit_id, func_code)
        if bits is None or address + len(values) > len(bits):
            return ExceptionCode.ILLEGAL_ADDRESS
        bits[address : address + len(values)] = [bool(v) for v in values]
        return None

    def _write_registers(
        self, unit_id: int, address: int, words: list[int]
    ) -> ExceptionCode | None:
        """Write whole registers: all are validated before any takes effect."""
        if (fault := self._fault(unit_id, address, len(words), write=True)) is not None:
            return fault
        starts = unit_map(self._kind(unit_id)).starts
        changes: list[tuple[Register, Value | None]] = []
        position, end = address, address + len(words)
        while position < end:
            register = starts.get(position)
            if register is None or not register.access.writable:
                return ExceptionCode.ILLEGAL_ADDRESS
            if position + register.count > end:  # only whole registers
                return ExceptionCode.ILLEGAL_VALUE
            chunk = words[position - address : position - address + register.count]
            try:
                value = self._validate(register, chunk)
            except SigenergyValueError:
                return ExceptionCode.ILLEGAL_VALUE
            refused = self.model.write_refusal(unit_id, register.key, value)
            if refused is not None:  # the firmware's own rules: the mode, its ratings
                return ExceptionCode(refused)
            changes.append((register, value))
            position += register.count
        for register, value in changes:
            self.model.write(unit_id, register.key, value)
        return None

    def _kind(self, unit_id: int) -> DeviceKind:
        kind = self.model.unit_kind(unit_id)
        if kind is None:  # pragma: no cover - only units that exist are served
            msg = f"no device at unit {unit_id}"
            raise KeyError(msg)
        return kind

    @staticmethod
    def _validate(register: Register, words: list[int]) -> Value | None:
        """Decode a written value, checked against the register's limits."""
        if (
            register.key in _NOT_VALID_WRITABLE
            and codec.words_to_int(DataType.U32, words) == codec.SENTINELS[DataType.U32]
        ):
            return None
        value = codec.decode_value(register.data_type, words, register.gain)
        codec.encode(register, value)
        return value

    async def _latency(self) -> None:
        if self.faults.latency > 0:
            await asyncio.sleep(self.faults.latency)


def _splits(owner: Register | Reserved | None, boundary: int) -> bool:
    """Whether a read boundary falls inside a multi-register value (real devices refuse that)."""
    return isinstance(owner, Register) and owner.address < boundary < owner.end
