"""What a Sigenergy plant, inverter and AC charger look like when they answer.

A device that answers Modbus is not yet a Sigenergy plant: a generic Modbus
server answers zeros, a broken bridge answers random words, and either would
otherwise become a "plant" with hundreds of inverters. Identification accepts
a unit only when its identity registers are *mutually consistent*: the text
registers printable, the model of a known Sigenergy family, the serial number
of the form Sigenergy uses, the codes within their enumerations (Appendix 1,
register 30009, 30004, Appendix 7), the ratings physically plausible.

Each check returns the reasons a unit fails, so that a debug log can say
why; an empty list is a pass. Values come decoded (``codec.decode``), so
``None`` is the protocol's "no reading" pattern.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Final

from .enums import AcChargerState, GridSensorStatus, GridStatus, RunningState
from .keys import Key
from .values import code, number, text

if TYPE_CHECKING:
    from collections.abc import Mapping

    from .codec import Value

MODEL_FAMILIES: Final = ("SigenStor", "Sigen Hybrid", "Sigen PV", "PG Controller")
"""The model names of the units behind a plant's inverter unit ids (protocol table 2-1:
"Hybrid Inv." and "PV Inv."; e.g. ``SigenStor EC 12.0 TP``, ``Sigen Hybrid 6.0 SP``)."""

SERIAL_FORM: Final = re.compile(r"^(?=.*\d)[A-Z0-9]{8,24}$")
"""A serial number: 8-24 capital letters and digits, at least one digit."""

MAX_TEXT: Final = 30
"""Longest model or firmware text (both registers hold 30 characters)."""

MAX_UNITS: Final = 32
"""Most inverters and AC chargers one plant may have here.

Each inverter adds about 4 requests to the 30 s detail poll (0.15 requests
a second); at 32 units a detail poll is about 130 requests, which on a real
inverter's 50-100 ms a request already takes most of its interval. A plant
beyond it is refused with a clear error, never half set up.
"""

MAX_INVERTER_KW: Final = 1000.0
"""Largest rated power of one unit (the protocol's largest model: Sigen PV 500 kW)."""

MAX_BATTERY_KWH: Final = 1000.0
MAX_PLANT_KW: Final = MAX_UNITS * MAX_INVERTER_KW
MAX_AC_CHARGER_KW: Final = 50.0
"""EVAC models are 7, 11 and 22 kW."""

TIME_ZONE_MINUTES: Final = range(-12 * 60, 14 * 60 + 1)
"""UTC offsets in use: -12:00 to +14:00."""


def _printable(value: str | None) -> bool:
    return bool(value) and value is not None and value.isascii() and value.isprintable()


def plant_problems(values: Mapping[str, Value | None]) -> list[str]:
    """Why unit 247's registers 30000-30051 are not a Sigenergy plant (empty: they are)."""
    problems = []
    if code(values, Key.SYSTEM_TIME) is None:
        problems.append("no system time")
    zone = code(values, Key.SYSTEM_TIME_ZONE)
    if zone is None or zone not in TIME_ZONE_MINUTES:
        problems.append(f"time zone {zone!r} is no UTC offset")
    checks = (
        (Key.GRID_SENSOR_STATUS, GridSensorStatus),
        (Key.GRID_STATUS, GridStatus),
        (Key.PLANT_RUNNING_STATE, RunningState),
    )
    for key, enum in checks:
        value = code(values, key)
        if value is None or enum.parse(value) is None:
            problems.append(f"{key} {value!r} is outside its table")
    power = number(values, Key.PLANT_MAX_ACTIVE_POWER)
    if power is not None and not 0 < power <= MAX_PLANT_KW:  # None: not reported
        problems.append(f"max active power {power} kW is implausible")
    soc = number(values, Key.PLANT_ESS_SOC)
    if soc is not None and not 0 <= soc <= 100:  # noqa: PLR2004 - percent
        problems.append(f"state of charge {soc} % is outside 0-100")
    return problems


def inverter_problems(values: Mapping[str, Value | None]) -> list[str]:
    """Why an inverter's identity block (30500-30553) is not a Sigenergy inverter's."""
    problems = []
    model = text(values, Key.MODEL_TYPE)
    if not _printable(model) or model is None or len(model) > MAX_TEXT:
        problems.append(f"model {model!r} is not printable text")
    elif not model.startswith(MODEL_FAMILIES):
        problems.append(f"model {model!r} is of no known Sigenergy family")
    serial = text(values, Key.SERIAL_NUMBER)
    if serial is None or not SERIAL_FORM.match(serial):
        problems.append(f"serial number {serial!r} is not of the expected form")
    firmware = text(values, Key.FIRMWARE_VERSION)
    if not _printable(firmware) or firmware is None or len(firmware) > MAX_TEXT:
        problems.append(f"firmware {firmware!r} is not printable text")
    rated = number(values, Key.RATED_ACTIVE_POWER)
    if rated is None or not 0 < rated <= MAX_INVERTER_KW:
        problems.append(f"rated power {rated!r} kW is implausible")
    capacity = number(values, Key.RATED_BATTERY_CAPACITY)
    if capacity is not None and not 0 <= capacity <= MAX_BATTERY_KWH:
        problems.append(f"battery capacity {capacity} kWh is implausible")
    return problems


def ac_charger_problems(values: Mapping[str, Value | None]) -> list[str]:
    """Why 32000-32010 of a unit are not a Sigenergy AC charger's."""
    problems = []
    state = code(values, Key.AC_CHARGER_SYSTEM_STATE)
    if state is None or AcChargerState.parse(state) is None:
        problems.append(f"system state {state!r} is outside Appendix 7")
    rated = number(values, Key.AC_CHARGER_RATED_POWER)
    if rated is None or not 0 < rated <= MAX_AC_CHARGER_KW:
        problems.append(f"rated power {rated!r} kW is implausible")
    return problems
