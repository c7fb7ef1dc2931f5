"""dashboards/sigenergy.yaml against the integration and the simulated plant.

The browser test (tests/e2e/test_dashboard.py) sees every card render; this
one checks what a browser would not tell: that every entity the dashboard
names is one the integration makes, enabled by default, that its buttons'
actions do what their confirmation says, and that the alarm list names the
alarms the plant raises.
"""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import yaml
from homeassistant.const import Platform
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.template import Template
from homeassistant.util import dt as dt_util

from custom_components.sigenergy_modbus import control
from tests.integration.control_helpers import ACTION, ACTION_END, plant_writes, run, set_soc

if TYPE_CHECKING:
    from collections.abc import Iterator

    from freezegun.api import FrozenDateTimeFactory
    from homeassistant.core import HomeAssistant
    from pytest_homeassistant_custom_component.common import MockConfigEntry

    from simulator import PlantSimulator

DASHBOARDS = Path(__file__).parents[2] / "dashboards"
DASHBOARD = yaml.safe_load((DASHBOARDS / "sigenergy.yaml").read_text(encoding="utf-8"))
TRANSLATED = {
    language: yaml.safe_load(
        (DASHBOARDS / f"sigenergy.{language}.yaml").read_text(encoding="utf-8")
    )
    for language in ("de", "nl")
}
"""The same dashboard in German and Dutch."""

TEXTS = {"name", "title", "heading", "text", "confirm_text", "content"}
"""The keys whose values are words for the owner: they differ between the languages."""

BUILT_IN_CARDS = {
    "button",
    "conditional",
    "energy-distribution",
    "entities",
    "entity-filter",
    "gauge",
    "glance",
    "heading",
    "history-graph",
    "markdown",
    "power-sankey",
    "tile",
}
"""The card types the dashboard uses: all Home Assistant's own (no "custom:")."""

ABSENT_STRINGS = {
    f"sensor.sigenergy_pv_inputs_1_string_4_{what}" for what in ("power", "voltage", "current")
}
"""PV string 4: the simulated 12 kW inverter has 3; the entity filter leaves it out."""


def cards(node: object) -> Iterator[dict[str, Any]]:
    """Every card of the dashboard, the ones inside other cards too."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "cards":
                yield from value
            elif key == "card":
                yield value
            yield from cards(value)
    elif isinstance(node, list):
        for value in node:
            yield from cards(value)


def entity_ids(node: object) -> set[str]:
    """Every entity id the dashboard names: entity, entities, targets, conditions."""
    found: set[str] = set()
    if isinstance(node, dict):
        for key, value in node.items():
            if key in {"entity", "entity_id"} and isinstance(value, str):
                found.add(value)
            else:
                found |= entity_ids(value)
    elif isinstance(node, list):
        for value in node:
            found |= {value} if isinstance(value, str) and "." in value else entity_ids(value)
    return found


def buttons(dashboard: dict[str, Any] = DASHBOARD) -> dict[str, dict[str, Any]]:
    """The control buttons' tap actions, by the button's name."""
    return {
        card["name"]: card["tap_action"] for card in cards(dashboard) if card["type"] == "button"
    }


def same_but_words(english: object, translated: object, path: str = "") -> None:
    """The two dashboards differ in their words only; the markdown's template is the same."""
    assert type(english) is type(translated), path
    if isinstance(english, dict):
        assert isinstance(translated, dict)
        assert set(english) == set(translated), path
        for key, value in english.items():
            if key == "content":
                tags = re.compile(r"{[{%].*?[}%]}", re.DOTALL)
                assert tags.findall(value) == tags.findall(translated[key]), path
            elif key not in TEXTS:
                same_but_words(value, translated[key], f"{path}.{key}")
    elif isinstance(english, list):
        assert isinstance(translated, list)
        assert len(english) == len(translated), path
        for index, (one, other) in enumerate(zip(english, translated, strict=True)):
            same_but_words(one, other, f"{path}[{index}]")
    else:
        assert english == translated, path


@pytest.fixture
def platforms() -> list[Platform]:
    """What the dashboard shows: sensors and binary sensors."""
    return [Platform.BINARY_SENSOR, Platform.SENSOR]


@pytest.fixture(autouse=True)
def _no_pacing(monkeypatch: pytest.MonkeyPatch) -> None:
    """The frozen clock would hold the 1 s pacing for ever; test_control_pacing checks it."""
    monkeypatch.setattr(control, "WRITE_INTERVAL", 0.0)


@pytest.mark.parametrize("language", sorted(TRANSLATED))
def test_translations_are_the_same_dashboard(language: str) -> None:
    """German and Dutch: the same cards, entities and actions, in their words."""
    translated = TRANSLATED[language]
    same_but_words(DASHBOARD, translated)
    for english, other in zip(cards(DASHBOARD), cards(translated), strict=True):
        for key in {"text", "confirm_text", "content"} & set(english):
            assert english[key] != other[key], (language, english[key])
        tap = other.get("tap_action", {})
        if "confirmation" in tap:  # the words say what the button does, number for number
            assert english["tap_action"]["confirmation"]["text"] != tap["confirmation"]["text"]
            assert numbers(tap["confirmation"]["text"]) == numbers(
                english["tap_action"]["confirmation"]["text"]
            )


