"""A plant that worked and then stops answering raises a repair issue, and clears it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from homeassistant.helpers import issue_registry as ir

from custom_components.sigenergy_modbus.const import DOMAIN
from tests.integration.conftest import tick

if TYPE_CHECKING:
    from freezegun.api import FrozenDateTimeFactory
    from homeassistant.core import HomeAssistant
    from pytest_homeassistant_custom_component.common import MockConfigEntry

    from simulator import PlantSimulator


async def test_unreachable_repair_issue(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulator: PlantSimulator,
    freezer: FrozenDateTimeFactory,
    issue_registry: ir.IssueRegistry,
) -> None:
    """Ten minutes of silence make an issue; the first answer removes it."""
    issue_id = f"unreachable_{init_integration.entry_id}"
    await simulator.stop()
    await tick(hass, freezer, 60, 9)
    assert issue_registry.async_get_issue(DOMAIN, issue_id) is None
    await tick(hass, freezer, 60, 2)
    issue = issue_registry.async_get_issue(DOMAIN, issue_id)
    assert issue is not None
    assert issue.translation_key == "plant_unreachable"
    assert issue.severity is ir.IssueSeverity.ERROR
    await simulator.restart()
    await tick(hass, freezer, 5, 3)
    assert issue_registry.async_get_issue(DOMAIN, issue_id) is None


async def test_exception_replies_are_not_unreachable(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulator: PlantSimulator,
    freezer: FrozenDateTimeFactory,
    issue_registry: ir.IssueRegistry,
) -> None:
    """A plant that answers, even with errors, is not reported as unreachable."""
    simulator.faults.exceptions[(247, 30005)] = 0x04
    await tick(hass, freezer, 60, 12)
    assert (
        issue_registry.async_get_issue(DOMAIN, f"unreachable_{init_integration.entry_id}") is None
    )
    assert hass.states.get("sensor.sigenergy_plant_grid_power").state == "unavailable"
