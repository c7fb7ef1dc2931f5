"""Drive a running simulator: a small HTTP/JSON interface on the loopback address.

The command line serves it next to the Modbus port (default: that port + 1),
on 127.0.0.1 only, whatever ``--host`` the Modbus server listens on: what it
changes is the plant itself, so nothing but this machine may reach it.

``GET /`` shows the plant's state. Each ``POST`` takes a JSON object and
answers the new state (or ``{"error": ...}`` with status 400)::

    POST /input     {"unit": 1, "input": 3, "on": true}      digital input DI3
    POST /contact   {"unit": 1, "contact": 1, "on": true}    dry contact DO1, as the app would
    POST /scenario  {"scenario": "off-grid", "unit": 1}      a scenario (unit: the faulty one)
    POST /value     {"unit": 247, "key": "grid_sensor_active_power", "value": 2.5}
                                                             force a register (null: no reading)
    POST /clear     {"unit": 247, "key": "grid_sensor_active_power"}   or {} for all
    POST /firmware  {"unit": 1, "firmware": "V100R001C00SPC200B001"}
    POST /advance   {"seconds": 3600}                        move the plant's clock on
    POST /stall     {"seconds": 30}                          the device hangs (null: until cleared)
    POST /unstall   {}
    POST /latency   {"seconds": 0.2}                         per request

For example ``curl -d '{"unit": 1, "input": 1, "on": true}' localhost:5021/input``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from datetime import datetime
from http import HTTPStatus
from typing import TYPE_CHECKING, Any

from .model import Scenario
from .server import COILS, DISCRETE_INPUTS

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from .server import PlantSimulator

_LOGGER = logging.getLogger(__name__)

CONTROL_HOST = "127.0.0.1"
MAX_BODY = 64 * 1024
READ_TIMEOUT = 10.0
SCENARIOS = [s.value.replace("_", "-") for s in Scenario]


class ControlError(ValueError):
    """A request the plant cannot do; its message is the answer."""


def _int(body: Mapping[str, Any], name: str, low: int, high: int) -> int:
    value = body.get(name)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        msg = f"{name!r} must be a whole number {low}-{high}"
        raise ControlError(msg)
    return value


def _bool(body: Mapping[str, Any], name: str) -> bool:
    value = body.get(name)
    if not isinstance(value, bool):
        msg = f"{name!r} must be true or false"
        raise ControlError(msg)
    return value


def _seconds(body: Mapping[str, Any], *, allow_none: bool = False) -> float | None:
    value = body.get("seconds")
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        msg = "'seconds' must be a number of seconds, 0 or more"
        raise ControlError(msg)
    return float(value)


class Control:
    """The requests a running simulator answers, and the HTTP server for them."""

    def __init__(self, sim: PlantSimulator) -> None:
        """Control this simulator; nothing listens until :meth:`start`."""
        self.sim = sim
        self.port = 0
        self._server: asyncio.Server | None = None
        self._actions: dict[str, Callable[[Mapping[str, Any]], None]] = {
            "/input": self._input,
            "/contact": self._contact,
            "/scenario": self._scenario,
            "/value": self._value,
            "/clear": self._clear,
            "/firmware": self._firmware,
            "/advance": self._advance,
            "/stall": self._stall,
            "/unstall": lambda _body: self.sim.faults.clear_stall(),
            "/latency": self._latency,
        }

    @property
    def requests(self) -> list[str]:
        """The paths a POST can take."""
        return sorted(self._actions)

    # -- what it does --------------------------------------------------------

    def state(self) -> dict[str, Any]:
        """The plant as the control interface shows it."""
        sim = self.sim
        moment = datetime.fromtimestamp(sim.time, sim.tz)
        inverters = {}
        for unit in sim.inverter_ids:
            inverters[str(unit)] = {
                "serial": sim.serial(unit),
                "inputs": {
                    f"DI{n + 1}": sim.discrete_input(unit, n) for n in range(DISCRETE_INPUTS)
                },
                "contacts": {f"DO{n + 1}": sim.coil(unit, n) for n in range(COILS)},
            }
        return {
            "time": moment.isoformat(timespec="seconds"),
            "speed": sim.speed,
            "scenario": sim.scenario.replace("_", "-"),
            "scenarios": SCENARIOS,
            "unit_ids": sim.unit_ids,
            "battery_soc": sim.value(247, "plant_ess_soc"),
            "pv_power": sim.value(247, "plant_pv_power"),
            "inverters": inverters,
            "stalled": sim.faults.stalled,
            "latency": sim.faults.latency,
        }

    def handle(self, path: str, body: Mapping[str, Any]) -> dict[str, Any]:
        """Do one request; the state afterwards."""
        action = self._actions.get(path)
        if action is None:
            msg = f"no such request {path!r}; these exist: {', '.join(self.requests)}"
            raise ControlError(msg)
        try:
            action(body)
        except KeyError as err:
            raise ControlError(str(err.args[0] if err.args else err)) from err
        return self.state()

    def _inverter(self, body: Mapping[str, Any]) -> int:
        unit = _int(body, "unit", 1, 246)
        if unit not in self.sim.inverter_ids:
            msg = f"no inverter at unit {unit}; the inverters are {self.sim.inverter_ids}"
            raise ControlError(msg)
        return unit

    def _input(self, body: Mapping[str, Any]) -> None:
        unit = self._inverter(body)
        index = _int(body, "input", 1, DISCRETE_INPUTS) - 1
        self.sim.set_discrete_input(unit, index, _bool(body, "on"))

    def _contact(self, body: Mapping[str, Any]) -> None:
        unit = self._inverter(body)
        index = _int(body, "contact", 1, COILS) - 1
        self.sim.set_coil(unit, index, _bool(body, "on"))

    def _scenario(self, body: Mapping[str, Any]) -> None:
        name = body.get("scenario")
        if not isinstance(name, str) or name.replace("_", "-") not in SCENARIOS:
            msg = f"'scenario' must be one of {', '.join(SCENARIOS)}"
            raise ControlError(msg)
        unit = self._inverter(body) if "unit" in body else 1
        self.sim.set_scenario(name, unit)

    def _unit(self, body: Mapping[str, Any]) -> int:
        unit = _int(body, "unit", 1, 247)
        if unit not in self.sim.unit_ids:
            msg = f"no device at unit {unit}; the plant answers {self.sim.unit_ids}"
            raise ControlError(msg)
        return unit

    def _key(self, body: Mapping[str, Any]) -> str:
        key = body.get("key")
        if not isinstance(key, str):
            msg = "'key' must be a register's key, e.g. grid_sensor_active_power"
            raise ControlError(msg)
        return key

    def _value(self, body: Mapping[str, Any]) -> None:
        if "value" not in body:
            msg = "'value' is missing (null: the register reads 'no reading')"
            raise ControlError(msg)
        value = body["value"]
        if value is not None and (
            isinstance(value, bool) or not isinstance(value, int | float | str)
        ):
            msg = "'value' must be a number, a text or null"
            raise ControlError(msg)
        unit, key = self._unit(body), self._key(body)
        try:
            self.sim.set_value(unit, key, value)
        except KeyError as err:
            msg = f"unit {unit} has no register {key!r}"
            raise ControlError(msg) from err
        except (ValueError, TypeError, OverflowError) as err:
            raise ControlError(str(err)) from err

    def _clear(self, body: Mapping[str, Any]) -> None:
        if not body:
            self.sim.clear_overrides()
            return
        self.sim.clear_override(self._unit(body), self._key(body))

    def _firmware(self, body: Mapping[str, Any]) -> None:
        firmware = body.get("firmware")
        if not isinstance(firmware, str) or not 0 < len(firmware) <= 30:
            msg = "'firmware' must be a text of 1-30 characters"
            raise ControlError(msg)
        self.sim.set_firmware(self._inverter(body), firmware)

    def _advance(self, body: Mapping[str, Any]) -> None:
        seconds = _seconds(body)
        if seconds is not None:
            self.sim.advance(seconds)

    def _stall(self, body: Mapping[str, Any]) -> None:
        self.sim.faults.stall(_seconds(body, allow_none=True))

    def _latency(self, body: Mapping[str, Any]) -> None:
        seconds = _seconds(body)
        if seconds is not None:
            self.sim.faults.latency = seconds

    # -- HTTP ----------------------------------------------------------------

    async def start(self, port: int = 0) -> None:
        """Listen on 127.0.0.1:``port`` (0: a free one, see :attr:`port`)."""
        self._server = await asyncio.start_server(self._connection, CONTROL_HOST, port)
        self.port = int(self._server.sockets[0].getsockname()[1])

    async def stop(self) -> None:
        """Stop listening."""
        server, self._server = self._server, None
        if server is not None:
            server.close()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(server.wait_closed(), 2.0)

    @property
    def url(self) -> str:
        """Where it listens."""
        return f"http://{CONTROL_HOST}:{self.port}"

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            status, answer = await asyncio.wait_for(self._request(reader), READ_TIMEOUT)
        except (
            TimeoutError,
            ConnectionError,
            asyncio.IncompleteReadError,
            asyncio.LimitOverrunError,
            ValueError,
        ):
            status, answer = HTTPStatus.BAD_REQUEST, {"error": "not an HTTP request"}
        body = (json.dumps(answer, indent=1) + "\n").encode()
        head = (
            f"HTTP/1.1 {status.value} {status.phrase}\r\n"
            "Content-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n"
            "Connection: close\r\n\r\n"
        )
        with contextlib.suppress(ConnectionError):
            writer.write(head.encode() + body)
            await writer.drain()
        writer.close()
        with contextlib.suppress(ConnectionError):
            await writer.wait_closed()

    async def _request(self, reader: asyncio.StreamReader) -> tuple[HTTPStatus, dict[str, Any]]:
        try:
            method, path, raw = await self._read(reader)
            return HTTPStatus.OK, self._answer(method, path, raw)
        except _Refused as refused:
            return refused.status, {"error": refused.message}

    @staticmethod
    async def _read(reader: asyncio.StreamReader) -> tuple[str, str, bytes]:
        """The method, path and body of one HTTP request."""
        request = (await reader.readuntil(b"\r\n")).decode("latin-1").split()
        headers: dict[str, str] = {}
        while (line := await reader.readuntil(b"\r\n")) not in (b"\r\n", b""):
            name, _, value = line.decode("latin-1").partition(":")
            headers[name.strip().lower()] = value.strip()
        if len(request) != len(("method", "target", "version")):
            raise _Refused(HTTPStatus.BAD_REQUEST, "not an HTTP request")
        method, target, _version = request
        length = int(headers.get("content-length", "0") or "0")
        if not 0 <= length <= MAX_BODY:
            raise _Refused(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, f"at most {MAX_BODY} bytes")
        raw = await reader.readexactly(length) if length else b""
        return method, target.split("?", 1)[0], raw

    def _answer(self, method: str, path: str, raw: bytes) -> dict[str, Any]:
        if method == "GET" and path == "/":
            return self.state()
        if method != "POST":
            raise _Refused(HTTPStatus.METHOD_NOT_ALLOWED, "GET / or POST a request")
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            body = None
        if not isinstance(body, dict):
            raise _Refused(HTTPStatus.BAD_REQUEST, "the body must be a JSON object")
        try:
            answer = self.handle(path, body)
        except ControlError as err:
            raise _Refused(HTTPStatus.BAD_REQUEST, str(err)) from err
        _LOGGER.info("Control: %s %s", path, json.dumps(body))
        return answer


class _Refused(Exception):  # noqa: N818 - a refusal, answered with its status
    """A request answered with an error status."""

    def __init__(self, status: HTTPStatus, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
