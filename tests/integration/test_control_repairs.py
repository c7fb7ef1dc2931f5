"""The guardrails of control: repair issues from what the plant does, and their fix.

* remote EMS on without an action of ours (fixable: turns it off);
* the plant changed back a value we wrote (a firmware that reverts 40038);
* a limit without effect in this mode on this firmware (limits only in command modes);
* a setting that keeps the battery from doing what the action asks;
* the plant left remote EMS during an action; read-only mode turned on during one.

None of them costs a request: they read what the polls read anyway.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from homeassistant.const import Platform
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import issue_registry as ir
from homeassistant.setup import async_setup_component

from custom_components.sigenergy_modbus import control
from custom_components.sigenergy_modbus.const import CONF_READ_ONLY, DOMAIN
from simulator import ControlOptions
from tests.integration.control_helpers import (
    ACTION,
    CHARGE_LIMIT,
    CUT_OFF,
    EXPORT_LIMIT,
    act,
    plant_writes,
    run,
    set_soc,
)

if TYPE_CHECKING:
    from freezegun.api import FrozenDateTimeFactory
    from homeassistant.core import HomeAssistant
    from pytest_homeassistant_custom_component.common import MockConfigEntry
    from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

    from simulator import PlantSimulator


@pytest.fixture
def platforms() -> list[Platform]:
    """Numbers to write with, sensors to watch."""
    return [Platform.NUMBER, Platform.SENSOR]


@pytest.fixture(autouse=True)
def _no_pacing(monkeypatch: pytest.MonkeyPatch) -> None:
    """The frozen clock would hold the 1 s pacing for ever; test_control_pacing checks it."""
    monkeypatch.setattr(control, "WRITE_INTERVAL", 0.0)


def issue(
    registry: ir.IssueRegistry, entry: MockConfigEntry, kind: str, *parts: object
) -> ir.IssueEntry | None:
    return registry.async_get_issue(DOMAIN, "_".join([kind, entry.entry_id, *map(str, parts)]))


async def set_value(hass: HomeAssistant, entity_id: str, value: float) -> None:
    await hass.services.async_call(
        "number", "set_value", {"entity_id": entity_id, "value": value}, blocking=True
    )


async def test_remote_ems_on_without_an_action_and_its_fix(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    init_integration: MockConfigEntry,
    simulator: PlantSimulator,
    freezer: FrozenDateTimeFactory,
    *,
    issue_registry: ir.IssueRegistry,
) -> None:
    simulator.model.write(247, "remote_ems_enable", 1)  # another controller
    await run(hass, freezer, simulator, 5)
    assert issue(issue_registry, init_integration, "remote_ems_foreign") is None  # once is no rule
    await run(hass, freezer, simulator, 5)
    found = issue(issue_registry, init_integration, "remote_ems_foreign")
    assert found is not None
    assert found.is_fixable
    assert found.severity is ir.IssueSeverity.WARNING
    assert simulator.stats.writes == []  # told, not touched
    # the fix flow turns remote EMS off
    assert await async_setup_component(hass, "repairs", {})
    client = await hass_client()
    response = await client.post(
        "/api/repairs/issues/fix", json={"handler": DOMAIN, "issue_id": found.issue_id}
    )
    flow = await response.json()
    assert flow["step_id"] == "confirm"
    response = await client.post(f"/api/repairs/issues/fix/{flow['flow_id']}", json={})
    assert (await response.json())["type"] == "create_entry"
    assert plant_writes(simulator) == [(40029, [0])]
    assert issue(issue_registry, init_integration, "remote_ems_foreign") is None
    await run(hass, freezer, simulator, 30)
    assert issue(issue_registry, init_integration, "remote_ems_foreign") is None


async def test_our_own_action_is_not_someone_elses_remote_ems(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulator: PlantSimulator,
    freezer: FrozenDateTimeFactory,
    issue_registry: ir.IssueRegistry,
) -> None:
    await act(hass, init_integration, "hold", duration={"minutes": 2})
    await run(hass, freezer, simulator, 180, step=5)  # through its end and after
    assert hass.states.get(ACTION).state == "none"
    assert issue(issue_registry, init_integration, "remote_ems_foreign") is None
    assert not [i for i in issue_registry.issues.values() if i.domain == DOMAIN]


@pytest.mark.parametrize(
    "simulator_options", [{"control": ControlOptions(revert_grid_export_limit_after=400.0)}]
)
async def test_the_plant_changed_a_value_back(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulator: PlantSimulator,
    freezer: FrozenDateTimeFactory,
    issue_registry: ir.IssueRegistry,
) -> None:
    await set_value(hass, EXPORT_LIMIT, 2.0)
    await run(hass, freezer, simulator, 360, step=60)  # a settings poll: still 2.0
    assert (
        issue(issue_registry, init_integration, "value_reverted", 247, "grid_max_export_limit")
        is None
    )
    await run(hass, freezer, simulator, 300, step=60)  # the next one: the plant's 13.2 again
    found = issue(issue_registry, init_integration, "value_reverted", 247, "grid_max_export_limit")
    assert found is not None
    assert found.translation_key == "value_reverted"
    assert found.translation_placeholders is not None
    assert (
        found.translation_placeholders["setting"] == "[Grid Point]Maximum export limitation (40038)"
    )
    assert (found.translation_placeholders["written"], found.translation_placeholders["now"]) == (
        "2",
        "13.2",
    )
    assert float(hass.states.get(EXPORT_LIMIT).state) == 13.2
    assert len(simulator.stats.writes) == 1  # told, not written again
    await set_value(hass, EXPORT_LIMIT, 3.0)  # the owner writes again: the notice goes
    assert (
        issue(issue_registry, init_integration, "value_reverted", 247, "grid_max_export_limit")
        is None
    )


@pytest.mark.parametrize("simulator_options", [{"firmware": "v2.8"}])
async def test_a_limit_without_effect_in_this_mode(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulator: PlantSimulator,
    freezer: FrozenDateTimeFactory,
    issue_registry: ir.IssueRegistry,
) -> None:
    """Firmware before V2.9 (the v2.8 profile): the charge limit only acts in command modes."""
    set_soc(simulator, 50.0)
    await set_value(hass, CHARGE_LIMIT, 1.0)
    assert simulator.value(247, "plant_ess_power") > 2.0  # the sun charges on
    await run(hass, freezer, simulator, 25)
    assert (
        issue(issue_registry, init_integration, "limit_ineffective", "ess_max_charging_limit")
        is None
    )
    await run(hass, freezer, simulator, 10)  # six polls in a row over the limit
    found = issue(issue_registry, init_integration, "limit_ineffective", "ess_max_charging_limit")
    assert found is not None
    assert found.translation_placeholders is not None
    assert found.translation_placeholders["mode"] == "max_self_consumption"
    # in a command mode the limit acts: the issue goes
    await act(hass, init_integration, "force_charge", power=1.0, duration={"minutes": 10})
    assert simulator.value(247, "plant_ess_power") == 1.0
    await run(hass, freezer, simulator, 10)
    assert (
        issue(issue_registry, init_integration, "limit_ineffective", "ess_max_charging_limit")
        is None
    )


async def test_a_setting_that_blocks_the_battery(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulator: PlantSimulator,
    freezer: FrozenDateTimeFactory,
    issue_registry: ir.IssueRegistry,
) -> None:
    set_soc(simulator, 30.0)
    await set_value(hass, CUT_OFF, 35)
    await run(hass, freezer, simulator, 5)
    await act(hass, init_integration, "force_discharge", power=3.0, duration={"minutes": 30})
    assert simulator.value(247, "plant_ess_power") == 0.0  # it cannot discharge
    found = issue(issue_registry, init_integration, "battery_blocked")
    assert found is not None
    assert found.translation_key == "battery_blocked_discharge_cut_off"
    assert found.translation_placeholders is not None
    assert found.translation_placeholders["setting"] == "35"
    assert float(found.translation_placeholders["soc"]) <= 35
    await act(hass, init_integration, "release")
    assert issue(issue_registry, init_integration, "battery_blocked") is None


async def test_the_plant_leaves_remote_ems_during_an_action(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulator: PlantSimulator,
    freezer: FrozenDateTimeFactory,
    issue_registry: ir.IssueRegistry,
) -> None:
    await act(hass, init_integration, "hold", duration={"hours": 1})
    await run(hass, freezer, simulator, 10)
    simulator.model.write(247, "remote_ems_enable", 0)  # someone in the app
    await run(hass, freezer, simulator, 10)
    found = issue(issue_registry, init_integration, "value_reverted", 247, "remote_ems_enable")
    assert found is not None
    assert found.translation_key == "remote_ems_dropped"
    # the action is over, the rest of what it changed is back; the enable needed nothing
    assert plant_writes(simulator, 3) == [(40031, [2]), (40032, [0, 12000])]
    assert hass.states.get(ACTION).state == "none"


async def test_a_grid_limit_without_the_grid_sensor(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulator: PlantSimulator,
    freezer: FrozenDateTimeFactory,
    issue_registry: ir.IssueRegistry,
) -> None:
    simulator.set_value(247, "grid_sensor_status", 0)
    await run(hass, freezer, simulator, 5)
    await set_value(hass, EXPORT_LIMIT, 5.0)
    found = issue(issue_registry, init_integration, "limit_ineffective", "grid_max_export_limit")
    assert found is not None
    assert found.translation_key == "grid_limit_without_sensor"


async def test_read_only_switched_on_mid_action_first_ends_the_action(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulator: PlantSimulator,
    freezer: FrozenDateTimeFactory,
    issue_registry: ir.IssueRegistry,
) -> None:
    """Read-only turned on mid-action (the options flow, which reloads): undone, then refused.

    The revert is no surprise write: it puts back what the owner's own action
    changed; leaving the plant forced until read-only is turned off again was.
    """
    await act(hass, init_integration, "hold", duration={"minutes": 10})
    result = await hass.config_entries.options.async_init(init_integration.entry_id)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {CONF_READ_ONLY: True}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done(wait_background_tasks=True)
    assert init_integration.options[CONF_READ_ONLY] is True
    assert plant_writes(simulator, 3) == [(40029, [0]), (40031, [2]), (40032, [0, 12000])]
    assert hass.states.get(ACTION).state == "none"
    assert not [i for i in issue_registry.issues.values() if i.domain == DOMAIN]
    with pytest.raises(ServiceValidationError) as err:
        await act(hass, init_integration, "hold", duration={"minutes": 10})
    assert err.value.translation_key == "read_only"
    await run(hass, freezer, simulator, 900, step=60)  # past the old deadline: nothing more
    assert len(simulator.stats.writes) == 6
