"""The automation blueprints in blueprints/automation/sigenergy_modbus/.

Each blueprint is loaded by Home Assistant's own blueprint integration from a
temporary config directory and driven with plain states: the Sigenergy
integration itself is not set up. The switch services are stand-ins that
record every call and set the switch's state as a real switch would.
"""

from __future__ import annotations

import asyncio
import shutil
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from homeassistant.components.automation.config import AUTOMATION_BLUEPRINT_SCHEMA
from homeassistant.components.blueprint import BlueprintInputs
from homeassistant.components.blueprint.models import Blueprint
from homeassistant.const import STATE_ON, STATE_UNAVAILABLE
from homeassistant.setup import async_setup_component
from homeassistant.util import yaml as yaml_util
from pytest_homeassistant_custom_component.common import async_fire_time_changed

if TYPE_CHECKING:
    from freezegun.api import FrozenDateTimeFactory
    from homeassistant.core import HomeAssistant, ServiceCall

BLUEPRINT_DIR = Path(__file__).parents[2] / "blueprints" / "automation" / "sigenergy_modbus"
BLUEPRINT_FILES = (
    "solar_surplus.yaml",
    "soc_window.yaml",
    "off_grid_shedding.yaml",
    "cheap_charging.yaml",
    "negative_price_export.yaml",
    "hold_while_ev_charges.yaml",
    "emhass_battery_plan.yaml",
)
"""Every blueprint; the control ones are run against the integration in test_control_blueprints."""

EXPORT = "sensor.sigenergy_plant_grid_export_power"
IMPORT = "sensor.sigenergy_plant_grid_import_power"
SOC = "sensor.sigenergy_plant_battery_state_of_charge"
GRID = "binary_sensor.sigenergy_plant_grid"
DO1 = "switch.sigenergy_inverter_1_dry_contact_do1"
DO2 = "switch.sigenergy_inverter_1_dry_contact_do2"

SETTLE_TURNS = 50
SOURCE = (
    "https://github.com/sigenergy-ha/sigenergy-homeassistant/blob/main/"
    "blueprints/automation/sigenergy_modbus"
)

type Calls = list[tuple[str, str]]


@pytest.fixture
async def bp_hass(hass: HomeAssistant, tmp_path: Path) -> HomeAssistant:
    """Home Assistant with a config dir of its own that holds the blueprints."""
    hass.config.config_dir = str(tmp_path)
    await hass.async_add_executor_job(
        shutil.copytree, BLUEPRINT_DIR, tmp_path / "blueprints" / "automation" / "sigenergy_modbus"
    )
    return hass


@pytest.fixture
def switch_calls(bp_hass: HomeAssistant) -> Calls:
    """Record switch.turn_on / turn_off as (service, entity_id) and apply them."""
    hass = bp_hass
    calls: Calls = []

    async def handle(call: ServiceCall) -> None:
        entity_ids = call.data["entity_id"]
        for entity_id in [entity_ids] if isinstance(entity_ids, str) else entity_ids:
            calls.append((call.service, entity_id))
            hass.states.async_set(entity_id, "on" if call.service == "turn_on" else "off")

    hass.services.async_register("switch", "turn_on", handle)
    hass.services.async_register("switch", "turn_off", handle)
    return calls


async def use_blueprint(hass: HomeAssistant, path: str, inputs: dict[str, Any]) -> None:
    """Set up one automation from a blueprint; it must come up valid and on."""
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
    await settle(hass)
    state = hass.states.get("automation.under_test")
    assert state is not None
    assert state.state == STATE_ON


async def settle(hass: HomeAssistant) -> None:
    """Let triggered runs go as far as they can.

    ``hass.async_block_till_done()`` would wait for ever for a run that is
    waiting (for the minimum on / off time, or for the battery), so the loop is
    given a fixed number of turns instead, plenty for trigger, run, service
    call and the switch's new state.
    """
    for _ in range(SETTLE_TURNS):
        await asyncio.sleep(0)


