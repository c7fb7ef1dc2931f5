"""The Energy dashboard's battery configuration, in a real browser, as the README says.

The owner opens Settings → Dashboards → Energy → Add battery system, picks
the plant's charge and discharge energy, the power sensor type "Standard"
(which the dialog itself explains as "positive values indicate discharging
the battery") and finds "Battery power (discharging positive)" among the
power sensors; the saved configuration uses it as it is. The simulated plant
is then made to discharge (through the simulator's control interface) and
the sensor reads positive, as the dashboard wants it.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
import urllib.request
from typing import TYPE_CHECKING, Any

import pytest
from homeassistant.const import MAJOR_VERSION, MINOR_VERSION
from playwright.async_api import expect

if TYPE_CHECKING:
    from playwright.async_api import Locator, Page

    from .conftest import Artifacts, HomeAssistant, Simulator

from .test_browser_setup import assert_clean_log

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(180)]

P = "sensor.sigenergy_plant_"
BATTERY_POWER = f"{P}battery_power_discharging_positive"
PLANT = "Sigenergy plant"
# Home Assistant 2026.10's battery dialog asks for the discharged energy
# first, and for a state-of-charge sensor too.
DIALOG_2026_10 = (MAJOR_VERSION, MINOR_VERSION) >= (2026, 10)


@pytest.fixture
def ha_configuration() -> str:
    """The Energy dashboard (and the recorder it needs), as config/configuration.yaml has it."""
    return "energy:\n"


def add_plant(ha: HomeAssistant, sim: Simulator) -> None:
    """Add the simulated plant through the config flow's REST API (the browser test of that
    is test_browser_setup.py)."""
    flow = ha.request("POST", "/api/config/config_entries/flow", {"handler": "sigenergy_modbus"})
    path = f"/api/config/config_entries/flow/{flow['flow_id']}"
    ha.request("POST", path, {"next_step_id": "manual"})
    step = ha.request("POST", path, {"host": sim.host, "port": sim.port})
    # Identification is a progress step. When it ends Home Assistant moves the
    # flow to "progress done", and the frontend fetches the flow, which runs its
    # next step: so does this.
    deadline = time.monotonic() + 60
    while step["type"] == "progress" and time.monotonic() < deadline:
        time.sleep(0.25)
        step = ha.request("GET", path)
    assert step["type"] == "create_entry", step
    assert step["result"]["state"] == "loaded", step


def control_url(sim: Simulator) -> str:
    """The simulator's control interface, from its start lines."""
    match = re.search(r"Control: (http://127\.0\.0\.1:\d+)", sim.process.output())
    assert match, sim.process.output()
    return match[1]


def post(url: str, body: object) -> dict[str, Any]:
    request = urllib.request.Request(  # noqa: S310 - http://127.0.0.1 only
        url, data=json.dumps(body).encode(), method="POST"
    )
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
        answer: dict[str, Any] = json.loads(response.read())
    return answer


async def search(page: Page, picker: Locator, text: str) -> None:
    """Open a statistic picker and search for ``text`` (in its search field: typed
    anywhere else, letters are the frontend's keyboard shortcuts)."""
    await picker.click()
    # 2026.10's search field has a placeholder, 2026.2's a label.
    field = page.get_by_placeholder("Search", exact=True).or_(
        page.get_by_label("Search", exact=True)
    )
    await field.first.fill(text)


def option(page: Page, name: str, device: str = PLANT) -> Locator:
    """The picker's entry for ``device``'s entity called ``name``."""
    return (
        page.locator("ha-combo-box-item")  # the frontend's picker entry
        .filter(has=page.get_by_text(name, exact=True))
        .filter(has=page.get_by_text(device, exact=True))
    )


async def pick(page: Page, picker: Locator, name: str) -> None:
    """Choose the plant's entity called ``name`` in a statistic picker."""
    await search(page, picker, name)
    await option(page, name).click()
    await expect(picker).to_contain_text(name)


async def wait_for_state(
    ha: HomeAssistant, entity_id: str, wanted: float, timeout: float = 30
) -> None:
    deadline = time.monotonic() + timeout
    while True:
        state = ha.request("GET", f"/api/states/{entity_id}")["state"]
        if state not in ("unknown", "unavailable") and float(state) == wanted:
            return
        if time.monotonic() > deadline:
            pytest.fail(f"{entity_id} is {state}, not {wanted}", pytrace=False)
        await asyncio.sleep(0.5)


