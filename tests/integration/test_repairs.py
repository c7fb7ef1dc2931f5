"""A plant that worked and then stops answering raises a repair issue, and clears it."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
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


@pytest.mark.parametrize("simulator_options", [{"inverters": 2, "coils": False}])
async def test_no_dry_contacts_repair_issue(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulator: PlantSimulator,
    issue_registry: ir.IssueRegistry,
) -> None:
    """Firmware without dry contacts: one warning per inverter, that the owner may dismiss."""
    ids = {f"no_dry_contacts_{simulator.serial(unit)}" for unit in simulator.inverter_ids}
    ours = {i for (domain, i) in issue_registry.issues if domain == DOMAIN}
    assert ours == ids
    for issue_id in ids:
        issue = issue_registry.async_get_issue(DOMAIN, issue_id)
        assert issue is not None
        assert issue.severity is ir.IssueSeverity.WARNING
        assert not issue.is_fixable
        assert issue.translation_key == "no_dry_contacts"
        assert issue.learn_more_url is not None
        assert issue.learn_more_url.endswith("#dry-contacts-do1--do2-smart-loads")
        assert issue.dismissed_version is None
    first = min(ids)
    ir.async_ignore_issue(hass, DOMAIN, first, ignore=True)
    assert await hass.config_entries.async_reload(init_integration.entry_id)
    await hass.async_block_till_done()
    assert {i for (domain, i) in issue_registry.issues if domain == DOMAIN} == ids  # not twice
    dismissed = issue_registry.async_get_issue(DOMAIN, first)
    assert dismissed is not None
    assert dismissed.dismissed_version is not None  # stays dismissed
    # A firmware that exposes them: the issue goes.
    simulator.coils_enabled = True
    assert await hass.config_entries.async_reload(init_integration.entry_id)
    await hass.async_block_till_done()
    assert not {i for (domain, i) in issue_registry.issues if domain == DOMAIN}


async def test_no_repair_issue_where_the_dry_contacts_answer(
    hass: HomeAssistant, init_integration: MockConfigEntry, issue_registry: ir.IssueRegistry
) -> None:
    assert not {i for (domain, i) in issue_registry.issues if domain == DOMAIN}
