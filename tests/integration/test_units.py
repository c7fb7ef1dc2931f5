"""The plant stays complete while it runs: the sweep, units added and removed, silence.

Every plant here is the simulator over loopback TCP and the real Home
Assistant; time moves with ``tick`` (5 s: a sweep step and a realtime poll).
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import TYPE_CHECKING, Any
from unittest.mock import patch

import pytest
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import STATE_UNAVAILABLE
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers import issue_registry as ir
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed

from custom_components.sigenergy_modbus import units
from custom_components.sigenergy_modbus.config_flow import entry_title, identify_first_pass
from custom_components.sigenergy_modbus.const import CONF_SILENT_SINCE, CONF_SWEEP_FROM, DOMAIN
from custom_components.sigenergy_modbus.protocol.models import PlantInfo
from custom_components.sigenergy_modbus.sensor import counters_of
from tests.conftest import start_simulator
from tests.helpers import device_by_identifier
from tests.integration.conftest import tick

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from freezegun.api import FrozenDateTimeFactory
    from homeassistant.core import HomeAssistant
    from pytest_homeassistant_custom_component.typing import WebSocketGenerator

    from simulator import PlantSimulator

SWEEP_STEP = int(units.SWEEP_INTERVAL.total_seconds())
RECHECK_STEP = int(units.RECHECK_INTERVAL.total_seconds())
DO1 = "switch.sigenergy_inverter_1_dry_contact_do1"


async def _entry_as_the_flow_makes_it(hass: HomeAssistant, sim: PlantSimulator) -> MockConfigEntry:
    """An entry with what the flow's first pass found, and the sweep still to do."""
    found = await identify_first_pass(sim.host, sim.port)
    entry = MockConfigEntry(
        domain=DOMAIN,
        title=entry_title(found.plant),
        unique_id=found.plant.serial,
        data={**found.plant.as_data(), CONF_SWEEP_FROM: found.next_unit_id},
    )
    entry.add_to_hass(hass)
    return entry


