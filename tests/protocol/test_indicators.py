"""The front-panel indicators (DESIGN.md table, installation guide ch. 8) from registers."""

from __future__ import annotations

import re
from typing import Any

import pytest

from custom_components.sigenergy_modbus.protocol import indicators as module
from custom_components.sigenergy_modbus.protocol.indicators import (
    INVERTER_KEYS,
    PLANT_KEYS,
    BatteryIndicator,
    Colour,
    GridIndicator,
    Indicators,
    Pattern,
    PvIndicator,
    battery_indicator,
    grid_indicator,
    indicators,
    pv_indicator,
)

# A healthy hybrid inverter, on grid, running, PV producing, battery idle.
BASE: dict[str, Any] = {
    "running_state": 1,
    "alarm_1": 0,
    "alarm_2": 0,
    "alarm_3": 0,
    "pv_power": 3.2,
    "pv_string_count": 2,
    "pack_count": 2,
    "ess_power": 0.0,
    "active_power": 3.0,
    "max_active_power": 10.0,
    "phase_a_voltage": 231.4,
    "pv1_voltage": 350.0,
    "pv2_voltage": 345.5,
    "pv3_voltage": 0.0,
    "pv4_voltage": 0.0,
}
ON_GRID = {"grid_status": 0}
OFF_GRID_AUTO = {"grid_status": 1}
OFF_GRID_MANUAL = {"grid_status": 2}


def inverter(**changes: Any) -> dict[str, Any]:
    return {**BASE, **changes}


