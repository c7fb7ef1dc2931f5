"""A fault-injecting Modbus TCP proxy between the integration and the simulator.

The proxy listens on 127.0.0.1 and an ephemeral port and forwards every
connection to an upstream Modbus TCP server (the simulator). Requests always
pass; responses are cut into Modbus TCP frames (MBAP header: transaction id,
protocol id, length, unit id) and treated according to :attr:`FaultProxy.mode`:

* ``pass``: forwarded unchanged.
* ``reset_mid_response``: the first ``cut_bytes`` of the next response are
  forwarded, then the connection is reset (RST, ``SO_LINGER`` 0).
* ``stall``: a half-open peer. Requests are swallowed, nothing is answered,
  the TCP connection stays up until the client gives up on it.
* ``truncate``: only the first ``cut_bytes`` of each response are forwarded;
  the connection stays open.
* ``wrong_tid``: each response's transaction id is changed.
* ``garbage``: each response keeps its header (transaction id, length, unit)
  but its PDU is replaced by bytes that are no Modbus function.

``silent_units`` swallows the responses of some unit ids in any mode.
``refuse_after_write`` makes the proxy :meth:`refuse` right after it forwarded
the response to a write of that address: the plant took the write, and the
connection is gone before anything else (its read-back included) is asked.
``patch`` replaces the words of a register in every read response that
covers it, in any mode: corruption on the wire (a flipped byte, a counter
read as 0 after a reconnect) that the device never sent.
:meth:`refuse` closes the listening socket (connection refused) and, by
default, every open connection; :meth:`accept` listens again on the same port.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import struct
from typing import Literal

type Mode = Literal["pass", "reset_mid_response", "stall", "truncate", "wrong_tid", "garbage"]

_MBAP = 7
"""Bytes of the Modbus TCP header: tid (2), protocol (2), length (2), unit (1)."""
_READS = frozenset({0x03, 0x04})
_WRITES = frozenset({0x06, 0x10})
_READ_CODES = frozenset({b"\x03", b"\x04"})


class FaultProxy:
    """Forwards Modbus TCP to an upstream server, injecting faults on demand."""

    def __init__(self, upstream_host: str, upstream_port: int, host: str = "127.0.0.1") -> None:
        """Prepare a proxy to ``upstream_host:upstream_port``; :meth:`start` listens."""
        self.upstream = (upstream_host, upstream_port)
        self.host = host
        self.port = 0
        self.mode: Mode = "pass"
        self.cut_bytes = 5
        """Bytes of a response forwarded before a reset or a truncation."""
        self.tid_offset = 0x1111
        self.silent_units: set[int] = set()
        self.patches: dict[tuple[int, int], int] = {}
        """Words replaced in read responses, by (unit id, address)."""
        self.refuse_after_write: int | None = None
        """A register address: once a write to it is answered, new connections are refused."""
        self.connections = 0
        """Connections accepted since the start."""
        self.responses = 0
        """Responses received from upstream (whatever happened to them)."""
        self._server: asyncio.Server | None = None
        self._links: set[_Link] = set()
        self._refusing: asyncio.Task[None] | None = None

    # ------------------------------------------------------------ lifecycle

    async def start(self, port: int = 0) -> None:
        """Listen (port 0: an ephemeral port, then kept for :meth:`accept`)."""
        self._server = await asyncio.start_server(self._accept, self.host, port)
        self.port = int(self._server.sockets[0].getsockname()[1])

    async def refuse(self, *, drop: bool = True) -> None:
        """Close the listening socket: new connections are refused.

        ``drop`` also closes every open connection, as a device whose Modbus
        TCP server is switched off does.
        """
        server, self._server = self._server, None
        if server is not None:
            server.close()  # the listening socket is closed at once
        if drop:
            await self.drop_connections()
            if server is not None:
                await server.wait_closed()  # returns once no connection is left

    async def accept(self) -> None:
        """Listen again on the same port."""
        if self._server is None:
            await self.start(self.port)

    async def stop(self) -> None:
        """Stop listening and close every connection."""
        if self._refusing is not None:
            await self._refusing
        await self.refuse(drop=True)

    def _refuse_soon(self) -> None:
        self.refuse_after_write = None
        self._refusing = asyncio.ensure_future(self.refuse(drop=True))

    async def drop_connections(self) -> None:
        """Close every open connection now (FIN)."""
        for link in list(self._links):
            link.close()
        await self._settle()

    @property
    def active_connections(self) -> int:
        """Client connections open right now."""
        return len(self._links)

    def patch(self, unit_id: int, address: int, words: list[int]) -> None:
        """Make every read response covering ``address`` carry ``words`` there."""
        for offset, word in enumerate(words):
            self.patches[unit_id, address + offset] = word

    def unpatch(self) -> None:
        """Forward read responses unchanged again."""
        self.patches.clear()

    def set_mode(self, mode: Mode, *, cut_bytes: int | None = None) -> None:
        """Switch the fault mode; ``pass`` ends every fault."""
        self.mode = mode
        if cut_bytes is not None:
            self.cut_bytes = cut_bytes

    async def _settle(self) -> None:
        # No timeout: the tests freeze the event loop's clock. Closed links
        # finish within a few loop turns.
        tasks = [t for link in self._links for t in link.tasks]
        if tasks:
            await asyncio.wait(tasks)

    # ------------------------------------------------------------ one connection

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.upstream)
        except OSError:  # upstream down: the client sees its connection closed
            _reset(writer)
            return
        link = _Link(self, reader, writer, up_reader, up_writer)
        self._links.add(link)
        try:
            await link.run()
        finally:
            self._links.discard(link)


class _Link:
    """One client connection and its upstream connection."""

    def __init__(
        self,
        proxy: FaultProxy,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        up_reader: asyncio.StreamReader,
        up_writer: asyncio.StreamWriter,
    ) -> None:
        self.proxy = proxy
        self.reader, self.writer = reader, writer
        self.up_reader, self.up_writer = up_reader, up_writer
        self.tasks: list[asyncio.Task[None]] = []
        self.reads: dict[int, tuple[int, int]] = {}
        """Register reads in flight: (address, count) by transaction id."""
        self.last_write: int | None = None
        """The transaction id of the write to ``refuse_after_write`` in flight."""

    async def run(self) -> None:
        self.tasks = [
            asyncio.ensure_future(self._requests()),
            asyncio.ensure_future(self._responses()),
        ]
        await asyncio.wait(self.tasks, return_when=asyncio.FIRST_COMPLETED)
        self.close()
        await asyncio.gather(*self.tasks, return_exceptions=True)

    def close(self) -> None:
        for task in self.tasks:
            task.cancel()
        for writer in (self.writer, self.up_writer):
            writer.close()

    async def _requests(self) -> None:
        """Client to upstream: requests pass, unless the peer plays dead."""
        buffer = b""
        while data := await self.reader.read(4096):
            if self.proxy.mode == "stall":
                continue
            buffer = self._note_reads(buffer + data)
            self.up_writer.write(data)
            await self.up_writer.drain()

    def _note_reads(self, buffer: bytes) -> bytes:
        """Remember what each register read asks for; return the incomplete rest."""
        while len(buffer) >= _MBAP - 1:
            size = 6 + int.from_bytes(buffer[4:6], "big")
            if len(buffer) < size:
                break
            frame, buffer = buffer[:size], buffer[size:]
            if len(frame) >= _MBAP + 5 and frame[_MBAP] in _READS:
                address, count = struct.unpack(">HH", frame[_MBAP + 1 : _MBAP + 5])
                self.reads[int.from_bytes(frame[:2], "big")] = (address, count)
            elif len(frame) >= _MBAP + 3 and frame[_MBAP] in _WRITES:
                (address,) = struct.unpack(">H", frame[_MBAP + 1 : _MBAP + 3])
                if address == self.proxy.refuse_after_write:
                    self.last_write = int.from_bytes(frame[:2], "big")
        return buffer

    def _patched(self, frame: bytes) -> bytes:
        """A read response with the proxy's patches applied."""
        read = self.reads.pop(int.from_bytes(frame[:2], "big"), None)
        patches = self.proxy.patches
        if read is None or not patches or frame[_MBAP : _MBAP + 1] not in _READ_CODES:
            return frame
        address, count = read
        if len(frame) != _MBAP + 2 + 2 * count:
            return frame
        unit = frame[6]
        words = list(struct.unpack(f">{count}H", frame[_MBAP + 2 : _MBAP + 2 + 2 * count]))
        for offset in range(count):
            words[offset] = patches.get((unit, address + offset), words[offset])
        return frame[: _MBAP + 2] + struct.pack(f">{count}H", *words)

    async def _responses(self) -> None:
        """Upstream to client, frame by frame, through the fault mode."""
        buffer = b""
        while data := await self.up_reader.read(4096):
            buffer += data
            while len(buffer) >= _MBAP - 1:
                size = 6 + int.from_bytes(buffer[4:6], "big")
                if len(buffer) < size:
                    break
                frame, buffer = buffer[:size], buffer[size:]
                self.proxy.responses += 1
                if not self._forward(frame):
                    return

    def _forward(self, frame: bytes) -> bool:
        """Send one response through the fault; False when the connection is gone."""
        proxy = self.proxy
        if len(frame) >= _MBAP and frame[6] in proxy.silent_units:
            return True
        mode = proxy.mode
        if mode == "stall":
            return True
        if mode == "reset_mid_response":
            self.writer.write(frame[: proxy.cut_bytes])
            _reset(self.writer)
            return False
        if mode == "truncate":
            self.writer.write(frame[: proxy.cut_bytes])
            return True
        if self.last_write is not None and int.from_bytes(frame[:2], "big") == self.last_write:
            self.writer.write(frame)
            proxy._refuse_soon()
            return False
        frame = self._patched(frame)
        if mode == "garbage":
            frame = frame[:_MBAP] + bytes([0x5A] * (len(frame) - _MBAP))
        if mode == "wrong_tid":
            tid = (int.from_bytes(frame[:2], "big") + proxy.tid_offset) & 0xFFFF
            frame = tid.to_bytes(2, "big") + frame[2:]
        self.writer.write(frame)
        return True


def _reset(writer: asyncio.StreamWriter) -> None:
    """Close a connection with a TCP reset instead of a FIN."""
    sock = writer.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()
