"""The HTTP and log side of scripts/release-check (run by .venvs/release's Python).

    release_check.py names MANIFEST
        the distributions MANIFEST requires, each "installed" or "missing" here
    release_check.py run --url URL --hass-pid PID --simulator-port PORT --log FILE --state FILE ...
        onboard, add the integration through the config flow REST API, check
        its entities and what Home Assistant installed; what the steps need
        (address, token, entry) goes to the state file
    release_check.py step STEP --state FILE --hass-pid PID --started EPOCH ...
        one step of the lifecycle around a running action (the script starts,
        stops and kills Home Assistant between them): force-charge,
        restarted, mid-action, deadline, deferred, past-deadline, crashed
    release_check.py log --log FILE [--log FILE ...]
        the whole log of every start (after the stop): no error or traceback of ours

Standard library, plus what Home Assistant itself depends on: ``packaging``
for the requirement specifiers and ``aiohttp`` for its websocket API (the
entity registry, config entry changes). The plant's registers are read
straight from the simulator over Modbus TCP, not through Home Assistant.
Everything it talks to is on 127.0.0.1.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import math
import re
import socket
import struct
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, distribution
from pathlib import Path
from typing import TYPE_CHECKING, Any

import aiohttp
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Callable, Iterator

DOMAIN = "sigenergy_modbus"
MENTIONS = re.compile(r"sigenergy_modbus|pymodbus", re.IGNORECASE)
SOC = "sensor.sigenergy_plant_battery_state_of_charge"
MIN_NUMERIC_SENSORS = 30
"""The simulated plant (one inverter) gives ~50 numeric sensors enabled by default."""

OWNER = {"name": "Release Check", "username": "owner", "password": "release-check-owner"}
START_TIMEOUT = 300.0
"""Up to RUNNING: a first start installs the frontend and other built-in requirements."""
FLOW_TIMEOUT = 240.0
"""The flow's first step waits for the installation (3 tries of 60 s at worst)."""
ENTITIES_TIMEOUT = 60.0
POLL_TIMEOUT = 30.0
"""A second poll of the plant-wide values (every 5 s)."""

ACTION = "sensor.sigenergy_plant_control_action"
ACTION_END = "sensor.sigenergy_plant_control_action_end"
FORCE_POWER = 3.0
"""kW, force_charge's power: below the simulated plant's rating, and not its charging limit."""
FORCE_MODE = 3
"""Remote EMS control mode 40031 = 3, command charging (grid first): what force_charge sets."""
SETTLED = frozenset({"loaded", "setup_error", "migration_error", "failed_unload"})
"""The states a config entry's setup or reload ends in. Not setup_retry: Home Assistant
tries again 5 s, 10 s, 20 s ... later (a read timing out on a busy machine); the steps
wait through it and say why it was retried."""
RELOAD_TIMEOUT = 120.0
DEADLINE_GRACE = 30.0
"""How long after an action's deadline the registers may still be forced (a revert takes ~3 s)."""
REVERT_AFTER_LOADED = 15.0
"""After a start past the deadline: how long after the entry is loaded the revert may take."""
PAST_DEADLINE = 1.0
"""A start after a crash comes this long after the action's deadline."""
MID_ACTION_NEEDS = {"reload": 20.0, "enable": 55.0}
"""Seconds a step run during the action needs before its deadline (enable: 30 s of them
Home Assistant's own delay); one that has less waits until after the deadline."""
READ_ONLY_REVERT_TIMEOUT = 30.0
"""Read-only switched on during an action: the registers back within this, not at the deadline."""
MODBUS_TIMEOUT = 5.0
WS_TIMEOUT = 30.0

LOG_RECORD = re.compile(
    r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+\S* (?P<level>[A-Z]+) \((?P<thread>[^)]*)\) "
    r"\[(?P<logger>[^\]]+)\] (?P<message>.*)$"
)


def say(message: str) -> None:
    print(f"release-check: {message}", file=sys.stderr, flush=True)


class CheckFailedError(Exception):
    """A check failed; the message says which and why."""


# --- requirements ----------------------------------------------------------------


def manifest_requirements(manifest: Path) -> list[Requirement]:
    return [Requirement(r) for r in json.loads(manifest.read_text())["requirements"]]


def installed_version(name: str) -> tuple[str, Path] | None:
    """Version and location of an installed distribution, or None."""
    try:
        dist = distribution(name)
    except PackageNotFoundError:
        return None
    return dist.version, Path(str(dist.locate_file("")))


def constraints_for(name: str, constraints_file: Path) -> list[Requirement]:
    """The lines of Home Assistant's package_constraints.txt that name ``name``."""
    found = []
    for raw in constraints_file.read_text().splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        req = Requirement(line)
        if canonicalize_name(req.name) == canonicalize_name(name) and (
            req.marker is None or req.marker.evaluate()
        ):
            found.append(req)
    return found


def cmd_names(args: argparse.Namespace) -> int:
    for req in manifest_requirements(args.manifest):
        print(req.name, "missing" if installed_version(req.name) is None else "installed")
    return 0


# --- HTTP ------------------------------------------------------------------------


@dataclass
class Api:
    """Home Assistant's HTTP API on loopback."""

    url: str
    token: str | None = None

    def call(
        self,
        method: str,
        path: str,
        data: dict[str, Any] | None = None,
        *,
        form: bool = False,
        timeout: float = 30.0,
    ) -> Any:
        headers = {}
        body = None
        if data is not None:
            if form:
                body = urllib.parse.urlencode(data).encode()
                headers["Content-Type"] = "application/x-www-form-urlencoded"
            else:
                body = json.dumps(data).encode()
                headers["Content-Type"] = "application/json"
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        request = urllib.request.Request(  # noqa: S310 - http://127.0.0.1 only
            self.url + path, data=body, headers=headers, method=method
        )
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
                text = response.read().decode()
                kind = response.headers.get_content_type()
        except urllib.error.HTTPError as err:
            detail = err.read().decode(errors="replace")
            msg = f"{method} {path}: HTTP {err.code}: {detail}"
            raise CheckFailedError(msg) from err
        except OSError as err:  # refused, reset, timed out
            msg = f"{method} {path}: {err}"
            raise CheckFailedError(msg) from err
        if kind == "application/json":
            return json.loads(text) if text else None
        return text


