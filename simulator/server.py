"""Modbus TCP server of a simulated SigenStor plant, and the Python API tests drive.

The server is pymodbus 3.11's ``ModbusTcpServer`` with its own device contexts
(:class:`UnitContext`) that serve every address exactly as it is sent on the
wire: pymodbus' stock ``ModbusDeviceContext`` adds one to every address.

Like the real inverter it serves one request at a time, across all
connections, each after a configurable latency. Faults can be injected at run
time through :attr:`PlantSimulator.faults`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from typing import TYPE_CHECKING, Any, Literal, Self

from pymodbus.constants import ExcCodes
from pymodbus.datastore import ModbusBaseDeviceContext, ModbusServerContext
from pymodbus.exceptions import ModbusIOException, NoSuchIdException
from pymodbus.pdu import ExceptionResponse
from pymodbus.server import ModbusTcpServer
from pymodbus.server.requesthandler import ServerRequestHandler
from pymodbus.transaction import TransactionManager

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

from .model import PlantModel, Scenario, default_start_time
from .registermap import encode_register, unit_map

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from types import TracebackType

    from pymodbus.pdu import ModbusPDU

    from custom_components.sigenergy_modbus.protocol.codec import Value

_LOGGER = logging.getLogger(__name__)

COILS = 2
"""Coils 0 and 1 are the dry contacts DO1 and DO2."""

DISCRETE_INPUTS = 5
"""Discrete inputs 0-4 are the digital inputs DI1-DI5."""

REGISTER_FUNCTIONS = frozenset({0x03, 0x04, 0x06, 0x10})
BIT_FUNCTIONS = frozenset({0x01, 0x02, 0x05})
WRITE_FUNCTIONS = frozenset({0x05, 0x06, 0x10})

# Writing all ones to these means "no limit" (protocol p.16).
_NOT_VALID_WRITABLE = frozenset({"pcs_max_export_limit", "pcs_max_import_limit"})

type MissingIds = Literal["exception", "silent"]


class Faults:
    """Faults to inject into the device's behaviour, switchable at run time.

    * ``latency``: seconds the device takes for each request.
    * ``exceptions[(unit_id, address)] = code``: any read or write covering
      that address (the whole register when it is a register's start address;
      coil and discrete input addresses 0-4 too) answers that exception code
      (a ``pymodbus.constants.ExcCodes`` value).
    * ``unsupported``: ``(unit_id, address)`` pairs the firmware lacks; any
      request covering them answers 0x02.
    * ``stall(seconds)`` / ``stall(None)``: the device hangs, for a time or
      until ``clear_stall()``; requests queue up and are served afterwards.
    """

    def __init__(self, latency: float) -> None:
        """Start without faults, with the given latency."""
        self.latency = latency
        self.exceptions: dict[tuple[int, int], int] = {}
        self.unsupported: set[tuple[int, int]] = set()
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
        self.unsupported.clear()
        self.clear_stall()


@dataclass(slots=True)
class Stats:
    """What the device served since the start (or the last ``reset``)."""

    _active: Callable[[], int]
    requests: int = 0
    by_function: dict[int, int] = field(default_factory=dict)
    registers_read: int = 0
    """Registers returned by successful 0x03/0x04 reads."""
    writes: list[tuple[int, int, int, list[int]]] = field(default_factory=list)
    """Every write request received: (unit id, function code, address, values)."""
    exceptions: dict[int, int] = field(default_factory=dict)
    """Exception replies sent, by exception code."""
    connections: int = 0
    """Connections opened."""

    @property
    def active_connections(self) -> int:
        """Connections open right now."""
        return self._active()

    def reset(self) -> None:
        """Zero the counters (open connections are not a counter)."""
        self.requests = self.registers_read = self.connections = 0
        self.by_function.clear()
        self.writes.clear()
        self.exceptions.clear()


class UnitContext(ModbusBaseDeviceContext):
    """The datastore of one unit id: addresses exactly as on the wire."""

    def __init__(self, simulator: PlantSimulator, unit_id: int) -> None:
        """Serve ``unit_id`` of ``simulator``."""
        self._sim = simulator
        self.unit_id = unit_id
        self._echo: list[int] | list[bool] = []

    def __str__(self) -> str:
        """Name the unit."""
        return f"Sigenergy simulator unit {self.unit_id}"

    def reset(self) -> None:
        """Nothing to reset: the plant model owns the data."""

    async def async_getValues(  # noqa: N802 - pymodbus' name
        self, func_code: int, address: int, count: int = 1
    ) -> list[int] | list[bool] | ExcCodes:
        """Read registers (0x03/0x04), coils (0x01) or discrete inputs (0x02)."""
        if func_code in {0x05, 0x06}:  # pymodbus reads back what a single write stored
            return self._echo
        return self._sim._read(self.unit_id, func_code, address, count)  # noqa: SLF001

    async def async_setValues(  # noqa: N802 - pymodbus' name
        self, func_code: int, address: int, values: list[int] | list[bool]
    ) -> ExcCodes | None:
        """Write registers (0x06/0x10) or a coil (0x05)."""
        result = self._sim._write(self.unit_id, func_code, address, values)  # noqa: SLF001
        if result is None:
            self._echo = values
        return result


class _RequestHandler(ServerRequestHandler):
    """One client connection; hands each request to the simulator's queue."""

    def __init__(self, owner: _TcpServer, simulator: PlantSimulator) -> None:
        super().__init__(owner, None, None, None)  # type: ignore[no-untyped-call]
        self._sim = simulator

    def callback_connected(self) -> None:
        super().callback_connected()
        self._sim.stats.connections += 1

    def callback_data(self, data: bytes, addr: tuple[str, int] | None = None) -> int:
        # Unlike pymodbus' handler, take every complete frame of the buffer
        # (a client may send a request before the previous answer arrived).
        used = 0
        while used < len(data):
            try:
                size = TransactionManager.callback_data(self, data[used:], addr)
            except ModbusIOException:
                reply = ExceptionResponse(40, exception_code=ExcCodes.ILLEGAL_FUNCTION)
                self.server_send(reply, 0)  # type: ignore[no-untyped-call]
                return len(data)
            used += size
            if self.last_pdu is None or not size:
                break
            self._sim._dispatch(self, self.last_pdu, self.last_addr)  # noqa: SLF001
        return used

    def send(self, data: bytes, addr: tuple[str, int] | None = None) -> None:
        # pymodbus' send() empties the receive buffer, losing a request that
        # arrived while this one waited its turn; write only.
        _ = addr
        transport = self.transport
        if isinstance(transport, asyncio.WriteTransport) and not transport.is_closing():
            transport.write(data)