def numbers(text: str) -> list[str]:
    return sorted(re.findall(r"\d+", text))


@pytest.mark.parametrize("dashboard", [DASHBOARD, *TRANSLATED.values()], ids=["en", *TRANSLATED])
def test_confirmations_say_what_the_buttons_do(dashboard: dict[str, Any]) -> None:
    """Each button's question names its power, state of charge and hours."""
    for name, tap in buttons(dashboard).items():
        data = tap.get("data", {})
        said = [
            data.get("power"),
            data.get("target_soc", data.get("floor_soc")),
            data.get("duration", {}).get("hours"),
        ]
        assert numbers(tap["confirmation"]["text"]) == sorted(str(n) for n in said if n), name
        assert tap["confirmation"]["confirm_text"], name


def test_only_built_in_cards() -> None:
    types = {card["type"] for card in cards(DASHBOARD)}
    assert types == BUILT_IN_CARDS
    assert DASHBOARD["views"][0]["type"] == "sections"


async def test_every_entity_exists_enabled_by_default(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """The owner enables nothing for it; only the filtered-out PV string 4 is absent."""
    named = entity_ids(DASHBOARD)
    assert len(named) >= 30
    missing = {entity_id for entity_id in named if hass.states.get(entity_id) is None}
    assert missing == ABSENT_STRINGS
    registry = er.async_get(hass)
    for entity_id in named - ABSENT_STRINGS:
        entry = registry.async_get(entity_id)
        assert entry is not None, entity_id
        assert entry.config_entry_id == init_integration.entry_id, entity_id
        assert entry.disabled_by is None, entity_id


@pytest.mark.parametrize(
    ("button", "action", "writes"),
    [
        ("Charge 1 h", "force_charge", [(40032, [0, 3000]), (40031, [3]), (40029, [1])]),
        ("Discharge 1 h", "force_discharge", [(40034, [0, 3000]), (40031, [6]), (40029, [1])]),
        ("Hold 1 h", "hold", [(40032, [0, 0]), (40031, [4]), (40029, [1])]),
        ("Hold 4 h", "hold", [(40032, [0, 0]), (40031, [4]), (40029, [1])]),
    ],
)
async def test_buttons_start_what_they_say(  # noqa: PLR0917 - fixtures and parameters
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulator: PlantSimulator,
    freezer: FrozenDateTimeFactory,
    button: str,
    action: str,
    writes: list[tuple[int, list[int]]],
) -> None:
    """Each button's action, called as the frontend calls it; Release ends it."""
    set_soc(simulator, 50.0)
    await run(hass, freezer, simulator, 5)
    tap = buttons()[button]
    assert tap["action"] == "perform-action"
    assert tap["confirmation"]["text"]
    domain, service = tap["perform_action"].split(".")
    assert domain == "sigenergy_modbus"
    assert service == action
    await hass.services.async_call(
        domain, service, tap.get("data", {}), target=tap["target"], blocking=True
    )
    await hass.async_block_till_done()
    assert plant_writes(simulator) == writes
    assert hass.states.get(ACTION).state == action
    end = dt_util.parse_datetime(hass.states.get(ACTION_END).state)
    assert end is not None
    hours = tap["data"]["duration"]["hours"]
    assert abs(end - dt_util.utcnow() - timedelta(hours=hours)) < timedelta(seconds=5)
    release = buttons()["Release now"]
    domain, service = release["perform_action"].split(".")
    await hass.services.async_call(domain, service, target=release["target"], blocking=True)
    await hass.async_block_till_done()
    assert hass.states.get(ACTION).state == "none"
    assert simulator.value(247, "remote_ems_enable") == 0


async def test_running_action_is_shown_with_its_end(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """The conditional cards watch the entity that shows the running action and its end."""
    conditionals = [card for card in cards(DASHBOARD) if card["type"] == "conditional"]
    assert {c["conditions"][0]["entity"] for c in conditionals} == {ACTION}
    running = next(c for c in conditionals if c["conditions"][0].get("state_not") == "none")
    rows = [row["entity"] for row in running["card"]["entities"]]
    assert rows == [ACTION, ACTION_END]
    assert hass.states.get(ACTION_END).attributes["device_class"] == "timestamp"


async def test_alarm_list_names_the_plants_alarms(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulator: PlantSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """ "No active alarms" while there are none; an AC fault by its names when it comes."""
    (markdown,) = [c for c in cards(DASHBOARD) if c.get("title") == "Active alarms"]

    def shown() -> str:
        return str(Template(markdown["content"], hass).async_render(parse_result=False)).strip()

    assert shown() == "No active alarms."
    simulator.set_scenario("ac-fault")
    await run(hass, freezer, simulator, 60, step=5)
    text = shown()
    assert "No active alarms" not in text
    alarms = [
        state
        for state in hass.states.async_all("sensor")
        if state.entity_id.startswith("sensor.sigenergy_")
        and "_alarm_" in state.entity_id
        and state.state != "ok"
    ]
    assert alarms
    for state in alarms:
        assert f"- **{state.name}**: {state.state}" in text
    simulator.set_scenario("battery-fault")
    await run(hass, freezer, simulator, 60, step=5)
    assert "- **Sigenergy battery 1 Fault**: on" in shown()
