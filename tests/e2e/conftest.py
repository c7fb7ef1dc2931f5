"""Fixtures of the browser tests: real processes and a real browser.

The simulator and Home Assistant run as subprocesses, Home Assistant from a
temporary configuration folder with this repository's ``custom_components``
on PYTHONPATH, exactly like ``scripts/develop``. Home Assistant is onboarded
over its REST API, and Chromium (Debian's, driven by Playwright) opens the
frontend already logged in. Screenshots of every step, Home Assistant's log
and the browser's console go to ``artifacts/e2e/``.

Missing prerequisites (Chromium, the frontend package) fail the tests with
the reason: ``scripts/test`` installs both.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import shutil
import socket
import subprocess
import sys
import textwrap
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import pytest_socket
from playwright.async_api import async_playwright, expect

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Callable, Iterator

    from playwright.async_api import Page

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "artifacts" / "e2e"
CHROMIUM = Path(os.environ.get("SIGENERGY_E2E_CHROMIUM", "/usr/bin/chromium"))
# Playwright adds --headless itself; the rest keeps Chromium quiet and
# offline, and works as root (no sandbox) in a container.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
LOOPBACK = ["127.0.0.1", "localhost", "::1"]
HA_START_TIMEOUT = 120.0
SIMULATOR_START_TIMEOUT = 30.0
STOP_TIMEOUT = 30.0
OWNER = {"name": "E2E Owner", "username": "owner", "password": "e2e-owner-password"}


# --- prerequisites and sockets -------------------------------------------------


@pytest.fixture(autouse=True)
def loopback_only(socket_enabled: None) -> None:
    """Allow sockets, to loopback only: the browser, HTTP and Modbus all stay local.

    pytest-homeassistant-custom-component blocks sockets in every test; these
    tests talk to real processes. Subprocesses are not affected either way.
    """
    pytest_socket.socket_allow_hosts(LOOPBACK, allow_unix_socket=True)


@pytest.fixture
def chromium() -> Path:
    """Debian's Chromium; the tests fail (never skip) without it."""
    if not (CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK)):
        pytest.fail(
            f"Chromium is missing at {CHROMIUM}: the browser tests need it. "
            "scripts/test installs it (apt-get install chromium).",
            pytrace=False,
        )
    return CHROMIUM


@pytest.fixture
def frontend() -> None:
    """Home Assistant's frontend package; the tests fail (never skip) without it."""
    if importlib.util.find_spec("hass_frontend") is None:
        pytest.fail(
            "The Home Assistant frontend (hass_frontend) is not installed in this "
            "environment: scripts/frontend installs it (scripts/test runs it).",
            pytrace=False,
        )


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# --- artifacts -------------------------------------------------------------------


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """Keep each phase's report on the item, for the fixtures' teardown."""
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


def _failed(request: pytest.FixtureRequest) -> bool:
    return any(
        getattr(getattr(request.node, f"rep_{when}", None), "failed", False)
        for when in ("setup", "call")
    )


@dataclass
class Artifacts:
    """Where one test's screenshots and logs go: ``artifacts/e2e/<prefix>-...``."""

    prefix: str
    count: int = 0
    files: list[Path] = field(default_factory=list)

    def path(self, name: str) -> Path:
        """A file of this test in the artifacts folder."""
        return ARTIFACTS / f"{self.prefix}-{name}"

    async def screenshot(self, page: Page, step: str) -> Path:
        """Save a numbered screenshot of the page: ``<prefix>-NN-<step>.png``."""
        self.count += 1
        path = self.path(f"{self.count:02d}-{step}.png")
        # Finished transitions: a switch just clicked shows its new state.
        await page.screenshot(path=path, animations="disabled")
        self.files.append(path)
        return path


@pytest.fixture
def artifacts(request: pytest.FixtureRequest) -> Artifacts:
    """This test's artifacts; the previous run's files of the same test are removed."""
    prefix = request.node.name.removeprefix("test_").replace("_", "-")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for old in ARTIFACTS.glob(f"{prefix}-*"):
        old.unlink()
    return Artifacts(prefix)


# --- processes -------------------------------------------------------------------


