"""Async Modbus TCP client for a Sigenergy plant.

One TCP connection per host; one request on the wire at a time (the inverter
serves requests one by one, and the protocol asks the host to wait for each
reply before sending the next). Each request has a timeout (1 s by default,
protocol 4.2). On a timeout or a lost connection the connection is dropped,
so that a late reply can never be taken for the answer to a later request;
the next request reconnects, after an exponential, jittered back-off when
connecting itself keeps failing. A connection that is accepted but lost
before it answered anything (a device that resets every connection) counts
as a failed attempt too. A Modbus exception reply is an answer: it raises
``SigenergyDeviceError`` and leaves the connection up.

Error messages never name the plant's address: they end up in logs, repair
issues and diagnostics, which users share.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pymodbus.client import AsyncModbusTcpClient
from pymodbus.exceptions import ConnectionException, ModbusException, ModbusIOException

from .codec import Value, decode, encode
from .exceptions import (
    SigenergyConnectionError,
    SigenergyDeviceError,
    SigenergyProtocolError,
    SigenergyReadOnlyError,
    SigenergyTimeoutError,
    SigenergyUnsupportedError,
    SigenergyWriteVerificationError,
)
from .planner import ReadBlock, ReadPlanner
from .registers import Register, RegisterKind

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Iterable

_LOGGER = logging.getLogger(__name__)

DEFAULT_PORT = 502
DEFAULT_TIMEOUT = 1.0
"""Seconds to wait for a reply (protocol 4.2: 1000 ms)."""

_FC_READ_COILS = 0x01
_FC_READ_DISCRETE_INPUTS = 0x02
_FC_WRITE_COIL = 0x05
_FC_WRITE_REGISTER = 0x06
_FC_WRITE_REGISTERS = 0x10


@dataclass(slots=True)
class ClientStats:
    """What the client has sent, for diagnostics and the benchmark."""

    requests: int = 0
    registers_read: int = 0
    writes: int = 0
    connects: int = 0
    connect_failures: int = 0
    timeouts: int = 0
    exception_replies: int = 0


@dataclass(frozen=True, slots=True)
class Backoff:
    """Exponential back-off with jitter between failed connection attempts.

    Capped at 10 s: a plant that is down is tried at most every 5-10 s (one
    TCP connect, no Modbus traffic), and one that comes back is read again
    within two realtime polls.
    """

    initial: float = 1.0
    maximum: float = 10.0
    factor: float = 2.0

    def delay(self, failures: int, rand: Callable[[], float] = random.random) -> float:
        """Seconds to wait after ``failures`` consecutive failed attempts.

        "Equal jitter": half the exponential delay is fixed, half random, so
        clients that failed together do not all come back together.
        """
        if failures <= 0:
            return 0.0
        try:
            base = min(self.maximum, self.initial * self.factor ** (failures - 1))
        except OverflowError:  # after ~1000 failures: days at the maximum already
            base = self.maximum
        return base / 2 + rand() * base / 2


def _consume(task: asyncio.Task[Any]) -> None:
    """Retrieve the outcome of a request, so that one given up on logs no warning."""
    if not task.cancelled():
        task.exception()


def _monotonic() -> float:
    return time.monotonic()  # looked up at each call, so that test clocks apply


class _TcpClient(AsyncModbusTcpClient):
    """pymodbus' TCP client without the 100 ms pause after connecting.

    ``AsyncModbusTcpClient.connect`` sleeps 0.1 s after every connection (a
    settling time meant for serial lines); a TCP server needs none, and each
    reconnect would pay it.

    A reply that is no Modbus frame (pymodbus cannot decode its function)
    makes pymodbus raise from inside the event loop's data callback: asyncio
    logs a traceback and the request waits for its timeout. Here it fails the
    request in flight instead, which then drops the connection.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        ctx = self.ctx
        parse = ctx.callback_data

        def callback_data(data: bytes, addr: tuple[str, int] | None = None) -> int:
            try:
                return int(parse(data, addr))
            except ModbusIOException as err:
                future = ctx.response_future
                if not future.done():
                    future.set_exception(err)
                return len(data)

        ctx.callback_data = callback_data  # type: ignore[method-assign]

    async def connect(self) -> bool:
        self.ctx.reset_delay()
        return bool(await self.ctx.connect())


