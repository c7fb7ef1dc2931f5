"""The Energy dashboard takes the sensors the README names, as they are.

Home Assistant's battery power is positive while discharging (the
dashboard's "standard" power sensor); the protocol's, and "Battery power",
is positive while charging. "Battery power (discharging positive)" is the
battery's power in Home Assistant's sign, so that it goes into the
dashboard as a standard power sensor, without "inverted".

The README's configuration is saved through the energy integration's own
websocket API and validated by it, against the simulated plant.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

import pytest
from homeassistant.components.energy import data as energy_data
from homeassistant.components.recorder import Recorder, statistics
from homeassistant.const import Platform
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
    do_adhoc_statistics,
)

from tests.integration.conftest import tick

if TYPE_CHECKING:
    from freezegun.api import FrozenDateTimeFactory
    from homeassistant.core import HomeAssistant
    from pytest_homeassistant_custom_component.common import MockConfigEntry
    from pytest_homeassistant_custom_component.typing import WebSocketGenerator

    from simulator import PlantSimulator

P = "sensor.sigenergy_plant_"
BATTERY_POWER = f"{P}battery_power_discharging_positive"


def _grid() -> dict[str, Any]:
    """The grid source: one import/export pair (2026.10), or the lists of 2026.2."""
    if hasattr(energy_data, "LegacyGridSourceType"):  # the lists became legacy in 2026.x
        return {
            "type": "grid",
            "stat_energy_from": f"{P}grid_import_energy",
            "stat_energy_to": f"{P}grid_export_energy",
            "power_config": {"stat_rate": f"{P}grid_power"},
            "stat_cost": None,
            "entity_energy_price": None,
            "number_energy_price": None,
            "stat_compensation": None,
            "entity_energy_price_export": None,
            "number_energy_price_export": None,
            "cost_adjustment_day": 0.0,
        }
    no_price = {"entity_energy_price": None, "number_energy_price": None}
    return {
        "type": "grid",
        "flow_from": [
            {"stat_energy_from": f"{P}grid_import_energy", "stat_cost": None, **no_price}
        ],
        "flow_to": [
            {"stat_energy_to": f"{P}grid_export_energy", "stat_compensation": None, **no_price}
        ],
        "power": [{"power_config": {"stat_rate": f"{P}grid_power"}}],
        "cost_adjustment_day": 0.0,
    }


# What the README's "Energy dashboard" section says goes where.
README_PREFS: dict[str, Any] = {
    "energy_sources": [
        _grid(),
        {
            "type": "solar",
            "stat_energy_from": f"{P}pv_energy",
            "stat_rate": f"{P}pv_power",
            "config_entry_solar_forecast": None,
        },
        {
            "type": "battery",
            "stat_energy_from": f"{P}battery_discharge_energy",
            "stat_energy_to": f"{P}battery_charge_energy",
            "power_config": {"stat_rate": BATTERY_POWER},
        },
    ],
    "device_consumption": [],
}


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(
    recorder_mock: Recorder, enable_custom_integrations: None
) -> None:
    """The recorder (which the energy integration needs) starts before Home Assistant."""


@pytest.fixture
def platforms() -> list[Platform]:
    """Only sensors."""
    return [Platform.SENSOR]


async def test_battery_power_in_home_assistants_sign(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulator: PlantSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Negative while charging, positive while discharging; the other way from Battery power."""
    for forced in (3.5, -2.25):  # kW, the protocol's sign: charging, then discharging
        simulator.set_value(247, "plant_ess_power", forced)
        await tick(hass, freezer, 5)
        ours = float(hass.states.get(f"{P}battery_power").state)
        dashboards = float(hass.states.get(BATTERY_POWER).state)
        assert ours == forced
        assert dashboards == -forced
    state = hass.states.get(BATTERY_POWER)
    assert state.attributes["device_class"] == "power"
    assert state.attributes["state_class"] == "measurement"
    assert state.attributes["unit_of_measurement"] == "kW"
    assert state.name == "Sigenergy plant Battery power (discharging positive)"


async def test_readme_configuration_is_valid(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    hass_ws_client: WebSocketGenerator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """The energy integration saves the README's sensors and finds nothing wrong with them.

    Five minutes of readings are recorded and compiled into statistics first,
    so that the validation looks at each sensor's statistics, unit and class.
    """
    assert await async_setup_component(hass, "energy", {})
    await async_wait_recording_done(hass)
    period = statistics.get_start_time()
    while dt_util.utcnow() < period + timedelta(minutes=10):
        await tick(hass, freezer, 30)
        await async_wait_recording_done(hass)
    do_adhoc_statistics(hass, start=period + timedelta(minutes=5))
    await async_wait_recording_done(hass)
    client = await hass_ws_client(hass)
    await client.send_json_auto_id({"type": "energy/save_prefs", **README_PREFS})
    saved = await client.receive_json()
    assert saved["success"], saved
    (battery,) = [s for s in saved["result"]["energy_sources"] if s["type"] == "battery"]
    # A standard power sensor is used as it is: no inverted copy is made of it.
    assert battery["stat_rate"] == BATTERY_POWER
    await hass.async_block_till_done()
    await client.send_json_auto_id({"type": "energy/validate"})
    validation = await client.receive_json()
    assert validation["success"], validation
    assert validation["result"]["energy_sources"] == [[], [], []]