class Process:
    """A subprocess with its output in a log file, stopped politely, then firmly."""

    def __init__(
        self, name: str, args: list[str], log: Path, env: dict[str, str] | None = None
    ) -> None:
        """Start it; stdout and stderr go to ``log``."""
        self.name = name
        self.log = log
        self._out = log.open("wb")
        self.popen = subprocess.Popen(  # noqa: S603 - our own interpreter and modules
            args,
            cwd=REPO,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=self._out,
            stderr=subprocess.STDOUT,
        )

    def running(self) -> bool:
        """True while the process has not exited."""
        return self.popen.poll() is None

    def output(self) -> str:
        """Everything it wrote so far."""
        return self.log.read_text(errors="replace")

    def tail(self, lines: int = 40) -> str:
        """The end of its output, for failure messages."""
        return "\n".join(self.output().splitlines()[-lines:])

    def stop(self, timeout: float = STOP_TIMEOUT) -> int | None:
        """SIGTERM, wait, SIGKILL after ``timeout``; the exit code."""
        if self.running():
            self.popen.terminate()
            try:
                self.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait(10)
        self._out.close()
        return self.popen.returncode


def wait_for(
    what: str, check: Callable[[], bool], process: Process, timeout: float, interval: float = 0.25
) -> None:
    """Poll ``check`` until true; fail with the process's output when it dies or time runs out."""
    deadline = time.monotonic() + timeout
    while True:
        if check():
            return
        if not process.running():
            pytest.fail(
                f"{process.name} exited ({process.popen.returncode}) before {what}:\n"
                f"{process.tail()}",
                pytrace=False,
            )
        if time.monotonic() > deadline:
            pytest.fail(
                f"{process.name}: no {what} after {timeout:.0f} s:\n{process.tail()}",
                pytrace=False,
            )
        time.sleep(interval)


@dataclass
class Simulator:
    """A simulator process and its Modbus TCP address."""

    host: str
    port: int
    process: Process


@pytest.fixture
def start_simulator(loopback_only: None, tmp_path: Path) -> Iterator[Callable[..., Simulator]]:
    """Start ``python -m simulator`` processes; all are stopped at teardown."""
    started: list[Simulator] = []

    def start(port: int | None = None, *extra: str) -> Simulator:
        port = free_port() if port is None else port
        name = f"simulator-{port}"
        args = [sys.executable, "-m", "simulator", "--host", "127.0.0.1", "--port", str(port)]
        # --no-state: each test's plant starts from its seed, never from another run's file.
        args += ["--latency", "0.005", "--no-state", *extra]
        sim = Simulator("127.0.0.1", port, Process(name, args, tmp_path / f"{name}.log"))
        started.append(sim)
        wait_for(
            "listening",
            lambda: "Sigenergy plant simulator on" in sim.process.output(),
            sim.process,
            SIMULATOR_START_TIMEOUT,
        )
        return sim

    yield start
    for sim in started:
        sim.process.stop()


@pytest.fixture
def simulator(start_simulator: Callable[..., Simulator]) -> Simulator:
    """One simulated plant (one inverter) on a free port of 127.0.0.1."""
    return start_simulator()


CONFIGURATION = """\
# Written by tests/e2e: like config/configuration.yaml, on a port of its own.
homeassistant:
  name: Sigenergy e2e
  latitude: 48.14
  longitude: 11.58
  elevation: 520
  unit_system: metric
  time_zone: Europe/Berlin
  country: DE
  currency: EUR

frontend:
config:
# 2026.10's profile page asks recorder/info and shows nothing without it.
recorder:
{http}
logger:
  default: warning
  logs:
    custom_components.sigenergy_modbus: debug
"""

# Onboarding's core_config step would set up met, radio_browser,
# google_translate and shopping_list, which want packages from the internet
# (and shopping_list's to-do services break the frontend's service list
# without the conversation integration's hassil). The location is in
# configuration.yaml already, so that step is marked done before the start;
# the others go through the REST API as the frontend's onboarding does.
ONBOARDING_STORE = {
    "version": 4,
    "minor_version": 1,
    "key": "onboarding",
    "data": {"done": ["core_config"]},
}