def alive(pid: int) -> bool:
    """True while the process runs (a zombie counts as gone)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state not in {"Z", "X"}


def wait_for[T](
    what: str, check: Callable[[], T | None], timeout: float, pid: int, interval: float = 0.5
) -> T:
    """Poll ``check`` until it returns something true; fail when HA dies or time runs out.

    ``pid`` 0: no process to watch.
    """
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if pid and not alive(pid):
            msg = f"Home Assistant exited before {what}"
            raise CheckFailedError(msg)
        if time.monotonic() > deadline:
            msg = f"no {what} after {timeout:.0f} s"
            raise CheckFailedError(msg)
        time.sleep(interval)


def answers(api: Api) -> bool:
    try:
        api.call("GET", "/api/onboarding", timeout=5)
    except CheckFailedError:
        return False
    return True


def onboard(api: Api) -> None:
    """The owner, created as the frontend's onboarding does; a token for the API."""
    client_id = f"{api.url}/"
    code = api.call(
        "POST", "/api/onboarding/users", {**OWNER, "client_id": client_id, "language": "en"}
    )["auth_code"]
    tokens = api.call(
        "POST",
        "/auth/token",
        {"grant_type": "authorization_code", "code": code, "client_id": client_id},
        form=True,
    )
    api.token = tokens["access_token"]


def running(api: Api) -> str | None:
    state = api.call("GET", "/api/config").get("state")
    return state if state == "RUNNING" else None


def add_integration(api: Api, simulator_port: int) -> dict[str, Any]:
    """The config flow as the frontend drives it: menu, manual, host and port."""
    flows = "/api/config/config_entries/flow"
    step = api.call(
        "POST",
        flows,
        {"handler": DOMAIN, "show_advanced_options": False},
        timeout=FLOW_TIMEOUT,
    )
    if step.get("type") != "menu" or "manual" not in step.get("menu_options", []):
        msg = f"the flow's first step is not the menu with 'manual': {step}"
        raise CheckFailedError(msg)
    step = api.call("POST", f"{flows}/{step['flow_id']}", {"next_step_id": "manual"})
    if step.get("type") != "form" or step.get("step_id") != "manual":
        msg = f"'manual' did not show its form: {step}"
        raise CheckFailedError(msg)
    step = api.call(
        "POST",
        f"{flows}/{step['flow_id']}",
        {"host": "127.0.0.1", "port": simulator_port},
        timeout=60,
    )
    if step.get("type") == "progress":
        # Identification runs as a progress step: Home Assistant moves the flow
        # on by itself when it ends, and the frontend only watches. So does this.
        return wait_for_entry(api, step)
    if step.get("type") != "create_entry":
        msg = f"the flow did not create an entry: {step}"
        raise CheckFailedError(msg)
    if step["result"]["state"] != "loaded":
        msg = f"the entry is {step['result']['state']}, not loaded: {step['result']}"
        raise CheckFailedError(msg)
    return step["result"]  # type: ignore[no-any-return]


def wait_for_entry(api: Api, step: dict[str, Any]) -> dict[str, Any]:
    """The entry of a flow in progress, loaded: fetched as the frontend fetches it.

    When the progress ends Home Assistant moves the flow to "progress done";
    the frontend then fetches the flow, which runs its next step.
    """
    path = f"/api/config/config_entries/flow/{step['flow_id']}"
    deadline = time.monotonic() + FLOW_TIMEOUT
    while step.get("type") == "progress":
        if time.monotonic() > deadline:
            msg = f"the flow still in progress after {FLOW_TIMEOUT:.0f} s: {step}"
            raise CheckFailedError(msg)
        time.sleep(0.25)
        step = api.call("GET", path, timeout=FLOW_TIMEOUT)
    if step.get("type") != "create_entry":
        msg = f"the flow did not create an entry: {step}"
        raise CheckFailedError(msg)
    if step["result"]["state"] != "loaded":
        msg = f"the entry is {step['result']['state']}, not loaded: {step['result']}"
        raise CheckFailedError(msg)
    return step["result"]  # type: ignore[no-any-return]


def numeric(state: str) -> bool:
    try:
        return math.isfinite(float(state))
    except ValueError:
        return False


def our_states(api: Api) -> dict[str, dict[str, Any]]:
    """The states of this integration's entities (those enabled, i.e. with a state)."""
    ids = set(
        json.loads(
            api.call(
                "POST",
                "/api/template",
                {"template": f"{{{{ integration_entities('{DOMAIN}') | list | tojson }}}}"},
            )
        )
    )
    return {s["entity_id"]: s for s in api.call("GET", "/api/states") if s["entity_id"] in ids}


def entities_ready(api: Api) -> dict[str, dict[str, Any]] | None:
    states = our_states(api)
    sensors = [s for e, s in states.items() if e.startswith("sensor.") and numeric(s["state"])]
    if len(sensors) >= MIN_NUMERIC_SENSORS and SOC in states and numeric(states[SOC]["state"]):
        return states
    return None


def last_reported(api: Api, entity_id: str) -> str:
    return str(
        api.call(
            "POST", "/api/template", {"template": f"{{{{ states.{entity_id}.last_reported }}}}"}
        )
    )


def check_installed(requirements: list[Requirement], constraints_file: Path) -> list[str]:
    """What Home Assistant installed for our requirements, checked against its constraints."""
    lines = []
    for req in requirements:
        found = installed_version(req.name)
        if found is None:
            msg = f"{req.name} is not installed after the config flow"
            raise CheckFailedError(msg)
        version, location = found
        if not location.resolve().is_relative_to(Path(sys.prefix).resolve()):
            msg = f"{req.name} {version} is at {location}, outside {sys.prefix}"
            raise CheckFailedError(msg)
        if not req.specifier.contains(version, prereleases=True):
            msg = f"{req.name} {version} does not satisfy the manifest's {req}"
            raise CheckFailedError(msg)
        constraints = constraints_for(req.name, constraints_file)
        for constraint in constraints:
            if not constraint.specifier.contains(version, prereleases=True):
                msg = f"{req.name} {version} does not satisfy Home Assistant's {constraint}"
                raise CheckFailedError(msg)
        under = ", ".join(str(c) for c in constraints) or "no constraint"
        lines.append(f"{req.name} {version} (manifest {req}, Home Assistant's {under})")
    return lines