# The PV (DC side) rows of the DESIGN.md indicator table.
PV_CASES = [
    # Each case: id, inverter values, state, colour, pattern.
    (
        "grey: not connected",
        inverter(pv1_voltage=0.0, pv2_voltage=0.0, pv_power=0.0),
        PvIndicator.NOT_CONNECTED,
        Colour.OFF,
        Pattern.OFF,
    ),
    (
        "green: power counts even with strings beyond 4",
        inverter(
            pv_string_count=8, pv1_voltage=0.0, pv2_voltage=0.0, pv3_voltage=0.0, pv4_voltage=0.0
        ),
        PvIndicator.RUNNING,
        Colour.GREEN,
        Pattern.STEADY,
    ),
    (
        "grey: no PV input (SigenStor AC)",
        inverter(pv_string_count=0, pv_power=0.0),
        PvIndicator.NOT_CONNECTED,
        Colour.OFF,
        Pattern.OFF,
    ),
    (
        "grey: string voltages unreadable",
        inverter(pv1_voltage=None, pv2_voltage=None, pv_power=None),
        PvIndicator.NOT_CONNECTED,
        Colour.OFF,
        Pattern.OFF,
    ),
    (
        "white: connected, not running",
        inverter(pv_power=0.0, running_state=0),
        PvIndicator.CONNECTED,
        Colour.WHITE,
        Pattern.STEADY,
    ),
    (
        "white: power within dead band",
        inverter(pv_power=0.005),
        PvIndicator.CONNECTED,
        Colour.WHITE,
        Pattern.STEADY,
    ),
    (
        "white: only string 2 connected",
        inverter(pv1_voltage=0.0, pv_power=None),
        PvIndicator.CONNECTED,
        Colour.WHITE,
        Pattern.STEADY,
    ),
    ("green: running", inverter(), PvIndicator.RUNNING, Colour.GREEN, Pattern.STEADY),
    *(
        (
            f"orange flashing: PCS alarm 1 bit {bit}",
            inverter(alarm_1=1 << bit),
            PvIndicator.DC_FAULT,
            Colour.ORANGE,
            Pattern.FLASHING,
        )
        for bit in (1, 5, 6, 7, 8)
    ),
    (
        "orange flashing: AFCI self-check (PCS alarm 2 bit 3)",
        inverter(alarm_2=1 << 3, pv_power=0.0),
        PvIndicator.DC_FAULT,
        Colour.ORANGE,
        Pattern.FLASHING,
    ),
    (
        "red: fault, no alarm says where",
        inverter(running_state=2, pv_power=0.0),
        PvIndicator.INVERTER_FAULT,
        Colour.RED,
        Pattern.STEADY,
    ),
    *(
        (
            f"red: fault, the inverter's own PCS alarm 1 bit {bit}",
            inverter(running_state=2, alarm_1=1 << bit, pv_power=0.0),
            PvIndicator.INVERTER_FAULT,
            Colour.RED,
            Pattern.STEADY,
        )
        for bit in (0, 2, 3, 4)
    ),
    *(
        (
            f"red: fault, the inverter's own PCS alarm 2 bit {bit}",
            inverter(running_state=2, alarm_2=1 << bit, pv_power=0.0),
            PvIndicator.INVERTER_FAULT,
            Colour.RED,
            Pattern.STEADY,
        )
        for bit in (1, 2, 5, 9)
    ),
    (
        "red: fault, a grid alarm and an alarm of the inverter itself",
        inverter(running_state=2, alarm_1=(1 << 10) | (1 << 3), pv_power=0.0),
        PvIndicator.INVERTER_FAULT,
        Colour.RED,
        Pattern.STEADY,
    ),
    (
        "orange flashing: a DC alarm is a DC fault while the inverter reports fault",
        inverter(running_state=2, alarm_1=1 << 5, pv_power=0.0),
        PvIndicator.DC_FAULT,
        Colour.ORANGE,
        Pattern.FLASHING,
    ),
    (
        "orange flashing: a DC alarm beside an alarm of the inverter itself",
        inverter(running_state=2, alarm_1=(1 << 1) | (1 << 3), pv_power=0.0),
        PvIndicator.DC_FAULT,
        Colour.ORANGE,
        Pattern.FLASHING,
    ),
    (
        "white: stopped by a grid over-voltage, the DC side is connected, not faulty",
        inverter(running_state=2, alarm_1=1 << 10, pv_power=0.0),
        PvIndicator.CONNECTED,
        Colour.WHITE,
        Pattern.STEADY,
    ),
    (
        "grey: stopped by a grid fault, no string connected",
        inverter(running_state=2, alarm_2=1 << 8, pv_power=0.0, pv1_voltage=0.0, pv2_voltage=0.0),
        PvIndicator.NOT_CONNECTED,
        Colour.OFF,
        Pattern.OFF,
    ),
    (
        "grid alarm is not a DC fault",
        inverter(alarm_1=1 << 10),
        PvIndicator.RUNNING,
        Colour.GREEN,
        Pattern.STEADY,
    ),
]