async def _set_up(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED


def _plant(entry: MockConfigEntry) -> PlantInfo:
    return PlantInfo.from_data(str(entry.unique_id), entry.data)


def _ids(entry: MockConfigEntry) -> tuple[list[int], list[int]]:
    plant = _plant(entry)
    return [i.unit_id for i in plant.inverters], [c.unit_id for c in plant.ac_chargers]


@pytest.fixture
async def scattered(loopback: None) -> AsyncIterator[PlantSimulator]:
    """Inverters at 1, 2, 7 and 30, an AC charger at 12: ids an installer set far apart."""
    sim = await start_simulator(unit_ids=[1, 2, 7, 30], ac_charger_id=12)
    yield sim
    await sim.stop()


async def _sweep_to_the_end(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, entry: MockConfigEntry
) -> int:
    """Tick until the sweep has asked every id; how many steps it took."""
    for steps in range(1, 300):
        await tick(hass, freezer, SWEEP_STEP)
        if entry.data[CONF_SWEEP_FROM] is None:
            return steps
    pytest.fail("the sweep did not finish")


async def test_sweep_finds_units_set_far_apart(  # noqa: PLR0917 - fixtures
    hass: HomeAssistant,
    scattered: PlantSimulator,
    freezer: FrozenDateTimeFactory,
    device_registry: dr.DeviceRegistry,
    issue_registry: ir.IssueRegistry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The entry starts with 1 and 2; the sweep adds 7, 12 and 30 while it runs, no reload."""
    entry = await _entry_as_the_flow_makes_it(hass, scattered)
    assert _ids(entry) == ([1, 2], [])
    assert entry.data[CONF_SWEEP_FROM] == 5
    await _set_up(hass, entry)
    runtime = entry.runtime_data
    steps = await _sweep_to_the_end(hass, freezer, entry)

    assert steps == 246 - 5 + 1  # one id a step, from 5 to 246
    assert _ids(entry) == ([1, 2, 7, 30], [12])
    assert entry.runtime_data is runtime  # never reloaded
    assert entry.state is ConfigEntryState.LOADED
    for unit in (7, 30):
        device = device_by_identifier(
            device_registry, (DOMAIN, scattered.serial(unit)), entry.entry_id
        )
        assert device is not None
        assert device.name == f"Sigenergy inverter {unit}"
    charger = device_by_identifier(
        device_registry, (DOMAIN, f"{entry.unique_id}_ac_charger_12"), entry.entry_id
    )
    assert charger is not None
    messages = [r.getMessage() for r in caplog.records if r.levelno >= logging.INFO]
    assert any(m.startswith("Found a new inverter at unit id 7 (") for m in messages)
    assert "Found a new AC charger at unit id 12: added" in messages
    assert any(m.startswith("Every unit id 1-246 asked") for m in messages)
    issue = issue_registry.async_get_issue(DOMAIN, f"new_units_{entry.entry_id}")
    assert issue is not None
    assert issue.severity is ir.IssueSeverity.WARNING
    assert issue.translation_placeholders is not None
    assert issue.translation_placeholders["total"] == "5"

    # The new inverters' entities read values at the next detail poll.
    await tick(hass, freezer, 30)
    power = hass.states.get("sensor.sigenergy_inverter_30_active_power")
    assert power is not None
    assert power.state != STATE_UNAVAILABLE
    assert float(power.state) == pytest.approx(scattered.value(30, "active_power"), abs=0.01)
    state = hass.states.get("sensor.sigenergy_ac_charger_12_state")
    assert state is not None
    assert state.state != STATE_UNAVAILABLE


async def test_sweep_asks_one_id_a_step_and_waits_for_the_plant(
    hass: HomeAssistant, scattered: PlantSimulator, freezer: FrozenDateTimeFactory
) -> None:
    """Gentle: one id every 5 s; nothing while the plant does not answer its realtime poll."""
    entry = await _entry_as_the_flow_makes_it(hass, scattered)
    await _set_up(hass, entry)
    plant_units = entry.runtime_data.units
    assert plant_units.sweep_from == 5
    await tick(hass, freezer, SWEEP_STEP, 4)
    assert plant_units.sweep_from == 9  # 5, 6, 7 and 8 asked
    scattered.faults.offline.add(247)  # the plant goes silent
    await tick(hass, freezer, SWEEP_STEP, 4)
    assert plant_units.sweep_from in {9, 10}  # at most the tick before the failed poll
    before = plant_units.sweep_from
    scattered.faults.offline.clear()
    await tick(hass, freezer, SWEEP_STEP, 2)
    assert plant_units.sweep_from is not None
    assert plant_units.sweep_from > before


async def test_sweep_resumes_after_a_restart(
    hass: HomeAssistant, scattered: PlantSimulator, freezer: FrozenDateTimeFactory
) -> None:
    """The sweep's position is stored now and then: a restart goes on from there."""
    entry = await _entry_as_the_flow_makes_it(hass, scattered)
    await _set_up(hass, entry)
    await tick(hass, freezer, SWEEP_STEP, 32)
    assert entry.data[CONF_SWEEP_FROM] == 32
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.runtime_data.units.sweep_from == 32
    assert _ids(entry) == ([1, 2, 7, 30], [12])  # 7, 12 and 30 are below 32: kept


async def later(hass: HomeAssistant, seconds: float, steps: int = 1) -> None:
    """Run what is due within ``seconds``, ``steps`` times, on the real clock.

    For tests where a unit stays silent: the client's timeouts need the event
    loop's clock, which the ``freezer`` would stop.
    """
    for _ in range(steps):
        async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=seconds))
        await hass.async_block_till_done(wait_background_tasks=True)


@pytest.mark.parametrize("missing_ids", ["illegal_address", "silent"])
async def test_sweep_whatever_absent_ids_answer(
    hass: HomeAssistant, loopback: None, missing_ids: str
) -> None:
    """Absent ids answering 0x02 (two requests each) or nothing (a timeout each)."""
    sim = await start_simulator(unit_ids=[1, 200], missing_ids=missing_ids)
    entry = await _entry_as_the_flow_makes_it(hass, sim)
    assert _ids(entry) == ([1], [])
    try:
        with patch.object(units, "PROBE_TIMEOUT", 0.05):
            await _set_up(hass, entry)
            for _ in range(300):
                await later(hass, SWEEP_STEP)
                if entry.data[CONF_SWEEP_FROM] is None:
                    break
        assert _ids(entry) == ([1, 200], [])
    finally:
        await hass.config_entries.async_unload(entry.entry_id)
        await sim.stop()


