"""A German owner sees no English string of ours, in a real browser.

Home Assistant's language and the owner's profile language are set to German
(as Settings → System → General and the profile page do, over the websocket
API), then a plant whose firmware has no dry contacts (so that a repair issue
is raised) is added. The browser walks what an owner reads: the setup dialog's
menu and address form, the integration's page, every device page with its
entities and their states, the forms of the actions, and the repair issue.
Every text on those pages (shadow DOM included) is compared with the English
strings of translations/en.json that German words differently: none may
appear. Each page must also show German strings of ours, so that a page that
did not load cannot pass.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import aiohttp
import pytest
from homeassistant.const import MAJOR_VERSION, MINOR_VERSION
from playwright.async_api import expect

from .test_browser_setup import assert_clean_log
from .test_energy_dashboard import add_plant

if TYPE_CHECKING:
    from collections.abc import Callable

    from playwright.async_api import Page

    from .conftest import Artifacts, HomeAssistant, Simulator

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(180)]

TRANSLATIONS = Path(__file__).parents[2] / "custom_components" / "sigenergy_modbus" / "translations"
PLACEHOLDER = re.compile(r"\{\w+\}")
# The forms of two actions show every field there is (power, duration, target and
# floor state of charge); each form is a page load, and hold and release have
# nothing else (test_translations.py checks every string of theirs).
ACTIONS = ("force_charge", "force_discharge")
# Where the frontend's action form is (developer tools moved under Settings in 2026.10).
ACTION_FORM = (
    "/config/tools/action"
    if (MAJOR_VERSION, MINOR_VERSION) >= (2026, 10)
    else "/config/developer-tools/action"
)

# Every text node of the page, shadow roots included, as the owner can read it.
TEXTS = """() => {
  const out = [];
  const walk = (node) => {
    if (node.nodeType === Node.TEXT_NODE) {
      const text = node.textContent.trim();
      if (text) out.push(text);
      return;
    }
    if (node.shadowRoot) walk(node.shadowRoot);
    for (const child of node.childNodes) walk(child);
  };
  walk(document.body);
  return out;
}"""


def _leaves(tree: dict[str, Any], prefix: str = "") -> dict[str, str]:
    leaves: dict[str, str] = {}
    for key, value in tree.items():
        path = f"{prefix}.{key}" if prefix else key
        if isinstance(value, dict):
            leaves |= _leaves(value, path)
        else:
            leaves[path] = value
    return leaves


def _load(language: str) -> dict[str, str]:
    return _leaves(json.loads((TRANSLATIONS / f"{language}.json").read_text(encoding="utf-8")))


# What a placeholder stands for on these pages: {name} is the entry's title (the
# plant's name in device names); any other, any text.
FILLED = {"{name}": re.escape("Sigenergy")}


def _pattern(text: str) -> re.Pattern[str]:
    """A string as it shows on a page: its placeholders filled in."""
    pieces = [
        FILLED.get(piece, r".+?") if PLACEHOLDER.fullmatch(piece) else re.escape(piece)
        for piece in re.split(r"(\{\w+\})", text)
    ]
    return re.compile(r"(?<!\w)" + "".join(pieces) + r"(?!\w)")


ENGLISH = _load("en")
GERMAN = _load("de")
# English strings German words differently, paragraph by paragraph (a repair's
# description is rendered a paragraph an element); not those that are only
# placeholders and a few letters.
LEAKS = {
    (path, paragraph): _pattern(paragraph)
    for path, text in ENGLISH.items()
    if GERMAN.get(path) != text  # a key German lacks shows in English
    for paragraph in text.split("\n\n")
    if len(re.sub(r"[^A-Za-z]", "", PLACEHOLDER.sub("", paragraph))) >= 4
}


async def page_texts(page: Page) -> list[str]:
    """Every text of the page now."""
    texts: list[str] = await page.evaluate(TEXTS)
    return texts


async def assert_no_english(page: Page, artifacts: Artifacts, step: str, *german: str) -> None:
    """The page shows these German strings of ours, and no English one."""
    for text in german:
        await expect(page.get_by_text(text).first).to_be_visible()
    await artifacts.screenshot(page, step)
    texts = await page_texts(page)
    leaks = sorted(
        {
            f"{path}: {text!r}"
            for (path, _), pattern in LEAKS.items()
            for text in texts
            if pattern.search(text)
        }
    )
    assert leaks == [], f"{step}: English strings of ours on a German page"


async def navigate(page: Page, path: str) -> None:
    """Go to a page of the frontend as its own links do, without loading it anew."""
    await page.evaluate(
        """(path) => {
          history.pushState(null, "", path);
          window.dispatchEvent(new CustomEvent("location-changed", {detail: {replace: false}}));
        }""",
        path,
    )


async def set_german(ha: HomeAssistant) -> None:
    """Home Assistant's language and the owner's, German, over the websocket API."""
    async with (
        aiohttp.ClientSession() as session,
        session.ws_connect(f"{ha.url}/api/websocket") as ws,
    ):
        assert (await ws.receive_json())["type"] == "auth_required"
        await ws.send_json({"type": "auth", "access_token": ha.tokens["access_token"]})
        assert (await ws.receive_json())["type"] == "auth_ok"
        locale = {
            "language": "de",
            "number_format": "language",
            "time_format": "language",
            "date_format": "language",
            "time_zone": "local",
            "first_weekday": "language",
        }
        calls = [
            {"type": "config/core/update", "language": "de"},
            {"type": "frontend/set_user_data", "key": "language", "value": locale},
        ]
        for number, call in enumerate(calls, start=1):
            await ws.send_json({"id": number, **call})
            answer = await ws.receive_json()
            assert answer["success"], answer


def device_ids(ha: HomeAssistant) -> list[str]:
    """The integration's devices, through a template (there is no REST API for them)."""
    template = (
        "{{ integration_entities('sigenergy_modbus') | map('device_id')"
        " | reject('none') | unique | list | tojson }}"
    )
    ids: list[str] = ha.request("POST", "/api/template", {"template": template})
    return ids