def check(args: argparse.Namespace) -> list[str]:
    """Every check of the running Home Assistant; the summary, or CheckFailedError."""
    import homeassistant  # noqa: PLC0415 - only this command needs it
    from homeassistant.const import __version__ as ha_version  # noqa: PLC0415

    constraints_file = Path(homeassistant.__file__).parent / "package_constraints.txt"
    requirements = manifest_requirements(args.manifest)
    api = Api(args.url)
    t0 = time.monotonic() - (time.time() - args.started)
    for req in requirements:
        if installed_version(req.name) is not None:
            msg = f"{req.name} is installed before the start: Home Assistant would skip it"
            raise CheckFailedError(msg)
    wait_for("HTTP answer", lambda: answers(api), START_TIMEOUT, args.hass_pid)
    t_http = time.monotonic()
    onboard(api)
    wait_for("state RUNNING", lambda: running(api), START_TIMEOUT, args.hass_pid)
    t_running = time.monotonic()
    result = add_integration(api, args.simulator_port)
    t_flow = time.monotonic()
    Shared(
        url=api.url,
        token=str(api.token),
        entry_id=result["entry_id"],
        simulator_port=args.simulator_port,
    ).save(args.state)
    states = wait_for(
        f"{MIN_NUMERIC_SENSORS} numeric sensors and {SOC}",
        lambda: entities_ready(api),
        ENTITIES_TIMEOUT,
        args.hass_pid,
    )
    t_entities = time.monotonic()
    # One more poll: last_reported moves on each write, even of an unchanged
    # state (the template sees it; /api/states keeps the first one cached).
    first = last_reported(api, SOC)
    wait_for("second poll", lambda: last_reported(api, SOC) != first, POLL_TIMEOUT, args.hass_pid)
    states = our_states(api)
    installed = check_installed(requirements, constraints_file)
    log = args.log.read_text(errors="replace")
    for req in requirements:
        if f"Attempting install of {req}" not in log:
            msg = f"the log does not show Home Assistant installing {req}"
            raise CheckFailedError(msg)
    sensors = [e for e, s in states.items() if e.startswith("sensor.") and numeric(s["state"])]
    soc = states[SOC]
    versions = f"Home Assistant {ha_version} (Python {sys.version.split()[0]})"
    unit = soc["attributes"].get("unit_of_measurement", "")
    return [
        f"{versions}: HTTP after {t_http - t0:.1f} s, RUNNING after {t_running - t0:.1f} s",
        *(f"installed by Home Assistant: {line}" for line in installed),
        (
            f"config flow (menu, manual, 127.0.0.1:{args.simulator_port}): '{result['title']}'"
            f" loaded in {t_flow - t_running:.1f} s, installation included"
        ),
        (
            f"{len(states)} entities with states after {t_entities - t_flow:.1f} s:"
            f" {len(sensors)} numeric sensors, {len(states) - len(sensors)} others;"
            f" {SOC} = {soc['state']} {unit}"
        ),
    ]


def cmd_run(args: argparse.Namespace) -> int:
    try:
        summary = check(args)
    except CheckFailedError as err:
        say(f"FAILED: {err}")
        # Why an installation failed (uv's resolver says it in a line or two).
        names = [req.name for req in manifest_requirements(args.manifest)]
        for record in records(args.log.read_text(errors="replace")):
            if (
                record.logger == "homeassistant.util.package"
                and record.level == "ERROR"
                and any(name in record.lines[0] for name in names)
            ):
                print("\n".join(record.lines[:3]), file=sys.stderr, flush=True)
        return 1
    for line in summary:
        say(line)
    return 0


# --- the plant's control registers, read from the simulator ------------------------

PLANT_UNIT = 247
CONTROL_FIRST = 40029
CONTROL_COUNT = 5
"""40029 remote EMS enable, 40030 (independent phase control), 40031 remote EMS
control mode, 40032-40033 ESS max charging limit (U32, kW with gain 1000): one read."""
NOT_SET = 0xFFFFFFFF
READ_HOLDING = 0x03
_transactions = itertools.count(1)


@dataclass(frozen=True)
class Registers:
    """What the registers force_charge changes hold."""

    enable: int
    mode: int
    charge_limit: float | None
    """kW; None where the plant reports "not set" (all ones)."""

    def __str__(self) -> str:
        limit = "not set" if self.charge_limit is None else f"{self.charge_limit:g} kW"
        return f"40029={self.enable}, 40031={self.mode}, 40032={limit}"


FORCED = Registers(enable=1, mode=FORCE_MODE, charge_limit=FORCE_POWER)


def _receive(sock: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = sock.recv(size - len(data))
        if not chunk:
            msg = "the connection closed mid-answer"
            raise OSError(msg)
        data += chunk
    return data


def read_holding(port: int, unit: int, address: int, count: int) -> tuple[int, ...]:
    """Holding registers over Modbus TCP (function 0x03), one request on a connection of its own."""
    where = f"registers {address}-{address + count - 1} of unit {unit}"
    transaction = next(_transactions) & 0xFFFF
    request = struct.pack(">HHHBBHH", transaction, 0, 6, unit, READ_HOLDING, address, count)
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=MODBUS_TIMEOUT) as sock:
            sock.sendall(request)
            answer, protocol, length, unit_id = struct.unpack(">HHHB", _receive(sock, 7))
            if not 2 <= length <= 254:  # noqa: PLR2004 - the unit id and at least function, code
                msg = f"{where}: an answer of length {length}"
                raise CheckFailedError(msg)
            pdu = _receive(sock, length - 1)
    except OSError as err:
        msg = f"{where} from the simulator: {err}"
        raise CheckFailedError(msg) from err
    if (answer, protocol, unit_id) != (transaction, 0, unit):
        msg = f"{where}: answer {answer} (unit {unit_id}, protocol {protocol}) to {transaction}"
        raise CheckFailedError(msg)
    if len(pdu) == 2 and pdu[0] == READ_HOLDING | 0x80:  # noqa: PLR2004 - function, exception code
        msg = f"{where}: exception code {pdu[1]:#04x}"
        raise CheckFailedError(msg)
    if pdu[0] != READ_HOLDING or pdu[1] != 2 * count or len(pdu) != 2 + 2 * count:
        msg = f"{where}: not an answer to a read of {count} registers: {pdu.hex()}"
        raise CheckFailedError(msg)
    return struct.unpack(f">{count}H", pdu[2:])


