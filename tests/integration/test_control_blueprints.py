"""The control blueprints, run by Home Assistant's automations against the real integration.

Each blueprint is loaded from a temporary config directory and set up as an
automation; its actions go to the integration, which writes to the simulated
plant. The price and charger sensors are plain states: they stand for another
integration (Nord Pool, Tibber, a wallbox).
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from homeassistant.const import Platform
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util

from custom_components.sigenergy_modbus import control
from tests.integration.control_helpers import (
    ACTION,
    ACTION_END,
    EXPORT_LIMIT,
    plant_device,
    plant_writes,
    run,
    set_soc,
)

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from freezegun.api import FrozenDateTimeFactory
    from homeassistant.core import HomeAssistant
    from pytest_homeassistant_custom_component.common import MockConfigEntry

    from simulator import PlantSimulator

BLUEPRINTS = Path(__file__).parents[2] / "blueprints" / "automation" / "sigenergy_modbus"
PRICE = "sensor.electricity_price"
CAR = "sensor.wallbox_power"
TODAY = [0.31, 0.29, 0.27, 0.05, 0.06, 0.07, 0.25, 0.33] + [0.30] * 16
"""Hourly prices of a day: the three cheapest are 0.05-0.07."""


@pytest.fixture
def platforms() -> list[Platform]:
    """The control sensors, the battery's state of charge, the export limit."""
    return [Platform.NUMBER, Platform.SENSOR]


@pytest.fixture(autouse=True)
def _no_pacing(monkeypatch: pytest.MonkeyPatch) -> None:
    """The frozen clock would hold the 1 s pacing for ever; test_control_pacing checks it."""
    monkeypatch.setattr(control, "WRITE_INTERVAL", 0.0)


@pytest.fixture
async def blueprints(hass: HomeAssistant, tmp_path: Path) -> AsyncIterator[None]:
    """A config directory that holds the blueprints; the automation is off at the end.

    Turned off, an automation detaches its triggers: the time pattern's timer
    does not outlive the test.
    """
    hass.config.config_dir = str(tmp_path)
    await hass.async_add_executor_job(
        shutil.copytree, BLUEPRINTS, tmp_path / "blueprints" / "automation" / "sigenergy_modbus"
    )
    yield
    if hass.services.has_service("automation", "turn_off"):
        await hass.services.async_call(
            "automation", "turn_off", {"entity_id": "all"}, blocking=True
        )


async def automation(hass: HomeAssistant, path: str, inputs: dict[str, Any]) -> None:
    """Set up one automation from a blueprint; it must come up on."""
    assert await async_setup_component(
        hass,
        "automation",
        {
            "automation": {
                "alias": "under test",
                "use_blueprint": {"path": f"sigenergy_modbus/{path}", "input": inputs},
            }
        },
    )
    await hass.async_block_till_done()
    state = hass.states.get("automation.under_test")
    assert state is not None
    assert state.state == "on"


def price(hass: HomeAssistant, value: float, today: list[float] | None = None) -> None:
    hass.states.async_set(PRICE, str(value), {"today": today} if today is not None else {})


