"""Add the integration in a real browser, as a user does, and switch a dry contact.

Chromium drives Home Assistant's frontend; Home Assistant runs this
repository's integration and talks Modbus TCP to the simulator. Nothing is
patched: what the screenshots in ``artifacts/e2e/`` show is what a user sees.

* *Enter address*: host and port of the simulator, the plant's devices in
  the device list, then DO1 switched on and off from the inverter's device
  page, checked on the simulator's coil over Modbus.
* *Search my network*: the search probes port 502 on the subnets of Home
  Assistant's enabled network adapters. The simulator listens on
  127.0.0.1:502 and the loopback adapter is enabled in Settings -> System ->
  Network, as a user can do (advanced mode); the search then finds it like
  an inverter on the LAN. Searching again, it says that the only plant it
  found is the one set up already.
"""

from __future__ import annotations

import asyncio
import json
import re
import socket
import time
from typing import TYPE_CHECKING

import pytest
from awesomeversion import AwesomeVersion
from homeassistant.const import __version__ as ha_version
from playwright.async_api import expect
from pymodbus.client import AsyncModbusTcpClient

if TYPE_CHECKING:
    from collections.abc import Callable

    from playwright.async_api import Locator, Page

    from .conftest import Artifacts, HomeAssistant, Simulator

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(150)]

DOMAIN = "sigenergy_modbus"
INTEGRATION_NAME = "Sigenergy SigenStor (local Modbus)"
ADVANCED_MODE = AwesomeVersion(ha_version) < AwesomeVersion("2026.10")
"""Whether the frontend has a user "advanced mode" (2026.10 shows everything to admins)."""
DEVICES = ("Sigenergy plant", "Sigenergy inverter 1", "Sigenergy battery 1")
SCAN_PORT = 502
INVERTER_UNIT = 1
DO1 = "switch.sigenergy_inverter_1_dry_contact_do1"


async def read_contacts(sim: Simulator) -> list[bool]:
    """DO1 and DO2 as the simulated inverter has them: coils 0 and 1 of unit 1."""
    client = AsyncModbusTcpClient(sim.host, port=sim.port, timeout=3, retries=1)
    try:
        assert await client.connect(), f"no Modbus connection to {sim.host}:{sim.port}"
        result = await client.read_coils(0, count=2, device_id=INVERTER_UNIT)
        assert not result.isError(), result
        return list(result.bits[:2])
    finally:
        client.close()


async def wait_for_contacts(sim: Simulator, expected: list[bool], timeout: float = 15) -> None:
    """Poll the coils until they are ``expected``."""
    deadline = time.monotonic() + timeout
    while (contacts := await read_contacts(sim)) != expected:
        if time.monotonic() > deadline:
            pytest.fail(f"coils 0-1 of unit {INVERTER_UNIT} are {contacts}, not {expected}")
        await asyncio.sleep(0.2)


def form_field(page: Page, label: str, key: str) -> Locator:
    """A config flow's text field, by its label (2026.2) or, in 2026.10's forms, its name."""
    dialog = page.locator("dialog-data-entry-flow")
    return (
        dialog.get_by_label(label, exact=True)
        .or_(dialog.get_by_role("textbox", name=re.compile(rf"^{label}\*?$")))
        .or_(dialog.get_by_role("spinbutton", name=re.compile(rf"^{label}\*?$")))
        .or_(dialog.locator(f"input[name='{key}']"))
        .first
    )


async def wait_for_state(
    ha: HomeAssistant, entity_id: str, state: str, timeout: float = 15
) -> None:
    """Poll the REST API until an entity has ``state`` (the write's read-back comes last)."""
    deadline = time.monotonic() + timeout
    while (current := ha.request("GET", f"/api/states/{entity_id}")["state"]) != state:
        if time.monotonic() > deadline:
            pytest.fail(f"{entity_id} is {current}, not {state}")
        await asyncio.sleep(0.2)


async def start_adding(page: Page, ha: HomeAssistant, artifacts: Artifacts) -> None:
    """Settings -> Devices & services -> Add integration -> Sigenergy: the flow's menu."""
    await page.goto(f"{ha.url}/config/integrations/dashboard")
    add = page.get_by_role("button", name="Add integration")
    await expect(add).to_be_visible(timeout=60_000)
    await artifacts.screenshot(page, "integrations")
    await add.click()
    # Labelled in 2026.2's frontend, a placeholder in 2026.10's.
    search = page.get_by_label("Search for a brand name").or_(
        page.get_by_placeholder("Search for a brand name")
    )
    await search.first.fill("Sigenergy")
    brand = page.locator("ha-integration-list-item").filter(has_text="Sigenergy")
    await expect(brand).to_have_count(1)
    await artifacts.screenshot(page, "brand-search")
    await brand.click()
    await expect(page.get_by_title("Add a Sigenergy plant")).to_be_visible()
    await expect(page.get_by_text("Search my network")).to_be_visible()
    await expect(page.get_by_text("Enter address")).to_be_visible()
    await artifacts.screenshot(page, "menu")