async def advance(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, seconds: float, step: float = 10
) -> None:
    """Move the clock on by ``seconds``, firing timers every ``step`` seconds."""
    await settle(hass)  # state changes take effect now, not a step later
    remaining = seconds
    while remaining > 0:
        delta = min(step, remaining)
        freezer.tick(timedelta(seconds=delta))
        async_fire_time_changed(hass)
        await settle(hass)
        remaining -= delta


def load(name: str) -> dict[str, Any]:
    """A blueprint file read with Home Assistant's YAML loader (for !input)."""
    return yaml_util.load_yaml_dict(BLUEPRINT_DIR / name)


# --- every blueprint file ---------------------------------------------------


def test_blueprint_files_are_the_expected_ones() -> None:
    assert sorted(p.name for p in BLUEPRINT_DIR.glob("*.yaml")) == sorted(BLUEPRINT_FILES)


@pytest.mark.parametrize("name", BLUEPRINT_FILES)
def test_blueprint_schema(name: str) -> None:
    blueprint = Blueprint(
        load(name), path=name, expected_domain="automation", schema=AUTOMATION_BLUEPRINT_SCHEMA
    )
    meta = blueprint.metadata
    assert meta["name"].startswith("Sigenergy")
    assert meta["description"]
    # Where Home Assistant imports it from, and re-imports it (Blueprints → ⋮ → Re-import).
    assert meta["source_url"] == f"{SOURCE}/{name}"
    for key, spec in blueprint.inputs.items():
        assert spec.get("name"), key
        assert "selector" in spec, key


@pytest.mark.parametrize("name", BLUEPRINT_FILES)
def test_readme_gives_each_import_address(name: str) -> None:
    readme = (BLUEPRINT_DIR.parents[2] / "README.md").read_text(encoding="utf-8")
    assert f"`{SOURCE}/{name}`" in readme


@pytest.mark.parametrize(
    ("name", "required"),
    [
        ("solar_surplus.yaml", {"load_switch": DO1}),
        ("soc_window.yaml", {"load_switch": DO1}),
        ("off_grid_shedding.yaml", {"load_switches": [DO1, DO2]}),
        ("cheap_charging.yaml", {"plant": "abc123", "price_sensor": "sensor.price"}),
        ("negative_price_export.yaml", {"price_sensor": "sensor.price"}),
        ("hold_while_ev_charges.yaml", {"plant": "abc123", "charger_power": "sensor.wallbox"}),
        ("emhass_battery_plan.yaml", {"plant": "abc123"}),
    ],
)
def test_defaults_fill_every_other_input(name: str, required: dict[str, Any]) -> None:
    blueprint = Blueprint(
        load(name), expected_domain="automation", schema=AUTOMATION_BLUEPRINT_SCHEMA
    )
    optional = {key for key, spec in blueprint.inputs.items() if "default" in spec}
    assert optional | set(required) == set(blueprint.inputs)
    inputs = BlueprintInputs(blueprint, {"use_blueprint": {"path": name, "input": required}})
    inputs.validate()
    assert inputs.async_substitute()


@pytest.mark.parametrize(
    ("name", "required"),
    [
        ("solar_surplus.yaml", {"load_switch": DO1}),
        ("soc_window.yaml", {"load_switch": DO2}),
        ("off_grid_shedding.yaml", {"load_switches": [DO1]}),
    ],
)
async def test_sets_up_with_defaults(
    bp_hass: HomeAssistant, switch_calls: Calls, name: str, required: dict[str, Any]
) -> None:
    await use_blueprint(bp_hass, name, required)
    assert switch_calls == []


# --- solar_surplus.yaml -----------------------------------------------------

SURPLUS_INPUTS = {
    "load_switch": DO1,
    "export_threshold": 1.5,
    "export_minutes": 5,
    "soc_on": 90,
    "import_threshold": 0.5,
    "import_minutes": 1,
    "soc_off": 75,
    "min_on_minutes": 10,
    "min_off_minutes": 10,
}


