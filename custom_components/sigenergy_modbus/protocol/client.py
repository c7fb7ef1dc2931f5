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
``SigenergyDeviceError`` and leaves the connection up; "busy" (0x06) is
asked once more, after ``BUSY_RETRY_DELAY``, before it raises. A reply that
is no valid answer to the request raises ``SigenergyProtocolError`` and
drops the connection.

Error messages never name the plant's address: they end up in logs, repair
issues and diagnostics, which users share. pymodbus's own log lines about
our connections are moved to this module's debug log, the address
redacted (see ``PymodbusLogFilter``).

pymodbus is used through its public API only, the same on 3.11 to 3.16:
``AsyncModbusTcpClient``'s documented constructor arguments, ``connect``,
``connected``, ``close``, the request methods and the reply's ``isError``,
``registers``, ``bits`` and ``exception_code``. Its two documented hooks
tell what the library does not say itself:

* ``trace_connect`` reports the connection made and lost. The client waits
  for "made", not for ``connect()`` to return: before 3.16 ``connect()``
  sleeps 0.1 s after connecting. A loss fails the request in flight at once
  (pymodbus would wait for its own timeout).
* ``trace_packet`` sees the bytes received before pymodbus decodes them. A
  frame pymodbus could not decode makes it raise inside the event loop's
  data callback: asyncio logs a traceback and the request waits for its
  timeout. The hook checks each frame against the request (``_malformed``)
  and, when one is no valid answer, hands pymodbus nothing and fails the
  request itself.

pymodbus's own timeout is set far longer than any of this client's, so the
client's timers decide; errors are told apart by what the client saw (its
timer, the hooks) and by exception type, never by the text of a message.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import enum
import logging
import random
import re
import struct
import time
from dataclasses import dataclass, field
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
    from collections.abc import Awaitable, Callable, Coroutine, Iterable

    from pymodbus.pdu import ModbusPDU

_LOGGER = logging.getLogger(__name__)

DEFAULT_PORT = 502
DEFAULT_TIMEOUT = 1.0
"""Seconds to wait for a reply (protocol 4.2: 1000 ms)."""

CONNECT_TIMEOUT = 3.0
"""Seconds to wait for a TCP connection (at least; never less than a reply's timeout)."""

BUSY_RETRY_DELAY = 0.3
"""Seconds to wait before asking a busy device (exception 0x06) once more.

The protocol gives no figure. A SigenStor answers busy while it applies a
previous command; a few hundred milliseconds let it finish, and a realtime
poll (every 5 s) keeps its schedule even when several of its requests meet
a busy device. One retry only: a device that stays busy fails the request,
as any other exception reply does.
"""

LIBRARY_TIMEOUT = 60.0
"""pymodbus's own timeout (connecting and each reply): longer than any of ours.

The client's timers decide. A timeout of pymodbus's would end a request with
an exception that says so only in its text; every timeout of this client is
shorter, checked in ``SigenergyClient.__init__`` and for each request.
"""

_FC_READ_COILS = 0x01
_FC_READ_DISCRETE_INPUTS = 0x02
_FC_READ_HOLDING_REGISTERS = 0x03
_FC_READ_INPUT_REGISTERS = 0x04
_FC_WRITE_COIL = 0x05
_FC_WRITE_REGISTER = 0x06
_FC_WRITE_REGISTERS = 0x10
_FC_EXCEPTION = 0x80

_MBAP = struct.Struct(">HHHB")
"""Modbus TCP header: transaction id, protocol id, length, unit id."""
_MAX_LENGTH = 254
"""Largest header length: the unit id and a PDU of at most 253 bytes."""


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
    busy_retries: int = 0


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


# -- pymodbus's log ------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Endpoint:
    """The plant's address, and how to keep it out of a log line."""

    host: str
    port: int

    def redact(self, text: str) -> str:
        """``text`` without the address: as configured, and as sockets print it."""
        # "Connect call failed ('192.0.2.7', 502)": the resolved address, even
        # when a host name was configured; IPv6 adds flow info and scope id.
        text = re.sub(rf"\('[^']*', {self.port}(?:, \d+)*\)", "(<plant>)", text)
        return text.replace(f"{self.host}:{self.port}", "<plant>").replace(self.host, "<plant>")


_ON_BEHALF: contextvars.ContextVar[_Endpoint | None] = contextvars.ContextVar(
    "sigenergy_modbus_endpoint", default=None
)
"""The plant whose connection pymodbus is working on, in the context it runs in."""

PYMODBUS_LOGGER = "pymodbus.logging"
"""The logger every pymodbus line goes through (``pymodbus/logging.py``)."""


