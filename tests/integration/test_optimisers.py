"""Predbat's and EMHASS's configurations for this integration, against the simulated plant.

``docs/optimisers/`` holds what an owner pastes: Predbat's ``apps.yaml``
keys, the Home Assistant package Predbat controls the plant through, and the
EMHASS package. These tests read those files as they are, set the packages up
in Home Assistant next to the integration, and check what each optimiser
would see and do:

- every entity id they name exists, with the unit the optimiser reads it in
  (and the ones disabled by default are exactly the ones the README says to
  enable);
- the signs, from the plant's physics: the simulated plant is made to charge
  from the grid and to discharge into it, and the value Predbat computes
  (with its ``*_invert`` flags) and the W that EMHASS reads have the sign each
  optimiser documents;
- Predbat's service calls, made as Predbat makes them (its ``{placeholder}``
  substitution, only the fields it sends with each call), end in the
  integration's timed actions on the plant, are renewed by each run, and run
  out when Predbat stops calling.

What Predbat and EMHASS expect is written down here from their documentation
(Predbat v8.51.1 docs/apps-yaml.md, docs/inverter-setup.md; EMHASS v0.18.1
docs/config.md, docs/publish_data.md): the optimisers themselves do not run in
these tests.
"""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import yaml
from homeassistant.const import Platform
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.template import Template
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.sigenergy_modbus import control
from custom_components.sigenergy_modbus.const import DOMAIN
from tests.integration.control_helpers import (
    ACTION,
    ACTION_END,
    CHARGE_LIMIT,
    act,
    plant_writes,
    run,
    set_soc,
)

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from freezegun.api import FrozenDateTimeFactory
    from homeassistant.core import HomeAssistant

    from simulator import PlantSimulator

DOCS = Path(__file__).parents[2] / "docs" / "optimisers"
PREDBAT = yaml.safe_load((DOCS / "predbat.yaml").read_text(encoding="utf-8"))["pred_bat"]
PREDBAT_PACKAGE = yaml.safe_load(
    (DOCS / "sigenergy_predbat_package.yaml").read_text(encoding="utf-8")
)

ENABLE = {"sensor.sigenergy_plant_battery_temperature": "plant_battery_temperature"}
"""The entities the README asks the owner to enable for Predbat (entity id: key)."""

SLOT = 15 * 60
"""Seconds each of the script's actions lasts: it says so, and Predbat renews it."""

# --- what Predbat expects ------------------------------------------------------

POWER = {"W": 1.0, "kW": 1000.0}
"""Units Predbat converts a power from, to its W (by the unit's prefix)."""

PREDBAT_ENTITIES: dict[str, tuple[set[str], str | None]] = {
    # key: (the units Predbat takes it in, the device class it must be)
    "load_today": ({"kWh"}, "energy"),
    "import_today": ({"kWh"}, "energy"),
    "export_today": ({"kWh"}, "energy"),
    "pv_today": ({"kWh"}, "energy"),
    "battery_power": (set(POWER), "power"),
    "pv_power": (set(POWER), "power"),
    "load_power": (set(POWER), "power"),
    "grid_power": (set(POWER), "power"),
    "soc_percent": ({"%"}, "battery"),
    "soc_max": ({"kWh"}, "energy_storage"),
    "battery_min_soc": ({"%"}, None),
    "battery_temperature": ({"°C"}, "temperature"),
    "battery_rate_max": (set(POWER), "power"),
    "inverter_limit": (set(POWER), "power"),
    "export_limit": (set(POWER), "power"),
    "charge_rate": ({"W"}, None),
    "discharge_rate": ({"W"}, None),
}
"""Every apps.yaml key of predbat.yaml that names an entity (docs/apps-yaml.md)."""

PREDBAT_SETTINGS = {
    "inverter_type",
    "num_inverters",
    "inverter",
    "battery_power_invert",
    "grid_power_invert",
}

PREDBAT_SERVICE_DATA: dict[str, set[str]] = {
    # service key: what Predbat fills its {placeholders} from (inverter.py, inverter-setup.md)
    "charge_start_service": {
        "device_id",
        "target_soc",
        "power",
        "charge_start_time",
        "charge_end_time",
    },
    "charge_freeze_service": {
        "device_id",
        "target_soc",
        "power",
        "charge_start_time",
        "charge_end_time",
    },
    "charge_stop_service": {"device_id"},
    "discharge_start_service": {
        "device_id",
        "target_soc",
        "power",
        "discharge_start_time",
        "discharge_end_time",
    },
    "discharge_stop_service": {"device_id"},
}