async def surplus_setup(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    *,
    switch: str = "off",
    soc: float = 95,
    settle: bool = True,
) -> None:
    """Plant idle (no export, no import), DO1 in ``switch`` since setup."""
    hass.states.async_set(EXPORT, "0.0")
    hass.states.async_set(IMPORT, "0.0")
    hass.states.async_set(SOC, str(soc))
    hass.states.async_set(DO1, switch)
    await use_blueprint(hass, "solar_surplus.yaml", SURPLUS_INPUTS)
    if settle:  # past the minimum on / off time
        await advance(hass, freezer, 30 * 60, step=60)


async def test_surplus_turns_on_only_after_the_export_time(
    bp_hass: HomeAssistant, switch_calls: Calls, freezer: FrozenDateTimeFactory
) -> None:
    hass = bp_hass
    await surplus_setup(hass, freezer)

    hass.states.async_set(EXPORT, "2.1")
    await settle(hass)
    await advance(hass, freezer, 4 * 60)
    hass.states.async_set(EXPORT, "1.8")  # still above: the time runs on
    await advance(hass, freezer, 50)
    assert switch_calls == []

    await advance(hass, freezer, 10)
    assert switch_calls == [("turn_on", DO1)]
    assert hass.states.get(DO1).state == "on"

    await advance(hass, freezer, 30 * 60, step=60)
    assert switch_calls == [("turn_on", DO1)]


async def test_surplus_interrupted_restarts_the_export_time(
    bp_hass: HomeAssistant, switch_calls: Calls, freezer: FrozenDateTimeFactory
) -> None:
    hass = bp_hass
    await surplus_setup(hass, freezer)

    hass.states.async_set(EXPORT, "2.0")
    await advance(hass, freezer, 4 * 60)
    hass.states.async_set(EXPORT, "1.2")  # a cloud
    await advance(hass, freezer, 10)
    hass.states.async_set(EXPORT, "2.0")
    await advance(hass, freezer, 4 * 60)
    assert switch_calls == []
    await advance(hass, freezer, 60)
    assert switch_calls == [("turn_on", DO1)]


async def test_surplus_with_low_battery_waits_for_the_battery(
    bp_hass: HomeAssistant, switch_calls: Calls, freezer: FrozenDateTimeFactory
) -> None:
    hass = bp_hass
    await surplus_setup(hass, freezer, soc=85)

    hass.states.async_set(EXPORT, "3.0")
    await advance(hass, freezer, 20 * 60, step=60)
    assert switch_calls == []

    hass.states.async_set(SOC, "89.5")
    await settle(hass)
    assert switch_calls == []

    hass.states.async_set(SOC, "90")  # "at least" the on state of charge
    await settle(hass)
    assert switch_calls == [("turn_on", DO1)]


async def test_surplus_ending_before_the_battery_fills_does_not_turn_on(
    bp_hass: HomeAssistant, switch_calls: Calls, freezer: FrozenDateTimeFactory
) -> None:
    hass = bp_hass
    await surplus_setup(hass, freezer, soc=80)

    hass.states.async_set(EXPORT, "3.0")
    await advance(hass, freezer, 6 * 60)
    hass.states.async_set(EXPORT, "0.2")
    await settle(hass)
    hass.states.async_set(SOC, "95")
    await advance(hass, freezer, 20 * 60, step=60)
    assert switch_calls == []


async def test_import_turns_off_after_the_confirm_time(
    bp_hass: HomeAssistant, switch_calls: Calls, freezer: FrozenDateTimeFactory
) -> None:
    hass = bp_hass
    await surplus_setup(hass, freezer, switch="on")

    hass.states.async_set(IMPORT, "0.4")  # below the threshold
    await advance(hass, freezer, 5 * 60)
    assert switch_calls == []

    hass.states.async_set(IMPORT, "0.8")
    await advance(hass, freezer, 50)
    assert switch_calls == []
    await advance(hass, freezer, 10)
    assert switch_calls == [("turn_off", DO1)]
    assert hass.states.get(DO1).state == "off"