class PymodbusLogFilter(logging.Filter):
    """Moves pymodbus's lines about this integration's connections to its debug log.

    pymodbus logs a warning with the plant's address at every failed
    connection attempt ("Failed to connect [Errno 111] Connect call failed
    ('192.0.2.7', 502)"), about ten in an outage of a minute. Users share
    their logs; the address is personal, and the failure is reported by the
    integration already (one line when polling starts failing, one when it
    recovers).

    Whose line it is, is told by where it is logged, not by what it says:
    every pymodbus call of this client runs in a context that names its
    plant (``_ON_BEHALF``), and asyncio runs a connection's callbacks (data
    received, connection lost) in the context it was opened in. A line
    logged there at INFO or above is dropped and logged again by this
    module at DEBUG, the address redacted. All of them, not only those with
    the address: the rest ("Repeating....", a frame of another transaction
    skipped) tell the same failures again, which the client raises as
    exceptions anyway. The line is logged again from the event loop's next
    turn, since Python 3.13 ignores whatever is logged while a record is
    being handled, filters included. Lines of any other pymodbus user in
    Home Assistant pass unchanged, and so does pymodbus's DEBUG output,
    which a user switches on to see exactly that.

    A filter on the logger (not on a handler) sees each record once, before
    any handler, and only records of that logger: pymodbus logs every line
    on ``pymodbus.logging`` itself.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        """Keep every record but those about our connections above DEBUG."""
        endpoint = _ON_BEHALF.get()
        if endpoint is None or record.levelno <= logging.DEBUG:
            return True
        line = endpoint.redact(record.getMessage())
        with contextlib.suppress(RuntimeError):  # no loop, or a closed one: no line
            asyncio.get_running_loop().call_soon(
                _LOGGER.debug, "pymodbus %s: %s", record.levelname.lower(), line
            )
        return False


_LOG_FILTER = PymodbusLogFilter()


def install_log_filter() -> None:
    """Put ``PymodbusLogFilter`` on pymodbus's logger, once."""
    logger = logging.getLogger(PYMODBUS_LOGGER)
    if _LOG_FILTER not in logger.filters:
        logger.addFilter(_LOG_FILTER)


# -- one connection ------------------------------------------------------------


class _Trouble(enum.Enum):
    """What the hooks saw go wrong with a connection; it is dropped either way."""

    LOST = "lost"
    MALFORMED = "malformed"


@dataclass(slots=True)
class _Request:
    """The request on the wire, as the frame check needs it."""

    function_code: int
    unit_id: int
    transaction_id: int | None = field(default=None)


def _valid_pdu(function_code: int, pdu: bytes) -> bool:
    """Whether ``pdu`` is a well-formed reply to a request with ``function_code``."""
    if pdu[0] == function_code | _FC_EXCEPTION:
        return len(pdu) == 2  # noqa: PLR2004 - function and exception code
    if pdu[0] != function_code:
        return False
    if function_code in (_FC_READ_COILS, _FC_READ_DISCRETE_INPUTS):
        return len(pdu) >= 3 and pdu[1] == len(pdu) - 2  # noqa: PLR2004
    if function_code in (_FC_READ_HOLDING_REGISTERS, _FC_READ_INPUT_REGISTERS):
        return len(pdu) >= 4 and pdu[1] == len(pdu) - 2 and pdu[1] % 2 == 0  # noqa: PLR2004
    return len(pdu) == 5  # noqa: PLR2004 - a write's echo: function, address, value or count


def _malformed(data: bytes, request: _Request | None) -> bool:
    """Whether the received bytes hold a frame that must not reach pymodbus.

    A header no Modbus TCP device sends (protocol id not 0, impossible
    length) means the byte stream is no Modbus TCP, or out of step. A frame
    pymodbus takes for the reply to ``request`` (same transaction and unit
    id, or 0 for either, as pymodbus matches them) must be a well-formed
    reply to its function. Frames of other transactions pass: pymodbus
    skips them, and the request times out. An incomplete frame passes too:
    pymodbus waits for the rest.
    """
    position = 0
    while len(data) - position >= _MBAP.size:
        transaction_id, protocol_id, length, unit_id = _MBAP.unpack_from(data, position)
        if protocol_id or not 2 <= length <= _MAX_LENGTH:  # noqa: PLR2004 - unit and function
            return True
        end = position + 6 + length
        if end > len(data):
            return False
        if (
            request is not None
            and transaction_id in (0, request.transaction_id)
            and unit_id in (0, request.unit_id)
            and not _valid_pdu(request.function_code, data[position + _MBAP.size : end])
        ):
            return True
        position = end
    return False


