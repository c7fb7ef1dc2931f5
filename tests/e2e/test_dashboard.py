"""The ready dashboard (dashboards/sigenergy.yaml) in a real browser.

Home Assistant and the simulated plant run as processes; the plant is added,
the Energy dashboard configured as the README says (the power flow card
draws from it), and the dashboard file saved as a storage-mode dashboard
through the frontend's own websocket calls, as the raw configuration editor
saves it. Chromium opens it: every card of the file renders, none as an
error, none with a missing entity. Then the owner presses "Hold 1 h",
confirms, sees the running action with its end time, and releases it.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import pytest
import yaml
from playwright.async_api import expect

from tests.integration.test_energy_dashboard import README_PREFS

from .test_browser_setup import assert_clean_log
from .test_energy_dashboard import add_plant

if TYPE_CHECKING:
    from playwright.async_api import Page

    from .conftest import Artifacts, HomeAssistant, Simulator

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(180)]

DASHBOARD: dict[str, Any] = yaml.safe_load(
    (Path(__file__).parents[2] / "dashboards" / "sigenergy.yaml").read_text(encoding="utf-8")
)
URL_PATH = "sigenergy-plant"
ACTION = "sensor.sigenergy_plant_control_action"
ACTION_END = "sensor.sigenergy_plant_control_action_end"


@pytest.fixture
def ha_configuration() -> str:
    """The Energy dashboard (and the recorder it needs), as config/configuration.yaml has it."""
    return "energy:\n"


def card_types(node: object) -> Counter[str]:
    """How many cards of each type the file has (inner cards too), by type."""
    found: Counter[str] = Counter()
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "cards":
                found.update(card["type"] for card in value)
            elif key == "card":
                found[value["type"]] += 1
            found += card_types(value)
    elif isinstance(node, list):
        for value in node:
            found += card_types(value)
    return found


async def call_ws(page: Page, message: dict[str, Any]) -> Any:
    """A websocket command through the frontend's own connection."""
    return await page.evaluate(
        "(message) => document.querySelector('home-assistant').hass.callWS(message)", message
    )


async def wait_for_action(ha: HomeAssistant, wanted: str, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while (state := ha.request("GET", f"/api/states/{ACTION}")["state"]) != wanted:
        if time.monotonic() > deadline:
            pytest.fail(f"{ACTION} is {state}, not {wanted}", pytrace=False)
        await asyncio.sleep(0.25)


async def test_every_card_renders_and_a_button_holds_the_battery(
    page: Page, home_assistant: HomeAssistant, simulator: Simulator, artifacts: Artifacts
) -> None:
    add_plant(home_assistant, simulator)
    await page.goto(home_assistant.url)
    await page.wait_for_function(
        "() => document.querySelector('home-assistant')?.hass?.connected === true",
        timeout=60_000,
    )
    await call_ws(page, {"type": "energy/save_prefs", **README_PREFS})
    await call_ws(
        page,
        {
            "type": "lovelace/dashboards/create",
            "url_path": URL_PATH,
            "title": "Sigenergy",
            "icon": "mdi:home-battery",
            "mode": "storage",
            "show_in_sidebar": True,
            "require_admin": False,
        },
    )
    await call_ws(page, {"type": "lovelace/config/save", "url_path": URL_PATH, "config": DASHBOARD})

    await page.goto(f"{home_assistant.url}/{URL_PATH}/plant")
    # Every card the file has is there, as the frontend's element of its type; the
    # conditional cards' own card only while its condition holds (no action runs).
    expected = card_types(DASHBOARD)
    assert expected["conditional"] == 2
    expected["conditional"] -= 1  # "Running now" is hidden while no action runs,
    expected["entities"] -= 1  # and so is its card
    for card_type, count in expected.items():
        await expect(page.locator(f"hui-{card_type}-card:visible")).to_have_count(
            count, timeout=60_000 if card_type == "heading" else 15_000
        )
    # Nothing failed: no error card, no warning (a missing entity is one), no
    # "entity not available"; the power flow has the plant's powers to draw.
    await expect(page.locator("hui-power-sankey-card ha-sankey-chart")).to_be_visible()
    await expect(page.locator("hui-error-card")).to_have_count(0)
    await expect(page.locator("hui-warning")).to_have_count(0)
    await expect(page.get_by_text("not available", exact=False)).to_have_count(0)
    await expect(page.get_by_text("No active alarms.")).to_be_visible()
    await expect(page.get_by_text("No control action")).to_be_visible()
    # The glance of the PV strings: the simulated inverter's three, string 4 left out.
    strings = page.locator("hui-entity-filter-card hui-glance-card .entity")
    await expect(strings).to_have_count(9)
    await artifacts.screenshot(page, "dashboard")

    await page.locator("hui-button-card").filter(has_text="Hold 1 h").click()
    await expect(
        page.get_by_text("Hold the battery (neither charge nor discharge) for 1 hour?")
    ).to_be_visible()
    await page.get_by_role("button", name="Hold", exact=True).click()
    await wait_for_action(home_assistant, "hold")
    running = page.locator("hui-entities-card").filter(has_text="Running now")
    await expect(running).to_be_visible()
    await expect(running).to_contain_text("Hold")
    # Its end, as Home Assistant has it, at the owner's clock (Europe/Berlin, en-US).
    end = datetime.fromisoformat(
        home_assistant.request("GET", f"/api/states/{ACTION_END}")["state"]
    )
    end = end.astimezone(ZoneInfo("Europe/Berlin"))
    await expect(running).to_contain_text("Ends")
    await expect(running).to_contain_text(f"{end.hour % 12 or 12}:{end.minute:02d}")
    await expect(page.get_by_text("No control action")).to_be_hidden()
    await expect(page.locator("hui-warning")).to_have_count(0)
    await artifacts.screenshot(page, "hold-running")

    await page.locator("hui-button-card").filter(has_text="Release now").click()
    await page.get_by_role("button", name="Release", exact=True).click()
    await wait_for_action(home_assistant, "none")
    await expect(page.get_by_text("No control action")).to_be_visible()
    await expect(running).to_be_hidden()
    await artifacts.screenshot(page, "released")
    assert_clean_log(home_assistant)