async def test_inverter_added_at_run_time(  # noqa: PLR0917 - fixtures
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulator: PlantSimulator,
    freezer: FrozenDateTimeFactory,
    entity_registry: er.EntityRegistry,
    issue_registry: ir.IssueRegistry,
) -> None:
    """An installer adds inverter 2: the re-check finds it within a minute, no reload."""
    runtime = init_integration.runtime_data
    assert init_integration.data.get(CONF_SWEEP_FROM) is None  # identified completely
    serial = simulator.add_inverter(2, rated_power=10.0)
    await tick(hass, freezer, RECHECK_STEP)  # the re-check starts after the highest unit
    assert _ids(init_integration) == ([1, 2], [])
    assert init_integration.runtime_data is runtime
    # Its values are judged by its own rating (10 kW), its counters by their own specs.
    realtime = runtime.coordinators["realtime"]
    assert realtime.plausibility.ratings.inverter_kw[2] == 10.0
    counters = {key for unit, key, _ in counters_of(runtime.plant, runtime.features) if unit == 2}
    assert counters
    assert counters <= {key for unit, key in realtime.guard.specs if unit == 2}
    power = entity_registry.async_get_entity_id("sensor", DOMAIN, f"{serial}_active_power")
    assert power == "sensor.sigenergy_inverter_2_active_power"
    do1 = entity_registry.async_get_entity_id("switch", DOMAIN, f"{serial}_do1")
    assert do1 == "switch.sigenergy_inverter_2_dry_contact_do1"
    await tick(hass, freezer, 30)
    state = hass.states.get(power)
    assert state is not None
    assert float(state.state) == pytest.approx(simulator.value(2, "active_power"), abs=0.01)
    assert hass.states.get(do1).state == "off"  # type: ignore[union-attr]
    # The plant's own entities went on without a gap.
    assert hass.states.get("sensor.sigenergy_plant_pv_power").state != STATE_UNAVAILABLE  # type: ignore[union-attr]
    issue = issue_registry.async_get_issue(DOMAIN, f"new_units_{init_integration.entry_id}")
    assert issue is not None
    assert issue.translation_placeholders == {
        "title": "Sigenergy",
        "inverters": "2",
        "ac_chargers": "-",
        "total": "2",
    }


