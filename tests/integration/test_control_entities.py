"""The control entities: numbers, the remote EMS select and switch, start/stop buttons.

Each write is checked on the device side: what was sent, that nothing is sent
when nothing changes, that the range comes from the device's ratings, that
0x02 is told apart (not allowed now / not supported) without making the
register unsupported for reads, and that read-only mode sends nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
from homeassistant.components.button import DOMAIN as BUTTON_DOMAIN
from homeassistant.components.button import SERVICE_PRESS
from homeassistant.components.number import ATTR_VALUE, SERVICE_SET_VALUE
from homeassistant.components.number import DOMAIN as NUMBER_DOMAIN
from homeassistant.components.select import ATTR_OPTION, SERVICE_SELECT_OPTION
from homeassistant.components.select import DOMAIN as SELECT_DOMAIN
from homeassistant.components.switch import DOMAIN as SWITCH_DOMAIN
from homeassistant.const import (
    ATTR_ENTITY_ID,
    SERVICE_TURN_OFF,
    SERVICE_TURN_ON,
    STATE_OFF,
    STATE_ON,
    STATE_UNAVAILABLE,
    Platform,
)
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import entity_registry as er

from custom_components.sigenergy_modbus import control
from custom_components.sigenergy_modbus.const import CONF_READ_ONLY
from custom_components.sigenergy_modbus.protocol.control import SETTINGS
from custom_components.sigenergy_modbus.protocol.keys import Key
from custom_components.sigenergy_modbus.protocol.registers import BY_KEY, PLANT_UNIT_ID
from simulator import ControlOptions
from tests.integration.control_helpers import (
    CHARGE_LIMIT,
    CUT_OFF,
    EXPORT_LIMIT,
    act,
    plant_writes,
    run,
)
from tests.integration.snapshot import entity_snapshot, snapshot_entities

if TYPE_CHECKING:
    from freezegun.api import FrozenDateTimeFactory
    from homeassistant.core import HomeAssistant
    from pytest_homeassistant_custom_component.common import MockConfigEntry
    from syrupy.assertion import SnapshotAssertion

    from simulator import PlantSimulator

PCS_EXPORT = "number.sigenergy_plant_inverter_export_limit"
MODE = "select.sigenergy_plant_remote_ems_control_mode"
REMOTE_EMS = "switch.sigenergy_plant_remote_ems"
PLANT_STOP = "button.sigenergy_plant_stop_plant"
PLANT_START = "button.sigenergy_plant_start_plant"
RUNNING = "sensor.sigenergy_plant_running_state"
AC_CURRENT = "number.sigenergy_ac_charger_2_charging_current"
AC_START = "button.sigenergy_ac_charger_2_start_charging"
DC_LIMIT = "number.sigenergy_dc_charger_1_charging_power_limit"
DC_START = "button.sigenergy_dc_charger_1_start_charging"
DC_STATE = "sensor.sigenergy_dc_charger_1_state"

WITH_CHARGERS = pytest.mark.parametrize(
    "simulator_options",
    [
        {
            "ac_charger": True,
            "control": ControlOptions(
                dc_charger=True, ratings_bound_writes=True, ac_charger_start_needs_vehicle=True
            ),
        }
    ],
)


@pytest.fixture
def platforms() -> list[Platform]:
    """The control platforms and the sensors that show their effect."""
    return [Platform.BUTTON, Platform.NUMBER, Platform.SELECT, Platform.SENSOR, Platform.SWITCH]


@pytest.fixture(autouse=True)
def _no_pacing(monkeypatch: pytest.MonkeyPatch) -> None:
    """The frozen clock would hold the 1 s pacing for ever; test_control_pacing checks it."""
    monkeypatch.setattr(control, "WRITE_INTERVAL", 0.0)


async def set_value(hass: HomeAssistant, entity_id: str, value: float) -> None:
    await hass.services.async_call(
        NUMBER_DOMAIN, SERVICE_SET_VALUE, {ATTR_ENTITY_ID: entity_id, ATTR_VALUE: value}, True
    )


async def call(hass: HomeAssistant, domain: str, service: str, entity_id: str, **data: Any) -> None:
    await hass.services.async_call(domain, service, {ATTR_ENTITY_ID: entity_id, **data}, True)


def state(hass: HomeAssistant, entity_id: str) -> str:
    found = hass.states.get(entity_id)
    assert found is not None, entity_id
    return found.state


@WITH_CHARGERS
@pytest.mark.parametrize(
    "domain", ["number", "select", "button", "switch", "sensor"], ids=lambda d: d
)
async def test_snapshot(
    hass: HomeAssistant,
    everything_enabled: MockConfigEntry,
    snapshot: SnapshotAssertion,
    domain: str,
) -> None:
    """Every control entity of a plant with both chargers (sensors: the control ones)."""
    if domain != "sensor":
        await snapshot_entities(hass, snapshot, everything_enabled.entry_id, domain)
        return
    registry = er.async_get(hass)
    control_sensors = {
        e.entity_id: entity_snapshot(hass, e)
        for e in er.async_entries_for_config_entry(registry, everything_enabled.entry_id)
        if e.translation_key in {"control_action", "control_action_end"}
    }
    assert len(control_sensors) == 2
    assert control_sensors == snapshot


async def test_number_writes_skips_no_ops_and_shows_the_read_back(
    hass: HomeAssistant, init_integration: MockConfigEntry, simulator: PlantSimulator
) -> None:
    assert float(state(hass, EXPORT_LIMIT)) == 13.2  # the plant's maximum active power
    await set_value(hass, EXPORT_LIMIT, 4.5)
    assert plant_writes(simulator) == [(40038, [0, 4500])]
    assert simulator.value(PLANT_UNIT_ID, "grid_max_export_limit") == 4.5
    assert float(state(hass, EXPORT_LIMIT)) == 4.5  # at once, from the read-back
    requests = simulator.stats.requests
    await set_value(hass, EXPORT_LIMIT, 4.5)  # what it holds already
    assert len(simulator.stats.writes) == 1
    assert simulator.stats.requests == requests + 1  # the read before the write, only
    await set_value(hass, CUT_OFF, 12)
    assert plant_writes(simulator, 1) == [(40048, [120])]


async def test_every_write_is_range_checked(
    hass: HomeAssistant, init_integration: MockConfigEntry, simulator: PlantSimulator
) -> None:
    """Above the device's rating or the protocol's range nothing is sent."""
    number = hass.states.get(CHARGE_LIMIT)
    assert number is not None
    assert number.attributes["max"] == 12.0  # rated ESS charging power (30068)
    assert number.attributes["min"] == 0.0
    requests = simulator.stats.requests
    registry = er.async_get(hass)
    controller = init_integration.runtime_data.controller
    for key, value in (
        ("ess_max_charging_limit", 12.5),
        ("ess_max_discharging_limit", -1.0),
        ("grid_max_export_limit", 13.3),
        ("ess_charge_cut_off_soc", 100.5),
        ("ess_backup_soc", float("nan")),
    ):
        with pytest.raises(ServiceValidationError) as err:
            await controller.async_write_setting(
                PLANT_UNIT_ID, SETTINGS[Key(key)], value, source="test"
            )
        assert err.value.translation_key == "value_out_of_range", key
    with pytest.raises(ServiceValidationError):  # Home Assistant's own check of min/max
        await set_value(hass, CHARGE_LIMIT, 13)
    with pytest.raises(ServiceValidationError) as err:
        await controller.async_write_code(
            PLANT_UNIT_ID, Key.REMOTE_EMS_CONTROL_MODE, 7, source="test"
        )
    assert err.value.translation_key == "value_out_of_range"  # 0x07 is "Reserved"
    assert simulator.stats.requests == requests
    assert simulator.stats.writes == []
    assert registry.async_get(CHARGE_LIMIT) is not None


async def test_no_limit_on_the_inverter_limits(
    hass: HomeAssistant, everything_enabled: MockConfigEntry, simulator: PlantSimulator
) -> None:
    """40042 reads all ones (no limit): shown at the maximum; the maximum writes all ones."""
    assert simulator.words(PLANT_UNIT_ID, "pcs_max_export_limit") == [0xFFFF, 0xFFFF]
    assert float(state(hass, PCS_EXPORT)) == 13.2
    await set_value(hass, PCS_EXPORT, 6.0)
    await set_value(hass, PCS_EXPORT, 13.2)
    assert plant_writes(simulator) == [(40042, [0, 6000]), (40042, [0xFFFF, 0xFFFF])]
    assert simulator.value(PLANT_UNIT_ID, "pcs_max_export_limit") is None
    assert float(state(hass, PCS_EXPORT)) == 13.2


async def test_a_setting_an_action_holds_is_refused(
    hass: HomeAssistant, init_integration: MockConfigEntry, simulator: PlantSimulator
) -> None:
    await act(hass, init_integration, "hold", duration={"minutes": 10})
    writes = len(simulator.stats.writes)
    with pytest.raises(ServiceValidationError) as err:
        await set_value(hass, CHARGE_LIMIT, 5)
    assert err.value.translation_key == "action_active"
    await set_value(hass, CUT_OFF, 10)  # one the action does not hold
    assert plant_writes(simulator, writes) == [(40048, [100])]


async def test_remote_ems_switch_and_mode_select(
    hass: HomeAssistant, everything_enabled: MockConfigEntry, simulator: PlantSimulator
) -> None:
    assert state(hass, REMOTE_EMS) == STATE_OFF
    assert state(hass, MODE) == "max_self_consumption"
    await call(hass, SELECT_DOMAIN, SERVICE_SELECT_OPTION, MODE, **{ATTR_OPTION: "standby"})
    await call(hass, SWITCH_DOMAIN, SERVICE_TURN_ON, REMOTE_EMS)
    assert plant_writes(simulator) == [(40031, [1]), (40029, [1])]
    assert state(hass, REMOTE_EMS) == STATE_ON
    assert state(hass, MODE) == "standby"
    assert simulator.value(PLANT_UNIT_ID, "plant_ess_power") == 0.0  # standby
    await call(hass, SWITCH_DOMAIN, SERVICE_TURN_OFF, REMOTE_EMS)
    assert plant_writes(simulator, 2) == [(40029, [0])]
    # while an action runs, both belong to it
    await act(hass, everything_enabled, "hold", duration={"minutes": 10})
    for domain, service, entity_id, data in (
        (SWITCH_DOMAIN, SERVICE_TURN_OFF, REMOTE_EMS, {}),
        (SELECT_DOMAIN, SERVICE_SELECT_OPTION, MODE, {ATTR_OPTION: "standby"}),
    ):
        with pytest.raises(ServiceValidationError) as err:
            await call(hass, domain, service, entity_id, **data)
        assert err.value.translation_key == "action_active"


async def test_plant_stop_and_start(
    hass: HomeAssistant,
    everything_enabled: MockConfigEntry,
    simulator: PlantSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Write-only 40000: sent once, nothing read back; the running state shows the effect."""
    registry = er.async_get(hass)
    entry = registry.async_get(PLANT_STOP)
    assert entry is not None
    assert entry.entity_category == "config"
    await call(hass, BUTTON_DOMAIN, SERVICE_PRESS, PLANT_STOP)
    assert plant_writes(simulator) == [(40000, [0])]
    assert simulator.stats.by_function.get(0x06) == 1
    await run(hass, freezer, simulator, 5)
    assert state(hass, RUNNING) == "shutdown"
    await call(hass, BUTTON_DOMAIN, SERVICE_PRESS, PLANT_START)
    await run(hass, freezer, simulator, 5)
    assert plant_writes(simulator) == [(40000, [0]), (40000, [1])]
    assert state(hass, RUNNING) == "running"