def predbat_service(key: str, **data: object) -> list[tuple[str, str, dict[str, Any]]]:
    """The calls Predbat makes for one of its services, as Predbat makes them.

    Each template's values are ``str.format``-ed with what Predbat passes
    (a placeholder it does not pass fails here, as it would not resolve in
    Predbat); empty values are left out; ``repeat``/``always`` are Predbat's own.
    """
    assert set(data) <= PREDBAT_SERVICE_DATA[key], data
    calls = []
    for template in PREDBAT[key]:
        payload: dict[str, Any] = {}
        for name, value in template.items():
            if name in {"service", "repeat", "always"}:
                continue
            resolved = value.format(**data) if isinstance(value, str) else value
            if resolved:
                payload[name] = resolved
        domain, service = template["service"].split(".")
        calls.append((domain, service, payload))
    return calls


async def predbat_calls(hass: HomeAssistant, key: str, **data: object) -> None:
    """Predbat calls one of its services now (blocking, as its service calls are)."""
    for domain, service, payload in predbat_service(key, **data):
        await hass.services.async_call(domain, service, payload, blocking=True)
    await hass.async_block_till_done()


def predbat_entity(key: str) -> tuple[str, str | None]:
    """The entity id a key names, and the attribute for Predbat's ``entity$attribute``."""
    (reference,) = PREDBAT[key]
    entity_id, _, attribute = reference.partition("$")
    return entity_id, attribute or None


def predbat_reads(hass: HomeAssistant, key: str) -> float:
    """The number Predbat takes from a key: W for powers, its ``*_invert`` applied."""
    entity_id, attribute = predbat_entity(key)
    state = hass.states.get(entity_id)
    assert state is not None, entity_id
    value = float(state.attributes[attribute] if attribute else state.state)
    unit = state.attributes.get("unit_of_measurement")
    if unit in POWER:
        value *= POWER[unit]
    return -value if PREDBAT.get(f"{key}_invert", False) else value


# --- fixtures --------------------------------------------------------------------


@pytest.fixture
def platforms() -> list[Platform]:
    """The sensors and the numbers (limits, cut-offs) the optimisers read."""
    return [Platform.NUMBER, Platform.SENSOR]


@pytest.fixture
def simulator_options() -> dict[str, object]:
    """A summer night: no sun, the battery half full, a small household load."""
    return {"start_time": datetime(2026, 6, 21, 23, 0, tzinfo=UTC), "tz": UTC, "start_soc": 50.0}


@pytest.fixture(autouse=True)
def _no_pacing(monkeypatch: pytest.MonkeyPatch) -> None:
    """The frozen clock would hold the 1 s pacing for ever; test_control_pacing checks it."""
    monkeypatch.setattr(control, "WRITE_INTERVAL", 0.0)


@pytest.fixture
async def plant(
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    _only_platforms: None,
    simulator: PlantSimulator,
    freezer: FrozenDateTimeFactory,
) -> AsyncIterator[MockConfigEntry]:
    """The integration, with the entities the README says to enable enabled, and the package.

    The owner enables them on the device page; here they are enabled in the
    registry before the first setup, which is the same registry entry.
    """
    mock_config_entry.add_to_hass(hass)
    registry = er.async_get(hass)
    for entity_id, key in ENABLE.items():
        platform, object_id = entity_id.split(".")
        registry.async_get_or_create(
            platform,
            DOMAIN,
            f"{mock_config_entry.unique_id}_plant_{key}",
            config_entry=mock_config_entry,
            suggested_object_id=object_id,
        )
    assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    for domain in ("input_number", "script"):
        assert await async_setup_component(hass, domain, {domain: PREDBAT_PACKAGE[domain]})
    await hass.async_block_till_done()
    await run(hass, freezer, simulator, 60, step=10)  # every poll has read
    yield mock_config_entry
    await hass.config_entries.async_unload(mock_config_entry.entry_id)
    await hass.async_block_till_done()


# --- Predbat: the file itself ------------------------------------------------------


