"""No sensor ever shows a negative zero ("Grid export power -0.00 kW").

A negated or rounded zero is -0.0 in Python, which Home Assistant shows as
"-0.0" and the frontend as "-0.00 kW". Every sensor's value goes through one
function that makes it 0.0.
"""

from __future__ import annotations

import math
import re
from typing import TYPE_CHECKING

import pytest
from homeassistant.const import Platform

from custom_components.sigenergy_modbus.protocol.values import UnitValues
from custom_components.sigenergy_modbus.sensor import SENSORS, sensor_value
from tests.integration.conftest import tick

if TYPE_CHECKING:
    from freezegun.api import FrozenDateTimeFactory
    from homeassistant.core import HomeAssistant
    from pytest_homeassistant_custom_component.common import MockConfigEntry

    from simulator import PlantSimulator

NEGATIVE_ZERO = re.compile(r"^-0(\.0*)?$")


def _negative_zero(value: object) -> bool:
    return isinstance(value, float) and value == 0 and math.copysign(1.0, value) < 0


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations() -> None:
    """Most tests here need no hass; the one that does enables it itself."""


@pytest.mark.parametrize("reading", [0.0, -0.0, -0.0004, -1e-9, 0.0004])
def test_no_description_gives_negative_zero(reading: float) -> None:
    """Every sensor, its registers all at a (negative) zero or a hair below or above it."""
    for description in SENSORS:
        keys = (*description.registers, *description.plant_registers)
        value = sensor_value(description, UnitValues(dict.fromkeys(keys, reading)))
        assert not _negative_zero(value), (description.key, reading, value)


def test_the_ones_that_did() -> None:
    """Grid export at zero, battery power in Home Assistant's sign, a string at 0 V."""
    by_key = {d.key: d for d in SENSORS}
    cases = {
        "grid_export_power": {"grid_sensor_active_power": 0.0},
        "plant_battery_power_discharging_positive": {"plant_ess_power": 0.0},
        "pv1_power": {"pv1_voltage": 0.0, "pv1_current": -0.01},
    }
    for key, values in cases.items():
        value = sensor_value(by_key[key], UnitValues(values))
        assert value == 0
        assert not _negative_zero(value), key


@pytest.fixture
def platforms() -> list[Platform]:
    """Only sensors."""
    return [Platform.SENSOR]


async def test_no_state_reads_negative_zero(
    enable_custom_integrations: None,
    hass: HomeAssistant,
    everything_enabled: MockConfigEntry,
    simulator: PlantSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Off grid, an idle battery, strings at 0 V with a hair of negative current."""
    simulator.set_scenario("off_grid")
    simulator.set_value(1, "ess_power", 0.0)
    simulator.set_value(247, "plant_ess_power", 0.0)
    simulator.set_value(1, "pv1_voltage", 0.0)
    simulator.set_value(1, "pv1_current", -0.01)
    await tick(hass, freezer, 30)
    await tick(hass, freezer, 30)
    states = {s.entity_id: s.state for s in hass.states.async_all("sensor")}
    assert states["sensor.sigenergy_plant_grid_export_power"] == "0.0"
    assert states["sensor.sigenergy_pv_inputs_1_string_1_power"] == "0.0"
    assert states["sensor.sigenergy_plant_battery_power_discharging_positive"] == "0.0"
    assert [e for e, s in states.items() if NEGATIVE_ZERO.match(s)] == []
