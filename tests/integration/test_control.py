"""The timed actions end to end: service call, writes on the device, physics, revert.

Every test drives the real integration against the simulator over TCP and
reads what happened on the device side: the writes it received (address and
words), what its registers hold, and what its physics did with them. The
writes and reverts measured here are the ones in the closing note.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

import pytest
from homeassistant.const import STATE_UNKNOWN, Platform
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import issue_registry as ir
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)

from custom_components.sigenergy_modbus import control
from custom_components.sigenergy_modbus.const import CONF_READ_ONLY, DOMAIN
from simulator import ControlOptions
from tests.integration.control_helpers import (
    ACTION,
    ACTION_END,
    EMS_MODE,
    ORIGINAL,
    act,
    held,
    plant_writes,
    run,
    set_soc,
    stored,
)

if TYPE_CHECKING:
    from typing import Any

    from freezegun.api import FrozenDateTimeFactory
    from homeassistant.core import HomeAssistant
    from pytest_homeassistant_custom_component.common import MockConfigEntry
    from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

    from simulator import PlantSimulator

W = 0.0015  # a watt of rounding, in kW


@pytest.fixture
def platforms() -> list[Platform]:
    """Everything that controls or shows control."""
    return [Platform.BUTTON, Platform.NUMBER, Platform.SELECT, Platform.SENSOR, Platform.SWITCH]


@pytest.fixture(autouse=True)
def _no_pacing(monkeypatch: pytest.MonkeyPatch) -> None:
    """The frozen clock would hold the 1 s pacing for ever; test_control_pacing checks it."""
    monkeypatch.setattr(control, "WRITE_INTERVAL", 0.0)


def num(simulator: PlantSimulator, key: str) -> float:
    value = simulator.value(247, key)
    assert isinstance(value, (int, float)), (key, value)
    return float(value)


async def test_force_charge_writes_charges_and_reverts_at_the_deadline(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulator: PlantSimulator,
    freezer: FrozenDateTimeFactory,
    hass_storage: dict[str, Any],
) -> None:
    """3 kW from the grid for 30 minutes; then the plant's own settings, exactly."""
    set_soc(simulator, 50.0)
    assert hass.states.get(ACTION).state == "none"
    assert held(simulator) == ORIGINAL
    start = dt_util.utcnow()
    await act(hass, init_integration, "force_charge", power=3.0, duration={"minutes": 30})
    assert plant_writes(simulator) == [(40032, [0, 3000]), (40031, [3]), (40029, [1])]
    assert (
        stored(hass_storage, init_integration)["deadline"]
        == (start + timedelta(minutes=30)).isoformat()
    )
    # physics: the battery takes 3 kW, the grid pays for it
    assert num(simulator, "plant_ess_power") == pytest.approx(3.0, abs=W)
    grid = num(simulator, "total_load_power") - num(simulator, "plant_pv_power") + 3.0
    assert num(simulator, "grid_sensor_active_power") == pytest.approx(grid, abs=W)
    assert hass.states.get(ACTION).state == "force_charge"
    end = dt_util.parse_datetime(hass.states.get(ACTION_END).state)
    assert end == (start + timedelta(minutes=30)).replace(microsecond=0)
    await run(hass, freezer, simulator, 600, step=30)
    assert hass.states.get(EMS_MODE).state == "remote_ems"
    # 3 kW for 10 minutes into 24 kWh: 2.1 %
    assert num(simulator, "plant_ess_soc") == pytest.approx(52.1, abs=0.15)
    assert len(simulator.stats.writes) == 3  # nothing written while it runs
    await run(hass, freezer, simulator, 1200, step=30)
    assert plant_writes(simulator, 3) == [(40029, [0]), (40031, [2]), (40032, [0, 12000])]
    assert held(simulator) == ORIGINAL
    assert hass.states.get(ACTION).state == "none"
    assert hass.states.get(ACTION_END).state == STATE_UNKNOWN
    assert stored(hass_storage, init_integration) is None
    await run(hass, freezer, simulator, 30)
    assert hass.states.get(EMS_MODE).state == "max_self_consumption"