@dataclass
class HomeAssistant:
    """A running, onboarded Home Assistant and the owner's tokens."""

    url: str
    process: Process
    config: Path
    tokens: dict[str, Any] = field(default_factory=dict)

    @property
    def client_id(self) -> str:
        """The frontend's OAuth client id: its origin with a slash (genClientId)."""
        return f"{self.url}/"

    def request(
        self,
        method: str,
        path: str,
        data: dict[str, Any] | None = None,
        *,
        form: bool = False,
        auth: bool = True,
    ) -> Any:
        """Call the HTTP API; the decoded JSON answer."""
        headers = {}
        body = None
        if data is not None:
            if form:
                body = urllib.parse.urlencode(data).encode()
                headers["Content-Type"] = "application/x-www-form-urlencoded"
            else:
                body = json.dumps(data).encode()
                headers["Content-Type"] = "application/json"
        if auth and self.tokens:
            headers["Authorization"] = f"Bearer {self.tokens['access_token']}"
        req = urllib.request.Request(  # noqa: S310 - http://127.0.0.1 only
            self.url + path, data=body, headers=headers, method=method
        )
        try:
            with urllib.request.urlopen(req, timeout=30) as response:  # noqa: S310
                text = response.read().decode()
        except urllib.error.HTTPError as err:
            detail = err.read().decode(errors="replace")
            pytest.fail(f"{method} {path}: HTTP {err.code}: {detail}", pytrace=False)
        return json.loads(text) if text else None

    def answers(self) -> bool:
        """True once the HTTP server answers the onboarding status."""
        try:
            with urllib.request.urlopen(f"{self.url}/api/onboarding", timeout=2):  # noqa: S310
                return True
        except OSError:
            return False

    def onboard(self) -> None:
        """Create the owner and finish every onboarding step, as the frontend does."""
        code = self.request(
            "POST",
            "/api/onboarding/users",
            {**OWNER, "client_id": self.client_id, "language": "en"},
        )["auth_code"]
        self.tokens = self.request(
            "POST",
            "/auth/token",
            {"grant_type": "authorization_code", "code": code, "client_id": self.client_id},
            form=True,
            auth=False,
        )
        # core_config is marked done before the start (see ONBOARDING_STORE).
        self.request("POST", "/api/onboarding/analytics", {})
        self.request(
            "POST",
            "/api/onboarding/integration",
            {"client_id": self.client_id, "redirect_uri": f"{self.url}/?auth_callback=1"},
        )
        steps = self.request("GET", "/api/onboarding", auth=False)
        assert all(step["done"] for step in steps), steps

    def frontend_tokens(self) -> dict[str, Any]:
        """What the frontend keeps in localStorage ``hassTokens`` (without ``expires``)."""
        return {
            "access_token": self.tokens["access_token"],
            "refresh_token": self.tokens["refresh_token"],
            "expires_in": self.tokens["expires_in"],
            "token_type": self.tokens["token_type"],
            "clientId": self.client_id,
            "hassUrl": self.url,
        }


def _http_config(config: Path, port: int) -> str:
    """Where Home Assistant listens: 127.0.0.1 and ``port``.

    Home Assistant 2026.10 keeps its HTTP settings in storage and migrates
    YAML there once, then asks in the browser to confirm the "pending" YAML
    settings (a dialog over every page). Where it does, the settings are
    written to storage as confirmed, built by Home Assistant's own schema;
    older ones read them from YAML.
    """
    try:
        from homeassistant.components.http import config as http_config  # noqa: PLC0415
    except ImportError:
        return f"\nhttp:\n  server_port: {port}\n  server_host: 127.0.0.1\n"
    stable = {
        **http_config.HTTP_STORAGE_SCHEMA({"server_host": ["127.0.0.1"], "server_port": port}),
        "created_at": "2026-01-01T00:00:00+00:00",
        "error": None,
        "error_message": None,
    }
    store = {
        "version": http_config.STORAGE_VERSION,
        "minor_version": http_config.STORAGE_MINOR_VERSION,
        "key": http_config.STORAGE_KEY,
        "data": {"stable": stable, "pending": None, "yaml_migration_done": True},
    }
    (config / ".storage" / http_config.STORAGE_KEY).write_text(json.dumps(store))
    return ""