def read_registers(port: int) -> Registers:
    words = read_holding(port, PLANT_UNIT, CONTROL_FIRST, CONTROL_COUNT)
    limit = words[3] << 16 | words[4]
    return Registers(
        enable=words[0], mode=words[2], charge_limit=None if limit == NOT_SET else limit / 1000
    )


# --- Home Assistant's websocket API --------------------------------------------------


class Websocket:
    """Commands and subscriptions, through aiohttp (Home Assistant's own dependency)."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self._ws = ws
        self._ids = itertools.count(1)
        self._events: list[tuple[float, Any]] = []

    @classmethod
    @contextlib.asynccontextmanager
    async def connect(cls, api: Api) -> AsyncIterator[Websocket]:
        async with (
            aiohttp.ClientSession() as session,
            session.ws_connect(f"{api.url}/api/websocket", autoping=True) as ws,
        ):
            socket_ = cls(ws)
            if (kind := (await socket_._receive(WS_TIMEOUT))["type"]) != "auth_required":
                msg = f"websocket: {kind}, not auth_required"
                raise CheckFailedError(msg)
            await ws.send_json({"type": "auth", "access_token": api.token})
            if (kind := (await socket_._receive(WS_TIMEOUT))["type"]) != "auth_ok":
                msg = f"websocket: {kind}, not auth_ok"
                raise CheckFailedError(msg)
            yield socket_

    async def _receive(self, timeout: float) -> dict[str, Any]:
        try:
            message = await self._ws.receive(max(timeout, 0.0))
        except TimeoutError as err:
            msg = f"websocket: nothing within {timeout:.0f} s"
            raise CheckFailedError(msg) from err
        if message.type is not aiohttp.WSMsgType.TEXT:
            msg = f"websocket: {message.type.name} ({message.data})"
            raise CheckFailedError(msg)
        return json.loads(message.data)  # type: ignore[no-any-return]

    async def call(self, kind: str, **data: Any) -> Any:
        """A command's result; events that come meanwhile wait for ``event``."""
        ident = next(self._ids)
        await self._ws.send_json({"id": ident, "type": kind, **data})
        deadline = time.monotonic() + WS_TIMEOUT
        while True:
            message = await self._receive(deadline - time.monotonic())
            if message["type"] == "event":
                self._events.append((time.time(), message["event"]))
            elif message.get("id") == ident:
                if not message.get("success"):
                    msg = f"{kind}: {message.get('error')}"
                    raise CheckFailedError(msg)
                return message.get("result")

    async def event(self, timeout: float) -> tuple[float, Any]:
        """The next event of a subscription and when it came (epoch seconds)."""
        if self._events:
            return self._events.pop(0)
        deadline = time.monotonic() + timeout
        while True:
            message = await self._receive(deadline - time.monotonic())
            if message["type"] == "event":
                return time.time(), message["event"]


@dataclass(frozen=True)
class Reload:
    """A reload of the entry, seen through ``config_entries/subscribe``."""

    began: float
    """When the entry left its state (the unload began), epoch seconds."""
    ended: float
    """When it reached a state a setup ends in: ``entry``'s."""
    entry: dict[str, Any]
    retries: list[str]
    """Why its setup was retried meanwhile."""


async def reloaded(ws: Websocket, entry_id: str, timeout: float) -> Reload:
    """The next reload of the entry, once it has ended."""
    began: float | None = None
    retries: list[str] = []
    deadline = time.monotonic() + timeout
    while True:
        try:
            at, changes = await ws.event(deadline - time.monotonic())
        except CheckFailedError as err:
            msg = f"no reload of the entry within {timeout:.0f} s{retried(retries)}"
            raise CheckFailedError(msg) from err
        for change in changes:
            entry = change["entry"]
            if entry["entry_id"] != entry_id:
                continue
            note_retry(entry, retries)
            if entry["state"] not in SETTLED:
                began = at if began is None else began
            elif began is not None:
                return Reload(began, at, entry, retries)


def note_retry(entry: dict[str, Any], retries: list[str]) -> None:
    """Why Home Assistant retries the entry's setup, once per reason."""
    if entry["state"] == "setup_retry" and (why := entry.get("reason") or "?") not in retries:
        retries.append(why)


def retried(retries: list[str]) -> str:
    return f" (setup retried: {'; '.join(retries)})" if retries else ""


# --- the lifecycle: restarts, reloads and a crash around running actions -------------


@dataclass(kw_only=True)
class Shared:
    """What the steps share: a JSON file the script hands from one to the next."""

    url: str
    token: str
    entry_id: str
    simulator_port: int
    before: Registers | None = None
    """The registers before the running (or last) action: "back" means equal to these."""
    deadline: float | None = None
    """The action's deadline, epoch seconds (Home Assistant's diagnostics, to the microsecond)."""
    minutes: int = 0
    deferred: list[str] = field(default_factory=list)
    """Steps that had too little time before the deadline: they run after it."""

    @classmethod
    def load(cls, path: Path) -> Shared:
        data = json.loads(path.read_text())
        before = data.pop("before")
        return cls(**data, before=None if before is None else Registers(**before))

    def save(self, path: Path) -> None:
        path.write_text(json.dumps(asdict(self)))

    def action(self) -> tuple[Registers, float]:
        if self.before is None or self.deadline is None:
            msg = "no action was started"
            raise CheckFailedError(msg)
        return self.before, self.deadline


def epoch(iso: str) -> float:
    return datetime.fromisoformat(iso).timestamp()


