"""The HTTP and log side of scripts/release-check (run by .venvs/release's Python).

    release_check.py names MANIFEST
        the distributions MANIFEST requires, each "installed" or "missing" here
    release_check.py run --url URL --hass-pid PID --simulator-port PORT --log FILE ...
        onboard, add the integration through the config flow REST API, check
        its entities and what Home Assistant installed
    release_check.py log --log FILE [--log FILE ...]
        the whole log of every start (after the stop): no error or traceback of ours

Standard library only, plus ``packaging``, Home Assistant's own dependency,
for the requirement specifiers. Everything it talks to is on 127.0.0.1.
"""

from __future__ import annotations

import argparse
import json
import math
import re
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, distribution
from pathlib import Path
from typing import TYPE_CHECKING, Any

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

if TYPE_CHECKING:
    from collections.abc import Callable

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
    """Poll ``check`` until it returns something true; fail when HA dies or time runs out."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if not alive(pid):
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
    log = sub.add_parser("log")
    log.add_argument("--log", type=Path, action="append", required=True, help="one per start")
    args = parser.parse_args()
    commands = {"names": cmd_names, "run": cmd_run, "log": cmd_log}
    return commands[args.command](args)


if __name__ == "__main__":
    sys.exit(main())