async def test_short_import_does_not_turn_off(
    bp_hass: HomeAssistant, switch_calls: Calls, freezer: FrozenDateTimeFactory
) -> None:
    hass = bp_hass
    await surplus_setup(hass, freezer, switch="on")

    hass.states.async_set(IMPORT, "2.0")  # a kettle
    await advance(hass, freezer, 40)
    hass.states.async_set(IMPORT, "0.0")
    await advance(hass, freezer, 5 * 60)
    assert switch_calls == []


async def test_battery_below_off_soc_turns_off(
    bp_hass: HomeAssistant, switch_calls: Calls, freezer: FrozenDateTimeFactory
) -> None:
    hass = bp_hass
    await surplus_setup(hass, freezer, switch="on", soc=80)

    hass.states.async_set(SOC, "75")  # not below yet
    await settle(hass)
    assert switch_calls == []
    hass.states.async_set(SOC, "74")
    await settle(hass)
    assert switch_calls == [("turn_off", DO1)]


async def test_off_reason_with_the_load_already_off_does_nothing(
    bp_hass: HomeAssistant, switch_calls: Calls, freezer: FrozenDateTimeFactory
) -> None:
    hass = bp_hass
    await surplus_setup(hass, freezer, switch="off", soc=80)

    hass.states.async_set(IMPORT, "3.0")
    hass.states.async_set(SOC, "50")
    await advance(hass, freezer, 20 * 60, step=60)
    assert switch_calls == []


async def test_min_on_holds_an_off_until_it_has_elapsed(
    bp_hass: HomeAssistant, switch_calls: Calls, freezer: FrozenDateTimeFactory
) -> None:
    """Import right after switching on: off only once DO1 has been on for 10 min."""
    hass = bp_hass
    await surplus_setup(hass, freezer)
    hass.states.async_set(EXPORT, "2.0")
    await advance(hass, freezer, 5 * 60)
    assert switch_calls == [("turn_on", DO1)]  # t0: DO1 on

    hass.states.async_set(EXPORT, "0.0")
    hass.states.async_set(IMPORT, "1.0")  # t0 + 0
    await advance(hass, freezer, 2 * 60)  # confirmed at t0 + 1 min, held back
    assert switch_calls == [("turn_on", DO1)]
    await advance(hass, freezer, 7 * 60 + 50)  # t0 + 9:50
    assert switch_calls == [("turn_on", DO1)]
    assert hass.states.get(DO1).state == "on"

    await advance(hass, freezer, 10)  # t0 + 10 min
    assert switch_calls == [("turn_on", DO1), ("turn_off", DO1)]
    await advance(hass, freezer, 10 * 60, step=60)
    assert len(switch_calls) == 2


async def test_min_on_held_off_is_dropped_when_the_import_ends(
    bp_hass: HomeAssistant, switch_calls: Calls, freezer: FrozenDateTimeFactory
) -> None:
    hass = bp_hass
    await surplus_setup(hass, freezer)
    hass.states.async_set(EXPORT, "2.0")
    await advance(hass, freezer, 5 * 60)
    assert switch_calls == [("turn_on", DO1)]

    hass.states.async_set(EXPORT, "0.0")
    hass.states.async_set(IMPORT, "1.0")
    await advance(hass, freezer, 3 * 60)  # confirmed, held back
    hass.states.async_set(IMPORT, "0.1")  # the sun is back before min_on
    await advance(hass, freezer, 20 * 60, step=60)
    assert switch_calls == [("turn_on", DO1)]


async def test_min_on_holds_a_battery_low_off(
    bp_hass: HomeAssistant, switch_calls: Calls, freezer: FrozenDateTimeFactory
) -> None:
    hass = bp_hass
    await surplus_setup(hass, freezer, soc=80)
    hass.states.async_set(DO1, "on")  # switched on by hand at t0
    await advance(hass, freezer, 3 * 60)

    hass.states.async_set(SOC, "70")  # t0 + 3 min
    await advance(hass, freezer, 6 * 60 + 50)  # t0 + 9:50
    assert switch_calls == []
    await advance(hass, freezer, 10)
    assert switch_calls == [("turn_off", DO1)]