def clock(moment: float) -> str:
    return datetime.fromtimestamp(moment, UTC).strftime("%H:%M:%S.%f")[:-5]


def entry_of(api: Api, entry_id: str) -> dict[str, Any] | None:
    """The config entry as the frontend lists it; None while Home Assistant does not answer."""
    try:
        entries = api.call("GET", f"/api/config/config_entries/entry?domain={DOMAIN}", timeout=5)
    except CheckFailedError:
        return None
    return next((e for e in entries if e["entry_id"] == entry_id), None)


class SetupWatch:
    """The entry polled until its setup ends (REST), noting why it was retried meanwhile."""

    def __init__(self, api: Api, entry_id: str) -> None:
        self.api = api
        self.entry_id = entry_id
        self.entry: dict[str, Any] | None = None
        """The entry as last seen."""
        self.retries: list[str] = []

    def poll(self) -> dict[str, Any] | None:
        """The entry once its setup has ended, else None."""
        if (entry := entry_of(self.api, self.entry_id)) is None:
            return None
        self.entry = entry
        note_retry(entry, self.retries)
        return entry if entry["state"] in SETTLED else None

    def wait(self, pid: int, timeout: float) -> dict[str, Any] | None:
        """The entry once its setup has ended; as last seen (or None) when time runs out."""
        try:
            return wait_for("entry set up", self.poll, timeout, pid, 0.25)
        except CheckFailedError:
            if pid and not alive(pid):
                raise
            return self.entry

    def retried(self) -> str:
        return retried(self.retries)


def diagnostics(api: Api, entry_id: str) -> dict[str, Any]:
    """The entry's diagnostics, as the owner downloads them."""
    return api.call("GET", f"/api/diagnostics/config_entry/{entry_id}")["data"]  # type: ignore[no-any-return]


def state_of(api: Api, entity_id: str) -> str | None:
    try:
        return str(api.call("GET", f"/api/states/{entity_id}", timeout=5)["state"])
    except CheckFailedError:
        return None


def states_back(api: Api, since: float) -> dict[str, dict[str, Any]] | None:
    """The entities' states, once enough are numeric again and written after ``since``."""
    states = entities_ready(api)
    if states is None or epoch(states[SOC]["last_updated"]) < since:
        return None
    return states


def check_action_kept(api: Api, shared: Shared) -> None:
    """The action runs on: in the diagnostics with its deadline, in its sensor, on the plant."""
    _, deadline = shared.action()
    active = diagnostics(api, shared.entry_id)["control"]["active_action"]
    if (
        active is None
        or active["action"] != "force_charge"
        or abs(epoch(active["deadline"]) - deadline) > 1e-3  # noqa: PLR2004 - to the microsecond
    ):
        msg = f"the force_charge until {clock(deadline)} is not running any more: {active}"
        raise CheckFailedError(msg)
    if (shown := state_of(api, ACTION)) != "force_charge":
        msg = f"{ACTION} is {shown}, not force_charge"
        raise CheckFailedError(msg)
    if (now := read_registers(shared.simulator_port)) != FORCED:
        msg = f"the plant holds {now} during the action, not {FORCED}"
        raise CheckFailedError(msg)


def check_no_action(api: Api, shared: Shared, pid: int) -> None:
    """Home Assistant shows no action any more (its sensor; the diagnostics)."""
    wait_for(f"{ACTION} none", lambda: state_of(api, ACTION) == "none", 10, pid)
    if (active := diagnostics(api, shared.entry_id)["control"]["active_action"]) is not None:
        msg = f"the registers are back, but the diagnostics show an action: {active}"
        raise CheckFailedError(msg)


def not_loaded(shared: Shared, what: str, entry: dict[str, Any]) -> CheckFailedError:
    """The entry failed during an action: what that leaves on the plant at its deadline."""
    before, deadline = shared.action()
    where = f"{what}: the entry is {entry['state']}{reason(entry)}"
    say(f"{where}; what the plant holds at the deadline, {clock(deadline)}:")
    until = deadline + DEADLINE_GRACE
    while (now := read_registers(shared.simulator_port)) != before and time.time() < until:
        time.sleep(1.0)
    if now != before:
        return CheckFailedError(
            f"{where}; {time.time() - deadline:.0f} s after the deadline the plant still holds"
            f" {now} (before the action: {before})"
        )
    return CheckFailedError(
        f"{where}; the registers are back {time.time() - deadline:.1f} s after the deadline"
    )


def reason(entry: dict[str, Any]) -> str:
    """Why the entry is in its state, as Home Assistant says (often nothing)."""
    return f" ({entry['reason']})" if entry.get("reason") else ""


def check_loaded(shared: Shared, what: str, entry: dict[str, Any], *, during: bool) -> None:
    """The entry loaded after a step; during an action, what a failure leaves on the plant."""
    if entry["state"] == "loaded":
        return
    if during:
        raise not_loaded(shared, what, entry)
    msg = f"{what}: the entry is {entry['state']}{reason(entry)}"
    raise CheckFailedError(msg)


def step_force_charge(api: Api, shared: Shared, args: argparse.Namespace) -> str:
    """force_charge for ``--minutes``: the plant forced, the deadline known."""
    port = shared.simulator_port
    before = read_registers(port)
    if (
        before.enable != 0
        or FORCED.mode == before.mode
        or FORCED.charge_limit == before.charge_limit
    ):
        msg = f"the plant holds {before} already: 'forced' and 'back' would not differ"
        raise CheckFailedError(msg)
    t_call = time.time()
    api.call(
        "POST",
        f"/api/services/{DOMAIN}/force_charge",
        {"entity_id": SOC, "power": FORCE_POWER, "duration": {"minutes": args.minutes}},
        timeout=60,
    )
    t_done = time.time()
    if (now := read_registers(port)) != FORCED:
        msg = f"force_charge returned, but the plant holds {now}, not {FORCED}"
        raise CheckFailedError(msg)
    active = diagnostics(api, shared.entry_id)["control"]["active_action"]
    if active is None or active["action"] != "force_charge":
        msg = f"the diagnostics show {active}, not the force_charge"
        raise CheckFailedError(msg)
    deadline = epoch(active["deadline"])
    duration = args.minutes * 60
    if not t_call + duration <= deadline <= t_done + duration:
        msg = f"the deadline {clock(deadline)} is not {args.minutes} min after the call"
        raise CheckFailedError(msg)
    shown = (state_of(api, ACTION), state_of(api, ACTION_END))
    if shown[0] != "force_charge" or shown[1] is None or int(epoch(shown[1])) != int(deadline):
        msg = f"{ACTION} and {ACTION_END} show {shown}, not force_charge until {clock(deadline)}"
        raise CheckFailedError(msg)
    shared.before, shared.deadline, shared.minutes = before, deadline, args.minutes
    return (
        f"force_charge {FORCE_POWER:g} kW for {args.minutes} min: {FORCED} written in"
        f" {t_done - t_call:.1f} s (before: {before}), until {clock(deadline)}"
    )