class SigenergyClient:
    """Reads and writes registers, coils and discrete inputs of one plant."""

    def __init__(  # noqa: PLR0913 - all keyword settings
        self,
        host: str,
        port: int = DEFAULT_PORT,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        read_only: bool = False,
        planner: ReadPlanner | None = None,
        backoff: Backoff | None = None,
        clock: Callable[[], float] | None = None,
    ) -> None:
        """Prepare a client; nothing is sent until the first request."""
        self.host = host
        self.port = port
        self.timeout = timeout
        self.read_only = read_only
        self.planner = planner or ReadPlanner()
        self.stats = ClientStats()
        self._backoff = backoff or Backoff()
        self._clock = clock or _monotonic
        self._lock = asyncio.Lock()
        self._failures = 0
        self._next_attempt = 0.0
        self._answered = False
        """Whether the current connection has answered a request yet."""
        self._inflight: asyncio.Task[Any] | None = None
        self._modbus: AsyncModbusTcpClient | None = None
        self._cache: dict[tuple[int, str], tuple[Value | None, float]] = {}

    # -- connection ---------------------------------------------------------

    @property
    def connected(self) -> bool:
        """Whether the TCP connection is up."""
        return self._modbus is not None and bool(self._modbus.connected)

    @property
    def retry_in(self) -> float:
        """Seconds until the next connection attempt is allowed."""
        return max(0.0, self._next_attempt - self._clock())

    def _on_connection_change(self, connected: bool) -> None:  # noqa: FBT001 - pymodbus callback
        if not connected and self._inflight is not None and not self._inflight.done():
            self._inflight.cancel()

    async def _ensure_connected(self) -> AsyncModbusTcpClient:
        if self._modbus is not None and self._modbus.connected:
            return self._modbus
        self._drop()
        if (wait := self.retry_in) > 0:
            msg = f"plant unreachable; next attempt in {wait:.1f} s"
            raise SigenergyConnectionError(msg)
        modbus = _TcpClient(
            self.host,
            port=self.port,
            timeout=max(self.timeout, 3.0),  # connect timeout; replies are timed here
            retries=0,
            reconnect_delay=0,  # reconnecting is ours, with back-off
            trace_connect=self._on_connection_change,
        )
        try:
            connected = await modbus.connect()
        except (OSError, ModbusException):
            connected = False
        if not connected:
            modbus.close()
            self._failures += 1
            self.stats.connect_failures += 1
            self._next_attempt = self._clock() + self._backoff.delay(self._failures)
            msg = "cannot connect to the plant"
            raise SigenergyConnectionError(msg)
        # The failures are forgotten at the first answer, not here: a device
        # that accepts connections and drops them must not be hammered.
        self._next_attempt = 0.0
        self._answered = False
        self.stats.connects += 1
        self._modbus = modbus
        return modbus

    def _drop(self) -> None:
        if self._modbus is not None:
            self._modbus.close()
            self._modbus = None

    def _lost(self, *, attempt: bool = True) -> None:
        """Drop a broken connection; one that never answered is a failed ``attempt``."""
        if attempt and self._modbus is not None and not self._answered:
            self._failures += 1
            self._next_attempt = self._clock() + self._backoff.delay(self._failures)
        self._drop()

    def _answer(self) -> None:
        """The connection answered: connecting works again."""
        self._answered = True
        self._failures = 0

    async def connect(self) -> None:
        """Open the connection now (requests also connect on demand)."""
        async with self._lock:
            await self._ensure_connected()

    async def close(self) -> None:
        """Close the connection; a later request opens it again."""
        async with self._lock:
            self._drop()

    # -- one request --------------------------------------------------------

    async def _execute(
        self,
        function_code: int,
        unit_id: int,
        address: int,
        call: Callable[[AsyncModbusTcpClient], Awaitable[Any]],
        timeout: float | None = None,
    ) -> Any:
        wait = self.timeout if timeout is None else timeout
        async with self._lock:
            modbus = await self._ensure_connected()
            self.stats.requests += 1
            inflight = self._inflight = asyncio.ensure_future(call(modbus))
            inflight.add_done_callback(_consume)
            try:
                # Not asyncio.wait_for: pymodbus turns the cancellation of a
                # request into a ModbusIOException, which wait_for passes on
                # instead of a TimeoutError, and which would also swallow a
                # caller's cancellation.
                done, _ = await asyncio.wait((inflight,), timeout=wait)
            except asyncio.CancelledError:
                inflight.cancel()
                self._drop()
                self._inflight = None
                raise
            if not done:
                inflight.cancel()
                self._drop()
                self._inflight = None
                self.stats.timeouts += 1
                msg = f"no reply from unit {unit_id} within {wait} s"
                raise SigenergyTimeoutError(msg)
            try:
                response = inflight.result()
            except ModbusIOException as err:
                # A timeout is no failed attempt: a silent unit id times out too.
                self._lost(attempt="No response" not in str(err))
                if "No response" in str(err):
                    self.stats.timeouts += 1
                    msg = f"no reply from unit {unit_id} in time"
                    raise SigenergyTimeoutError(msg) from err
                if "cancelled" in str(err):
                    msg = "connection to the plant lost"
                    raise SigenergyConnectionError(msg) from err
                raise SigenergyProtocolError(str(err)) from err
            except asyncio.CancelledError as err:  # cancelled by the connection loss
                self._lost()
                msg = "connection to the plant lost"
                raise SigenergyConnectionError(msg) from err
            except (ConnectionException, ModbusException, OSError) as err:
                self._lost()
                msg = f"connection to the plant failed: {err}"
                raise SigenergyConnectionError(msg) from err
            finally:
                self._inflight = None
            self._answer()
        if response.isError():
            self.stats.exception_replies += 1
            code = int(getattr(response, "exception_code", 0))
            error = (
                SigenergyUnsupportedError
                if code
                in (
                    SigenergyDeviceError.ILLEGAL_FUNCTION,
                    SigenergyDeviceError.ILLEGAL_DATA_ADDRESS,
                )
                else SigenergyDeviceError
            )
            raise error(code, unit_id, function_code, address)
        return response

    async def read_words(
        self,
        unit_id: int,
        kind: RegisterKind,
        address: int,
        count: int,
        *,
        timeout: float | None = None,
    ) -> list[int]:
        """Read ``count`` raw registers with function code 0x03 or 0x04."""

        def call(modbus: AsyncModbusTcpClient) -> Awaitable[Any]:
            if kind is RegisterKind.INPUT:
                return modbus.read_input_registers(address, count=count, device_id=unit_id)
            return modbus.read_holding_registers(address, count=count, device_id=unit_id)

        response = await self._execute(kind.value, unit_id, address, call, timeout)
        words = list(response.registers)
        if len(words) != count:
            self._drop()
            msg = f"asked unit {unit_id} for {count} registers at {address}, got {len(words)}"
            raise SigenergyProtocolError(msg)
        self.stats.registers_read += count
        return words

    # -- planned reads ------------------------------------------------------

    async def read(
        self,
        unit_id: int,
        registers: Iterable[Register],
        *,
        optional: Iterable[Register] = (),
        max_age: float | None = None,
    ) -> dict[str, Value | None]:
        """Read registers of one unit with the fewest requests.

        Returns each supported register's decoded value (``None`` where the
        device reports no reading). Registers the unit does not support are
        left out, and learned, so later plans skip them.

        ``optional`` registers are read too where they fit into the same
        requests, and remembered; a later read with ``max_age`` takes any
        register read at most that many seconds ago from memory instead of
        asking the device again.
        """
        wanted = list(registers)
        values: dict[str, Value | None] = {}
        missing = []
        now = self._clock()
        for register in wanted:
            hit = self._cache.get((unit_id, register.key)) if max_age is not None else None
            if hit is not None and now - hit[1] <= max_age:  # type: ignore[operator]
                values[register.key] = hit[0]
            else:
                missing.append(register)
        if missing:
            for block in self.planner.plan(unit_id, missing, optional):
                await self._read_block(block, values)
        return {r.key: values[r.key] for r in wanted if r.key in values}

    def forget(self, unit_id: int) -> None:
        """Forget what was learned and read of a unit (its firmware changed)."""
        self.planner.forget(unit_id)
        for key in [k for k in self._cache if k[0] == unit_id]:
            del self._cache[key]

    async def _read_block(self, block: ReadBlock, values: dict[str, Value | None]) -> bool:
        """Read one block into ``values``; True when it was read whole."""
        try:
            words = await self.read_words(block.unit_id, block.kind, block.address, block.count)
        except SigenergyUnsupportedError as err:
            if err.code != SigenergyDeviceError.ILLEGAL_DATA_ADDRESS:
                raise
            if len(block.registers) == 1:
                _LOGGER.debug("Unit %s does not support %s", block.unit_id, block.registers[0].key)
                self.planner.mark_unsupported(block.unit_id, block.registers[0])
                return False
            left, right = self.planner.split(block)
            left_whole = await self._read_block(left, values)
            right_whole = await self._read_block(right, values)
            if left_whole and right_whole:
                self.planner.mark_unbridgeable(block.unit_id, left, right)
            return False
        now = self._clock()
        for register in block.registers:
            offset = register.address - block.address
            value = decode(register, words[offset : offset + register.count])
            values[register.key] = value
            self._cache[block.unit_id, register.key] = (value, now)
        return True

    # -- writes -------------------------------------------------------------

    async def write(self, unit_id: int, register: Register, value: Value) -> Value | None:
        """Write a register, then read it back to confirm.

        The value is checked against the register's access and limits before
        anything is sent. Returns the value read back (the value written for
        write-only registers).
        """
        if self.read_only:
            msg = f"read-only mode: {register.key} was not written"
            raise SigenergyReadOnlyError(msg)
        words = encode(register, value)

        def call(modbus: AsyncModbusTcpClient) -> Awaitable[Any]:
            if len(words) == 1:
                return modbus.write_register(register.address, words[0], device_id=unit_id)
            return modbus.write_registers(register.address, words, device_id=unit_id)

        code = _FC_WRITE_REGISTER if len(words) == 1 else _FC_WRITE_REGISTERS
        await self._execute(code, unit_id, register.address, call)
        self.stats.writes += 1
        if not register.access.readable:
            return value
        back = await self.read_words(unit_id, register.kind, register.address, register.count)
        if back != words:
            msg = f"{register.key} on unit {unit_id}: wrote {words}, read back {back}"
            raise SigenergyWriteVerificationError(msg)
        return decode(register, back)

    # -- coils and discrete inputs (dry contacts DO1/DO2, inputs DI1-DI5) ---

    async def read_coils(self, unit_id: int, address: int = 0, count: int = 2) -> list[bool]:
        """Read coils (function 0x01)."""

        def call(modbus: AsyncModbusTcpClient) -> Awaitable[Any]:
            return modbus.read_coils(address, count=count, device_id=unit_id)

        response = await self._execute(_FC_READ_COILS, unit_id, address, call)
        return [bool(b) for b in response.bits[:count]]

    async def read_discrete_inputs(
        self, unit_id: int, address: int = 0, count: int = 5
    ) -> list[bool]:
        """Read discrete inputs (function 0x02)."""

        def call(modbus: AsyncModbusTcpClient) -> Awaitable[Any]:
            return modbus.read_discrete_inputs(address, count=count, device_id=unit_id)

        response = await self._execute(_FC_READ_DISCRETE_INPUTS, unit_id, address, call)
        return [bool(b) for b in response.bits[:count]]

    async def write_coil(self, unit_id: int, address: int, value: bool) -> bool:  # noqa: FBT001
        """Switch a coil (function 0x05), then read it back to confirm."""
        if self.read_only:
            msg = f"read-only mode: coil {address} of unit {unit_id} was not switched"
            raise SigenergyReadOnlyError(msg)

        def call(modbus: AsyncModbusTcpClient) -> Awaitable[Any]:
            return modbus.write_coil(address, value, device_id=unit_id)

        await self._execute(_FC_WRITE_COIL, unit_id, address, call)
        self.stats.writes += 1
        (back,) = await self.read_coils(unit_id, address, 1)
        if back != value:
            msg = f"coil {address} of unit {unit_id}: wrote {value}, read back {back}"
            raise SigenergyWriteVerificationError(msg)
        return back
