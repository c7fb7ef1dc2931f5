"""The front-panel indicators of an inverter, from its register values.

The installation guide (chapter 8) describes what each indicator shows; this
module derives the same states from Modbus registers, so that Home Assistant
can show what the panel on the wall shows. Each derivation below names the
registers that drive it. Where the protocol carries no information for a
state, the function says so (``UNKNOWN`` with a reason) instead of guessing.

What the protocol cannot tell:

* Communication indicator: no register reports the link to the management
  system (FE, WLAN, 4G, local app, 4G data plan), so there is none here.
* Battery "some batteries faulty" (red flashing) versus "all batteries
  faulty" (red steady): the inverter has one ESS alarm register (30607) for
  all its packs, so both show as ``FAULTY`` with the colour red and no
  pattern.
* Battery "all batteries dormant" (grey) versus "connected, not running"
  (white): no register reports pack sleep. An installed battery at zero
  power is ``IDLE`` (white, steady).
* Grid "off-grid overload" (blue flashing) has no flag of its own. It is
  derived: off grid (30009) and the inverter's active power (30587) at or
  above its maximum active power (30544), or the PCS "off-grid protection"
  alarm (30606 bit 4) while off grid.

Which fault an indicator shows. The guide has two fault rows for the PV and
the grid indicator: the side's own fault (orange, flashing) and "the inverter
is faulty" (red, steady). The running state (30578) says only that the
inverter stopped on a fault; the PCS alarm bits (30605/30606) say where.

* A side's alarm is that side's fault, whatever the running state: a grid
  over-voltage that trips the inverter is an AC fault (orange on the grid
  indicator), not an inverter fault.
* The other side then shows what it is: an inverter stopped by the grid is,
  on its DC side, connected but not running (white), not red.
* Red is the inverter's own fault: the running state is fault and either an
  alarm of the inverter itself is set (software mismatch, over-temperature,
  equipment fault, grounding fault, communication, internal protection,
  manual operation protection, soft start failure) or no alarm bit says
  where the fault is.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

from .enums import GridStatus, RunningState
from .keys import Key
from .values import POWER_DEADBAND_KW, code, number

if TYPE_CHECKING:
    from collections.abc import Mapping

    from .codec import Value


class Colour(StrEnum):
    """Colour of an indicator LED."""

    OFF = "off"
    WHITE = "white"
    GREEN = "green"
    BLUE = "blue"
    ORANGE = "orange"
    RED = "red"


class Pattern(StrEnum):
    """How an indicator LED lights."""

    OFF = "off"
    STEADY = "steady"
    FLASHING = "flashing"


class PvIndicator(StrEnum):
    """PV (DC side) indicator states."""

    NOT_CONNECTED = "not_connected"
    CONNECTED = "connected"
    RUNNING = "running"
    DC_FAULT = "dc_fault"
    INVERTER_FAULT = "inverter_fault"


class GridIndicator(StrEnum):
    """Grid (AC side) indicator states."""

    NOT_CONNECTED = "not_connected"
    CONNECTED = "connected"
    ON_GRID = "on_grid"
    OFF_GRID = "off_grid"
    OFF_GRID_OVERLOAD = "off_grid_overload"
    AC_FAULT = "ac_fault"
    INVERTER_FAULT = "inverter_fault"


class BatteryIndicator(StrEnum):
    """Battery indicator states."""

    NOT_CONNECTED = "not_connected"
    IDLE = "idle"
    CHARGING = "charging"
    DISCHARGING = "discharging"
    FAULTY = "faulty"


@dataclass(frozen=True, slots=True)
class Indicator[S: StrEnum]:
    """One indicator: its state, and the colour and pattern the panel shows."""

    state: S
    colour: Colour | None
    pattern: Pattern | None
    reason: str


@dataclass(frozen=True, slots=True)
class Indicators:
    """The three indicators of one inverter that the protocol can tell."""

    pv: Indicator[PvIndicator]
    grid: Indicator[GridIndicator]
    battery: Indicator[BatteryIndicator]


INVERTER_KEYS: tuple[Key, ...] = (
    Key.RUNNING_STATE,
    Key.ALARM_1,
    Key.ALARM_2,
    Key.ALARM_3,
    Key.PV_POWER,
    Key.PV_STRING_COUNT,
    Key.PACK_COUNT,
    Key.ESS_POWER,
    Key.ACTIVE_POWER,
    Key.MAX_ACTIVE_POWER,
    Key.PHASE_A_VOLTAGE,
    Key.PV1_VOLTAGE,
    Key.PV2_VOLTAGE,
    Key.PV3_VOLTAGE,
    Key.PV4_VOLTAGE,
)
"""Inverter registers the indicators are derived from."""

PLANT_KEYS: tuple[Key, ...] = (Key.GRID_STATUS,)
"""Plant registers the indicators are derived from."""

# PCS alarm 1 (Appendix 2) bits that concern the DC side: low insulation
# resistance (1), PV string over-voltage (5), reversed (6), back-filling (7),
# AFCI fault (8); PCS alarm 2 (Appendix 3) bit 3, AFCI self-check.
_DC_ALARM_1 = (1 << 1) | (1 << 5) | (1 << 6) | (1 << 7) | (1 << 8)
_DC_ALARM_2 = 1 << 3
# AC side: grid over/under voltage and frequency, imbalance, DC component
# (Appendix 2 bits 10-15); leak current (Appendix 3 bit 0), abnormal phase
# sequence (7), short circuit to PE (8). Bit 9 "grid power outage" is not an
# AC fault of the inverter: it is what off-grid operation answers.
_AC_ALARM_1 = sum(1 << b for b in range(10, 16))
_AC_ALARM_2 = (1 << 0) | (1 << 7) | (1 << 8)
# The inverter itself: software version mismatch (0), over-temperature (2),
# equipment fault (3), system grounding fault (4); Appendix 3: communication
# abnormal (1), system internal protection (2), manual operation protection
# (5), soft start failure (9).
_INVERTER_ALARM_1 = (1 << 0) | (1 << 2) | (1 << 3) | (1 << 4)
_INVERTER_ALARM_2 = (1 << 1) | (1 << 2) | (1 << 5) | (1 << 9)
_OFF_GRID_PROTECTION = 1 << 4  # Appendix 3 bit 4
_PV_PRESENT_VOLTS = 20.0
"""A string voltage above this means a PV string is connected (it reads ~0 V otherwise)."""
_AC_PRESENT_VOLTS = 50.0
_PV_VOLTAGES = (Key.PV1_VOLTAGE, Key.PV2_VOLTAGE, Key.PV3_VOLTAGE, Key.PV4_VOLTAGE)


def _int(values: Mapping[str, Value | None], key: Key) -> int:
    return code(values, key) or 0


def _dc_alarm(inverter: Mapping[str, Value | None]) -> bool:
    return bool(
        _int(inverter, Key.ALARM_1) & _DC_ALARM_1 or _int(inverter, Key.ALARM_2) & _DC_ALARM_2
    )


def _ac_alarm(inverter: Mapping[str, Value | None]) -> bool:
    return bool(
        _int(inverter, Key.ALARM_1) & _AC_ALARM_1 or _int(inverter, Key.ALARM_2) & _AC_ALARM_2
    )


def _inverter_faulty(inverter: Mapping[str, Value | None]) -> bool:
    """Whether the inverter stopped on a fault of its own (see the module's docstring)."""
    if RunningState.parse(_int(inverter, Key.RUNNING_STATE)) is not RunningState.FAULT:
        return False
    own = (
        _int(inverter, Key.ALARM_1) & _INVERTER_ALARM_1
        or _int(inverter, Key.ALARM_2) & _INVERTER_ALARM_2
    )
    return bool(own) or not (_dc_alarm(inverter) or _ac_alarm(inverter))


_INVERTER_FAULT_REASON = (
    "running state 30578 is fault, and an alarm of the inverter itself or no alarm says where"
)


def pv_indicator(inverter: Mapping[str, Value | None]) -> Indicator[PvIndicator]:
    """PV indicator from running state 30578, alarms 30605/30606, PV power 31035 and strings."""
    if _dc_alarm(inverter):
        return Indicator(
            PvIndicator.DC_FAULT,
            Colour.ORANGE,
            Pattern.FLASHING,
            "a DC-side alarm bit in 30605/30606",
        )
    if _inverter_faulty(inverter):
        return Indicator(
            PvIndicator.INVERTER_FAULT, Colour.RED, Pattern.STEADY, _INVERTER_FAULT_REASON
        )
    if (number(inverter, Key.PV_POWER) or 0.0) > POWER_DEADBAND_KW:
        return Indicator(
            PvIndicator.RUNNING, Colour.GREEN, Pattern.STEADY, "PV power 31035 above zero"
        )
    # Hybrid inverters have at most 4 strings (31027-31034); on a PV inverter
    # with more, strings 5 and up are not looked at when there is no power.
    strings = min(_int(inverter, Key.PV_STRING_COUNT), 4)
    volts = [number(inverter, key) or 0.0 for key in _PV_VOLTAGES[:strings]]
    if not any(v > _PV_PRESENT_VOLTS for v in volts):
        return Indicator(
            PvIndicator.NOT_CONNECTED, Colour.OFF, Pattern.OFF, "no PV string voltage (31027-31034)"
        )
    return Indicator(
        PvIndicator.CONNECTED, Colour.WHITE, Pattern.STEADY, "string voltage, no PV power"
    )


def grid_indicator(  # noqa: PLR0911 - one return a row of the indicator table
    inverter: Mapping[str, Value | None], plant: Mapping[str, Value | None]
) -> Indicator[GridIndicator]:
    """Grid indicator from running state 30578, alarms, grid status 30009 and AC values."""
    if _ac_alarm(inverter):
        return Indicator(
            GridIndicator.AC_FAULT,
            Colour.ORANGE,
            Pattern.FLASHING,
            "an AC-side alarm bit in 30605/30606",
        )
    if _inverter_faulty(inverter):
        return Indicator(
            GridIndicator.INVERTER_FAULT, Colour.RED, Pattern.STEADY, _INVERTER_FAULT_REASON
        )
    state = RunningState.parse(_int(inverter, Key.RUNNING_STATE))
    alarm_2 = _int(inverter, Key.ALARM_2)
    grid = GridStatus.parse(code(plant, Key.GRID_STATUS))
    if grid in (GridStatus.OFF_GRID_AUTO, GridStatus.OFF_GRID_MANUAL):
        power, limit = number(inverter, Key.ACTIVE_POWER), number(inverter, Key.MAX_ACTIVE_POWER)
        if alarm_2 & _OFF_GRID_PROTECTION or (power is not None and limit and power >= limit):
            return Indicator(
                GridIndicator.OFF_GRID_OVERLOAD,
                Colour.BLUE,
                Pattern.FLASHING,
                "off grid (30009), power 30587 at its maximum 30544 or off-grid protection",
            )
        return Indicator(
            GridIndicator.OFF_GRID, Colour.BLUE, Pattern.STEADY, "grid status 30009 is off grid"
        )
    if (number(inverter, Key.PHASE_A_VOLTAGE) or 0.0) < _AC_PRESENT_VOLTS:
        return Indicator(
            GridIndicator.NOT_CONNECTED, Colour.OFF, Pattern.OFF, "no AC voltage (31011)"
        )
    if state is RunningState.RUNNING and grid is GridStatus.ON_GRID:
        return Indicator(
            GridIndicator.ON_GRID,
            Colour.GREEN,
            Pattern.STEADY,
            "on grid (30009) and running (30578)",
        )
    return Indicator(
        GridIndicator.CONNECTED, Colour.WHITE, Pattern.STEADY, "AC voltage present, not running"
    )


def battery_indicator(inverter: Mapping[str, Value | None]) -> Indicator[BatteryIndicator]:
    """Battery indicator from pack count 31024, ESS alarm 30607 and ESS power 30599."""
    if _int(inverter, Key.PACK_COUNT) == 0:
        return Indicator(
            BatteryIndicator.NOT_CONNECTED, Colour.OFF, Pattern.OFF, "pack count 31024 is 0"
        )
    if _int(inverter, Key.ALARM_3):
        return Indicator(
            BatteryIndicator.FAULTY,
            Colour.RED,
            None,
            "ESS alarm 30607 set; some or all packs: the protocol does not tell which",
        )
    power = number(inverter, Key.ESS_POWER) or 0.0
    if power > POWER_DEADBAND_KW:
        return Indicator(
            BatteryIndicator.CHARGING, Colour.GREEN, Pattern.FLASHING, "ESS power 30599 > 0"
        )
    if power < -POWER_DEADBAND_KW:
        return Indicator(
            BatteryIndicator.DISCHARGING, Colour.BLUE, Pattern.FLASHING, "ESS power 30599 < 0"
        )
    return Indicator(
        BatteryIndicator.IDLE,
        Colour.WHITE,
        Pattern.STEADY,
        "ESS power 30599 is 0; dormant packs cannot be told apart",
    )


def indicators(
    inverter: Mapping[str, Value | None], plant: Mapping[str, Value | None]
) -> Indicators:
    """The indicators of one inverter."""
    return Indicators(
        pv=pv_indicator(inverter),
        grid=grid_indicator(inverter, plant),
        battery=battery_indicator(inverter),
    )