def devices_created(page: Page) -> Locator:
    """The flow's last step: "Devices created" in 2026.2, "Name and assign" in 2026.10."""
    return page.get_by_title("Devices created").or_(page.get_by_title("Name and assign")).first


async def finish_adding(page: Page, artifacts: Artifacts) -> None:
    """The flow's last step: the devices it created, with area pickers; finish."""
    created = devices_created(page)
    await expect(created).to_be_visible(timeout=60_000)
    dialog = page.locator("dialog-data-entry-flow")
    names = dialog.get_by_label("Device name").or_(
        dialog.get_by_role("textbox", name="Device name")
    )
    await expect(names).to_have_count(4)  # plant, inverter, battery, PV inputs
    values = [await name.input_value() for name in await names.all()]
    assert set(DEVICES) <= set(values), values
    await artifacts.screenshot(page, "devices-created")
    await page.get_by_role("button", name="Skip and finish").click()
    await expect(created).to_be_hidden()


async def open_device_list(page: Page, artifacts: Artifacts) -> None:
    """To the integration's page, then its devices.

    Home Assistant 2026.2 returns to the dashboard after the flow, where the
    integration's card leads on; 2026.10 opens the integration's page itself.
    """
    page_of_integration = re.compile(rf"/config/integrations/integration/{DOMAIN}\b")
    card = page.locator("ha-integration-card").filter(has_text="Sigenergy")
    await expect(card.or_(page.get_by_role("link", name="4 devices")).first).to_be_visible()
    if not page_of_integration.search(page.url):
        await artifacts.screenshot(page, "integration-card")
        await card.get_by_text(INTEGRATION_NAME, exact=True).first.click()
    await expect(page).to_have_url(page_of_integration)
    await expect(page.get_by_role("heading", name=INTEGRATION_NAME, exact=True)).to_be_visible()
    await expect(page.get_by_text("Sigenergy", exact=True).first).to_be_visible()  # the entry
    await artifacts.screenshot(page, "integration")
    await page.get_by_role("link", name="4 devices").click()
    table = page.locator("ha-data-table")
    for device in DEVICES:
        await expect(table.get_by_text(device, exact=True).first).to_be_visible()
    await artifacts.screenshot(page, "device-list")


async def test_enter_address(
    page: Page, home_assistant: HomeAssistant, simulator: Simulator, artifacts: Artifacts
) -> None:
    """Enter address, see the devices, switch DO1 from the UI onto the plant."""
    await start_adding(page, home_assistant, artifacts)
    await page.get_by_text("Enter address").click()
    await expect(page.get_by_title("Enter the plant's address")).to_be_visible()
    await form_field(page, "Host", "host").fill(simulator.host)
    await form_field(page, "Port", "port").fill(str(simulator.port))
    await artifacts.screenshot(page, "address")
    await page.get_by_role("button", name="Submit").click()
    await finish_adding(page, artifacts)
    await open_device_list(page, artifacts)

    table = page.locator("ha-data-table")
    # 2026.10's table names each device in a row header and its parent in a cell.
    header = table.get_by_role("rowheader", name="Sigenergy inverter 1", exact=True)
    if await header.count():
        await header.click()
    else:
        await table.get_by_text("Sigenergy inverter 1", exact=True).click()
    await expect(page.get_by_text("SigenStor EC 12.0 TP")).to_be_visible()
    do1 = page.locator("hui-toggle-entity-row").filter(has_text="Dry contact DO1")
    toggle = do1.get_by_role("switch")
    await expect(toggle).not_to_be_checked()
    assert await read_contacts(simulator) == [False, False]
    await artifacts.screenshot(page, "inverter")

    await toggle.click(force=True)  # 2026.10: the switch's own thumb "intercepts" the click
    await wait_for_contacts(simulator, [True, False])
    await expect(toggle).to_be_checked()
    await wait_for_state(home_assistant, DO1, "on")
    await artifacts.screenshot(page, "do1-on")

    await toggle.click(force=True)  # 2026.10: the switch's own thumb "intercepts" the click
    await wait_for_contacts(simulator, [False, False])
    await expect(toggle).not_to_be_checked()
    await wait_for_state(home_assistant, DO1, "off")
    await artifacts.screenshot(page, "do1-off")
    assert_clean_log(home_assistant)


