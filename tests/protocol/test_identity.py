"""What identification accepts as a Sigenergy plant, inverter and AC charger.

The values below are written for these tests in the form real devices send
(model names from the protocol's table 2-1, a 15-character serial, a
``V100R001C…`` firmware string); random register words must never pass.
"""

from __future__ import annotations

import random
from typing import TYPE_CHECKING

import pytest
from hypothesis import given
from hypothesis import strategies as st

from custom_components.sigenergy_modbus.protocol.codec import decode
from custom_components.sigenergy_modbus.protocol.discovery import (
    AC_CHARGER_IDENTITY,
    INVERTER_IDENTITY,
    PLANT_PROBE,
)
from custom_components.sigenergy_modbus.protocol.identity import (
    MODEL_FAMILIES,
    ac_charger_problems,
    inverter_problems,
    plant_problems,
)

if TYPE_CHECKING:
    from custom_components.sigenergy_modbus.protocol.codec import Value
    from custom_components.sigenergy_modbus.protocol.registers import Register

PLANT: dict[str, Value | None] = {
    "system_time": 1_790_000_000,
    "system_time_zone": 60,
    "ems_work_mode": 0,
    "grid_sensor_status": 1,
    "grid_status": 0,
    "plant_max_active_power": 25.0,
    "plant_ess_soc": 64.5,
    "plant_running_state": 1,
}
INVERTER: dict[str, Value | None] = {
    "model_type": "SigenStor EC 12.0 TP",
    "serial_number": "CMX121B450K0123",
    "firmware_version": "V100R001C22SPC113",
    "rated_active_power": 12.0,
    "rated_battery_capacity": 24.0,
}
CHARGER: dict[str, Value | None] = {"ac_charger_system_state": 1, "ac_charger_rated_power": 11.0}


def test_consistent_units_pass() -> None:
    assert plant_problems(PLANT) == []
    assert inverter_problems(INVERTER) == []
    assert ac_charger_problems(CHARGER) == []


@pytest.mark.parametrize(
    "model",
    [
        "SigenStor EC 5.0 SP",
        "Sigen Hybrid 10.0 TP",
        "Sigen PV Max 8.0 TP",
        "Sigen PV 125M1-HYB",
        "PG Controller 7.6",
    ],
)
def test_every_known_family_passes(model: str) -> None:
    assert inverter_problems({**INVERTER, "model_type": model}) == []


def test_a_plant_not_reporting_its_rating_passes() -> None:
    """All ones (the protocol's 'no reading') in the rating is not reported, not implausible."""
    assert plant_problems({**PLANT, "plant_max_active_power": None, "plant_ess_soc": None}) == []


@pytest.mark.parametrize(
    ("key", "value", "reason"),
    [
        ("system_time", None, "no system time"),
        ("system_time_zone", 2000, "no UTC offset"),
        ("system_time_zone", None, "no UTC offset"),
        ("grid_sensor_status", 2, "grid_sensor_status"),
        ("grid_status", 3, "grid_status"),
        ("plant_running_state", 5, "plant_running_state"),
        ("plant_running_state", None, "plant_running_state"),
        ("plant_max_active_power", 0.0, "max active power"),
        ("plant_max_active_power", 4_000_000.0, "max active power"),
        ("plant_ess_soc", 150.0, "state of charge"),
    ],
)
def test_inconsistent_plant_fails(key: str, value: Value | None, reason: str) -> None:
    problems = plant_problems({**PLANT, key: value})
    assert len(problems) == 1
    assert reason in problems[0]


@pytest.mark.parametrize(
    ("key", "value", "reason"),
    [
        ("model_type", "", "model"),
        ("model_type", "Huawei SUN2000", "no known Sigenergy family"),
        ("model_type", "SigenStor\ufffd\ufffd", "not printable"),
        ("model_type", "SigenStor\x07EC", "not printable"),
        ("serial_number", "", "serial number"),
        ("serial_number", "cmx121b450k0123", "serial number"),
        ("serial_number", "ABCDEFGHIJ", "serial number"),  # no digit
        ("serial_number", "CMX 121B450", "serial number"),
        ("serial_number", "C1", "serial number"),
        ("firmware_version", "", "firmware"),
        ("firmware_version", "V100\x00\x01", "firmware"),
        ("rated_active_power", 0.0, "rated power"),
        ("rated_active_power", None, "rated power"),
        ("rated_active_power", 4_000_000.0, "rated power"),
        ("rated_battery_capacity", 50_000.0, "battery capacity"),
    ],
)
def test_inconsistent_inverter_fails(key: str, value: Value | None, reason: str) -> None:
    problems = inverter_problems({**INVERTER, key: value})
    assert len(problems) == 1
    assert reason in problems[0]


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("ac_charger_system_state", 42),
        ("ac_charger_system_state", None),
        ("ac_charger_rated_power", 0.0),
        ("ac_charger_rated_power", 900.0),
    ],
)
def test_inconsistent_ac_charger_fails(key: str, value: Value | None) -> None:
    assert len(ac_charger_problems({**CHARGER, key: value})) == 1


def _decoded(registers: tuple[Register, ...], words: list[int]) -> dict[str, Value | None]:
    start = registers[0].address
    return {r.key: decode(r, words[r.address - start : r.end - start]) for r in registers}


def _random_words(rng: random.Random, registers: tuple[Register, ...]) -> list[int]:
    return [rng.randrange(0x10000) for _ in range(registers[-1].end - registers[0].address)]


def test_random_words_are_never_a_unit() -> None:
    """Blocks of uniformly random words (a broken bridge) are no plant, inverter or charger.

    5,000 blocks of each: consistency of six registers at once leaves a
    random block about one chance in ten million for the plant's, far less
    for an inverter's (its model must spell a Sigenergy family).
    """
    rng = random.Random(20260621)
    for _ in range(5000):
        assert plant_problems(_decoded(PLANT_PROBE, _random_words(rng, PLANT_PROBE)))
        assert inverter_problems(_decoded(INVERTER_IDENTITY, _random_words(rng, INVERTER_IDENTITY)))
        assert ac_charger_problems(
            _decoded(AC_CHARGER_IDENTITY, _random_words(rng, AC_CHARGER_IDENTITY))
        )


@given(st.text(min_size=1, max_size=30))
def test_any_model_text_outside_the_families_fails(model: str) -> None:
    """Whatever text a model register holds, only a known family's name passes."""
    problems = inverter_problems({**INVERTER, "model_type": model})
    known = model.isascii() and model.isprintable() and model.startswith(MODEL_FAMILIES)
    assert (problems == []) == known


def test_zeros_are_never_a_unit() -> None:
    """A datastore of zeros (a generic Modbus server) is no plant, inverter or charger.

    A zero AC charger state is 'system init', a valid code, but a charger of
    0 kW is none.
    """
    for registers, problems in (
        (PLANT_PROBE, plant_problems),
        (INVERTER_IDENTITY, inverter_problems),
        (AC_CHARGER_IDENTITY, ac_charger_problems),
    ):
        size = registers[-1].end - registers[0].address
        assert problems(_decoded(registers, [0] * size)), registers[0].key
