"""The integration against each firmware profile of the simulator (what real devices send).

For each profile: entities for what the unit has, nothing shown that it
does not, no alarm that is not there, and once the refusals are learned
every poll costs exactly the fewest reads the device's real constraints
allow.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

import pytest
from homeassistant.const import STATE_UNAVAILABLE, STATE_UNKNOWN
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers import issue_registry as ir

from custom_components.sigenergy_modbus.const import DOMAIN, PollGroup
from custom_components.sigenergy_modbus.protocol.planner import ReadPlanner
from custom_components.sigenergy_modbus.protocol.registers import BY_KEY
from tests.integration.conftest import tick

if TYPE_CHECKING:
    from freezegun.api import FrozenDateTimeFactory
    from homeassistant.core import HomeAssistant
    from pytest_homeassistant_custom_component.common import MockConfigEntry

    from custom_components.sigenergy_modbus.coordinator import SigenergyCoordinator
    from simulator import PlantSimulator

PROFILES = ["v2.9", "spc116", "early-2025", "spc109", "v2.8"]
SLOWEST_FIRST = [PollGroup.SETTINGS, PollGroup.ENERGY, PollGroup.DETAIL, PollGroup.REALTIME]
ALARMS = [f"plant_alarm_{n}" for n in range(1, 8)] + [f"inverter_1_alarm_{n}" for n in range(1, 6)]

DRY_CONTACT_SWITCH = "switch.sigenergy_inverter_1_dry_contact_"
"""The dry contacts' switches (the plant's remote EMS switch is no dry contact)."""


def state(hass: HomeAssistant, entity_id: str) -> str:
    found = hass.states.get(entity_id)
    assert found is not None, entity_id
    return found.state


def entity_ids(hass: HomeAssistant, entry: MockConfigEntry) -> set[str]:
    registry = er.async_get(hass)
    return {e.entity_id for e in er.async_entries_for_config_entry(registry, entry.entry_id)}


def bound(simulator: PlantSimulator, coordinator: SigenergyCoordinator) -> int:
    """The fewest reads of a poll given what the device really refuses (told, not learned)."""
    planner = ReadPlanner()
    for unit_id in coordinator.wanted:
        kind = simulator.model.unit_kind(unit_id)
        for key in simulator.firmware.refused:
            if BY_KEY[key].device is kind:
                planner.mark_unsupported(unit_id, BY_KEY[key])
    reads = sum(len(planner.plan(unit, regs)) for unit, regs in coordinator.wanted.items())
    return reads + sum(s.dry_contacts + s.digital_inputs for s in coordinator.io_units.values())


async def poll_costs(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, entry: MockConfigEntry, sim: PlantSimulator
) -> dict[PollGroup, int]:
    """Each poll once, alone, with nothing fresh to share: the requests it costs the device.

    The polls' own timers are stopped first, so that no other poll runs meanwhile,
    and the background sweep of free unit ids, whose requests are no poll's.
    """
    entry.runtime_data.units.stop()
    for coordinator in entry.runtime_data.coordinators.values():
        coordinator.update_interval = None
        coordinator._unschedule_refresh()
    costs = {}
    for group in SLOWEST_FIRST:
        freezer.tick(timedelta(minutes=10))  # nothing another poll read is fresh any more
        coordinator = entry.runtime_data.coordinators[group]
        before = sim.stats.requests
        await coordinator.async_refresh()
        assert coordinator.last_update_success, coordinator.last_error
        costs[group] = sim.stats.requests - before
    return costs


@pytest.mark.parametrize(
    "simulator_options", [{"firmware": name} for name in PROFILES], ids=PROFILES
)
async def test_poll_cost_is_back_at_its_bound_after_learning(
    hass: HomeAssistant,
    everything_enabled: MockConfigEntry,
    simulator: PlantSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """With every entity enabled: refusals cost the first polls, then never again."""
    refused = simulator.stats.exceptions.get(0x02, 0)
    if simulator.firmware.refused:
        assert refused, "the first polls met the refusals"
    await tick(hass, freezer, 300)  # every poll has run since setup
    # Read alone, without sharing, a poll asks for more at once than it did in
    # steady state, and may meet a refusal it had not met before: once.
    await poll_costs(hass, freezer, everything_enabled, simulator)
    before = dict(simulator.stats.exceptions)
    costs = await poll_costs(hass, freezer, everything_enabled, simulator)
    coordinators = everything_enabled.runtime_data.coordinators
    assert costs == {g: bound(simulator, coordinators[g]) for g in SLOWEST_FIRST}
    assert simulator.stats.exceptions == before  # nothing refused any more


@pytest.mark.parametrize(
    "simulator_options", [{"firmware": name} for name in PROFILES], ids=PROFILES
)
async def test_no_alarm_that_is_not_there(
    hass: HomeAssistant, everything_enabled: MockConfigEntry, simulator: PlantSimulator
) -> None:
    """All ones or a refusal in an alarm register is no reading: never an alarm, never 'ok'."""
    for alarm in ALARMS:
        sensor, problem = f"sensor.sigenergy_{alarm}", f"binary_sensor.sigenergy_{alarm}_active"
        missing = alarm == "plant_alarm_7" and simulator.firmware.name in {"spc116", "early-2025"}
        if missing:
            assert state(hass, sensor) == STATE_UNAVAILABLE
            assert state(hass, problem) == STATE_UNAVAILABLE
        else:
            assert state(hass, sensor) == "ok", alarm
            assert state(hass, problem) == "off", alarm


@pytest.mark.parametrize("simulator_options", [{"firmware": "spc116", "phases": 1}])
async def test_spc116_single_phase_unit(
    hass: HomeAssistant, everything_enabled: MockConfigEntry, simulator: PlantSimulator
) -> None:
    """Entities for what the unit has; nothing for what it lacks; no -0.01 A anywhere."""
    ids = entity_ids(hass, everything_enabled)
    inverter = "sensor.sigenergy_inverter_1_"
    assert f"{inverter}phase_a_voltage" in ids
    assert f"{inverter}phase_a_current" in ids
    for absent in ("phase_b_voltage", "phase_c_voltage", "phase_b_current", "phase_c_current"):
        assert f"{inverter}{absent}" not in ids
    assert not {e for e in ids if e.startswith(f"{inverter}line_voltage")}
    strings = simulator.model.inverter(1).spec.pv_strings
    assert {e for e in ids if e.startswith("sensor.sigenergy_pv_inputs_1_string_")} == {
        f"sensor.sigenergy_pv_inputs_1_string_{n}_{q}"
        for n in range(1, strings + 1)
        for q in ("voltage", "current", "power")
    }
    for entity_id in ids:
        value = state(hass, entity_id)
        if entity_id.startswith(("sensor.sigenergy_pv_inputs_1_string_", inverter)):
            assert value not in {"-0.01", "-0.1"}, entity_id
    # No coils: no switches, no inputs, and one repair issue that says why.
    assert not {
        e
        for e in ids
        if e.startswith((DRY_CONTACT_SWITCH, "binary_sensor.sigenergy_inverter_1_di"))
    }
    issue = ir.async_get(hass).async_get_issue(DOMAIN, f"no_dry_contacts_{simulator.serial(1)}")
    assert issue is not None
    assert issue.severity is ir.IssueSeverity.WARNING
    assert not issue.is_fixable
    # Values the firmware does not have: unavailable, not a number.
    for missing in ("highest_cell_voltage", "lowest_cell_voltage"):
        assert state(hass, f"sensor.sigenergy_battery_1_{missing}") == STATE_UNAVAILABLE
    assert state(hass, f"{inverter}phase_a_voltage") != STATE_UNAVAILABLE
    assert not {e for e in ids if "dc_charger" in e}


@pytest.mark.parametrize("simulator_options", [{"firmware": "spc116"}])
async def test_vpp_scheduling(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulator: PlantSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """EMS work mode 6 during a VPP event is 'vpp_scheduling', not unknown."""
    entity_id = "sensor.sigenergy_plant_ems_work_mode"
    assert state(hass, entity_id) == "max_self_consumption"
    simulator.set_scenario("vpp")
    await tick(hass, freezer, 5)
    assert state(hass, entity_id) == "vpp_scheduling"


async def test_an_unknown_ems_work_mode_is_unknown_and_logged_once(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulator: PlantSimulator,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    entity_id = "sensor.sigenergy_plant_ems_work_mode"
    simulator.set_value(247, "ems_work_mode", 13)
    await tick(hass, freezer, 5, 3)
    assert state(hass, entity_id) == STATE_UNKNOWN
    logged = [
        r.getMessage()
        for r in caplog.records
        if r.name.startswith("custom_components") and "ems_work_mode" in r.getMessage()
    ]
    assert logged == ["ems_work_mode of unit 247 is shown as unknown: 13 is not in its table"]
    simulator.clear_override(247, "ems_work_mode")
    await tick(hass, freezer, 5)
    assert state(hass, entity_id) == "max_self_consumption"
    assert "ems_work_mode of unit 247 is plausible again" in caplog.text


@pytest.mark.parametrize(
    ("simulator_options", "unavailable"),
    [
        (
            {"firmware": "early-2025"},
            {
                "sensor.sigenergy_plant_battery_state_of_health",
                "sensor.sigenergy_plant_battery_rated_capacity",
                "sensor.sigenergy_plant_charge_cut_off_state_of_charge",
                "sensor.sigenergy_plant_discharge_cut_off_state_of_charge",
                "sensor.sigenergy_battery_1_highest_cell_temperature",
                "sensor.sigenergy_battery_1_lowest_cell_temperature",
                "sensor.sigenergy_battery_1_highest_cell_voltage",
                "sensor.sigenergy_battery_1_lowest_cell_voltage",
                "sensor.sigenergy_plant_alarm_7",
                "binary_sensor.sigenergy_plant_alarm_7_active",
            },
        ),
        ({"firmware": "spc109"}, set()),
        ({"firmware": "v2.8"}, set()),
        ({"firmware": "v2.9"}, set()),
    ],
    ids=["early-2025", "spc109", "v2.8", "v2.9"],
)
async def test_what_the_firmware_refuses_is_unavailable_the_rest_is_there(
    hass: HomeAssistant,
    everything_enabled: MockConfigEntry,
    simulator: PlantSimulator,
    freezer: FrozenDateTimeFactory,
    unavailable: set[str],
) -> None:
    await tick(hass, freezer, 300)
    ids = entity_ids(hass, everything_enabled)
    shown = {e for e in ids if state(hass, e) == STATE_UNAVAILABLE}
    assert shown == unavailable
    has_coils = simulator.firmware.coils
    assert bool({e for e in ids if e.startswith(DRY_CONTACT_SWITCH)}) == has_coils
    issues = ir.async_get(hass)
    assert (
        issues.async_get_issue(DOMAIN, f"no_dry_contacts_{simulator.serial(1)}") is None
    ) == has_coils


@pytest.mark.parametrize("simulator_options", [{"firmware": "spc116", "phases": 1}])
async def test_an_entry_made_without_the_output_type_learns_it(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry, simulator: PlantSimulator
) -> None:
    """Entries identified before the output type was read: one read at the next start."""
    data = dict(mock_config_entry.data)
    data["inverters"] = [
        {k: v for k, v in i.items() if k != "output_type"} for i in data["inverters"]
    ]
    mock_config_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(mock_config_entry, data=data)
    assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    assert mock_config_entry.data["inverters"][0]["output_type"] == 0
    registry = er.async_get(hass)
    unique_ids = {
        e.unique_id for e in er.async_entries_for_config_entry(registry, mock_config_entry.entry_id)
    }
    serial = simulator.serial(1)
    assert f"{serial}_phase_a_current" in unique_ids
    assert f"{serial}_phase_b_current" not in unique_ids
    assert f"{serial}_line_voltage_ab" not in unique_ids