class _TcpServer(ModbusTcpServer):
    def __init__(
        self, simulator: PlantSimulator, context: ModbusServerContext, address: tuple[str, int]
    ) -> None:
        super().__init__(
            context,
            address=address,
            ignore_missing_devices=simulator.missing_ids == "silent",
        )
        self._sim = simulator

    def callback_new_connection(self) -> _RequestHandler:
        return _RequestHandler(self, self._sim)


class PlantSimulator:
    """A whole SigenStor plant served over Modbus TCP.

    Unit 247 is the plant, 1..N the inverters, N+1 the AC charger (if any).
    Simulated time runs at ``speed`` x real time when ``auto_advance`` is on,
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
    ) -> None:
        """Build the plant; nothing listens until :meth:`start`.

        ``start_time`` is epoch seconds or an aware datetime (default: today
        12:00 local). ``tz`` is the plant's time zone (default: the start
        datetime's, else the host's); it decides the time of day of the
        physics and when daily counters reset.
        """
        if missing_ids not in {"exception", "silent"}:
            msg = f"missing_ids must be 'exception' or 'silent', not {missing_ids!r}"
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
        self.model = PlantModel(
            inverters=inverters, ac_charger=ac_charger, seed=seed, start_time=start, tz=self.tz
        )
        self.coils_enabled = coils
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
        self._contexts = {unit: UnitContext(self, unit) for unit in self.model.unit_ids()}
        self._server_context = ModbusServerContext(devices=self._contexts, single=False)  # type: ignore[no-untyped-call]
        self._server: _TcpServer | None = None
        self._lock: asyncio.Lock | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    # ------------------------------------------------------------- lifecycle

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> None:
        """Listen on ``host:port`` (port 0: an ephemeral port, see :attr:`port`)."""
        if self._server is not None:
            msg = "the simulator is already running"
            raise RuntimeError(msg)
        self._lock = asyncio.Lock()
        server = _TcpServer(self, self._server_context, (host, port))
        await server.serve_forever(background=True)
        self._server = server
        listener: Any = server.transport
        self.host = host
        self.port = int(listener.sockets[0].getsockname()[1])
        _LOGGER.info("Simulator listening on %s:%s", self.host, self.port)

    async def stop(self) -> None:
        """Stop listening and close every connection; requests in progress are dropped."""
        server, self._server = self._server, None
        if server is None:
            return
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
        listener = server.transport
        await server.shutdown()  # type: ignore[no-untyped-call]
        if isinstance(listener, asyncio.Server):
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(listener.wait_closed(), 2.0)
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
        if self._server is None:
            return
        for connection in list(self._server.active_connections.values()):
            connection.close()

    def _active_connections(self) -> int:
        return 0 if self._server is None else len(self._server.active_connections)

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

    def _words(self, unit_id: int, register: Register) -> list[int]:
        forced = self._overrides.get((unit_id, register.key))
        if forced is not None:
            return forced
        return encode_register(register, self.model.values(unit_id).get(register.key, 0))

    def _fault(self, unit_id: int, address: int, count: int) -> ExcCodes | None:
        """The exception an injected fault answers for this range, if any."""
        kind = self.model.unit_kind(unit_id)
        starts = unit_map(kind).starts if kind is not None else {}

        def covers(target: int) -> bool:
            register = starts.get(target)
            end = target + (register.count if register is not None else 1)
            return target < address + count and address < end

        for (unit, target), code in self.faults.exceptions.items():
            if unit == unit_id and covers(target):
                return ExcCodes(code)
        for unit, target in self.faults.unsupported:
            if unit == unit_id and covers(target):
                return ExcCodes.ILLEGAL_ADDRESS
        return None

    def _bits(self, unit_id: int, func_code: int) -> list[bool] | None:
        if self.model.unit_kind(unit_id) is not DeviceKind.INVERTER:
            return None
        inverter = self.model.inverter(unit_id)
        return inverter.coils if func_code in {0x01, 0x05} else inverter.discrete_inputs

    def _read(
        self, unit_id: int, func_code: int, address: int, count: int
    ) -> list[int] | list[bool] | ExcCodes:
        if func_code in {0x01, 0x02}:
            if (fault := self._fault(unit_id, address, count)) is not None:
                return fault
            bits = self._bits(unit_id, func_code)
            if bits is None or count < 1 or address + count > len(bits):
                return ExcCodes.ILLEGAL_ADDRESS
            return bits[address : address + count]
        if func_code in {0x03, 0x04}:
            return self._read_registers(unit_id, address, count)
        return ExcCodes.ILLEGAL_FUNCTION

    def _read_registers(self, unit_id: int, address: int, count: int) -> list[int] | ExcCodes:
        if not 1 <= count <= MAX_READ_REGISTERS:
            return ExcCodes.ILLEGAL_VALUE
        if (fault := self._fault(unit_id, address, count)) is not None:
            return fault
        owners = unit_map(self._kind(unit_id))
        words: list[int] = []
        position, end = address, address + count
        while position < end:
            owner = owners.owner(position)
            if owner is None or not owner.access.readable:
                return ExcCodes.ILLEGAL_ADDRESS
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
        self, unit_id: int, func_code: int, address: int, values: list[int] | list[bool]
    ) -> ExcCodes | None:
        if func_code == 0x05:
            if (fault := self._fault(unit_id, address, 1)) is not None:
                return fault
            bits = self._bits(unit_id, func_code)
            if bits is None or not 0 <= address < len(bits):
                return ExcCodes.ILLEGAL_ADDRESS
            bits[address] = bool(values[0])
            return None
        if func_code in {0x06, 0x10}:
            return self._write_registers(unit_id, address, [int(v) for v in values])
        return ExcCodes.ILLEGAL_FUNCTION

    def _write_registers(self, unit_id: int, address: int, words: list[int]) -> ExcCodes | None:
        """Write whole registers: all are validated before any takes effect."""
        if (fault := self._fault(unit_id, address, len(words))) is not None:
            return fault
        starts = unit_map(self._kind(unit_id)).starts
        changes: list[tuple[Register, Value | None]] = []
        position, end = address, address + len(words)
        while position < end:
            register = starts.get(position)
            if register is None or not register.access.writable:
                return ExcCodes.ILLEGAL_ADDRESS
            if position + register.count > end:  # only whole registers
                return ExcCodes.ILLEGAL_VALUE
            chunk = words[position - address : position - address + register.count]
            try:
                changes.append((register, self._validate(register, chunk)))
            except SigenergyValueError:
                return ExcCodes.ILLEGAL_VALUE
            position += register.count
        for register, value in changes:
            self.model.write(unit_id, register.key, value)
        return None

    def _kind(self, unit_id: int) -> DeviceKind:
        kind = self.model.unit_kind(unit_id)
        if kind is None:  # pragma: no cover - no context exists for it
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

    def _dispatch(
        self, handler: _RequestHandler, pdu: ModbusPDU, addr: tuple[str, int] | None
    ) -> None:
        task = asyncio.get_running_loop().create_task(self._serve(handler, pdu, addr))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _serve(
        self, handler: _RequestHandler, pdu: ModbusPDU, addr: tuple[str, int] | None
    ) -> None:
        lock = self._lock
        if lock is None:  # pragma: no cover - only dispatched while running
            return
        async with lock:
            await self.faults.wait_while_stalled()
            function = int(pdu.function_code)
            stats = self.stats
            stats.requests += 1
            stats.by_function[function] = stats.by_function.get(function, 0) + 1
            if function in WRITE_FUNCTIONS:
                values = pdu.bits if function == 0x05 else pdu.registers
                stats.writes.append(
                    (int(pdu.dev_id), function, int(pdu.address), [int(v) for v in values])
                )
            response = await self._respond(pdu)
            if response is None:
                return
            response.transaction_id = pdu.transaction_id
            response.dev_id = pdu.dev_id
            if isinstance(response, ExceptionResponse):
                code = int(response.exception_code)
                stats.exceptions[code] = stats.exceptions.get(code, 0) + 1
            handler.server_send(response, addr)  # type: ignore[no-untyped-call]

    async def _respond(self, pdu: ModbusPDU) -> ModbusPDU | None:
        function = int(pdu.function_code)
        unit = int(pdu.dev_id)
        if unit == 0:  # broadcast: the plant executes writes and never answers
            if function in {0x06, 0x10}:
                await self._latency()
                self._sync_clock()
                with contextlib.suppress(Exception):
                    await pdu.update_datastore(self._contexts[PLANT_UNIT_ID])  # type: ignore[arg-type]
            return None
        try:
            context = self._server_context[unit]
        except NoSuchIdException:
            if self.missing_ids == "silent":
                return None
            return ExceptionResponse(function, ExcCodes.GATEWAY_NO_RESPONSE)
        await self._latency()
        self._sync_clock()
        allowed = REGISTER_FUNCTIONS | BIT_FUNCTIONS if self.coils_enabled else REGISTER_FUNCTIONS
        if function not in allowed:
            return ExceptionResponse(function, ExcCodes.ILLEGAL_FUNCTION)
        try:
            response: ModbusPDU = await pdu.update_datastore(context)
        except Exception:
            _LOGGER.exception("Simulator failed to serve %s", pdu)
            return ExceptionResponse(function, ExcCodes.DEVICE_FAILURE)
        return response

    async def _latency(self) -> None:
        if self.faults.latency > 0:
            await asyncio.sleep(self.faults.latency)