async def test_ac_charger_added_at_run_time(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulator: PlantSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """An AC charger installed at unit 5 is found by the re-check's round of the free ids."""
    simulator.add_ac_charger(5)
    await tick(hass, freezer, RECHECK_STEP, 4)  # 2 and 3 (after the highest), 4, then 5
    assert _ids(init_integration) == ([1], [5])
    await tick(hass, freezer, 30)
    state = hass.states.get("sensor.sigenergy_ac_charger_5_state")
    assert state is not None
    assert state.state != STATE_UNAVAILABLE


async def test_no_more_units_than_the_cap(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulator: PlantSimulator,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A unit found beyond the cap is not added, and the log says so once."""
    simulator.add_inverter(2)
    simulator.add_inverter(3)
    with patch.object(units, "MAX_UNITS", 1):
        await tick(hass, freezer, RECHECK_STEP, 2)
    assert _ids(init_integration) == ([1], [])
    assert caplog.text.count("The plant has more than 1 inverters and AC chargers") == 1


# -- silent units and the owner deleting them ----------------------------------------------

TWO = pytest.mark.parametrize("simulator_options", [{"inverters": 2}])
"""Two inverters: one can go while the plant goes on."""


@TWO
async def test_silent_unit_raises_a_repair_issue_and_clears_it(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulator: PlantSimulator,
    freezer: FrozenDateTimeFactory,
    issue_registry: ir.IssueRegistry,
) -> None:
    """A day without an answer from inverter 2 is a repair issue; its answer clears it."""
    issue_id = f"silent_{init_integration.entry_id}_2"
    simulator.faults.offline.add(2)
    await tick(hass, freezer, 600)
    assert "2" in init_integration.data[CONF_SILENT_SINCE]  # remembered across restarts
    await tick(hass, freezer, 3600, 23)
    assert issue_registry.async_get_issue(DOMAIN, issue_id) is None  # 23 h 10 min
    await tick(hass, freezer, 3000)
    issue = issue_registry.async_get_issue(DOMAIN, issue_id)
    assert issue is not None
    assert issue.translation_key == "inverter_silent"
    assert issue.translation_placeholders == {"title": "Sigenergy", "unit_id": "2", "hours": "24"}
    simulator.faults.offline.clear()
    await tick(hass, freezer, 30)
    assert issue_registry.async_get_issue(DOMAIN, issue_id) is None
    assert init_integration.data[CONF_SILENT_SINCE] == {}


@TWO
async def test_silence_is_remembered_across_a_restart(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulator: PlantSimulator,
    freezer: FrozenDateTimeFactory,
    issue_registry: ir.IssueRegistry,
) -> None:
    """Restarts do not reset the day: the issue comes 24 h after the last answer."""
    simulator.faults.offline.add(2)
    await tick(hass, freezer, 3600, 20)
    assert await hass.config_entries.async_reload(init_integration.entry_id)
    await hass.async_block_till_done()
    await tick(hass, freezer, 3600, 3)
    issue_id = f"silent_{init_integration.entry_id}_2"
    assert issue_registry.async_get_issue(DOMAIN, issue_id) is None  # 23 h
    await tick(hass, freezer, 3600)
    assert issue_registry.async_get_issue(DOMAIN, issue_id) is not None


async def _remove_device(
    hass: HomeAssistant, ws: WebSocketGenerator, entry: MockConfigEntry, device_id: str
) -> dict[str, Any]:
    assert await async_setup_component(hass, "config", {})
    client = await ws(hass)
    await client.send_json_auto_id(
        {
            "type": "config/device_registry/remove_config_entry",
            "config_entry_id": entry.entry_id,
            "device_id": device_id,
        }
    )
    response: dict[str, Any] = await client.receive_json()
    return response


@TWO
async def test_owner_deletes_a_unit_that_no_longer_answers(  # noqa: PLR0917 - fixtures
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulator: PlantSimulator,
    freezer: FrozenDateTimeFactory,
    device_registry: dr.DeviceRegistry,
    entity_registry: er.EntityRegistry,
    hass_ws_client: WebSocketGenerator,
) -> None:
    """Inverter 2 is taken off the plant: once silent, the owner deletes it and all it had."""
    entry = init_integration
    serial = simulator.serial(2)
    inverter = device_by_identifier(device_registry, (DOMAIN, serial), entry.entry_id)
    assert inverter is not None
    answering = await _remove_device(hass, hass_ws_client, entry, inverter.id)
    assert not answering["success"]  # it still answers: it stays

    simulator.remove_unit(2)
    await tick(hass, freezer, 30, 21)  # ten minutes and a half of silence
    response = await _remove_device(hass, hass_ws_client, entry, inverter.id)
    assert response["success"], response

    await hass.async_block_till_done()
    assert _ids(entry) == ([1], [])
    for identifier in (serial, f"{serial}_battery", f"{serial}_pv"):
        assert device_by_identifier(device_registry, (DOMAIN, identifier), entry.entry_id) is None
    assert entity_registry.async_get_entity_id("sensor", DOMAIN, f"{serial}_active_power") is None
    for coordinator in entry.runtime_data.coordinators.values():
        assert 2 not in coordinator.wanted
    await tick(hass, freezer, 30)
    assert entry.runtime_data.coordinators["detail"].last_update_success
    assert 2 not in entry.runtime_data.coordinators["detail"].data


async def test_owner_cannot_delete_the_plant(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulator: PlantSimulator,
    device_registry: dr.DeviceRegistry,
    hass_ws_client: WebSocketGenerator,
) -> None:
    """The plant's device is the plant: deleting it is refused (delete the entry instead)."""
    plant = device_by_identifier(
        device_registry, (DOMAIN, f"{init_integration.unique_id}_plant"), init_integration.entry_id
    )
    assert plant is not None
    response = await _remove_device(hass, hass_ws_client, init_integration, plant.id)
    assert not response["success"]
    assert device_registry.async_get(plant.id) is not None


# -- dry contacts and capabilities ---------------------------------------------------------


@TWO
async def test_inverter_silent_at_setup_does_not_block_the_plant(
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    simulator: PlantSimulator,
    entity_registry: er.EntityRegistry,
) -> None:
    """Inverter 2 does not answer at setup (not even its dry contact probe): the plant loads.

    Its contacts are probed again once it answers, and its switches added then.
    """
    simulator.missing_ids = "silent"
    simulator.faults.offline.add(2)
    mock_config_entry.add_to_hass(hass)
    await _set_up(hass, mock_config_entry)
    serial = simulator.serial(2)
    assert entity_registry.async_get_entity_id("switch", DOMAIN, f"{serial}_do1") is None
    assert hass.states.get(DO1) is not None
    simulator.faults.offline.clear()
    await later(hass, 30)  # it answers its detail poll again
    await later(hass, RECHECK_STEP)  # the next step probes its contacts
    do1 = entity_registry.async_get_entity_id("switch", DOMAIN, f"{serial}_do1")
    assert do1 == "switch.sigenergy_inverter_2_dry_contact_do1"
    await later(hass, 30)
    assert hass.states.get(do1).state == "off"  # type: ignore[union-attr]


async def test_lost_dry_contacts_are_removed_and_the_owner_told(  # noqa: PLR0917 - fixtures
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulator: PlantSimulator,
    entity_registry: er.EntityRegistry,
    issue_registry: ir.IssueRegistry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A restart on firmware without coils removes DO1/DO2 and DI1-5, naming the automation."""
    assert await async_setup_component(
        hass,
        "automation",
        {
            "automation": {
                "alias": "Heat pump on surplus",
                "triggers": [{"trigger": "state", "entity_id": "sensor.sigenergy_plant_pv_power"}],
                "actions": [{"action": "switch.turn_on", "target": {"entity_id": DO1}}],
            }
        },
    )
    await hass.async_block_till_done()
    assert entity_registry.async_get(DO1) is not None
    simulator.coils_enabled = False
    assert await hass.config_entries.async_reload(init_integration.entry_id)
    await hass.async_block_till_done()

    serial = simulator.serial(1)
    for key in ("do1", "do2", "di1", "di5"):
        platform = "switch" if key.startswith("do") else "binary_sensor"
        assert entity_registry.async_get_entity_id(platform, DOMAIN, f"{serial}_{key}") is None
    assert hass.states.get(DO1) is None
    issue = issue_registry.async_get_issue(DOMAIN, f"entities_removed_{init_integration.entry_id}")
    assert issue is not None
    assert issue.translation_key == "entities_removed_used"
    assert issue.translation_placeholders is not None
    assert DO1 in issue.translation_placeholders["entities"]
    assert issue.translation_placeholders["users"] == "Heat pump on surplus"
    assert "used by Heat pump on surplus" in caplog.text
    # What the plant still has is untouched.
    assert hass.states.get("sensor.sigenergy_plant_pv_power").state != STATE_UNAVAILABLE  # type: ignore[union-attr]


@TWO
async def test_contacts_of_a_unit_silent_at_setup_are_kept(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulator: PlantSimulator,
    entity_registry: er.EntityRegistry,
    issue_registry: ir.IssueRegistry,
) -> None:
    """A probe that gets no answer says nothing about the contacts: their entities stay."""
    serial = simulator.serial(2)
    do1 = entity_registry.async_get_entity_id("switch", DOMAIN, f"{serial}_do1")
    assert do1 is not None
    simulator.faults.offline.add(2)
    assert await hass.config_entries.async_reload(init_integration.entry_id)
    await hass.async_block_till_done()
    assert entity_registry.async_get(do1) is not None
    assert (
        issue_registry.async_get_issue(DOMAIN, f"entities_removed_{init_integration.entry_id}")
        is None
    )


async def test_an_input_that_changes_alone_is_shown(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulator: PlantSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """DI1 closes while every register reads as before: the binary sensor follows."""
    entity_id = "binary_sensor.sigenergy_inverter_1_digital_input_di1"
    assert hass.states.get(entity_id).state == "off"  # type: ignore[union-attr]
    simulator.set_discrete_input(1, 0, True)
    await tick(hass, freezer, 30)
    assert hass.states.get(entity_id).state == "on"  # type: ignore[union-attr]