def step_restarted(api: Api, shared: Shared, args: argparse.Namespace) -> str:
    """After a SIGTERM mid-action: loaded again, the action resumed."""
    _, deadline = shared.action()
    watch = SetupWatch(api, shared.entry_id)
    entry = watch.wait(args.hass_pid, min(START_TIMEOUT, deadline + DEADLINE_GRACE - time.time()))
    loaded = time.time() - args.started
    what = "restart (SIGTERM) mid-action"
    if entry is None:
        msg = f"{what}: no entry {loaded:.0f} s after start"
        raise CheckFailedError(msg)
    if entry["state"] != "loaded":
        raise not_loaded(shared, f"{what}, {loaded:.1f} s after start{watch.retried()}", entry)
    if time.time() >= deadline:
        msg = (
            f"{what}: loaded again only {loaded:.1f} s after start{watch.retried()}, past the"
            " action's deadline: too late to see it resumed"
        )
        raise CheckFailedError(msg)
    check_action_kept(api, shared)
    states = wait_for(
        "states", lambda: states_back(api, args.started), ENTITIES_TIMEOUT, args.hass_pid
    )
    return (
        f"{what}: stopped in {args.stopped_in:.1f} s, loaded again {loaded:.1f} s after"
        f" start{watch.retried()}, {len(states)} states back after"
        f" {time.time() - args.started:.1f} s, action resumed"
        f" ({deadline - time.time():.0f} s before its deadline)"
    )


def step_reload(api: Api, shared: Shared, args: argparse.Namespace, *, during: bool) -> str:
    """The entry reloaded (as its menu's "Reload"): loaded, states back."""
    t0 = time.time()
    api.call(
        "POST", f"/api/config/config_entries/entry/{shared.entry_id}/reload", timeout=RELOAD_TIMEOUT
    )
    watch = SetupWatch(api, shared.entry_id)
    entry = watch.wait(args.hass_pid, RELOAD_TIMEOUT) or {"state": "gone"}
    took = time.time() - t0
    what = "reload" + (" mid-action" if during else "")
    check_loaded(shared, what, entry, during=during)
    wait_for("states", lambda: states_back(api, t0), ENTITIES_TIMEOUT, args.hass_pid)
    back = time.time() - t0
    if during:
        check_action_kept(api, shared)
    kept = ", action kept" if during else ""
    return (
        f"{what}: loaded again in {took:.1f} s{watch.retried()}, states back after"
        f" {back:.1f} s{kept}"
    )


def step_enable(api: Api, shared: Shared, args: argparse.Namespace, *, during: bool) -> str:
    """A sensor disabled by default enabled (websocket): Home Assistant reloads the entry."""

    async def enable() -> tuple[str, float, int, Reload]:
        async with Websocket.connect(api) as ws:
            entities = await ws.call("config/entity_registry/list")
            disabled = sorted(
                e["entity_id"]
                for e in entities
                if e["config_entry_id"] == shared.entry_id
                and e["disabled_by"] == "integration"
                and e["entity_id"].startswith("sensor.")
            )
            if not disabled:
                msg = "no sensor of the plant is disabled by default"
                raise CheckFailedError(msg)
            entity_id = disabled[0]
            await ws.call("config_entries/subscribe")
            t0 = time.time()
            result = await ws.call(
                "config/entity_registry/update", entity_id=entity_id, disabled_by=None
            )
            delay = result.get("reload_delay")
            if not isinstance(delay, int):
                msg = f"enabling {entity_id}: no reload announced: {result}"
                raise CheckFailedError(msg)
            return entity_id, t0, delay, await reloaded(ws, shared.entry_id, delay + RELOAD_TIMEOUT)

    entity_id, t0, delay, reload = asyncio.run(enable())
    what = f"enable {entity_id}" + (" mid-action" if during else "")
    check_loaded(shared, what, reload.entry, during=during)
    value = wait_for(
        f"a state of {entity_id}",
        lambda: (s := state_of(api, entity_id)) not in {None, "unavailable", "unknown"} and s,
        ENTITIES_TIMEOUT,
        args.hass_pid,
    )
    wait_for("states", lambda: states_back(api, reload.began), ENTITIES_TIMEOUT, args.hass_pid)
    back = time.time() - t0
    if during:
        check_action_kept(api, shared)
    kept = ", action kept" if during else ""
    return (
        f"{what}: reloaded {reload.began - t0:.1f} s later ({delay} s announced), loaded again"
        f" {reload.ended - t0:.1f} s after enabling{retried(reload.retries)},"
        f" {entity_id} = {value}, states back after {back:.1f} s{kept}"
    )


async def save_options(api: Api, ws: Websocket, entry_id: str, *, read_only: bool) -> Reload:
    """The options flow as the frontend drives it (REST); the reload it makes, ended."""
    flows = "/api/config/config_entries/options/flow"
    step = await asyncio.to_thread(
        api.call, "POST", flows, {"handler": entry_id, "show_advanced_options": False}
    )
    if step.get("type") != "form" or step.get("step_id") != "init":
        msg = f"the options flow's first step is not its form: {step}"
        raise CheckFailedError(msg)
    step = await asyncio.to_thread(
        api.call, "POST", f"{flows}/{step['flow_id']}", {"read_only": read_only}
    )
    if step.get("type") != "create_entry":
        msg = f"the options flow did not save: {step}"
        raise CheckFailedError(msg)
    return await reloaded(ws, entry_id, RELOAD_TIMEOUT)


