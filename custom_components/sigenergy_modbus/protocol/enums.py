"""Enumerations and alarm bit tables of the protocol's appendices, as data.

Names are the protocol's own (Appendix 1-14), typos corrected only where the
meaning is unambiguous ("System innit" is ``AcChargerState.SYSTEM_INIT``).
A value the protocol does not list decodes to ``None`` via ``parse``, never to
a guess.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from types import MappingProxyType
from typing import TYPE_CHECKING, Self

if TYPE_CHECKING:
    from collections.abc import Mapping


class _ParsableEnum(IntEnum):
    @classmethod
    def parse(cls, value: int | None) -> Self | None:
        """Return the member for a raw value, or None for an unlisted value."""
        if value is None:
            return None
        try:
            return cls(value)
        except ValueError:
            return None


class RunningState(_ParsableEnum):
    """Plant (30051) and inverter (30578) running state, Appendix 1."""

    STANDBY = 0
    RUNNING = 1
    FAULT = 2
    SHUTDOWN = 3
    ENVIRONMENTAL_ABNORMALITY = 7


class EmsWorkMode(_ParsableEnum):
    """Plant EMS work mode, register 30003.

    6 is not in the protocol: plants send it while a virtual power plant
    dispatches them (owners on two VPP programmes report it; the mySigen app
    shows "VPP Scheduling").
    """

    MAX_SELF_CONSUMPTION = 0
    AI_MODE = 1
    TOU = 2
    FULL_FEED_IN = 5
    VPP_SCHEDULING = 6
    REMOTE_EMS = 7
    CUSTOM = 9


class GridStatus(_ParsableEnum):
    """On/off grid status, register 30009."""

    ON_GRID = 0
    OFF_GRID_AUTO = 1
    OFF_GRID_MANUAL = 2


class GridSensorStatus(_ParsableEnum):
    """Grid sensor (gateway or meter) connection status, register 30004."""

    NOT_CONNECTED = 0
    CONNECTED = 1


class RemoteEmsControlMode(_ParsableEnum):
    """Remote EMS control mode, register 40031, Appendix 6."""

    PCS_REMOTE_CONTROL = 0
    STANDBY = 1
    MAX_SELF_CONSUMPTION = 2
    COMMAND_CHARGING_GRID_FIRST = 3
    COMMAND_CHARGING_PV_FIRST = 4
    COMMAND_DISCHARGING_PV_FIRST = 5
    COMMAND_DISCHARGING_ESS_FIRST = 6
    RESERVED = 7
    V2G = 8


class OutputType(_ParsableEnum):
    """Inverter output type, register 31004."""

    L_N = 0
    L1_L2_L3 = 1
    L1_L2_L3_N = 2
    L1_L2_N = 3


class AcChargerState(_ParsableEnum):
    """AC charger system state (IEC 61851-1), register 32000, Appendix 7."""

    SYSTEM_INIT = 0
    A1_A2 = 1
    B1 = 2
    B2 = 3
    C1 = 4
    C2 = 5
    F = 6
    E = 7


class DcChargerState(_ParsableEnum):
    """DC charger running state, register 31513, Appendix 14."""

    IDLE = 0
    OCCUPIED = 1
    PREPARING = 2
    CHARGING = 3
    FAULT = 4
    SCHEDULED = 5
    ENDED = 6
    UNAVAILABLE = 7
    DISCHARGING = 8
    ALARM = 9
    INSULATION_DETECTION = 10


@dataclass(frozen=True, slots=True)
class AlarmTable:
    """The meaning of each bit of an alarm register."""

    key: str
    appendix: int
    bits: Mapping[int, str]

    def __post_init__(self) -> None:
        """Freeze the bit table."""
        object.__setattr__(self, "bits", MappingProxyType(dict(self.bits)))

    def active(self, value: int) -> list[str]:
        """Return the names of the alarms set in a register value.

        A set bit that the protocol does not define is reported as
        ``"Unknown alarm (bit N)"``, so that no alarm is silently dropped.
        """
        return [
            self.bits.get(bit, f"Unknown alarm (bit {bit})")
            for bit in range(16)
            if value >> bit & 1
        ]

    def undefined(self, value: int) -> list[int]:
        """The bits set in a register value that the protocol does not define."""
        return [bit for bit in range(16) if value >> bit & 1 and bit not in self.bits]


PCS_ALARM_1 = AlarmTable(
    key="pcs_alarm_1",
    appendix=2,
    bits={
        0: "Software version mismatch",
        1: "Low insulation resistance",
        2: "Over-temperature",
        3: "Equipment fault",
        4: "System grounding fault",
        5: "PV string over-voltage",
        6: "PV string reversely connected",
        7: "PV string back-filling",
        8: "AFCI fault",
        9: "Grid power outage",
        10: "Grid over-voltage",
        11: "Grid under-voltage",
        12: "Grid over-frequency",
        13: "Grid under-frequency",
        14: "Grid voltage imbalance",
        15: "DC component of output current out of limit",
    },
)
"""PCS alarm code 1 (Appendix 2): Alarm1 30605, Merged Alarm1 30027."""

PCS_ALARM_2 = AlarmTable(
    key="pcs_alarm_2",
    appendix=3,
    bits={
        0: "Leak current out of limit",
        1: "Communication abnormal",
        2: "System internal protection",
        3: "AFCI self-checking circuit fault",
        4: "Off-grid protection",
        5: "Manual operation protection",
        7: "Abnormal phase sequence",
        8: "Short circuit to PE",
        9: "Soft start failure",
    },
)
"""PCS alarm code 2 (Appendix 3): Alarm2 30606, Merged Alarm2 30028."""

ESS_ALARM = AlarmTable(
    key="ess_alarm",
    appendix=4,
    bits={
        0: "Software version mismatch",
        1: "The energy storage module has low insulation resistance to ground",
        2: "The temperature is too high",
        3: "Equipment fault",
        4: "Under-temperature",
        5: "Internal protection",
        6: "Thermal runaway",
    },
)
"""ESS alarm code (Appendix 4): Alarm3 30607, Merged Alarm3 30029."""

GATEWAY_ALARM = AlarmTable(
    key="gateway_alarm",
    appendix=5,
    bits={
        0: "Software version mismatch",
        1: "The temperature is too high",
        2: "Equipment fault",
        3: "Excessive leakage current in off-grid output",
        4: "N line grounding fault",
        5: "Abnormal phase sequence of grid wiring",
        6: "Abnormal phase sequence of inverter wiring",
        7: "Grid phase loss",
    },
)
"""Gateway alarm code (Appendix 5): Alarm4 30608, Merged Alarm4 30030."""

AC_CHARGER_ALARM_1 = AlarmTable(
    key="ac_charger_alarm_1",
    appendix=8,
    bits={
        0: "Grid overvoltage",
        1: "Grid undervoltage",
        2: "Overload",
        3: "Short circuit",
        4: "Charging output overcurrent",
        5: "Leak current out of limit",
        6: "Grounding fault",
        7: "Abnormal phase sequence of grid wiring",
        8: "PEN Fault",
    },
)
"""AC charger alarm code 1 (Appendix 8): 32012."""

AC_CHARGER_ALARM_2 = AlarmTable(
    key="ac_charger_alarm_2",
    appendix=9,
    bits={
        0: "Leak current detection circuit fault",
        1: "Relay stuck",
        2: "Pilot circuit fault",
        3: "Auxiliary power supply module fault",
        4: "Electric lock fault",
        5: "Lamp panel communication fault",
    },
)
"""AC charger alarm code 2 (Appendix 9): 32013."""

AC_CHARGER_ALARM_3 = AlarmTable(
    key="ac_charger_alarm_3",
    appendix=10,
    bits={
        0: "Too high internal temperature",
        1: "Charging cable fault",
        2: "Meter communication fault",
    },
)
"""AC charger alarm code 3 (Appendix 10): 32014."""

DC_CHARGER_ALARM = AlarmTable(
    key="dc_charger_alarm",
    appendix=11,
    bits={
        0: "Software version mismatch",
        1: "Low insulation resistance to ground",
        2: "Over-temperature",
        3: "Equipment fault",
        4: "Charging fault",
        5: "Equipment protection",
    },
)
"""DC charger alarm code (Appendix 11): Alarm5 30609, Merged Alarm5 30072."""

PLANT_ALARM_1 = AlarmTable(
    key="plant_alarm_1",
    appendix=12,
    bits={
        0: "Gateway communication abnormal",
        1: "Meter communication abnormal",
        2: "AC power sensor communication abnormal",
        6: "Hard protection against grid-feed power limit exceedance",
        8: "Generator failure to start",
        10: "CLS fault",
    },
)
"""Plant alarm 1 (Appendix 12): Merged Alarm6 30280."""

PLANT_ALARM_2 = AlarmTable(
    key="plant_alarm_2",
    appendix=13,
    bits={
        0: "OVGR fault",
        1: "RPR fault",
    },
)
"""Plant alarm 2 (Appendix 13): Merged Alarm7 30281."""

ALARM_TABLES: Mapping[str, AlarmTable] = MappingProxyType(
    {
        "plant_alarm_1": PCS_ALARM_1,
        "plant_alarm_2": PCS_ALARM_2,
        "plant_alarm_3": ESS_ALARM,
        "plant_alarm_4": GATEWAY_ALARM,
        "plant_alarm_5": DC_CHARGER_ALARM,
        "plant_alarm_6": PLANT_ALARM_1,
        "plant_alarm_7": PLANT_ALARM_2,
        "alarm_1": PCS_ALARM_1,
        "alarm_2": PCS_ALARM_2,
        "alarm_3": ESS_ALARM,
        "alarm_4": GATEWAY_ALARM,
        "alarm_5": DC_CHARGER_ALARM,
        "ac_charger_alarm_1": AC_CHARGER_ALARM_1,
        "ac_charger_alarm_2": AC_CHARGER_ALARM_2,
        "ac_charger_alarm_3": AC_CHARGER_ALARM_3,
    }
)
"""The bit table behind each alarm register, by register key."""

CODE_TABLES: Mapping[str, type[_ParsableEnum]] = MappingProxyType(
    {
        "ems_work_mode": EmsWorkMode,
        "grid_sensor_status": GridSensorStatus,
        "grid_status": GridStatus,
        "plant_running_state": RunningState,
        "running_state": RunningState,
        "remote_ems_control_mode": RemoteEmsControlMode,
        "output_type": OutputType,
        "ac_charger_system_state": AcChargerState,
        "dc_charger_running_state": DcChargerState,
    }
)
"""The table behind each coded register, by register key."""