async def test_two_held_off_reasons_switch_off_once(
    bp_hass: HomeAssistant, switch_calls: Calls, freezer: FrozenDateTimeFactory
) -> None:
    """Battery low, then an import that comes and goes: one off, at min_on.

    The import's run must not cancel the battery's (as mode: restart would).
    """
    hass = bp_hass
    await surplus_setup(hass, freezer, soc=80)
    hass.states.async_set(DO1, "on")  # t0
    await advance(hass, freezer, 60)

    hass.states.async_set(SOC, "70")  # t0 + 1 min, held back
    hass.states.async_set(IMPORT, "1.0")
    await advance(hass, freezer, 3 * 60)  # import confirmed, held back too
    hass.states.async_set(IMPORT, "0.0")  # import gone, battery still low
    await advance(hass, freezer, 5 * 60 + 50)  # t0 + 9:50
    assert switch_calls == []
    await advance(hass, freezer, 10)
    assert switch_calls == [("turn_off", DO1)]

    hass.states.async_set(IMPORT, "1.0")
    await advance(hass, freezer, 5 * 60, step=60)
    assert switch_calls == [("turn_off", DO1)]


async def test_min_off_holds_an_on_until_it_has_elapsed(
    bp_hass: HomeAssistant, switch_calls: Calls, freezer: FrozenDateTimeFactory
) -> None:
    """Surplus right after switching off: on only once DO1 has been off for 10 min."""
    hass = bp_hass
    await surplus_setup(hass, freezer, switch="on")
    hass.states.async_set(IMPORT, "1.0")
    await advance(hass, freezer, 60)
    assert switch_calls == [("turn_off", DO1)]  # t0: DO1 off

    hass.states.async_set(IMPORT, "0.0")
    hass.states.async_set(EXPORT, "2.0")  # t0 + 0
    await advance(hass, freezer, 5 * 60)  # export time done at t0 + 5, held back
    assert switch_calls == [("turn_off", DO1)]
    await advance(hass, freezer, 4 * 60 + 50)  # t0 + 9:50
    assert switch_calls == [("turn_off", DO1)]
    assert hass.states.get(DO1).state == "off"

    await advance(hass, freezer, 10)  # t0 + 10 min
    assert switch_calls == [("turn_off", DO1), ("turn_on", DO1)]


async def test_min_off_held_on_is_dropped_when_the_surplus_ends(
    bp_hass: HomeAssistant, switch_calls: Calls, freezer: FrozenDateTimeFactory
) -> None:
    hass = bp_hass
    await surplus_setup(hass, freezer, switch="on")
    hass.states.async_set(IMPORT, "1.0")
    await advance(hass, freezer, 60)
    assert switch_calls == [("turn_off", DO1)]

    hass.states.async_set(IMPORT, "0.0")
    hass.states.async_set(EXPORT, "2.0")
    await advance(hass, freezer, 6 * 60)  # held back
    hass.states.async_set(EXPORT, "0.5")
    await advance(hass, freezer, 20 * 60, step=60)
    assert switch_calls == [("turn_off", DO1)]


async def test_min_off_then_battery_both_wait(
    bp_hass: HomeAssistant, switch_calls: Calls, freezer: FrozenDateTimeFactory
) -> None:
    """Held back by min_off, then by the battery: on when both allow it."""
    hass = bp_hass
    await surplus_setup(hass, freezer, switch="on", soc=88)
    hass.states.async_set(DO1, "off")  # switched off by hand at t0
    hass.states.async_set(EXPORT, "2.0")
    await advance(hass, freezer, 15 * 60, step=30)
    assert switch_calls == []

    hass.states.async_set(SOC, "91")
    await settle(hass)
    assert switch_calls == [("turn_on", DO1)]


