"""Every entity has an icon: from its device class, or from icons.json.

Home Assistant gives an icon to most device classes; an entity without one
(no device class, or the enum class, which has no icon of its own) shows the
generic default unless icons.json names one for its translation key. Plain
file and import checks: no Home Assistant instance.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from custom_components.sigenergy_modbus.binary_sensor import BINARY_SENSORS
from custom_components.sigenergy_modbus.button import BUTTONS
from custom_components.sigenergy_modbus.number import NUMBERS
from custom_components.sigenergy_modbus.select import SELECTS
from custom_components.sigenergy_modbus.sensor import CONTROL_SENSORS, SENSORS
from custom_components.sigenergy_modbus.switch import SWITCHES

ICONS = json.loads(
    (Path(__file__).parents[2] / "custom_components/sigenergy_modbus/icons.json").read_text(
        encoding="utf-8"
    )
)["entity"]
PLATFORMS = {
    "sensor": (*SENSORS, *CONTROL_SENSORS),
    "binary_sensor": BINARY_SENSORS,
    "switch": SWITCHES,
    "number": NUMBERS,
    "select": SELECTS,
    "button": BUTTONS,
}
MDI = re.compile(r"^mdi:[a-z0-9]+(-[a-z0-9]+)*$")


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations() -> None:
    """Override the package's autouse fixture: these tests need no hass."""


@pytest.mark.parametrize("platform", list(PLATFORMS))
def test_every_entity_has_an_icon(platform: str) -> None:
    """A device class with an icon of its own, or an icon by translation key."""
    missing = sorted(
        {
            str(d.translation_key)
            for d in PLATFORMS[platform]
            if (d.device_class is None or d.device_class == "enum")
            and d.translation_key not in ICONS.get(platform, {})
        }
    )
    assert missing == []


@pytest.mark.parametrize("platform", list(PLATFORMS))
def test_no_icon_without_an_entity(platform: str) -> None:
    """Every icon belongs to a translation key in use."""
    used = {d.translation_key for d in PLATFORMS[platform]}
    assert sorted(set(ICONS.get(platform, {})) - used) == []


def test_icons_are_mdi_names_and_states_exist() -> None:
    """Each icon is an mdi: name; an icon by state only for a state the entity has."""
    for platform, icons in ICONS.items():
        for key, icon in icons.items():
            assert MDI.match(icon["default"]), (platform, key, icon)
            states = icon.get("state", {})
            for state, name in states.items():
                assert MDI.match(name), (platform, key, state)
            descriptions = [d for d in PLATFORMS[platform] if d.translation_key == key]
            options = {o for d in descriptions for o in (getattr(d, "options", None) or ())}
            allowed = options if platform in {"sensor", "select"} else {"on", "off"}
            assert set(states) <= allowed, (platform, key, set(states) - allowed)


@pytest.mark.parametrize(
    ("platform", "key"),
    [
        ("sensor", "plant_battery_soh"),
        ("sensor", "battery_soh"),
        ("number", "backup_soc"),  # a setting now: the number that changes it shows it
        ("sensor", "plant_charge_cut_off_soc"),
        ("sensor", "plant_discharge_cut_off_soc"),
        ("sensor", "alarm"),
    ],
)
def test_the_icons_an_owner_missed(platform: str, key: str) -> None:
    """State of health, backup and cut-off SOCs and every alarm (one key for all) have one."""
    assert key in ICONS[platform]
    alarms = [d for d in SENSORS if d.translation_key == "alarm"]
    assert len(alarms) == 12  # alarms 1-7 of the plant, 1-5 of each inverter: one key