def _consume(task: asyncio.Future[Any]) -> None:
    """Retrieve the outcome of a task, so that one given up on logs no warning."""
    if not task.cancelled():
        task.exception()


def _settle[T](future: asyncio.Future[T], result: T) -> None:
    if not future.done():
        future.set_result(result)


class _Connection:
    """One pymodbus client and its one TCP connection, and what its hooks saw."""

    def __init__(self, endpoint: _Endpoint) -> None:
        loop = asyncio.get_running_loop()
        self.context = contextvars.copy_context()
        self.context.run(_ON_BEHALF.set, endpoint)
        self.up: asyncio.Future[None] = loop.create_future()
        """Done when pymodbus reports the connection made."""
        self.trouble: asyncio.Future[_Trouble] = loop.create_future()
        """Done when the connection was lost or answered something malformed."""
        self.request: _Request | None = None
        self.answered = False
        """Whether the connection has answered a request yet."""
        self.connecting: asyncio.Task[bool] | None = None
        self.modbus = AsyncModbusTcpClient(
            endpoint.host,
            port=endpoint.port,
            timeout=LIBRARY_TIMEOUT,  # connecting and replies are timed by the client
            retries=0,
            reconnect_delay=0,  # reconnecting is the client's, with back-off
            trace_connect=self._trace_connect,
            trace_packet=self._trace_packet,
        )

    @property
    def usable(self) -> bool:
        """Whether requests can be sent on this connection."""
        return self.up.done() and not self.trouble.done() and bool(self.modbus.connected)

    def spawn[T](self, coro: Coroutine[Any, Any, T]) -> asyncio.Task[T]:
        """Run ``coro`` as a task in the connection's context (see ``PymodbusLogFilter``)."""
        task = asyncio.get_running_loop().create_task(coro, context=self.context)
        task.add_done_callback(_consume)
        return task

    def close(self) -> None:
        """Close the connection, and stop connecting if still at it."""
        if self.connecting is not None and not self.connecting.done():
            self.connecting.cancel()
        self.context.run(self.modbus.close)

    def _trace_connect(self, connected: bool) -> None:  # noqa: FBT001 - pymodbus callback
        if connected:
            _settle(self.up, None)
        else:
            _settle(self.trouble, _Trouble.LOST)

    def _trace_packet(self, sending: bool, data: bytes) -> bytes:  # noqa: FBT001 - pymodbus callback
        if sending:
            if self.request is not None:
                self.request.transaction_id = int.from_bytes(data[:2], "big")
            return data
        if self.trouble.done():
            return b""  # the connection is being dropped: nothing more for pymodbus
        if _malformed(data, self.request):
            self.trouble.set_result(_Trouble.MALFORMED)
            return b""
        return data


def _monotonic() -> float:
    return time.monotonic()  # looked up at each call, so that test clocks apply


def _check_timeout(timeout: float) -> float:
    if not 0 < timeout < LIBRARY_TIMEOUT:
        msg = f"a timeout must be more than 0 s and less than {LIBRARY_TIMEOUT} s"
        raise ValueError(msg)
    return timeout