def test_predbat_keys_are_all_checked_here() -> None:
    """Each key is an entity these tests check, a setting, or a service."""
    services = set(PREDBAT_SERVICE_DATA)
    assert set(PREDBAT) == set(PREDBAT_ENTITIES) | PREDBAT_SETTINGS | services
    assert PREDBAT["inverter_type"] == "SIG"
    assert PREDBAT["num_inverters"] == 1
    # The one freeze Predbat could plan that no action of the integration does.
    assert PREDBAT["inverter"] == {"support_discharge_freeze": False}
    assert "discharge_freeze_service" not in PREDBAT


def test_predbat_calls_only_the_package_script() -> None:
    """Every service is the script, with the fields Predbat passes; starts are renewed."""
    fields = set(PREDBAT_PACKAGE["script"]["sigenergy_predbat"]["fields"])
    commands = set(
        PREDBAT_PACKAGE["script"]["sigenergy_predbat"]["fields"]["command"]["selector"]["select"][
            "options"
        ]
    )
    for key in PREDBAT_SERVICE_DATA:
        (template,) = PREDBAT[key]
        assert template["service"] == "script.sigenergy_predbat", key
        assert set(template) - {"service", "repeat"} <= fields, key
        assert template["command"] in commands, key
        # A start is called again on each run: that renews the timed action.
        assert template.get("repeat", False) is (not key.endswith("_stop_service")), key


# --- Predbat: the entities ---------------------------------------------------------


async def test_predbat_entities_exist_with_the_units_predbat_reads(
    hass: HomeAssistant, plant: MockConfigEntry
) -> None:
    registry = er.async_get(hass)
    for key, (units, device_class) in PREDBAT_ENTITIES.items():
        entity_id, attribute = predbat_entity(key)
        state = hass.states.get(entity_id)
        assert state is not None, f"{key}: {entity_id} does not exist"
        value = state.attributes.get(attribute) if attribute else state.state
        assert math.isfinite(float(value)), (key, value)  # a number, not unknown or unavailable
        assert state.attributes.get("unit_of_measurement") in units, key
        assert state.attributes.get("device_class") == device_class, key
        if key.endswith("_today"):  # "must be incrementing": a counter that never falls
            assert state.attributes["state_class"] == "total_increasing", key
        entry = registry.async_get(entity_id)
        assert entry is not None, entity_id
        if entity_id.startswith("input_number."):  # the package's helpers
            assert entry.platform == "input_number"
            continue
        assert entry.platform == DOMAIN
        assert entry.config_entry_id == plant.entry_id