@pytest.mark.usefixtures("blueprints")
async def test_cheap_charging_in_the_cheapest_hours(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulator: PlantSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    set_soc(simulator, 40.0)
    price(hass, 0.30, TODAY)
    await run(hass, freezer, simulator, 5)
    await automation(
        hass,
        "cheap_charging.yaml",
        {"plant": plant_device(hass, init_integration), "price_sensor": PRICE, "charge_power": 2},
    )
    price(hass, 0.31, TODAY)  # not among the three cheapest, above the threshold
    await hass.async_block_till_done()
    assert simulator.stats.writes == []
    price(hass, 0.07, TODAY)  # the third cheapest hour
    await hass.async_block_till_done()
    assert plant_writes(simulator) == [(40032, [0, 2000]), (40031, [3]), (40029, [1])]
    assert hass.states.get(ACTION).state == "force_charge"
    end = hass.states.get(ACTION_END).state
    await run(hass, freezer, simulator, 300, step=60)  # renewed: a new end, nothing written
    assert hass.states.get(ACTION_END).state > end
    assert len(simulator.stats.writes) == 3
    price(hass, 0.25, TODAY)  # dearer: released at once
    await hass.async_block_till_done()
    assert plant_writes(simulator, 3) == [(40029, [0]), (40031, [2]), (40032, [0, 12000])]
    assert hass.states.get(ACTION).state == "none"


@pytest.mark.usefixtures("blueprints")
async def test_cheap_charging_by_threshold_with_any_price_sensor(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulator: PlantSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A sensor without today's prices: the threshold decides; a longer action is not ours."""
    set_soc(simulator, 40.0)
    price(hass, 0.12)
    await run(hass, freezer, simulator, 5)
    device = plant_device(hass, init_integration)
    await automation(
        hass,
        "cheap_charging.yaml",
        {"plant": device, "price_sensor": PRICE, "price_threshold": 0.10, "target_soc": 80},
    )
    price(hass, 0.09)
    await hass.async_block_till_done()
    assert plant_writes(simulator)[0] == (40032, [0, 3000])  # the default 3 kW
    price(hass, 0.20)
    await hass.async_block_till_done()
    assert hass.states.get(ACTION).state == "none"
    # the owner's own force charge for two hours: the automation leaves it alone
    await hass.services.async_call(
        "sigenergy_modbus",
        "force_charge",
        {"device_id": device, "power": 1.0, "duration": {"hours": 2}},
        blocking=True,
    )
    await run(hass, freezer, simulator, 600, step=60)
    assert hass.states.get(ACTION).state == "force_charge"


@pytest.mark.usefixtures("blueprints")
async def test_no_export_at_negative_prices(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulator: PlantSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    price(hass, 0.08)
    await automation(hass, "negative_price_export.yaml", {"price_sensor": PRICE})
    assert simulator.stats.writes == []
    price(hass, -0.02)
    await hass.async_block_till_done()
    assert plant_writes(simulator) == [(40038, [0, 0])]
    assert simulator.value(247, "grid_sensor_active_power") >= -0.002  # nothing exported
    await run(hass, freezer, simulator, 600, step=60)  # checked again: nothing to write
    assert len(simulator.stats.writes) == 1
    price(hass, 0.01)
    await hass.async_block_till_done()
    assert plant_writes(simulator, 1) == [(40038, [0, 13200])]  # the maximum: no limit
    # a limit the owner set by hand stays
    await hass.services.async_call(
        "number", "set_value", {"entity_id": EXPORT_LIMIT, "value": 5}, blocking=True
    )
    price(hass, 0.02)
    await run(hass, freezer, simulator, 600, step=60)
    assert float(hass.states.get(EXPORT_LIMIT).state) == 5.0
    assert len(simulator.stats.writes) == 3


@pytest.mark.usefixtures("blueprints")
async def test_hold_the_battery_while_the_car_charges(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulator: PlantSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    hass.states.async_set(CAR, "0.0", {"device_class": "power", "unit_of_measurement": "kW"})
    # Just past a ten-minute mark: the blueprint's renewal (every ten minutes,
    # while the car charges) is not due in the first minute below, whatever
    # the wall clock said when the test started.
    now = dt_util.utcnow()
    await run(hass, freezer, simulator, 600 - (now.minute % 10 * 60 + now.second) + 5, step=60)
    await automation(
        hass,
        "hold_while_ev_charges.yaml",
        {"plant": plant_device(hass, init_integration), "charger_power": CAR},
    )
    hass.states.async_set(CAR, "7.2", {"device_class": "power", "unit_of_measurement": "kW"})
    await run(hass, freezer, simulator, 50, step=10)
    assert simulator.stats.writes == []  # not a minute yet
    await run(hass, freezer, simulator, 20, step=10)
    assert plant_writes(simulator) == [(40032, [0, 0]), (40031, [4]), (40029, [1])]
    assert simulator.value(247, "plant_ess_power") == 0.0
    await run(hass, freezer, simulator, 3600, step=60)  # renewed while it charges
    assert hass.states.get(ACTION).state == "hold"
    assert len(simulator.stats.writes) == 3
    hass.states.async_set(CAR, "0.0", {"device_class": "power", "unit_of_measurement": "kW"})
    await run(hass, freezer, simulator, 130, step=10)
    assert plant_writes(simulator, 3) == [(40029, [0]), (40031, [2]), (40032, [0, 12000])]
    assert hass.states.get(ACTION).state == "none"


# --- emhass_battery_plan.yaml ----------------------------------------------------

PLAN_BATTERY = "sensor.p_batt_forecast"
PLAN_GRID = "sensor.p_grid_forecast"
PLAN_SOC = "sensor.soc_batt_forecast"


def plan(hass: HomeAssistant, battery: float | str, grid: float | str, soc: float | str) -> None:
    """EMHASS publishes the step: battery W (+ discharging), grid W (+ importing), SOC %."""
    hass.states.async_set(PLAN_BATTERY, str(battery), {"unit_of_measurement": "W"})
    hass.states.async_set(PLAN_GRID, str(grid), {"unit_of_measurement": "W"})
    hass.states.async_set(PLAN_SOC, str(soc), {"unit_of_measurement": "%"})


async def published(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, simulator: PlantSimulator
) -> None:
    """The plan has stood for the blueprint's 5 seconds: it acts on it."""
    await hass.async_block_till_done()  # the state changes seen: the 5 seconds start now
    await run(hass, freezer, simulator, 6, step=3)


async def follow_plan(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    await automation(hass, "emhass_battery_plan.yaml", {"plant": plant_device(hass, entry)})


@pytest.mark.usefixtures("blueprints")
async def test_emhass_plan_charges_from_the_grid_then_self_consumption(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulator: PlantSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    set_soc(simulator, 40.0)
    plan(hass, 800, 0, 38)  # the battery covers the house: the plant does that itself
    await run(hass, freezer, simulator, 5)
    await follow_plan(hass, init_integration)
    assert simulator.stats.writes == []
    plan(hass, -3000, 3400, 50)  # charging while importing: from the grid
    await run(hass, freezer, simulator, 4, step=2)
    assert simulator.stats.writes == []  # not on half a plan: it waits for it to stand
    await published(hass, freezer, simulator)
    assert plant_writes(simulator) == [(40032, [0, 3000]), (40031, [3]), (40029, [1])]
    assert hass.states.get(ACTION).state == "force_charge"
    end = hass.states.get(ACTION_END).state
    await run(hass, freezer, simulator, 300, step=60)  # renewed: a new end, nothing written
    assert hass.states.get(ACTION_END).state > end
    assert len(simulator.stats.writes) == 3
    plan(hass, -2000, -500, 60)  # charging from the sun: self-consumption does it
    await published(hass, freezer, simulator)
    assert plant_writes(simulator, 3) == [(40029, [0]), (40031, [2]), (40032, [0, 12000])]
    assert hass.states.get(ACTION).state == "none"


@pytest.mark.usefixtures("blueprints")
async def test_emhass_plan_exports_holds_and_stops_with_the_plan(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulator: PlantSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    set_soc(simulator, 60.0)
    plan(hass, 0, 0, 60)
    await run(hass, freezer, simulator, 5)
    await follow_plan(hass, init_integration)
    plan(hass, 4000, -3500, 30)  # discharging while exporting: from the battery
    await published(hass, freezer, simulator)
    assert plant_writes(simulator) == [(40034, [0, 4000]), (40031, [6]), (40029, [1])]
    assert hass.states.get(ACTION).state == "force_discharge"
    plan(hass, 0, 900, 55)  # the battery rests while the house imports
    await published(hass, freezer, simulator)
    await run(hass, freezer, simulator, 5)
    assert hass.states.get(ACTION).state == "hold"
    assert simulator.value(247, "plant_ess_power") == 0.0
    plan(hass, "unavailable", "unavailable", "unavailable")  # EMHASS gone: the plant's own
    await published(hass, freezer, simulator)
    assert hass.states.get(ACTION).state == "none"
    assert simulator.value(247, "remote_ems_enable") == 0


@pytest.mark.usefixtures("blueprints")
async def test_emhass_plan_holds_at_the_planned_soc_within_the_rating(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulator: PlantSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """The planned SOC reached holds; a planned power above the rating is the rating."""
    set_soc(simulator, 40.0)
    plan(hass, 0, 0, 40)
    await run(hass, freezer, simulator, 5)
    await follow_plan(hass, init_integration)
    plan(hass, -20000, 20500, 40)  # to 40 %, there already
    await published(hass, freezer, simulator)
    assert hass.states.get(ACTION).state == "hold"
    plan(hass, -20000, 20500, 70)
    await published(hass, freezer, simulator)
    assert hass.states.get(ACTION).state == "force_charge"
    assert (40032, [0, 12000]) in plant_writes(simulator)  # the rated 12 kW
    assert simulator.value(247, "ess_max_charging_limit") == 12.0


@pytest.mark.usefixtures("blueprints")
async def test_emhass_plan_leaves_the_owners_own_action(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulator: PlantSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Self-consumption in the plan releases only the short action the automation renews."""
    set_soc(simulator, 40.0)
    plan(hass, 500, 0, 38)
    await run(hass, freezer, simulator, 5)
    device = plant_device(hass, init_integration)
    await follow_plan(hass, init_integration)
    await hass.services.async_call(
        "sigenergy_modbus",
        "force_charge",
        {"device_id": device, "power": 1.0, "duration": {"hours": 2}},
        blocking=True,
    )
    await run(hass, freezer, simulator, 600, step=60)
    assert hass.states.get(ACTION).state == "force_charge"


@pytest.mark.usefixtures("blueprints")
async def test_emhass_plan_not_published_again_counts_as_none(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulator: PlantSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """EMHASS stopped: its last plan stays in Home Assistant, but it is not followed for ever."""
    set_soc(simulator, 40.0)
    plan(hass, 0, 0, 40)
    await run(hass, freezer, simulator, 5)
    await follow_plan(hass, init_integration)
    plan(hass, -3000, 3400, 90)
    await published(hass, freezer, simulator)
    assert hass.states.get(ACTION).state == "force_charge"
    await run(hass, freezer, simulator, 30 * 60, step=60)  # renewed: the plan is 30 minutes old
    assert hass.states.get(ACTION).state == "force_charge"
    plan(hass, -3000, 3400, 90)  # published again, unchanged: it counts from now
    await run(hass, freezer, simulator, 30 * 60, step=60)
    assert hass.states.get(ACTION).state == "force_charge"
    await run(hass, freezer, simulator, 10 * 60, step=60)  # 40 minutes: no plan any more
    assert hass.states.get(ACTION).state == "none"
    assert simulator.value(247, "remote_ems_enable") == 0