async def test_battery_power_in_the_energy_dashboard(
    page: Page, home_assistant: HomeAssistant, simulator: Simulator, artifacts: Artifacts
) -> None:
    """The battery dialog picks up "Battery power (discharging positive)" as a standard sensor."""
    add_plant(home_assistant, simulator)
    await page.goto(f"{home_assistant.url}/config/energy")
    add = page.get_by_role("button", name="Add battery system")
    await expect(add).to_be_visible(timeout=60_000)
    await artifacts.screenshot(page, "energy-configuration")
    await add.click()
    dialog = page.locator("dialog-energy-battery-settings")  # the frontend's battery dialog
    await expect(dialog.get_by_text("Configure battery system")).to_be_visible()
    pickers = dialog.locator("ha-statistic-picker")
    # 2026.10 asks for the energy discharged from the battery first, 2026.2
    # for the energy charged into it.
    energy = ("Battery discharge energy", "Battery charge energy")
    for index, name in enumerate(energy if DIALOG_2026_10 else energy[::-1]):
        await pick(page, pickers.nth(index), name)
    soc = dialog.get_by_text("Battery state of charge sensor")
    if DIALOG_2026_10:
        await expect(pickers).to_have_count(3)  # the power sensor's comes with its type
        await pick(page, pickers.nth(2), "Battery state of charge")
    else:
        await expect(soc).to_have_count(0)

    await dialog.get_by_role("radio", name="Standard").click()
    await expect(
        dialog.get_by_text("Positive values indicate discharging the battery")
    ).to_be_visible()
    # The power sensor's picker appears with "Standard": 2026.10 marks it required.
    power = dialog.locator("ha-statistic-picker[required]") if DIALOG_2026_10 else pickers.nth(2)
    await search(page, power, "battery power")
    # The plant's two battery power sensors are offered; the owner takes the one
    # named for the dashboard's sign. (Each battery's own is disabled by default.)
    await expect(option(page, "Battery power")).to_be_visible()
    await expect(option(page, "Battery power (discharging positive)")).to_be_visible()
    await artifacts.screenshot(page, "battery-power-choices")
    await option(page, "Battery power (discharging positive)").click()
    await expect(power).to_contain_text("Battery power (discharging positive)")
    await artifacts.screenshot(page, "battery-dialog")
    await dialog.get_by_role("button", name="Save").click()
    await expect(dialog.get_by_text("Configure battery system")).to_be_hidden()
    card = page.locator("ha-card").filter(has_text="Home battery storage")
    await expect(card.get_by_text(f"{PLANT} Battery discharge energy")).to_be_visible()
    await artifacts.screenshot(page, "battery-saved")

    prefs = await page.evaluate(
        "() => document.querySelector('home-assistant').hass.callWS({type: 'energy/get_prefs'})"
    )
    (battery,) = [s for s in prefs["energy_sources"] if s["type"] == "battery"]
    assert battery["stat_energy_to"] == f"{P}battery_charge_energy"
    assert battery["stat_energy_from"] == f"{P}battery_discharge_energy"
    assert battery["power_config"] == {"stat_rate": BATTERY_POWER}
    assert battery["stat_rate"] == BATTERY_POWER  # standard: the sensor itself, no inverted copy
    if DIALOG_2026_10:
        assert battery["stat_soc"] == f"{P}battery_state_of_charge"

    # The plant discharges 2.5 kW (the protocol's sign: negative): the dashboard's
    # sensor reads +2.5, the plain Battery power -2.5.
    url = control_url(simulator)
    post(f"{url}/value", {"unit": 247, "key": "plant_ess_power", "value": -2.5})
    await wait_for_state(home_assistant, BATTERY_POWER, 2.5)
    await wait_for_state(home_assistant, f"{P}battery_power", -2.5)
    post(f"{url}/value", {"unit": 247, "key": "plant_ess_power", "value": 3.0})
    await wait_for_state(home_assistant, BATTERY_POWER, -3.0)
    assert_clean_log(home_assistant)