def step_options(api: Api, shared: Shared, args: argparse.Namespace, *, during: bool) -> str:
    """Read-only mode on, then off again (the options flow): each change reloads the entry.

    During an action, read-only on first undoes the action (it undoes the owner's
    own action: no surprise write), then refuses writes: the registers are back
    within seconds of saving, not at the deadline, and no action is shown.
    """

    async def change() -> list[tuple[float, Reload, float | None]]:
        done = []
        async with Websocket.connect(api) as ws:
            await ws.call("config_entries/subscribe")
            for read_only in (True, False):
                t0 = time.time()
                reload = await save_options(api, ws, shared.entry_id, read_only=read_only)
                back = None
                if during and read_only:
                    back = await asyncio.to_thread(registers_back, shared, t0, args.hass_pid)
                done.append((t0, reload, back))
                if reload.entry["state"] != "loaded":
                    break
                saved = await asyncio.to_thread(diagnostics, api, shared.entry_id)
                if saved["entry"]["options"].get("read_only") is not read_only:
                    msg = f"{what}: read-only {read_only} saved, but the entry has {saved['entry']}"
                    raise CheckFailedError(msg)
        return done

    what = "options (read-only on, then off)" + (" mid-action" if during else "")
    done = asyncio.run(change())
    for read_only, (_, reload, _) in zip((True, False), done, strict=False):
        check_loaded(shared, f"{what}, read-only {read_only}", reload.entry, during=during)
    last = done[-1][1]
    wait_for("states", lambda: states_back(api, last.began), ENTITIES_TIMEOUT, args.hass_pid)
    times = " and ".join(
        f"{reload.ended - t0:.1f} s{retried(reload.retries)}" for t0, reload, _ in done
    )
    undone = ""
    if during:
        check_no_action(api, shared, args.hass_pid)
        _, deadline = shared.action()
        back = done[0][2]
        undone = (
            f"; read-only on undid the action first: registers back {back:.1f} s after saving"
            f" ({deadline - done[0][0] - back:.0f} s before its deadline), no action shown"
        )
    return f"{what}: loaded again {times} after saving, states back{undone}"


def registers_back(shared: Shared, since: float, pid: int) -> float:
    """Seconds after ``since`` until the plant holds what it held before the action."""
    before, deadline = shared.action()
    wait_for(
        "the registers back",
        lambda: read_registers(shared.simulator_port) == before,
        min(READ_ONLY_REVERT_TIMEOUT, deadline - time.time()),
        pid,
        0.2,
    )
    return time.time() - since


def step_read_only(api: Api, shared: Shared, args: argparse.Namespace) -> str:
    """Read-only switched on during an action (issue 19): the action undone first."""
    return step_options(api, shared, args, during=True)


STEPS: dict[str, Callable[..., str]] = {
    "reload": step_reload,
    "enable": step_enable,
}


def step_mid_action(api: Api, shared: Shared, args: argparse.Namespace) -> Iterator[str]:
    """Reload, enable, options while the action runs, each while it has the time it needs."""
    _, deadline = shared.action()
    for name, step in STEPS.items():
        left = deadline - time.time()
        if shared.deferred:
            shared.deferred.append(name)
            yield f"{name}: after the deadline too, after {shared.deferred[0]}"
        elif left < MID_ACTION_NEEDS[name]:
            shared.deferred.append(name)
            yield (
                f"{name}: {left:.0f} s left before the deadline, fewer than the"
                f" {MID_ACTION_NEEDS[name]:.0f} s it needs: after the deadline"
            )
        else:
            yield step(api, shared, args, during=True)


def step_deadline(api: Api, shared: Shared, args: argparse.Namespace) -> str:
    """At the deadline: the registers back as before (read from the simulator)."""
    before, deadline = shared.action()
    time.sleep(max(deadline - 2.0 - time.time(), 0.0))
    while (now := read_registers(shared.simulator_port)) != before:
        if time.time() > deadline + DEADLINE_GRACE:
            msg = (
                f"{time.time() - deadline:.0f} s after the deadline the plant still holds {now}"
                f" (before the action: {before})"
            )
            raise CheckFailedError(msg)
        time.sleep(0.2)
    back = time.time() - deadline
    if back < 0:
        msg = f"the registers are back {-back:.1f} s before the deadline"
        raise CheckFailedError(msg)
    check_no_action(api, shared, args.hass_pid)
    return (
        f"deadline of the {shared.minutes} min force_charge: registers back {back:.1f} s after it"
        f" ({before}, as before)"
    )


def step_deferred(api: Api, shared: Shared, args: argparse.Namespace) -> Iterator[str]:
    """The steps that had too little time before the deadline, now without an action."""
    while shared.deferred:
        yield STEPS[shared.deferred[0]](api, shared, args, during=False)
        shared.deferred.pop(0)


def step_past_deadline(api: Api, shared: Shared, args: argparse.Namespace) -> str:
    """Home Assistant killed: past the deadline, the plant still forced (nothing reverted it)."""
    _, deadline = shared.action()
    time.sleep(max(deadline + PAST_DEADLINE - time.time(), 0.0))
    if (now := read_registers(shared.simulator_port)) != FORCED:
        msg = f"Home Assistant is stopped, yet the plant holds {now}, not {FORCED}"
        raise CheckFailedError(msg)
    return (
        f"crash (SIGKILL) {deadline - args.killed:.1f} s before the deadline: past it"
        f" ({time.time() - deadline:.1f} s) the plant still holds {now}"
    )