async def test_force_charge_ends_at_its_target(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulator: PlantSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    set_soc(simulator, 50.0)
    await run(hass, freezer, simulator, 5)  # Home Assistant sees it
    await act(
        hass, init_integration, "force_charge", power=12.0, target_soc=52, duration={"hours": 2}
    )
    # 12 kW is what 40032 holds already: not written
    assert plant_writes(simulator) == [(40031, [3]), (40029, [1])]
    await run(hass, freezer, simulator, 150, step=10)  # 12 kW: 2 % in 2 minutes
    assert num(simulator, "plant_ess_soc") >= 52.0
    assert plant_writes(simulator, 2) == [(40029, [0]), (40031, [2])]
    assert hass.states.get(ACTION).state == "none"
    assert held(simulator) == ORIGINAL


async def test_force_discharge_ends_at_its_floor(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulator: PlantSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    set_soc(simulator, 60.0)
    await run(hass, freezer, simulator, 5)
    export = num(simulator, "grid_sensor_active_power")
    await act(
        hass, init_integration, "force_discharge", power=5.0, floor_soc=58, duration={"hours": 1}
    )
    assert plant_writes(simulator) == [(40034, [0, 5000]), (40031, [6]), (40029, [1])]
    assert num(simulator, "plant_ess_power") == pytest.approx(-5.0, abs=W)
    assert num(simulator, "grid_sensor_active_power") < export - 4.0  # exported
    minutes = 0
    while len(simulator.stats.writes) == 3 and minutes < 60:  # 5 kW: 2 % in 5.8 minutes
        await run(hass, freezer, simulator, 60, step=60)
        minutes += 1
    assert minutes == 6
    soc = hass.states.get("sensor.sigenergy_plant_battery_state_of_charge")
    assert float(soc.state) <= 58.0
    history = init_integration.runtime_data.controller.history
    assert history[-1].source == "revert (state of charge reached)"
    assert plant_writes(simulator, 3) == [(40029, [0]), (40031, [2]), (40034, [0, 12000])]
    assert held(simulator) == ORIGINAL


async def test_hold_keeps_the_battery_still_and_reverts(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulator: PlantSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    set_soc(simulator, 50.0)
    assert num(simulator, "plant_ess_power") > 1.0  # the sun charges it
    await act(hass, init_integration, "hold", duration={"minutes": 20})
    assert plant_writes(simulator) == [(40032, [0, 0]), (40031, [4]), (40029, [1])]
    assert num(simulator, "plant_ess_power") == 0.0
    assert num(simulator, "grid_sensor_active_power") < 0  # the PV surplus goes out
    await run(hass, freezer, simulator, 600, step=60)
    assert num(simulator, "plant_ess_soc") == 50.0
    await run(hass, freezer, simulator, 600, step=60)
    assert plant_writes(simulator, 3) == [(40029, [0]), (40031, [2]), (40032, [0, 12000])]
    assert held(simulator) == ORIGINAL
    assert num(simulator, "plant_ess_power") > 1.0


async def test_a_new_action_replaces_the_running_one_cleanly(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulator: PlantSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    set_soc(simulator, 50.0)
    await act(hass, init_integration, "force_charge", power=4.0, duration={"hours": 1})
    await run(hass, freezer, simulator, 60, step=30)
    await act(hass, init_integration, "force_discharge", power=2.0, duration={"minutes": 10})
    assert plant_writes(simulator, 3) == [
        (40034, [0, 2000]),
        (40031, [6]),
        (40032, [0, 12000]),  # the charge limit back; remote EMS stays on
    ]
    assert num(simulator, "plant_ess_power") == pytest.approx(-2.0, abs=W)
    assert hass.states.get(ACTION).state == "force_discharge"
    # the new deadline counts, not the old one
    await run(hass, freezer, simulator, 600, step=60)
    assert plant_writes(simulator, 6) == [(40029, [0]), (40031, [2]), (40034, [0, 12000])]
    assert held(simulator) == ORIGINAL
    await run(hass, freezer, simulator, 3600, step=300)
    assert len(simulator.stats.writes) == 9


async def test_release_ends_the_action_now(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulator: PlantSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    await act(hass, init_integration, "hold", duration={"hours": 3})
    await act(hass, init_integration, "release")
    assert plant_writes(simulator, 3) == [(40029, [0]), (40031, [2]), (40032, [0, 12000])]
    assert held(simulator) == ORIGINAL
    assert hass.states.get(ACTION).state == "none"
    await act(hass, init_integration, "release")  # nothing to release: nothing written
    assert len(simulator.stats.writes) == 6
    # remote EMS someone else left on: release turns it off
    simulator.model.write(247, "remote_ems_enable", 1)
    await act(hass, init_integration, "release")
    assert plant_writes(simulator, 6) == [(40029, [0])]


async def test_restart_before_the_deadline_resumes(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulator: PlantSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    await act(hass, init_integration, "hold", duration={"minutes": 30})
    assert await hass.config_entries.async_unload(init_integration.entry_id)
    await run(hass, freezer, simulator, 600, step=60)
    assert await hass.config_entries.async_setup(init_integration.entry_id)
    await hass.async_block_till_done()
    assert len(simulator.stats.writes) == 3  # resumed: nothing written
    assert hass.states.get(ACTION).state == "hold"
    await run(hass, freezer, simulator, 1140, step=60)
    assert len(simulator.stats.writes) == 3
    await run(hass, freezer, simulator, 120, step=60)
    assert plant_writes(simulator, 3) == [(40029, [0]), (40031, [2]), (40032, [0, 12000])]
    assert held(simulator) == ORIGINAL


async def test_restart_after_the_deadline_reverts_at_once(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulator: PlantSimulator,
    freezer: FrozenDateTimeFactory,
    hass_storage: dict[str, Any],
) -> None:
    await act(hass, init_integration, "force_discharge", power=1.0, duration={"minutes": 10})
    assert await hass.config_entries.async_unload(init_integration.entry_id)
    freezer.tick(timedelta(minutes=20))  # Home Assistant was down past the deadline
    simulator.advance(1200)
    assert held(simulator)["remote_ems_enable"] == 1  # nothing reverts it on the plant
    assert await hass.config_entries.async_setup(init_integration.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert plant_writes(simulator, 3) == [(40029, [0]), (40031, [2]), (40034, [0, 12000])]
    assert held(simulator) == ORIGINAL
    assert stored(hass_storage, init_integration) is None
    assert hass.states.get(ACTION).state == "none"


async def test_a_failed_takeover_is_undone(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulator: PlantSimulator,
) -> None:
    """The enable refused (0x04): the limit and mode already written are put back."""
    simulator.faults.write_exceptions[(247, 40029)] = 0x04
    with pytest.raises(HomeAssistantError) as err:
        await act(hass, init_integration, "force_charge", power=2.0, duration={"hours": 1})
    assert err.value.translation_key == "action_failed"
    simulator.faults.clear()
    # the enable was tried once; then mode and limit back, the enable already 0
    assert plant_writes(simulator) == [
        (40032, [0, 2000]),
        (40031, [3]),
        (40029, [1]),
        (40031, [2]),
        (40032, [0, 12000]),
    ]
    assert held(simulator) == ORIGINAL
    assert hass.states.get(ACTION).state == "none"


async def test_revert_is_retried_until_the_plant_answers(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulator: PlantSimulator,
    freezer: FrozenDateTimeFactory,
    issue_registry: ir.IssueRegistry,
) -> None:
    """The revert the plant did not take: shown, told, tried again, at once when it answers."""
    await act(hass, init_integration, "hold", duration={"minutes": 5})
    await simulator.stop()
    await run(hass, freezer, simulator, 330, step=30)  # the deadline, and a retry 30 s later
    issue = issue_registry.async_get_issue(DOMAIN, f"revert_failed_{init_integration.entry_id}")
    assert issue is not None
    assert issue.translation_key == "revert_failed"
    assert hass.states.get(ACTION).state == "reverting"  # not over until it is undone
    next_try = dt_util.parse_datetime(hass.states.get(ACTION_END).state)
    assert next_try is not None
    assert timedelta(seconds=25) <= next_try - dt_util.utcnow() <= timedelta(seconds=30)
    assert issue.translation_placeholders is not None
    assert issue.translation_placeholders["time"] == control.clock_time(next_try)
    await simulator.start(simulator.host, simulator.port)
    waited = 0
    while len(simulator.stats.writes) < 6 and waited < 60:
        await run(hass, freezer, simulator, 1, step=1)
        waited += 1
    # a realtime poll found the plant (its connection's back-off is at most 10 s): undone
    # then, before the retry timer's 30 s were up
    assert dt_util.utcnow() < next_try
    controller = init_integration.runtime_data.controller
    assert controller.history[-1].source == "revert (the plant answers again)"
    assert plant_writes(simulator, 3) == [(40029, [0]), (40031, [2]), (40032, [0, 12000])]
    assert held(simulator) == ORIGINAL
    assert issue_registry.async_get_issue(DOMAIN, issue.issue_id) is None
    assert hass.states.get(ACTION).state == "none"


@pytest.mark.parametrize("read_only", [True])
@pytest.mark.usefixtures("_only_platforms")
async def test_read_only_refuses_every_action(
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    simulator: PlantSimulator,
    read_only: bool,
) -> None:
    mock_config_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(mock_config_entry, options={CONF_READ_ONLY: read_only})
    assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    for service, data in (
        ("force_charge", {"power": 1.0, "duration": {"minutes": 5}}),
        ("force_discharge", {"power": 1.0, "duration": {"minutes": 5}}),
        ("hold", {"duration": {"minutes": 5}}),
        ("release", {}),
    ):
        with pytest.raises(ServiceValidationError) as err:
            await act(hass, mock_config_entry, service, **data)
        assert err.value.translation_key == "read_only"
    assert simulator.stats.writes == []


@pytest.mark.parametrize(
    ("service", "data", "key"),
    [
        ("force_charge", {"power": 12.5, "duration": {"minutes": 5}}, "power_out_of_range"),
        ("force_discharge", {"power": 13, "duration": {"minutes": 5}}, "power_out_of_range"),
        ("hold", {"duration": {"seconds": 30}}, "duration_out_of_range"),
        ("hold", {"duration": {"hours": 25}}, "duration_out_of_range"),
        (
            "force_discharge",
            {"power": 1, "floor_soc": 100, "duration": {"minutes": 5}},
            "soc_already_reached",
        ),
    ],
)
async def test_action_arguments_are_checked_before_anything_is_sent(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulator: PlantSimulator,
    *,
    service: str,
    data: dict[str, Any],
    key: str,
) -> None:
    requests = simulator.stats.requests
    with pytest.raises(ServiceValidationError) as err:
        await act(hass, init_integration, service, **data)
    assert err.value.translation_key == key
    assert simulator.stats.requests == requests
    assert simulator.stats.writes == []


async def test_an_action_needs_a_plant_as_target(
    hass: HomeAssistant, init_integration: MockConfigEntry, simulator: PlantSimulator
) -> None:
    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(
            DOMAIN, "hold", {"entity_id": "sensor.not_a_plant", "duration": "00:05:00"}, True
        )
    assert err.value.translation_key == "no_plant"
    with pytest.raises(Exception, match=r"entity_id|device_id|at least one"):
        await hass.services.async_call(DOMAIN, "hold", {"duration": "00:05:00"}, blocking=True)
    # any entity of the plant targets it
    await hass.services.async_call(
        DOMAIN, "hold", {"entity_id": ACTION, "duration": "00:05:00"}, blocking=True
    )
    assert hass.states.get(ACTION).state == "hold"


@pytest.mark.parametrize(
    "simulator_options", [{"control": ControlOptions(limit_writes_need_remote_ems=True)}]
)
async def test_limits_wait_for_remote_ems_where_the_firmware_wants_it(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulator: PlantSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Firmware that refuses 40034 with 0x02 before remote EMS is on gets it after."""
    set_soc(simulator, 60.0)
    refused = simulator.stats.exceptions.get(0x02, 0)
    await act(hass, init_integration, "force_discharge", power=4.0, duration={"minutes": 10})
    assert plant_writes(simulator) == [
        (40034, [0, 4000]),  # refused: not allowed in this mode
        (40031, [6]),
        (40029, [1]),
        (40034, [0, 4000]),
    ]
    assert simulator.stats.exceptions.get(0x02, 0) == refused + 1
    assert num(simulator, "plant_ess_power") == pytest.approx(-4.0, abs=W)
    await run(hass, freezer, simulator, 600, step=60)
    # the limit restored while remote EMS is still on
    assert plant_writes(simulator, 4) == [(40034, [0, 12000]), (40029, [0]), (40031, [2])]
    assert held(simulator) == ORIGINAL
    assert simulator.stats.exceptions.get(0x02, 0) == refused + 1


@pytest.mark.parametrize(
    "simulator_options",
    [{"control": ControlOptions(unset_ess_limits=True, ratings_bound_writes=True)}],
)
async def test_a_limit_that_was_not_set_comes_back_as_its_rating_if_refused(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulator: PlantSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    assert simulator.words(247, "ess_max_charging_limit") == [0xFFFF, 0xFFFF]
    refused = simulator.stats.exceptions.get(0x03, 0)
    await act(hass, init_integration, "hold", duration={"minutes": 5})
    await run(hass, freezer, simulator, 330, step=30)
    assert plant_writes(simulator, 3) == [
        (40029, [0]),
        (40031, [2]),
        (40032, [0xFFFF, 0xFFFF]),  # "not set" back: refused as a value (0x03)
        (40032, [0, 12000]),  # the rating: no limit either
    ]
    assert simulator.stats.exceptions.get(0x03, 0) == refused + 1
    assert simulator.value(247, "ess_max_charging_limit") == 12.0


@pytest.mark.usefixtures("_only_platforms")
async def test_deleting_the_plant_during_an_action_reverts_it(
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    simulator: PlantSimulator,
    hass_storage: dict[str, Any],
) -> None:
    mock_config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    await act(hass, mock_config_entry, "force_charge", power=1.0, duration={"hours": 1})
    assert stored(hass_storage, mock_config_entry) is not None
    await hass.config_entries.async_remove(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    assert plant_writes(simulator, 3) == [(40029, [0]), (40031, [2]), (40032, [0, 12000])]
    assert held(simulator) == ORIGINAL
    assert f"{DOMAIN}.control.{mock_config_entry.entry_id}" not in hass_storage


async def test_diagnostics_show_the_writes_and_the_action(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    init_integration: MockConfigEntry,
    simulator: PlantSimulator,
) -> None:
    await act(hass, init_integration, "force_discharge", power=2.5, duration={"minutes": 45})
    result = await get_diagnostics_for_config_entry(hass, hass_client, init_integration)
    diagnostics = result["control"]
    assert diagnostics["writes"] == 3
    assert [
        (w["register"], w["before"], w["after"], w["source"]) for w in diagnostics["last_writes"]
    ] == [
        (40034, 12.0, 2.5, "force_discharge"),
        (40031, 2, 6, "force_discharge"),
        (40029, 0, 1, "force_discharge"),
    ]
    action = diagnostics["active_action"]
    assert action["action"] == "force_discharge"
    assert action["power"] == 2.5
    assert action["takeover"]["original"] == {
        "ess_max_discharging_limit": [0, 12000],
        "remote_ems_control_mode": [2],
        "remote_ems_enable": [0],
    }