# The grid (AC side) rows of the DESIGN.md indicator table.
GRID_CASES = [
    # Each case: id, inverter values, plant values, state, colour, pattern.
    (
        "grey: not connected",
        inverter(phase_a_voltage=0.0, running_state=0, active_power=0.0),
        ON_GRID,
        GridIndicator.NOT_CONNECTED,
        Colour.OFF,
        Pattern.OFF,
    ),
    (
        "grey: voltage unreadable",
        inverter(phase_a_voltage=None),
        ON_GRID,
        GridIndicator.NOT_CONNECTED,
        Colour.OFF,
        Pattern.OFF,
    ),
    (
        "white: connected, not running",
        inverter(running_state=0, active_power=0.0),
        ON_GRID,
        GridIndicator.CONNECTED,
        Colour.WHITE,
        Pattern.STEADY,
    ),
    (
        "white: running but grid status unknown",
        inverter(),
        {},
        GridIndicator.CONNECTED,
        Colour.WHITE,
        Pattern.STEADY,
    ),
    (
        "green: on grid",
        inverter(),
        ON_GRID,
        GridIndicator.ON_GRID,
        Colour.GREEN,
        Pattern.STEADY,
    ),
    (
        "blue: off grid (auto)",
        inverter(),
        OFF_GRID_AUTO,
        GridIndicator.OFF_GRID,
        Colour.BLUE,
        Pattern.STEADY,
    ),
    (
        "blue: off grid (manual)",
        inverter(),
        OFF_GRID_MANUAL,
        GridIndicator.OFF_GRID,
        Colour.BLUE,
        Pattern.STEADY,
    ),
    (
        "blue: off grid, grid power outage is not an AC fault",
        inverter(alarm_1=1 << 9),
        OFF_GRID_AUTO,
        GridIndicator.OFF_GRID,
        Colour.BLUE,
        Pattern.STEADY,
    ),
    (
        "blue flashing: off grid at maximum power",
        inverter(active_power=10.0),
        OFF_GRID_AUTO,
        GridIndicator.OFF_GRID_OVERLOAD,
        Colour.BLUE,
        Pattern.FLASHING,
    ),
    (
        "blue flashing: off grid above maximum power",
        inverter(active_power=10.4),
        OFF_GRID_MANUAL,
        GridIndicator.OFF_GRID_OVERLOAD,
        Colour.BLUE,
        Pattern.FLASHING,
    ),
    (
        "blue flashing: off-grid protection alarm while off grid",
        inverter(alarm_2=1 << 4),
        OFF_GRID_AUTO,
        GridIndicator.OFF_GRID_OVERLOAD,
        Colour.BLUE,
        Pattern.FLASHING,
    ),
    (
        "off-grid protection alarm while on grid is not an overload",
        inverter(alarm_2=1 << 4),
        ON_GRID,
        GridIndicator.ON_GRID,
        Colour.GREEN,
        Pattern.STEADY,
    ),
    (
        "off grid, maximum power unknown: no overload",
        inverter(active_power=10.0, max_active_power=None),
        OFF_GRID_AUTO,
        GridIndicator.OFF_GRID,
        Colour.BLUE,
        Pattern.STEADY,
    ),
    *(
        (
            f"orange flashing: PCS alarm 1 bit {bit}",
            inverter(alarm_1=1 << bit),
            ON_GRID,
            GridIndicator.AC_FAULT,
            Colour.ORANGE,
            Pattern.FLASHING,
        )
        for bit in range(10, 16)
    ),
    *(
        (
            f"orange flashing: PCS alarm 2 bit {bit}",
            inverter(alarm_2=1 << bit),
            OFF_GRID_AUTO,
            GridIndicator.AC_FAULT,
            Colour.ORANGE,
            Pattern.FLASHING,
        )
        for bit in (0, 7, 8)
    ),
    (
        "DC alarm is not an AC fault",
        inverter(alarm_1=1 << 5),
        ON_GRID,
        GridIndicator.ON_GRID,
        Colour.GREEN,
        Pattern.STEADY,
    ),
    *(
        (
            f"orange flashing: PCS alarm 1 bit {bit} while the inverter reports fault",
            inverter(running_state=2, alarm_1=1 << bit, active_power=0.0),
            grid,
            GridIndicator.AC_FAULT,
            Colour.ORANGE,
            Pattern.FLASHING,
        )
        for bit in range(10, 16)
        for grid in (ON_GRID, OFF_GRID_AUTO)
    ),
    *(
        (
            f"orange flashing: PCS alarm 2 bit {bit} while the inverter reports fault",
            inverter(running_state=2, alarm_2=1 << bit, active_power=0.0),
            ON_GRID,
            GridIndicator.AC_FAULT,
            Colour.ORANGE,
            Pattern.FLASHING,
        )
        for bit in (0, 7, 8)
    ),
    (
        "orange flashing: an AC alarm beside an alarm of the inverter itself",
        inverter(running_state=2, alarm_1=(1 << 10) | (1 << 2), active_power=0.0),
        ON_GRID,
        GridIndicator.AC_FAULT,
        Colour.ORANGE,
        Pattern.FLASHING,
    ),
    (
        "red: fault, no alarm says where",
        inverter(running_state=2, active_power=0.0),
        ON_GRID,
        GridIndicator.INVERTER_FAULT,
        Colour.RED,
        Pattern.STEADY,
    ),
    (
        "red: fault off grid, only the grid outage bit (not an AC fault)",
        inverter(running_state=2, alarm_1=1 << 9, active_power=0.0),
        OFF_GRID_AUTO,
        GridIndicator.INVERTER_FAULT,
        Colour.RED,
        Pattern.STEADY,
    ),
    *(
        (
            f"red: fault, the inverter's own PCS alarm 1 bit {bit}",
            inverter(running_state=2, alarm_1=1 << bit, active_power=0.0),
            ON_GRID,
            GridIndicator.INVERTER_FAULT,
            Colour.RED,
            Pattern.STEADY,
        )
        for bit in (0, 2, 3, 4)
    ),
    *(
        (
            f"red: fault, the inverter's own PCS alarm 2 bit {bit}",
            inverter(running_state=2, alarm_2=1 << bit, active_power=0.0),
            ON_GRID,
            GridIndicator.INVERTER_FAULT,
            Colour.RED,
            Pattern.STEADY,
        )
        for bit in (1, 2, 5, 9)
    ),
    (
        "red: fault, a DC alarm and an alarm of the inverter itself",
        inverter(running_state=2, alarm_1=(1 << 5) | (1 << 3), active_power=0.0),
        ON_GRID,
        GridIndicator.INVERTER_FAULT,
        Colour.RED,
        Pattern.STEADY,
    ),
    (
        "white: stopped by a DC fault, the AC side is connected, not faulty",
        inverter(running_state=2, alarm_1=1 << 1, active_power=0.0),
        ON_GRID,
        GridIndicator.CONNECTED,
        Colour.WHITE,
        Pattern.STEADY,
    ),
    (
        "blue: off grid, the inverter stopped by a DC fault",
        inverter(running_state=2, alarm_2=1 << 3, active_power=0.0),
        OFF_GRID_AUTO,
        GridIndicator.OFF_GRID,
        Colour.BLUE,
        Pattern.STEADY,
    ),
]