@pytest.fixture
def ha_configuration() -> str:
    """More of configuration.yaml for a test module's Home Assistant (e.g. ``energy:``)."""
    return ""


@pytest.fixture
def home_assistant(
    loopback_only: None,
    frontend: None,
    tmp_path: Path,
    artifacts: Artifacts,
    ha_configuration: str,
) -> Iterator[HomeAssistant]:
    """Home Assistant with this integration, on a free port, onboarded."""
    port = free_port()
    config = tmp_path / "config"
    config.mkdir()
    (config / ".storage").mkdir()
    (config / "configuration.yaml").write_text(
        CONFIGURATION.format(http=_http_config(config, port)) + ha_configuration
    )
    (config / ".storage" / "onboarding").write_text(json.dumps(ONBOARDING_STORE))
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    hass_bin = str(Path(sys.executable).with_name("hass"))
    # --skip-pip: a test never installs packages into the environment; what
    # Home Assistant needs here is installed by scripts/setup and scripts/frontend.
    args = [hass_bin, "--config", str(config), "--skip-pip"]
    process = Process("Home Assistant", args, tmp_path / "home-assistant.log", env)
    ha = HomeAssistant(f"http://127.0.0.1:{port}", process, config)
    try:
        wait_for("HTTP answer", ha.answers, process, HA_START_TIMEOUT, interval=0.5)
        ha.onboard()
        yield ha
    finally:
        process.stop()
        shutil.copy(process.log, artifacts.path("home-assistant.log"))


# --- the browser -----------------------------------------------------------------

# Runs before every page script: the frontend finds the owner's tokens where
# it keeps them after a login (home-assistant-js-websocket's token storage).
INIT_SCRIPT = textwrap.dedent(
    """
    (() => {
      const tokens = %s;
      tokens.expires = Date.now() + tokens.expires_in * 1000;
      window.localStorage.setItem("hassTokens", JSON.stringify(tokens));
      window.addEventListener("unhandledrejection", (e) => {
        console.error("unhandled rejection: " + JSON.stringify(e.reason));
      });
    })();
    """
)


@pytest.fixture
async def page(
    chromium: Path,
    home_assistant: HomeAssistant,
    artifacts: Artifacts,
    tmp_path: Path,
    request: pytest.FixtureRequest,
) -> AsyncIterator[Page]:
    """A Chromium page, logged in to Home Assistant as the owner."""
    console: list[str] = []
    async with async_playwright() as playwright:
        context = await playwright.chromium.launch_persistent_context(
            tmp_path / "chromium-profile",
            executable_path=str(chromium),
            headless=True,
            args=CHROMIUM_ARGS,
            viewport={"width": 1280, "height": 900},
            locale="en-US",
            timezone_id="Europe/Berlin",
        )
        try:
            # Generous: a first start or a slow CI machine takes its time.
            expect.set_options(timeout=15_000)
            context.set_default_timeout(20_000)
            context.set_default_navigation_timeout(60_000)
            # Offline and alike everywhere: nothing but Home Assistant is fetched
            # (the frontend asks brands.home-assistant.io for integration icons).
            await context.route(
                lambda url: not url.startswith(home_assistant.url), lambda route: route.abort()
            )
            await context.add_init_script(
                script=INIT_SCRIPT % json.dumps(home_assistant.frontend_tokens())
            )
            page = context.pages[0] if context.pages else await context.new_page()
            page.on("console", lambda m: console.append(f"{m.type}: {m.text}"))
            page.on("pageerror", lambda e: console.append(f"pageerror: {e}"))
            page.on(
                "requestfailed",
                lambda r: console.append(f"requestfailed: {r.url} ({r.failure})"),
            )
            yield page
            if _failed(request):
                with contextlib.suppress(Exception):
                    await artifacts.screenshot(page, "failure")
        finally:
            artifacts.path("browser-console.log").write_text("\n".join(console) + "\n")
            await context.close()