async def test_manual_on_during_a_held_on_ends_it(
    bp_hass: HomeAssistant, switch_calls: Calls, freezer: FrozenDateTimeFactory
) -> None:
    hass = bp_hass
    await surplus_setup(hass, freezer, switch="on")
    hass.states.async_set(DO1, "off")
    hass.states.async_set(EXPORT, "2.0")
    await advance(hass, freezer, 6 * 60)  # held back by min_off
    hass.states.async_set(DO1, "on")  # by hand
    await advance(hass, freezer, 20 * 60, step=60)
    assert switch_calls == []


async def test_any_switch_and_sensors_of_other_integrations(
    bp_hass: HomeAssistant, switch_calls: Calls, freezer: FrozenDateTimeFactory
) -> None:
    """Nothing Sigenergy-specific: other entities, watts."""
    hass = bp_hass
    inputs = {
        "load_switch": "switch.pool_pump",
        "export_sensor": "sensor.meter_export",
        "import_sensor": "sensor.meter_import",
        "soc_sensor": "sensor.other_battery",
        "export_threshold": 1500,
        "export_minutes": 1,
        "import_threshold": 500,
        "min_on_minutes": 0,
        "min_off_minutes": 0,
    }
    for entity_id, state in (
        ("sensor.meter_export", "0"),
        ("sensor.meter_import", "0"),
        ("sensor.other_battery", "100"),
        ("switch.pool_pump", "off"),
    ):
        hass.states.async_set(entity_id, state)
    await use_blueprint(hass, "solar_surplus.yaml", inputs)

    hass.states.async_set("sensor.meter_export", "1600")
    await advance(hass, freezer, 60)
    assert switch_calls == [("turn_on", "switch.pool_pump")]

    hass.states.async_set("sensor.meter_export", "0")
    hass.states.async_set("sensor.meter_import", "700")
    await advance(hass, freezer, 60)
    assert switch_calls == [("turn_on", "switch.pool_pump"), ("turn_off", "switch.pool_pump")]


async def test_unavailable_sensors_switch_nothing(
    bp_hass: HomeAssistant, switch_calls: Calls, freezer: FrozenDateTimeFactory
) -> None:
    hass = bp_hass
    await surplus_setup(hass, freezer, switch="on")
    for entity_id in (EXPORT, IMPORT, SOC):
        hass.states.async_set(entity_id, STATE_UNAVAILABLE)
    await advance(hass, freezer, 20 * 60, step=60)
    assert switch_calls == []


# A restart or a reload, as the blueprints see it: the integration's entities
# go unavailable while it reloads and come back with their reading
# (value -> unavailable -> value); at a Home Assistant start they are
# unavailable (restored by the entity registry) until the integration is up.


async def _comes_back(hass: HomeAssistant, entity_id: str, value: str) -> None:
    hass.states.async_set(entity_id, STATE_UNAVAILABLE)
    await settle(hass)
    hass.states.async_set(entity_id, value)
    await settle(hass)


async def test_surplus_coming_back_after_a_reload_does_not_switch_on(
    bp_hass: HomeAssistant, switch_calls: Calls, freezer: FrozenDateTimeFactory
) -> None:
    """The owner switched the load off during a surplus; an entity enabled reloads the entry."""
    hass = bp_hass
    await surplus_setup(hass, freezer)
    hass.states.async_set(EXPORT, "2.1")
    await advance(hass, freezer, 6 * 60)
    assert switch_calls == [("turn_on", DO1)]
    hass.states.async_set(DO1, "off")  # by hand
    await advance(hass, freezer, 30 * 60, step=60)

    await _comes_back(hass, EXPORT, "2.1")  # the reload
    await advance(hass, freezer, 60 * 60, step=60)
    assert switch_calls == [("turn_on", DO1)]

    hass.states.async_set(EXPORT, "1.0")  # a real new surplus still works
    await settle(hass)
    hass.states.async_set(EXPORT, "2.4")
    await advance(hass, freezer, 6 * 60)
    assert switch_calls == [("turn_on", DO1), ("turn_on", DO1)]