@pytest.fixture
def plant(start_simulator: Callable[..., Simulator]) -> Simulator:
    """A plant whose firmware has no coils: no dry contacts, so a repair issue says so.

    Started before Home Assistant (the test asks for it first), as the other tests' are.
    """
    return start_simulator(None, "--firmware", "spc116")


async def test_german_owner_sees_no_english(
    plant: Simulator, page: Page, home_assistant: HomeAssistant, artifacts: Artifacts
) -> None:
    """Setup dialog, integration, devices, actions and repair: German strings, no English."""
    ha = home_assistant
    await set_german(ha)

    # The setup dialog: its menu, then the address form.
    await page.goto(f"{ha.url}/config/integrations/dashboard/add?domain=sigenergy_modbus")
    await page.get_by_role("button", name="OK").click()  # "Möchtest du … einrichten?"
    await assert_no_english(
        page, artifacts, "menu", "Sigenergy-Anlage hinzufügen", "Adresse eingeben"
    )
    await page.get_by_text("Adresse eingeben", exact=True).click()
    await assert_no_english(page, artifacts, "address", "Adresse der Anlage eingeben")
    # Closed: the plant is added over REST, which is faster.
    dialog = page.locator("dialog-data-entry-flow")
    await dialog.get_by_role("button", name="Schließen").first.click()
    await expect(page.get_by_text("Adresse der Anlage eingeben").first).to_be_hidden()

    add_plant(ha, plant)
    await navigate(page, "/config/integrations/integration/sigenergy_modbus")
    await assert_no_english(page, artifacts, "integration", "Sigenergy Anlage")

    # Each device page, by the German name of its device and one of its entities.
    pages = {
        "Sigenergy Anlage": "PV-Leistung",
        "Sigenergy Wechselrichter 1": "Betriebszustand",
        "Sigenergy Batterie 1": "Ladezustand",
        "Sigenergy PV-Eingänge 1": "Spannung String 1",
    }
    devices = device_ids(ha)
    assert len(devices) == len(pages), devices
    seen = set()
    for number, device in enumerate(devices):
        await navigate(page, f"/config/devices/device/{device}")
        heading = page.get_by_text(re.compile("^(" + "|".join(pages) + ")$")).first
        await expect(heading).to_be_visible()
        name = (await heading.text_content() or "").strip()
        seen.add(name)
        await assert_no_english(page, artifacts, f"device-{number}", pages[name])
    assert seen == set(pages)

    for action in ACTIONS:
        # Loaded anew: the form takes ?service= only when it starts.
        await page.goto(f"{ha.url}{ACTION_FORM}?service=sigenergy_modbus.{action}")
        name = GERMAN[f"services.{action}.name"]
        await assert_no_english(page, artifacts, f"action-{action}", name)

    await navigate(page, "/config/repairs")
    title = GERMAN["issues.no_dry_contacts.title"].replace("{unit_id}", "1")
    await assert_no_english(page, artifacts, "repairs", title)
    await page.get_by_text(title, exact=True).click()
    await assert_no_english(page, artifacts, "repair", "Du kannst diese Meldung ignorieren")
    assert_clean_log(ha)