async def test_predbat_entities_disabled_by_default_are_the_ones_named(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """Without the owner enabling anything, exactly the README's list is missing."""
    missing = {
        predbat_entity(key)[0]
        for key in PREDBAT_ENTITIES
        if not predbat_entity(key)[0].startswith("input_number.")
        and hass.states.get(predbat_entity(key)[0]) is None
    }
    assert missing == set(ENABLE)
    registry = er.async_get(hass)
    for entity_id in ENABLE:
        entry = registry.async_get(entity_id)
        assert entry is not None
        assert entry.disabled_by is er.RegistryEntryDisabler.INTEGRATION


async def test_predbat_ratings_are_the_plants(
    hass: HomeAssistant, plant: MockConfigEntry, simulator: PlantSimulator
) -> None:
    """battery_rate_max and inverter_limit: the plant's rated powers, in W."""
    assert predbat_reads(hass, "battery_rate_max") == pytest.approx(
        simulator.value(247, "plant_ess_rated_charging_power") * 1000
    )
    assert predbat_reads(hass, "inverter_limit") == pytest.approx(
        simulator.value(247, "plant_max_active_power") * 1000
    )
    assert predbat_reads(hass, "soc_max") == simulator.value(247, "plant_ess_rated_energy_capacity")
    assert predbat_reads(hass, "battery_min_soc") == simulator.value(
        247, "plant_ess_discharge_cut_off_soc"
    )
    # Predbat writes its rates, up to battery_rate_max, into the helpers.
    for key in ("charge_rate", "discharge_rate"):
        entity_id, _ = predbat_entity(key)
        await hass.services.async_call(
            "input_number",
            "set_value",
            {"entity_id": entity_id, "value": predbat_reads(hass, "battery_rate_max")},
            blocking=True,
        )
        assert predbat_reads(hass, key) == predbat_reads(hass, "battery_rate_max")


# --- Predbat: signs, from the plant's physics --------------------------------------


def predbat_balance(hass: HomeAssistant) -> dict[str, float]:
    """What Predbat reads now, in W and its signs; the household load balances them."""
    seen = {key: predbat_reads(hass, key) for key in ("pv_power", "battery_power", "grid_power")}
    seen["load_power"] = predbat_reads(hass, "load_power")
    # Predbat's signs: battery + discharging, grid + exporting; so the house takes
    # what the sun and the battery give, less what goes out to the grid.
    assert seen["load_power"] == pytest.approx(
        seen["pv_power"] + seen["battery_power"] - seen["grid_power"], abs=60
    ), seen
    return seen


async def test_predbat_signs_follow_the_plant(
    hass: HomeAssistant,
    plant: MockConfigEntry,
    simulator: PlantSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Charging from the grid reads negative for both; exporting the battery positive."""
    assert simulator.value(247, "plant_pv_power") == 0  # night
    await predbat_calls(hass, "charge_start_service", power=3000, target_soc=80, device_id="")
    await run(hass, freezer, simulator, 10)
    assert simulator.value(247, "plant_ess_power") == pytest.approx(3.0)  # the protocol: + charging
    seen = predbat_balance(hass)
    assert seen["battery_power"] == pytest.approx(-3000)  # Predbat: charging is negative
    assert seen["grid_power"] < -3000  # importing the charge and the house: negative
    assert seen["load_power"] > 0
    assert seen["pv_power"] == 0

    await predbat_calls(hass, "charge_stop_service", device_id="")
    await predbat_calls(hass, "discharge_start_service", power=5000, target_soc=20, device_id="")
    await run(hass, freezer, simulator, 10)
    assert simulator.value(247, "plant_ess_power") == pytest.approx(-5.0)
    seen = predbat_balance(hass)
    assert seen["battery_power"] == pytest.approx(5000)  # discharging: positive
    assert 0 < seen["grid_power"] < 5000  # exporting what the house does not take: positive


# --- Predbat: control through the timed actions --------------------------------------


async def test_predbat_charge_renewed_then_runs_out(
    hass: HomeAssistant,
    plant: MockConfigEntry,
    simulator: PlantSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Each run renews the force charge; after Predbat's last run it ends by itself."""
    before = [simulator.words(247, key) for key in ("remote_ems_enable", "remote_ems_control_mode")]
    await predbat_calls(hass, "charge_start_service", power=3000, target_soc=80, device_id="")
    assert plant_writes(simulator) == [(40032, [0, 3000]), (40031, [3]), (40029, [1])]
    assert hass.states.get(ACTION).state == "force_charge"
    end = hass.states.get(ACTION_END).state
    for _ in range(3):  # Predbat's runs, every 5 minutes: renewed, nothing written
        await run(hass, freezer, simulator, 300, step=30)
        await predbat_calls(hass, "charge_start_service", power=3000, target_soc=80, device_id="")
        assert hass.states.get(ACTION_END).state > end
        end = hass.states.get(ACTION_END).state
    assert len(simulator.stats.writes) == 3
    # Predbat stops (crashed, read-only, uninstalled): the last action runs out.
    await run(hass, freezer, simulator, SLOT - 30, step=30)
    assert hass.states.get(ACTION).state == "force_charge"
    await run(hass, freezer, simulator, 60, step=30)
    assert hass.states.get(ACTION).state == "none"
    assert plant_writes(simulator, 3) == [(40029, [0]), (40031, [2]), (40032, [0, 12000])]
    after = [simulator.words(247, key) for key in ("remote_ems_enable", "remote_ems_control_mode")]
    assert after == before


async def test_predbat_power_is_kept_within_the_rating(
    hass: HomeAssistant,
    plant: MockConfigEntry,
    simulator: PlantSimulator,
) -> None:
    """Predbat's W are the action's kW; more than the plant's rating is its rating."""
    await hass.services.async_call(  # the owner's own limit, below the rating
        "number", "set_value", {"entity_id": CHARGE_LIMIT, "value": 5}, blocking=True
    )
    await predbat_calls(hass, "charge_start_service", power=20000, target_soc=90, device_id="")
    assert plant_writes(simulator)[1] == (40032, [0, 12000])
    await predbat_calls(hass, "discharge_start_service", power=2500, target_soc=30, device_id="")
    assert hass.states.get(ACTION).state == "force_discharge"
    assert (40034, [0, 2500]) in plant_writes(simulator)


async def test_predbat_freeze_and_charge_at_the_target_hold(
    hass: HomeAssistant,
    plant: MockConfigEntry,
    simulator: PlantSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A charge freeze holds the battery; so does a charge to a target already reached."""
    await predbat_calls(hass, "charge_freeze_service", power=3000, target_soc=50, device_id="")
    assert hass.states.get(ACTION).state == "hold"
    await run(hass, freezer, simulator, 10)
    assert simulator.value(247, "plant_ess_power") == 0.0
    assert predbat_reads(hass, "battery_power") == 0.0
    await predbat_calls(hass, "charge_stop_service", device_id="")
    assert hass.states.get(ACTION).state == "none"

    set_soc(simulator, 85.0)
    await run(hass, freezer, simulator, 10)
    await predbat_calls(hass, "charge_start_service", power=3000, target_soc=80, device_id="")
    assert hass.states.get(ACTION).state == "hold"  # not refused: held where it is
    # A discharge to a floor already reached does nothing (Predbat stops it next).
    await predbat_calls(hass, "charge_stop_service", device_id="")
    await predbat_calls(hass, "discharge_start_service", power=3000, target_soc=90, device_id="")
    assert hass.states.get(ACTION).state == "none"


async def test_predbat_stops_only_what_it_runs(
    hass: HomeAssistant,
    plant: MockConfigEntry,
    simulator: PlantSimulator,
) -> None:
    """A stop releases the action of its kind that Predbat renews, nothing else."""
    await predbat_calls(hass, "discharge_start_service", power=3000, target_soc=20, device_id="")
    await predbat_calls(hass, "charge_stop_service", device_id="")  # not a charge: stays
    assert hass.states.get(ACTION).state == "force_discharge"
    await predbat_calls(hass, "discharge_stop_service", device_id="")
    assert hass.states.get(ACTION).state == "none"
    # The owner's own two-hour force charge outlives Predbat's stop.
    await act(hass, plant, "force_charge", power=2.0, duration={"hours": 2})
    await predbat_calls(hass, "charge_stop_service", device_id="")
    assert hass.states.get(ACTION).state == "force_charge"


# --- EMHASS ------------------------------------------------------------------------

EMHASS_CONFIG: dict[str, Any] = json.loads(
    (DOCS / "emhass_config.json").read_text(encoding="utf-8")
)
EMHASS_PACKAGE = yaml.safe_load(
    (DOCS / "sigenergy_emhass_package.yaml").read_text(encoding="utf-8")
)

EMHASS_SENSORS: dict[str, tuple[str, str]] = {
    # configuration key: (the unit EMHASS reads it in, its device class)
    "sensor_power_photovoltaics": ("W", "power"),
    "sensor_power_load_no_var_loads": ("W", "power"),
    "sensor_power_battery": ("W", "power"),
    "sensor_battery_state_of_charge": ("%", "battery"),
}
"""EMHASS's sensor keys in emhass_config.json (docs/config.md: powers in W, SOC in %)."""

EMHASS_SETTINGS = {
    "load_negative": False,  # the load sensor is positive
    "set_zero_min": True,
    "set_use_battery": True,
}

EMHASS_RUNTIME = {
    "soc_init",
    "battery_nominal_energy_capacity",
    "battery_charge_power_max",
    "battery_discharge_power_max",
    "battery_minimum_state_of_charge",
    "battery_maximum_state_of_charge",
}
"""Runtime parameters the package passes (docs/config.md, runtime_params.json; associations.csv)."""


@pytest.fixture
async def emhass(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulator: PlantSimulator,
    freezer: FrozenDateTimeFactory,
) -> MockConfigEntry:
    """The integration with the EMHASS package set up next to it."""
    for domain in ("template", "rest_command"):
        assert await async_setup_component(hass, domain, {domain: EMHASS_PACKAGE[domain]})
    await hass.async_block_till_done()
    await run(hass, freezer, simulator, 60, step=10)  # every poll has read
    return init_integration


def test_emhass_config_keys_are_all_checked_here() -> None:
    lists = {"sensor_replace_zero", "sensor_linear_interp"}
    assert set(EMHASS_CONFIG) == set(EMHASS_SENSORS) | set(EMHASS_SETTINGS) | lists
    for key, value in EMHASS_SETTINGS.items():
        assert EMHASS_CONFIG[key] == value, key
    # PV is zero, not missing, at night; both powers are interpolated over gaps.
    assert EMHASS_CONFIG["sensor_replace_zero"] == [EMHASS_CONFIG["sensor_power_photovoltaics"]]
    assert set(EMHASS_CONFIG["sensor_linear_interp"]) == {
        EMHASS_CONFIG["sensor_power_photovoltaics"],
        EMHASS_CONFIG["sensor_power_load_no_var_loads"],
    }


async def test_emhass_sensors_exist_in_w_with_emhass_signs(
    hass: HomeAssistant,
    emhass: MockConfigEntry,
    simulator: PlantSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Each sensor EMHASS reads, in its unit; the powers are the plant's, in W."""
    for key, (unit, device_class) in EMHASS_SENSORS.items():
        state = hass.states.get(EMHASS_CONFIG[key])
        assert state is not None, f"{key}: {EMHASS_CONFIG[key]} does not exist"
        assert state.attributes["unit_of_measurement"] == unit, key
        assert state.attributes["device_class"] == device_class, key
        assert float(state.state) >= 0, key  # night, the battery covering the house
    await act(hass, emhass, "force_charge", power=3.0, duration={"hours": 1})
    await run(hass, freezer, simulator, 10)
    load = float(hass.states.get("sensor.sigenergy_plant_load_power").state)

    def watts(key: str) -> float:
        return float(hass.states.get(EMHASS_CONFIG[key]).state)

    assert watts("sensor_power_photovoltaics") == 0  # night
    assert watts("sensor_power_load_no_var_loads") == pytest.approx(load * 1000)
    assert load > 0  # the house consumes: positive, as EMHASS's load_negative false says
    # Charging: negative (EMHASS takes either sign; the plan's own is positive discharging).
    assert watts("sensor_power_battery") == pytest.approx(-3000)


async def test_emhass_gets_the_plants_state_of_charge_and_ratings(
    hass: HomeAssistant,
    emhass: MockConfigEntry,
    simulator: PlantSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """The MPC call carries soc_init as a fraction and the battery as the plant rates it.

    The payload is rendered as rest_command renders it; EMHASS itself is not here.
    """
    assert hass.services.has_service("rest_command", "emhass_naive_mpc_optim")
    assert hass.services.has_service("rest_command", "emhass_publish_data")
    command = EMHASS_PACKAGE["rest_command"]["emhass_naive_mpc_optim"]
    assert command["url"].endswith("/action/naive-mpc-optim")
    sent = json.loads(Template(command["payload"], hass).async_render(parse_result=False))
    assert set(sent) == EMHASS_RUNTIME
    assert sent["soc_init"] == pytest.approx(simulator.value(247, "plant_ess_soc") / 100)
    assert sent["battery_nominal_energy_capacity"] == pytest.approx(
        simulator.value(247, "plant_ess_rated_energy_capacity") * 1000
    )
    assert sent["battery_charge_power_max"] == pytest.approx(
        simulator.value(247, "plant_ess_rated_charging_power") * 1000
    )
    assert sent["battery_discharge_power_max"] == pytest.approx(
        simulator.value(247, "plant_ess_rated_discharging_power") * 1000
    )
    assert sent["battery_minimum_state_of_charge"] == pytest.approx(
        simulator.value(247, "plant_ess_discharge_cut_off_soc") / 100
    )
    assert sent["battery_maximum_state_of_charge"] == pytest.approx(
        simulator.value(247, "plant_ess_charge_cut_off_soc") / 100
    )
    # EMHASS takes soc_init only within its bounds: below the floor it is the floor.
    set_soc(simulator, 2.0)
    await run(hass, freezer, simulator, 10)
    sent = json.loads(Template(command["payload"], hass).async_render(parse_result=False))
    assert sent["soc_init"] == sent["battery_minimum_state_of_charge"] == pytest.approx(0.05)
    # A value the plant does not report (early-2025 firmware refuses 30083-30087) is
    # left out, never sent as 0: EMHASS keeps its own.
    simulator.set_value(247, "plant_ess_rated_energy_capacity", None)
    await run(hass, freezer, simulator, 330, step=30)  # the settings poll: every 5 minutes
    assert hass.states.get("sensor.sigenergy_plant_battery_rated_capacity").state == "unavailable"
    sent = json.loads(Template(command["payload"], hass).async_render(parse_result=False))
    assert set(sent) == EMHASS_RUNTIME - {"battery_nominal_energy_capacity"}