async def test_surplus_going_on_through_a_restart_does_not_switch_on(
    bp_hass: HomeAssistant, switch_calls: Calls, freezer: FrozenDateTimeFactory
) -> None:
    """Home Assistant starts: the sensors are unavailable until the integration is up."""
    hass = bp_hass
    for entity_id in (EXPORT, IMPORT, SOC):
        hass.states.async_set(entity_id, STATE_UNAVAILABLE)
    hass.states.async_set(DO1, "off")
    await use_blueprint(hass, "solar_surplus.yaml", SURPLUS_INPUTS)
    hass.states.async_set(SOC, "96")
    hass.states.async_set(IMPORT, "0.0")
    hass.states.async_set(EXPORT, "3.0")
    await advance(hass, freezer, 60 * 60, step=60)
    assert switch_calls == []


async def test_import_coming_back_does_switch_off(
    bp_hass: HomeAssistant, switch_calls: Calls, freezer: FrozenDateTimeFactory
) -> None:
    """A reason to switch off that holds when the sensor comes back still switches off."""
    hass = bp_hass
    await surplus_setup(hass, freezer, switch="on")
    await _comes_back(hass, IMPORT, "0.8")
    await advance(hass, freezer, 2 * 60)
    assert switch_calls == [("turn_off", DO1)]


# --- soc_window.yaml --------------------------------------------------------


async def test_soc_window_hysteresis(
    bp_hass: HomeAssistant, switch_calls: Calls, freezer: FrozenDateTimeFactory
) -> None:
    hass = bp_hass
    hass.states.async_set(SOC, "85")
    hass.states.async_set(DO2, "off")
    await use_blueprint(
        hass, "soc_window.yaml", {"load_switch": DO2, "upper_soc": 95, "lower_soc": 80}
    )

    async def soc(value: float) -> None:
        hass.states.async_set(SOC, str(value))
        await settle(hass)

    for value in (90, 94, 95, 82, 94.9):  # in the window, rising and falling
        await soc(value)
    assert switch_calls == []

    await soc(95.5)
    assert switch_calls == [("turn_on", DO2)]

    for value in (94, 96, 90, 97, 85, 80):  # down into the window and back: stays on
        await soc(value)
    assert switch_calls == [("turn_on", DO2)]
    assert hass.states.get(DO2).state == "on"

    await soc(79.9)
    assert switch_calls == [("turn_on", DO2), ("turn_off", DO2)]

    for value in (81, 79, 90, 78, 94):  # up into the window and back: stays off
        await soc(value)
    assert switch_calls == [("turn_on", DO2), ("turn_off", DO2)]

    await soc(100)
    assert switch_calls == [("turn_on", DO2), ("turn_off", DO2), ("turn_on", DO2)]


async def test_soc_window_leaves_a_switch_already_in_place(
    bp_hass: HomeAssistant, switch_calls: Calls
) -> None:
    hass = bp_hass
    hass.states.async_set(SOC, "85")
    hass.states.async_set(DO1, "on")
    await use_blueprint(hass, "soc_window.yaml", {"load_switch": DO1})  # 95 / 80

    hass.states.async_set(SOC, "99")
    await settle(hass)
    assert switch_calls == []


async def test_soc_window_coming_back_switches_nothing_on(
    bp_hass: HomeAssistant, switch_calls: Calls
) -> None:
    """Above the upper threshold after a reload: no switch on; below the lower: off."""
    hass = bp_hass
    hass.states.async_set(SOC, "97")
    hass.states.async_set(DO1, "off")
    await use_blueprint(hass, "soc_window.yaml", {"load_switch": DO1})  # 95 / 80
    await _comes_back(hass, SOC, "97")
    assert switch_calls == []
    hass.states.async_set(DO1, "on")
    await _comes_back(hass, SOC, "70")
    assert switch_calls == [("turn_off", DO1)]