OURS = ("sigenergy_modbus", "pymodbus")


def assert_clean_log(home_assistant: HomeAssistant) -> None:
    """Home Assistant reported nothing about the integration: no frame warning, no traceback.

    Other integrations may fail to set up here (their packages are not
    installed): only records that name ours count.
    """
    log = home_assistant.process.output()
    assert "custom integration 'sigenergy_modbus' calls" not in log, log
    records = re.split(r"\n(?=\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)", log)
    bad = [r for r in records if "Traceback" in r and any(name in r for name in OURS)]
    assert bad == [], "\n".join(bad)


def _adapters_saved(frame: str | bytes) -> bool:
    """Home Assistant's answer to network/configure with the loopback adapter in it."""
    try:
        data = json.loads(frame)
    except ValueError:
        return False
    for message in data if isinstance(data, list) else [data]:
        result = message.get("result") if isinstance(message, dict) else None
        if isinstance(result, dict) and "lo" in result.get("configured_adapters", []):
            return True
    return False


def _port_free(port: int) -> str | None:
    """None when 127.0.0.1:port can be bound here, else why not."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError as err:
            return str(err)
    return None


async def test_search_my_network(
    page: Page,
    home_assistant: HomeAssistant,
    start_simulator: Callable[..., Simulator],
    artifacts: Artifacts,
) -> None:
    """Search my network finds the plant on port 502 of an enabled adapter."""
    if (why := _port_free(SCAN_PORT)) is not None:
        pytest.fail(
            f"The network search probes port {SCAN_PORT}, so the simulator must listen "
            f"there, and 127.0.0.1:{SCAN_PORT} cannot be bound ({why}). Run as root, or "
            "allow it: sudo sysctl net.ipv4.ip_unprivileged_port_start=502",
            pytrace=False,
        )
    simulator = start_simulator(SCAN_PORT)

    # Enable the loopback network adapter (before 2026.10 only advanced mode shows them).
    if ADVANCED_MODE:
        await page.goto(f"{home_assistant.url}/profile/general")
        advanced = page.locator("ha-settings-row").filter(has_text="Advanced mode")
        await advanced.get_by_role("switch").click()
        await expect(advanced.get_by_role("switch")).to_be_checked()
    async with page.expect_websocket() as connection:
        await page.goto(f"{home_assistant.url}/config/network")
    websocket = await connection.value
    adapters = page.locator("ha-card").filter(has_text="Network adapter")
    rows = adapters.locator("ha-settings-row")
    # 2026.2 puts each checkbox in a settings row; 2026.10 names the checkbox itself.
    auto = (
        rows.filter(has_text="Autoconfigure")
        .get_by_role("checkbox")
        .or_(adapters.get_by_role("checkbox", name=re.compile(r"^Autoconfigure")))
        .first
    )
    await expect(auto).to_be_checked()
    await auto.click(force=True)  # 2026.10: the box's own check icon "intercepts" clicks
    loopback = (
        rows.filter(has_text="Adapter: lo")
        .get_by_role("checkbox")
        .or_(adapters.get_by_role("checkbox", name=re.compile(r"^(Adapter: )?lo\b")))
        .first
    )
    await loopback.click(force=True)
    await expect(loopback).to_be_checked()
    save = adapters.get_by_role("button", name="Save")
    await save.scroll_into_view_if_needed()
    await artifacts.screenshot(page, "network-adapters")
    async with websocket.expect_event("framereceived", _adapters_saved):
        await save.click()
    await page.reload()
    await expect(loopback).to_be_checked()

    await start_adding(page, home_assistant, artifacts)
    await page.get_by_text("Search my network").click()
    await expect(page.get_by_title("Sigenergy plants found")).to_be_visible(timeout=60_000)
    plant = page.get_by_text(f"· {simulator.host}")
    await expect(plant).to_have_count(1)
    label = await plant.text_content()
    assert label is not None
    assert label.strip().startswith("SigenStor EC 12.0 TP · "), label
    await plant.click()
    await artifacts.screenshot(page, "plants-found")
    await page.get_by_role("button", name="Submit").click()
    await finish_adding(page, artifacts)
    await open_device_list(page, artifacts)

    # Searching again finds only the plant just added: the search says so, naming it.
    await start_adding(page, home_assistant, artifacts)
    await page.get_by_text("Search my network").click()
    found = page.get_by_text("The search found only plants you have set up already")
    await expect(found).to_be_visible(timeout=60_000)
    await expect(found).to_contain_text(f"· {simulator.host}")
    await artifacts.screenshot(page, "search-found-only-configured")
    assert_clean_log(home_assistant)
