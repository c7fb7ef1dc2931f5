"""The README's YAML examples are written as Home Assistant writes them today.

``triggers:`` with ``trigger: numeric_state`` (not ``trigger:`` with
``platform:``), ``conditions:``, ``actions:`` with ``action:`` (not
``service:``); and Home Assistant's automation config accepts each one.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import yaml
from homeassistant.components.automation.config import async_validate_config_item

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant

README = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
BLOCKS = re.findall(r"```yaml\n(.*?)```", README, re.DOTALL)
OLD_KEYS = {"trigger", "condition", "action", "platform", "service"}


def _automations() -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for block in BLOCKS:
        data = yaml.safe_load(block)
        if isinstance(data, dict) and "automation" in data:
            found += data["automation"]
    return found


def _keys(node: object) -> set[str]:
    """Every mapping key anywhere in a YAML tree."""
    if isinstance(node, dict):
        return set(node) | {k for v in node.values() for k in _keys(v)}
    if isinstance(node, list):
        return {k for v in node for k in _keys(v)}
    return set()


def test_there_are_automations() -> None:
    assert len(_automations()) >= 2


@pytest.mark.parametrize("automation", _automations(), ids=lambda a: a["alias"])
def test_todays_syntax(automation: dict[str, Any]) -> None:
    assert {"triggers", "actions"} <= set(automation)
    assert not set(automation) & {"trigger", "condition", "action"}
    for trigger in automation["triggers"]:
        assert "trigger" in trigger
        assert "platform" not in trigger
    assert "service" not in _keys(automation["actions"])
    assert all("action" in step for step in automation["actions"])


@pytest.mark.parametrize("automation", _automations(), ids=lambda a: a["alias"])
async def test_home_assistant_accepts_it(hass: HomeAssistant, automation: dict[str, Any]) -> None:
    validated = await async_validate_config_item(hass, automation["alias"], automation)
    assert validated is not None
    assert validated.validation_error is None, validated.validation_error