@pytest.mark.parametrize(
    "simulator_options", [{"control": ControlOptions(limit_writes_need_remote_ems=True)}]
)
async def test_refused_with_0x02_while_readable_is_not_allowed_now(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulator: PlantSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Not allowed in the current mode: said so; the register stays read, the entity available."""
    with pytest.raises(HomeAssistantError) as err:
        await set_value(hass, CHARGE_LIMIT, 5)
    assert err.value.translation_key == "write_not_allowed"
    assert "ESS max charging limit (40032)" in str(err.value)
    client = init_integration.runtime_data.client
    await run(hass, freezer, simulator, 300, step=60)
    assert client.planner.unsupported(PLANT_UNIT_ID) == frozenset()
    assert float(state(hass, CHARGE_LIMIT)) == 12.0


async def test_refused_with_0x02_when_reads_are_refused_too_is_unsupported(
    hass: HomeAssistant, init_integration: MockConfigEntry, simulator: PlantSimulator
) -> None:
    simulator.faults.unsupported.add((PLANT_UNIT_ID, 40038))
    with pytest.raises(HomeAssistantError) as err:
        await init_integration.runtime_data.controller.async_write_setting(
            PLANT_UNIT_ID, SETTINGS[Key.GRID_MAX_EXPORT_LIMIT], 3.0, source="test"
        )
    assert err.value.translation_key == "write_unsupported"
    assert simulator.stats.writes == []  # the read before refused: nothing written


@WITH_CHARGERS
async def test_ac_charger_current_and_start(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulator: PlantSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    charger = simulator.ac_charger_id
    assert charger == 2
    number = hass.states.get(AC_CURRENT)
    assert number is not None
    assert (number.attributes["min"], number.attributes["max"]) == (6.0, 16.0)
    await set_value(hass, AC_CURRENT, 10)
    assert simulator.stats.writes == [(charger, 0x10, 42001, [0, 1000])]
    assert simulator.value(charger, "ac_charger_output_current") == 10.0
    # 10:00, no car plugged in: the start is refused as not allowed now (42001 reads fine)
    with pytest.raises(HomeAssistantError) as err:
        await call(hass, BUTTON_DOMAIN, SERVICE_PRESS, AC_START)
    assert err.value.translation_key == "write_not_allowed"
    assert simulator.stats.writes[-1] == (charger, 0x06, 42000, [0])
    simulator.faults.unsupported |= {(charger, 42000), (charger, 42001)}
    with pytest.raises(HomeAssistantError) as err:
        await call(hass, BUTTON_DOMAIN, SERVICE_PRESS, AC_START)
    assert err.value.translation_key == "write_unsupported"


@WITH_CHARGERS
async def test_dc_charger_never_gets_a_zero_limit(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulator: PlantSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    number = hass.states.get(DC_LIMIT)
    assert number is not None
    assert (number.attributes["min"], number.attributes["max"]) == (1.0, 12.0)
    with pytest.raises(ServiceValidationError):
        await set_value(hass, DC_LIMIT, 0)
    controller = init_integration.runtime_data.controller
    register = BY_KEY["dc_charger_max_charging_power_limit"]
    with pytest.raises(ServiceValidationError) as err:
        await controller._write(1, register, (0, 0), source="test")
    assert err.value.translation_key == "value_forbidden"
    assert simulator.stats.writes == []
    await set_value(hass, DC_LIMIT, 7.5)
    await call(hass, BUTTON_DOMAIN, SERVICE_PRESS, DC_START)
    assert simulator.stats.writes == [(1, 0x10, 41002, [0, 7500]), (1, 0x06, 41000, [0])]
    await run(hass, freezer, simulator, 30)
    assert state(hass, DC_STATE) == "charging"
    assert simulator.value(1, "dc_charger_output_power") == 7.5


@pytest.mark.parametrize("read_only", [True])
@pytest.mark.usefixtures("_only_platforms")
async def test_read_only_refuses_every_control_entity(
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    simulator: PlantSimulator,
    read_only: bool,
) -> None:
    registry = er.async_get(hass)
    mock_config_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(mock_config_entry, options={CONF_READ_ONLY: read_only})
    assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    for entry in er.async_entries_for_config_entry(registry, mock_config_entry.entry_id):
        if entry.disabled_by is not None:
            registry.async_update_entity(entry.entity_id, disabled_by=None)
    assert await hass.config_entries.async_reload(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    requests = simulator.stats.requests
    for domain, service, entity_id, data in (
        (NUMBER_DOMAIN, SERVICE_SET_VALUE, CHARGE_LIMIT, {ATTR_VALUE: 5}),
        (NUMBER_DOMAIN, SERVICE_SET_VALUE, PCS_EXPORT, {ATTR_VALUE: 5}),
        (SELECT_DOMAIN, SERVICE_SELECT_OPTION, MODE, {ATTR_OPTION: "standby"}),
        (SWITCH_DOMAIN, SERVICE_TURN_ON, REMOTE_EMS, {}),
        (BUTTON_DOMAIN, SERVICE_PRESS, PLANT_STOP, {}),
        (SWITCH_DOMAIN, SERVICE_TURN_ON, "switch.sigenergy_inverter_1_dry_contact_do1", {}),
    ):
        assert state(hass, entity_id) != STATE_UNAVAILABLE
        with pytest.raises(ServiceValidationError) as err:
            await call(hass, domain, service, entity_id, **data)
        assert err.value.translation_key == "read_only", entity_id
    assert simulator.stats.requests == requests  # not even a read before the write
    assert simulator.stats.writes == []