async def test_soc_window_with_inverted_thresholds_does_nothing(
    bp_hass: HomeAssistant, switch_calls: Calls
) -> None:
    hass = bp_hass
    hass.states.async_set(SOC, "50")
    hass.states.async_set(DO1, "off")
    await use_blueprint(
        hass, "soc_window.yaml", {"load_switch": DO1, "upper_soc": 40, "lower_soc": 60}
    )
    for value in (70, 30, 70):
        hass.states.async_set(SOC, str(value))
        await settle(hass)
    assert switch_calls == []


# --- off_grid_shedding.yaml -------------------------------------------------


async def shedding_setup(hass: HomeAssistant, **inputs: Any) -> None:
    hass.states.async_set(GRID, "on", {"device_class": "connectivity"})
    hass.states.async_set(DO1, "on")
    hass.states.async_set(DO2, "on")
    await use_blueprint(hass, "off_grid_shedding.yaml", {"load_switches": [DO1, DO2], **inputs})


async def test_off_grid_sheds_and_restores_after_the_delay(
    bp_hass: HomeAssistant, switch_calls: Calls, freezer: FrozenDateTimeFactory
) -> None:
    hass = bp_hass
    await shedding_setup(hass)

    hass.states.async_set(GRID, "off")
    await settle(hass)
    assert switch_calls == [("turn_off", DO1), ("turn_off", DO2)]

    await advance(hass, freezer, 10 * 60, step=60)
    hass.states.async_set(GRID, "on")
    await advance(hass, freezer, 50)
    assert len(switch_calls) == 2
    await advance(hass, freezer, 10)  # the default 1 min
    assert switch_calls[2:] == [("turn_on", DO1), ("turn_on", DO2)]
    assert hass.states.get(DO1).state == "on"


async def test_grid_dropping_again_within_the_delay_keeps_loads_off(
    bp_hass: HomeAssistant, switch_calls: Calls, freezer: FrozenDateTimeFactory
) -> None:
    hass = bp_hass
    await shedding_setup(hass, restore_delay={"hours": 0, "minutes": 5, "seconds": 0})

    hass.states.async_set(GRID, "off")
    await settle(hass)
    hass.states.async_set(GRID, "on")
    await advance(hass, freezer, 4 * 60)
    hass.states.async_set(GRID, "off")  # back off grid within the 5 min
    await advance(hass, freezer, 10 * 60, step=60)
    assert switch_calls == [("turn_off", DO1), ("turn_off", DO2)] * 2
    assert hass.states.get(DO1).state == "off"

    hass.states.async_set(GRID, "on")
    await advance(hass, freezer, 5 * 60)
    assert switch_calls[4:] == [("turn_on", DO1), ("turn_on", DO2)]


async def test_grid_sensor_becoming_available_does_not_switch_on(
    bp_hass: HomeAssistant, switch_calls: Calls, freezer: FrozenDateTimeFactory
) -> None:
    """A restart (unavailable → on) is no grid return: the loads are left alone."""
    hass = bp_hass
    hass.states.async_set(GRID, STATE_UNAVAILABLE)
    hass.states.async_set(DO1, "off")
    await use_blueprint(hass, "off_grid_shedding.yaml", {"load_switches": [DO1]})

    hass.states.async_set(GRID, "on")
    await advance(hass, freezer, 5 * 60)
    assert switch_calls == []


async def test_grid_sensor_coming_back_off_grid_sheds(
    bp_hass: HomeAssistant, switch_calls: Calls, freezer: FrozenDateTimeFactory
) -> None:
    """Off grid when it comes back: the loads are shed (again); shedding protects the battery."""
    hass = bp_hass
    await shedding_setup(hass)
    await _comes_back(hass, GRID, "on")  # a reload on grid: nothing
    await advance(hass, freezer, 5 * 60)
    assert switch_calls == []
    await _comes_back(hass, GRID, "off")
    assert switch_calls == [("turn_off", DO1), ("turn_off", DO2)]