def step_crashed(api: Api, shared: Shared, args: argparse.Namespace) -> str:
    """Started after the deadline of the action of a killed Home Assistant: reverted at once."""
    before, deadline = shared.action()
    loaded: float | None = None
    back: float | None = None
    entry: dict[str, Any] | None = None
    watch = SetupWatch(api, shared.entry_id)
    limit = args.started + START_TIMEOUT
    while loaded is None or back is None:
        now = time.time()
        if back is None and read_registers(shared.simulator_port) == before:
            back = now - args.started
        if loaded is None and (entry := watch.poll()) is not None:
            loaded = now - args.started
            limit = now + REVERT_AFTER_LOADED
        if now > limit or (entry is not None and entry["state"] != "loaded"):
            break
        if not alive(args.hass_pid):
            msg = "Home Assistant exited after the crash"
            raise CheckFailedError(msg)
        time.sleep(0.25)
    what = f"start after the crash, {args.started - deadline:.1f} s past the deadline"
    entry = entry or watch.entry
    if entry is None:
        msg = f"{what}: no entry within {START_TIMEOUT:.0f} s"
        raise CheckFailedError(msg)
    if entry["state"] != "loaded":
        raise not_loaded(shared, what, entry)
    if back is None:
        msg = (
            f"{what}: the entry loaded {loaded:.1f} s after start, but {REVERT_AFTER_LOADED:.0f} s"
            f" later the plant still holds {read_registers(shared.simulator_port)}"
            f" (before the action: {before})"
        )
        raise CheckFailedError(msg)
    check_no_action(api, shared, args.hass_pid)
    wait_for("states", lambda: states_back(api, args.started), ENTITIES_TIMEOUT, args.hass_pid)
    return (
        f"{what}: registers back {back:.1f} s after start ({before}), the entry loaded"
        f" {loaded:.1f} s after start{watch.retried()}; no action shown, states back"
    )


LIFECYCLE: dict[str, Callable[[Api, Shared, argparse.Namespace], str | Iterator[str]]] = {
    "force-charge": step_force_charge,
    "restarted": step_restarted,
    "mid-action": step_mid_action,
    "deadline": step_deadline,
    "deferred": step_deferred,
    "read-only": step_read_only,
    "past-deadline": step_past_deadline,
    "crashed": step_crashed,
}


def cmd_step(args: argparse.Namespace) -> int:
    shared = Shared.load(args.state)
    api = Api(shared.url, shared.token)
    try:
        if args.hass_pid and args.step != "crashed":  # it watches the plant from the start
            wait_for("HTTP answer", lambda: answers(api), START_TIMEOUT, args.hass_pid)
        result = LIFECYCLE[args.step](api, shared, args)
        for line in [result] if isinstance(result, str) else result:
            say(line)
    except CheckFailedError as err:
        say(f"FAILED: {err}")
        return 1
    finally:
        shared.save(args.state)
    return 0


# --- the log ---------------------------------------------------------------------


@dataclass
class Record:
    """One log record: its first line and the lines that follow it (a traceback)."""

    level: str
    logger: str
    lines: list[str]

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


def records(log: str) -> list[Record]:
    found: list[Record] = []
    for line in log.splitlines():
        if match := LOG_RECORD.match(line):
            found.append(Record(match["level"], match["logger"], [line]))
        elif found:
            found[-1].lines.append(line)
        elif line.strip():
            found.append(Record("OUTPUT", "", [line]))
    return found


def cmd_log(args: argparse.Namespace) -> int:
    all_records = [r for log in args.log for r in records(log.read_text(errors="replace"))]
    ours = [r for r in all_records if MENTIONS.search(r.text)]
    bad = [r for r in ours if r.level in {"ERROR", "CRITICAL"} or "Traceback" in r.text]
    warnings = [r for r in ours if r.level == "WARNING" and r not in bad]
    others = [
        r for r in all_records if r.level in {"ERROR", "CRITICAL"} and not MENTIONS.search(r.text)
    ]
    # The same warning from several call sites once, with the count: the text
    # up to " at " (where the site begins) is the same.
    distinct: dict[str, tuple[Record, int]] = {}
    for record in warnings:
        key = record.lines[0].split("] ", 1)[1].split(" at ", 1)[0]
        first, count = distinct.get(key, (record, 0))
        distinct[key] = (first, count + 1)
    say(f"{len(warnings)} warnings of ours (sigenergy_modbus, pymodbus), {len(distinct)} distinct")
    for record, count in distinct.values():
        message = record.lines[0].split("] ", 1)[1]
        times = f" ({count} times)" if count > 1 else ""
        print(f"  WARNING [{record.logger}]{times} {message}", file=sys.stderr, flush=True)
    if others:
        loggers = sorted({r.logger for r in others})
        say(f"{len(others)} errors of other integrations (not checked): {', '.join(loggers)}")
    if bad:
        say(f"FAILED: {len(bad)} errors or tracebacks of ours in the log:")
        for record in bad:
            print(record.text, file=sys.stderr, flush=True)
        return 1
    say("no errors or tracebacks of ours in the log")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    sub = parser.add_subparsers(dest="command", required=True)
    names = sub.add_parser("names")
    names.add_argument("manifest", type=Path)
    run = sub.add_parser("run")
    run.add_argument("--url", required=True)
    run.add_argument("--hass-pid", type=int, required=True)
    run.add_argument("--started", type=float, required=True, help="hass's start, epoch seconds")
    run.add_argument("--simulator-port", type=int, required=True)
    run.add_argument("--log", type=Path, required=True)
    run.add_argument("--manifest", type=Path, required=True)
    run.add_argument("--state", type=Path, required=True, help="for the steps")
    step = sub.add_parser("step")
    step.add_argument("step", choices=LIFECYCLE)
    step.add_argument("--state", type=Path, required=True)
    step.add_argument("--hass-pid", type=int, required=True, help="0: Home Assistant is stopped")
    step.add_argument("--started", type=float, default=0.0, help="hass's start, epoch seconds")
    step.add_argument("--minutes", type=int, default=1, help="force-charge: its duration")
    step.add_argument("--stopped-in", type=float, default=0.0, help="restarted: seconds to stop")
    step.add_argument("--killed", type=float, default=0.0, help="past-deadline: SIGKILL, epoch")
    log = sub.add_parser("log")
    log.add_argument("--log", type=Path, action="append", required=True, help="one per start")
    args = parser.parse_args()
    commands = {"names": cmd_names, "run": cmd_run, "step": cmd_step, "log": cmd_log}
    return commands[args.command](args)


if __name__ == "__main__":
    sys.exit(main())
