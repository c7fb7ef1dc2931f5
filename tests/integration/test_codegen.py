"""Generated files are current, and descriptions agree with the registers they read."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

from custom_components.sigenergy_modbus.binary_sensor import BINARY_SENSORS
from custom_components.sigenergy_modbus.button import BUTTONS
from custom_components.sigenergy_modbus.entity import INVERTER_ROLES, DeviceRole
from custom_components.sigenergy_modbus.number import NUMBERS
from custom_components.sigenergy_modbus.protocol.keys import Key
from custom_components.sigenergy_modbus.protocol.registers import BY_KEY, DeviceKind
from custom_components.sigenergy_modbus.select import SELECTS
from custom_components.sigenergy_modbus.sensor import SENSORS, Counter
from custom_components.sigenergy_modbus.switch import SWITCHES

ROOT = Path(__file__).parents[2]
ALL = (*SENSORS, *BINARY_SENSORS, *SWITCHES, *NUMBERS, *SELECTS, *BUTTONS)

# The protocol prints units its own way; Home Assistant has its own spelling.
UNITS = {"℃": "°C", "kVar": "kvar"}
DEVICE_OF_ROLE = {
    DeviceRole.PLANT: DeviceKind.PLANT,
    DeviceRole.AC_CHARGER: DeviceKind.AC_CHARGER,
    **dict.fromkeys(INVERTER_ROLES, DeviceKind.INVERTER),
}


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations() -> None:
    """Override the package's autouse fixture: these tests need no hass."""


def _codegen() -> ModuleType:
    spec = importlib.util.spec_from_file_location("codegen", ROOT / "scripts/codegen.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_generated_files_are_current() -> None:
    """Run scripts/generate when this fails."""
    stale = [
        str(path.relative_to(ROOT))
        for path, text in _codegen().outputs().items()
        if path.read_text() != text
    ]
    assert stale == []


def test_every_register_has_a_key() -> None:
    """Key and the register map name the same registers."""
    assert {str(k) for k in Key} == set(BY_KEY)


def test_descriptions_read_registers_of_their_device() -> None:
    """An entity reads registers of the unit its device is (and plant registers as such)."""
    wrong = [
        f"{d.key}: {k}"
        for d in ALL
        for k in d.registers
        if BY_KEY[k].device is not DEVICE_OF_ROLE[d.role]
    ]
    wrong += [
        f"{d.key}: {k}"
        for d in ALL
        for k in d.plant_registers
        if BY_KEY[k].device is not DeviceKind.PLANT
    ]
    wrong += [
        f"{d.key}: {d.command}"
        for d in BUTTONS
        if BY_KEY[d.command].device is not DEVICE_OF_ROLE[d.role]
    ]
    assert wrong == []


def test_settings_write_their_own_register() -> None:
    """A number writes the first register it reads; its range reads the rest."""
    for description in NUMBERS:
        assert description.registers[0] == description.setting.key, description.key
        assert description.registers[1:] == description.setting.ratings, description.key
        register = BY_KEY[description.setting.key]
        assert register.access.writable, description.key
        assert UNITS.get(register.unit or "", register.unit) in {
            description.native_unit_of_measurement,
            None,
        }, description.key


def test_unit_matches_the_register() -> None:
    """A sensor of one register has that register's unit (derived ones are checked by hand)."""
    wrong = []
    for description in SENSORS:
        if len(description.registers) > 1 or description.options is not None:
            continue  # derived: PV string power (V x A), indicators, states
        register = BY_KEY[description.registers[0]]
        expected = UNITS.get(register.unit or "", register.unit)
        if description.native_unit_of_measurement != expected:
            wrong.append(
                f"{description.key}: {description.native_unit_of_measurement} != {expected}"
            )
    assert wrong == []


def test_counters_are_energy_registers() -> None:
    """Every energy counter reads one kWh register and only energy sensors are counters."""
    for description in SENSORS:
        is_counter = description.counter is not None
        assert is_counter == (description.state_class == "total_increasing"), description.key
        if is_counter:
            (key,) = description.registers
            assert BY_KEY[key].unit == "kWh", description.key
    assert {d.counter for d in SENSORS} >= {Counter.LIFETIME, Counter.DAILY}


def test_unique_keys_per_device() -> None:
    """No two descriptions of a platform and device share a key (their unique ids would)."""
    for platform in (SENSORS, BINARY_SENSORS, SWITCHES, NUMBERS, SELECTS, BUTTONS):
        seen = [(d.role, d.key) for d in platform]
        assert len(seen) == len(set(seen))