# The battery rows of the DESIGN.md indicator table.
BATTERY_CASES = [
    # Each case: id, inverter values, state, colour, pattern.
    ("white: idle", inverter(), BatteryIndicator.IDLE, Colour.WHITE, Pattern.STEADY),
    (
        "white: within dead band",
        inverter(ess_power=-0.005),
        BatteryIndicator.IDLE,
        Colour.WHITE,
        Pattern.STEADY,
    ),
    (
        "white: power unreadable",
        inverter(ess_power=None),
        BatteryIndicator.IDLE,
        Colour.WHITE,
        Pattern.STEADY,
    ),
    (
        "green flashing: charging",
        inverter(ess_power=2.5),
        BatteryIndicator.CHARGING,
        Colour.GREEN,
        Pattern.FLASHING,
    ),
    (
        "blue flashing: discharging",
        inverter(ess_power=-2.5),
        BatteryIndicator.DISCHARGING,
        Colour.BLUE,
        Pattern.FLASHING,
    ),
    *(
        (
            f"red: ESS alarm bit {bit}",
            inverter(alarm_3=1 << bit, ess_power=1.0),
            BatteryIndicator.FAULTY,
            Colour.RED,
            None,
        )
        for bit in range(7)
    ),
    (
        "grey: not connected",
        inverter(pack_count=0, alarm_3=1),
        BatteryIndicator.NOT_CONNECTED,
        Colour.OFF,
        Pattern.OFF,
    ),
    (
        "grey: pack count unreadable",
        inverter(pack_count=None),
        BatteryIndicator.NOT_CONNECTED,
        Colour.OFF,
        Pattern.OFF,
    ),
]


def _ids(cases: list[tuple[Any, ...]]) -> list[str]:
    return [case[0] for case in cases]