async def _invoke(
    call: Callable[[AsyncModbusTcpClient], Awaitable[ModbusPDU]], modbus: AsyncModbusTcpClient
) -> ModbusPDU:
    return await call(modbus)


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
        self.timeout = _check_timeout(timeout)
        self.read_only = read_only
        self.planner = planner or ReadPlanner()
        self.stats = ClientStats()
        self._endpoint = _Endpoint(host, port)
        self._connect_timeout = max(timeout, CONNECT_TIMEOUT)
        self._backoff = backoff or Backoff()
        self._clock = clock or _monotonic
        self._lock = asyncio.Lock()
        self._failures = 0
        self._next_attempt = 0.0
        self._connection: _Connection | None = None
        self._pending: asyncio.Future[Any] | None = None
        self._cache: dict[tuple[int, str], tuple[Value | None, float]] = {}
        install_log_filter()

    # -- connection ---------------------------------------------------------

    @property
    def connected(self) -> bool:
        """Whether the TCP connection is up."""
        return self._connection is not None and self._connection.usable

    @property
    def retry_in(self) -> float:
        """Seconds until the next connection attempt is allowed."""
        return max(0.0, self._next_attempt - self._clock())

    @property
    def pending(self) -> asyncio.Future[Any] | None:
        """What the client waits for right now: a reply, a connection or a busy pause."""
        return self._pending

    async def _wait(
        self, awaitables: tuple[asyncio.Future[Any], ...], timeout: float | None
    ) -> None:
        """Wait until the first of ``awaitables`` is done, at most ``timeout`` seconds."""
        self._pending = awaitables[0]
        try:
            await asyncio.wait(awaitables, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
        finally:
            self._pending = None

    async def _pause(self, seconds: float) -> None:
        pause = asyncio.ensure_future(asyncio.sleep(seconds))
        try:
            await self._wait((pause,), None)
        finally:
            pause.cancel()

    async def _ensure_connected(self) -> _Connection:
        connection = self._connection
        if connection is not None:
            if connection.usable:
                return connection
            answered = connection.answered
            self._lost()
            if not answered:
                msg = "connection to the plant lost"
                raise SigenergyConnectionError(msg)
        if (wait := self.retry_in) > 0:
            msg = f"plant unreachable; next attempt in {wait:.1f} s"
            raise SigenergyConnectionError(msg)
        connection = _Connection(self._endpoint)
        connecting = connection.connecting = connection.spawn(connection.modbus.connect())
        try:
            # Not until connect() returns: before pymodbus 3.16 it sleeps
            # 0.1 s after connecting. That sleep ends in the background.
            await self._wait((connecting, connection.up), self._connect_timeout)
        except asyncio.CancelledError:
            connection.close()
            raise
        if not connection.up.done():
            connection.close()
            self._failures += 1
            self.stats.connect_failures += 1
            self._next_attempt = self._clock() + self._backoff.delay(self._failures)
            msg = "cannot connect to the plant"
            raise SigenergyConnectionError(msg)
        # The failures are forgotten at the first answer, not here: a device
        # that accepts connections and drops them must not be hammered.
        self._next_attempt = 0.0
        self.stats.connects += 1
        self._connection = connection
        return connection

    def _drop(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            connection.close()

    def _lost(self) -> None:
        """Drop a broken connection; one that never answered is a failed attempt."""
        if self._connection is not None and not self._connection.answered:
            self._failures += 1
            self._next_attempt = self._clock() + self._backoff.delay(self._failures)
        self._drop()

    def _answer(self, connection: _Connection) -> None:
        """The connection answered: connecting works again."""
        connection.answered = True
        self._failures = 0

    async def connect(self) -> None:
        """Open the connection now (requests also connect on demand)."""
        async with self._lock:
            await self._ensure_connected()

    async def close(self) -> None:
        """Close the connection; a later request opens it again.

        Returns once pymodbus's connecting task (before 3.16 it sleeps a
        moment after connecting) has ended, so that nothing is left behind.
        """
        async with self._lock:
            connection = self._connection
            self._drop()
            if connection is not None and connection.connecting is not None:
                await asyncio.wait([connection.connecting])

    # -- one request --------------------------------------------------------

    async def _execute(
        self,
        function_code: int,
        unit_id: int,
        address: int,
        call: Callable[[AsyncModbusTcpClient], Awaitable[ModbusPDU]],
        timeout: float | None = None,
    ) -> ModbusPDU:
        wait = self.timeout if timeout is None else _check_timeout(timeout)
        async with self._lock:
            response = await self._request(function_code, unit_id, address, call, wait)
            if (
                response.isError()
                and response.exception_code == SigenergyDeviceError.SLAVE_DEVICE_BUSY
            ):
                self.stats.exception_replies += 1
                self.stats.busy_retries += 1
                _LOGGER.debug(
                    "Unit %s busy (function 0x%02X at %s); asking again in %s s",
                    unit_id,
                    function_code,
                    address,
                    BUSY_RETRY_DELAY,
                )
                await self._pause(BUSY_RETRY_DELAY)
                response = await self._request(function_code, unit_id, address, call, wait)
        if response.isError():
            self.stats.exception_replies += 1
            code = int(response.exception_code)
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

    async def _request(
        self,
        function_code: int,
        unit_id: int,
        address: int,
        call: Callable[[AsyncModbusTcpClient], Awaitable[ModbusPDU]],
        wait: float,
    ) -> ModbusPDU:
        """Send one request and wait for its reply, with the lock held."""
        connection = await self._ensure_connected()
        self.stats.requests += 1
        connection.request = _Request(function_code, unit_id)
        inflight = connection.spawn(_invoke(call, connection.modbus))
        try:
            await self._wait((inflight, connection.trouble), wait)
        except asyncio.CancelledError:  # the caller's: a late reply must find no one
            inflight.cancel()
            self._drop()
            raise
        if inflight.done():
            return self._outcome(connection, inflight, unit_id, function_code)
        inflight.cancel()
        if not connection.trouble.done():
            # A timeout is no failed attempt: a silent unit id times out too.
            self._drop()
            self.stats.timeouts += 1
            msg = f"no reply from unit {unit_id} within {wait} s"
            raise SigenergyTimeoutError(msg)
        self._lost()
        if connection.trouble.result() is _Trouble.MALFORMED:
            msg = (
                f"unit {unit_id} answered function 0x{function_code:02X} at address {address} "
                "with a malformed reply"
            )
            raise SigenergyProtocolError(msg)
        msg = "connection to the plant lost"
        raise SigenergyConnectionError(msg)

    def _outcome(
        self,
        connection: _Connection,
        inflight: asyncio.Task[ModbusPDU],
        unit_id: int,
        function_code: int,
    ) -> ModbusPDU:
        """The reply pymodbus returned, or our error for the exception it raised.

        Told apart by type only; the message of pymodbus's exception may name
        the plant's address, so it is never part of ours.
        """
        if inflight.cancelled():  # not by this client: pymodbus gave up on it
            self._lost()
            msg = "connection to the plant lost"
            raise SigenergyConnectionError(msg)
        try:
            response = inflight.result()
        except ConnectionException as err:
            self._lost()
            msg = "connection to the plant lost"
            raise SigenergyConnectionError(msg) from err
        except ModbusIOException as err:
            self._lost()
            msg = f"unit {unit_id} sent a reply to function 0x{function_code:02X} pymodbus rejects"
            raise SigenergyProtocolError(msg) from err
        except ModbusException as err:
            self._lost()
            msg = f"pymodbus failed the request to unit {unit_id}, function 0x{function_code:02X}"
            raise SigenergyProtocolError(msg) from err
        except OSError as err:
            self._lost()
            msg = "connection to the plant failed"
            raise SigenergyConnectionError(msg) from err
        self._answer(connection)
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

        def call(modbus: AsyncModbusTcpClient) -> Awaitable[ModbusPDU]:
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

    async def write(
        self, unit_id: int, register: Register, value: Value, *, undo: bool = False
    ) -> Value | None:
        """Write a register, then read it back to confirm.

        The value is checked against the register's access and limits before
        anything is sent. Returns the value read back (the value written for
        write-only registers).

        A read-only client refuses every write but an ``undo``: a value the
        plant held before this client's owner changed it, written back (the
        end of a control action), which read-only mode must not leave undone.
        """
        if self.read_only and not undo:
            msg = f"read-only mode: {register.key} was not written"
            raise SigenergyReadOnlyError(msg)
        words = encode(register, value)

        def call(modbus: AsyncModbusTcpClient) -> Awaitable[ModbusPDU]:
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

        def call(modbus: AsyncModbusTcpClient) -> Awaitable[ModbusPDU]:
            return modbus.read_coils(address, count=count, device_id=unit_id)

        response = await self._execute(_FC_READ_COILS, unit_id, address, call)
        return self._bits(response, unit_id, address, count)

    async def read_discrete_inputs(
        self, unit_id: int, address: int = 0, count: int = 5
    ) -> list[bool]:
        """Read discrete inputs (function 0x02)."""

        def call(modbus: AsyncModbusTcpClient) -> Awaitable[ModbusPDU]:
            return modbus.read_discrete_inputs(address, count=count, device_id=unit_id)

        response = await self._execute(_FC_READ_DISCRETE_INPUTS, unit_id, address, call)
        return self._bits(response, unit_id, address, count)

    def _bits(self, response: ModbusPDU, unit_id: int, address: int, count: int) -> list[bool]:
        bits = [bool(b) for b in response.bits[:count]]
        if len(bits) != count:
            self._drop()
            msg = f"asked unit {unit_id} for {count} bits at {address}, got {len(bits)}"
            raise SigenergyProtocolError(msg)
        return bits

    async def write_coil(self, unit_id: int, address: int, value: bool) -> bool:  # noqa: FBT001
        """Switch a coil (function 0x05), then read it back to confirm."""
        if self.read_only:
            msg = f"read-only mode: coil {address} of unit {unit_id} was not switched"
            raise SigenergyReadOnlyError(msg)

        def call(modbus: AsyncModbusTcpClient) -> Awaitable[ModbusPDU]:
            return modbus.write_coil(address, value, device_id=unit_id)

        await self._execute(_FC_WRITE_COIL, unit_id, address, call)
        self.stats.writes += 1
        (back,) = await self.read_coils(unit_id, address, 1)
        if back != value:
            msg = f"coil {address} of unit {unit_id}: wrote {value}, read back {back}"
            raise SigenergyWriteVerificationError(msg)
        return back
