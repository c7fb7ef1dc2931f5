"""What an owner sees of the simulator's fault scenarios, device by device.

* A battery fault shows on the Battery device itself: its Fault problem
  sensor and its State, not only on the inverter's indicator and alarm 3.
* A grid over-voltage that trips the inverter is an AC fault on the grid
  indicator, and no fault at all on the PV indicator (installation guide,
  chapter 8: red is the inverter's own fault).
* "Discharging" reads "Discharging" / "Not discharging", not "Running".
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from homeassistant.const import STATE_OFF, STATE_ON, Platform
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.translation import async_get_translations

from custom_components.sigenergy_modbus.const import DOMAIN
from tests.integration.conftest import tick

if TYPE_CHECKING:
    from freezegun.api import FrozenDateTimeFactory
    from homeassistant.core import HomeAssistant
    from pytest_homeassistant_custom_component.common import MockConfigEntry

    from simulator import PlantSimulator

FAULT = "binary_sensor.sigenergy_battery_1_fault"
STATE = "sensor.sigenergy_battery_1_state"
DISCHARGING = "binary_sensor.sigenergy_battery_1_discharging"
PV = "sensor.sigenergy_inverter_1_pv_indicator"
GRID = "sensor.sigenergy_inverter_1_grid_indicator"
BATTERY = "sensor.sigenergy_inverter_1_battery_indicator"
RUNNING = "sensor.sigenergy_inverter_1_running_state"


@pytest.fixture
def platforms() -> list[Platform]:
    """Sensors and binary sensors."""
    return [Platform.BINARY_SENSOR, Platform.SENSOR]


def _state(hass: HomeAssistant, entity_id: str) -> str:
    state = hass.states.get(entity_id)
    assert state is not None, entity_id
    return state.state


async def _scenario(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, simulator: PlantSimulator, name: str
) -> None:
    simulator.set_scenario(name)
    await tick(hass, freezer, 30)  # the detail poll


async def test_battery_fault_on_the_battery_device(
    hass: HomeAssistant,
    everything_enabled: MockConfigEntry,
    simulator: PlantSimulator,
    freezer: FrozenDateTimeFactory,
    entity_registry: er.EntityRegistry,
) -> None:
    """The battery-fault scenario: the Battery device says so, enabled by default."""
    fault = entity_registry.async_get(FAULT)
    assert fault is not None
    assert fault.disabled_by is None  # an owner sees it without enabling anything
    assert fault.entity_category is None
    battery_device = fault.device_id
    assert hass.states.get(FAULT).attributes["device_class"] == "problem"
    assert _state(hass, FAULT) == STATE_OFF
    assert _state(hass, STATE) != "fault"

    await _scenario(hass, freezer, simulator, "battery_fault")
    assert _state(hass, FAULT) == STATE_ON
    assert _state(hass, STATE) == "fault"
    assert _state(hass, BATTERY) == "faulty"
    state_entry = entity_registry.async_get(STATE)
    assert state_entry is not None
    assert state_entry.device_id == battery_device

    await _scenario(hass, freezer, simulator, "normal")
    assert _state(hass, FAULT) == STATE_OFF
    assert _state(hass, STATE) != "fault"


async def test_grid_over_voltage_is_an_ac_fault(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulator: PlantSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """The ac-fault scenario: the inverter stops on fault, the grid indicator shows the AC side."""
    assert (_state(hass, PV), _state(hass, GRID)) == ("running", "on_grid")
    await _scenario(hass, freezer, simulator, "ac_fault")
    assert _state(hass, RUNNING) == "fault"
    assert _state(hass, GRID) == "ac_fault"
    assert _state(hass, PV) == "connected"  # stopped, strings connected: white, not red
    await _scenario(hass, freezer, simulator, "normal")
    assert (_state(hass, PV), _state(hass, GRID)) == ("running", "on_grid")


async def test_dc_fault_is_a_dc_fault(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulator: PlantSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """The dc-fault scenario: orange on the PV indicator, the grid side unaffected."""
    await _scenario(hass, freezer, simulator, "dc_fault")
    assert _state(hass, PV) == "dc_fault"
    assert _state(hass, GRID) == "on_grid"


async def test_discharging_reads_discharging(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulator: PlantSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """No "running" device class: its states are named Discharging / Not discharging."""
    assert "device_class" not in hass.states.get(DISCHARGING).attributes
    names = await async_get_translations(hass, "en", "entity", {DOMAIN})
    prefix = f"component.{DOMAIN}.entity.binary_sensor.battery_discharging.state"
    assert names[f"{prefix}.on"] == "Discharging"
    assert names[f"{prefix}.off"] == "Not discharging"
    simulator.set_value(1, "ess_power", -2.0)
    await tick(hass, freezer, 30)
    assert _state(hass, DISCHARGING) == STATE_ON
    simulator.set_value(1, "ess_power", 2.0)
    await tick(hass, freezer, 30)
    assert _state(hass, DISCHARGING) == STATE_OFF