@pytest.mark.parametrize("case", PV_CASES, ids=_ids(PV_CASES))
def test_pv_indicator(case: tuple[Any, ...]) -> None:
    _, values, state, colour, pattern = case
    indicator = pv_indicator(values)
    assert (indicator.state, indicator.colour, indicator.pattern) == (state, colour, pattern)
    assert indicator.reason


@pytest.mark.parametrize("case", GRID_CASES, ids=_ids(GRID_CASES))
def test_grid_indicator(case: tuple[Any, ...]) -> None:
    _, values, plant, state, colour, pattern = case
    indicator = grid_indicator(values, plant)
    assert (indicator.state, indicator.colour, indicator.pattern) == (state, colour, pattern)
    assert indicator.reason


@pytest.mark.parametrize("case", BATTERY_CASES, ids=_ids(BATTERY_CASES))
def test_battery_indicator(case: tuple[Any, ...]) -> None:
    _, values, state, colour, pattern = case
    indicator = battery_indicator(values)
    assert (indicator.state, indicator.colour, indicator.pattern) == (state, colour, pattern)
    assert indicator.reason


def test_battery_fault_has_no_pattern_and_says_why() -> None:
    indicator = battery_indicator(inverter(alarm_3=1))
    assert indicator.pattern is None
    assert "does not tell" in indicator.reason


def test_indicators_all_three() -> None:
    result = indicators(inverter(ess_power=-1.0), ON_GRID)
    assert isinstance(result, Indicators)
    assert result.pv.state is PvIndicator.RUNNING
    assert result.grid.state is GridIndicator.ON_GRID
    assert result.battery.state is BatteryIndicator.DISCHARGING
    assert not hasattr(result, "communication")  # no register tells it


def test_empty_values() -> None:
    """Nothing read yet: every indicator is 'not connected', none guesses a fault."""
    result = indicators({}, {})
    assert result.pv.state is PvIndicator.NOT_CONNECTED
    assert result.grid.state is GridIndicator.NOT_CONNECTED
    assert result.battery.state is BatteryIndicator.NOT_CONNECTED


class _Recording(dict[str, Any]):
    """A mapping that records which keys were asked for."""

    def __init__(self, values: dict[str, Any], seen: set[str]) -> None:
        super().__init__(values)
        self.seen = seen

    def get(self, key: str, default: Any = None) -> Any:
        self.seen.add(key)
        return super().get(key, default)

    def __getitem__(self, key: str) -> Any:
        self.seen.add(key)
        return super().__getitem__(key)


def test_reads_only_declared_registers() -> None:
    """The coordinator polls INVERTER_KEYS/PLANT_KEYS; nothing else may be used."""
    seen_inverter: set[str] = set()
    seen_plant: set[str] = set()
    for _, values, plant, *_ in GRID_CASES:
        indicators(_Recording(values, seen_inverter), _Recording(plant, seen_plant))
    for _, values, *_ in PV_CASES + BATTERY_CASES:
        indicators(_Recording(values, seen_inverter), _Recording(ON_GRID, seen_plant))
    assert seen_inverter <= set(INVERTER_KEYS)
    assert seen_plant <= set(PLANT_KEYS)
    assert set(PLANT_KEYS) == {"grid_status"}


def _docstring() -> str:
    return re.sub(r"\s+", " ", module.__doc__ or "")


@pytest.mark.parametrize(
    "phrase",
    [
        # Communication: every state of the table.
        "Communication indicator",
        "so there is none here",
        "FE, WLAN, 4G, local app, 4G data plan",
        # Battery red flashing vs red steady.
        '"some batteries faulty" (red flashing)',
        '"all batteries faulty" (red steady)',
        # Battery grey: dormant.
        '"all batteries dormant" (grey)',
        # Grid blue flashing is derived, not read.
        '"off-grid overload" (blue flashing)',
        "30009",
        "30587",
        "30544",
        "30606 bit 4",
    ],
)
def test_docstring_lists_what_the_protocol_cannot_tell(phrase: str) -> None:
    assert phrase in _docstring()
