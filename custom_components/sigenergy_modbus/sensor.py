"""Sensors of the Sigenergy integration.

Each description says where its value comes from (``registers``, and
``value_fn`` where it is more than the first register's number), how often it
is read (``poll``, default: 5 s for the plant, 30 s for its devices) and how
it is shown. Loops make only the families: phases, alarms, PV strings and
smart loads.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime  # noqa: TC003 - a property's return type Home Assistant reads
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from homeassistant.components.sensor import (
    RestoreSensor,
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
    SensorExtraStoredData,
    SensorStateClass,
)
from homeassistant.const import (
    PERCENTAGE,
    EntityCategory,
    UnitOfElectricCurrent,
    UnitOfElectricPotential,
    UnitOfEnergy,
    UnitOfFrequency,
    UnitOfPower,
    UnitOfReactivePower,
    UnitOfTemperature,
)
from homeassistant.helpers.device_registry import DeviceInfo

from .const import PollGroup
from .entity import (
    ALARMS,
    DeviceRole,
    SigenergyEntity,
    SigenergyEntityDescription,
    active_alarms,
    add_entities,
    device_identifier,
    targets,
    unique_id_for,
    unit_id_of,
)
from .protocol import indicators as ind
from .protocol.control import Action
from .protocol.enums import (
    AcChargerState,
    DcChargerState,
    EmsWorkMode,
    GridStatus,
    RunningState,
)
from .protocol.keys import Key
from .protocol.values import POWER_DEADBAND_KW, UnitValues
from .seed import async_recorded_seeds, async_restored_seed

if TYPE_CHECKING:
    from collections.abc import Callable
    from enum import IntEnum

    from homeassistant.core import HomeAssistant
    from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
    from homeassistant.helpers.typing import StateType

    from .coordinator import PlantFeatures, SigenergyConfigEntry, SigenergyRuntimeData
    from .entity import Unit
    from .protocol.models import InverterInfo, PlantInfo

PARALLEL_UPDATES = 0

MEGA_OHM = "MΩ"
SMART_LOADS = 24
PV_STRINGS = 36


class Counter(StrEnum):
    """What kind of energy counter a sensor is."""

    LIFETIME = "lifetime"
    """Counts since commissioning: guarded so that it never goes backwards."""
    DAILY = "daily"
    """Counts since the plant's local midnight."""


@dataclass(frozen=True, kw_only=True)
class SigenergySensorEntityDescription(SensorEntityDescription, SigenergyEntityDescription):
    """A Sigenergy sensor: where its value comes from and how it is shown."""

    value_fn: Callable[[UnitValues], StateType] | None = None
    """The value from the unit's values; default: the first register's number."""
    counter: Counter | None = None
    """For energy counters: lifetime or daily."""


def _enum_value(key: Key, enum: type[IntEnum]) -> Callable[[UnitValues], StateType]:
    """The option of a coded register: its member's name, None for a code not in the table."""

    def value_fn(values: UnitValues) -> StateType:
        member = enum.parse(values.code(key))  # type: ignore[attr-defined]
        return None if member is None else str(member.name.lower())

    return value_fn


def _options(enum: type[IntEnum]) -> list[str]:
    return [m.name.lower() for m in enum]


def _positive(key: Key, sign: int) -> Callable[[UnitValues], StateType]:
    """The part of a signed power that flows one way (``sign`` 1 or -1); 0.0 otherwise."""

    def value_fn(values: UnitValues) -> StateType:
        power = values.number(key)
        if power is None:
            return None
        flow = sign * power
        return flow if flow > 0 else 0.0

    return value_fn


def _negated(key: Key) -> Callable[[UnitValues], StateType]:
    """A signed power the other way round."""

    def value_fn(values: UnitValues) -> StateType:
        power = values.number(key)
        return None if power is None else -power

    return value_fn


def _battery_state(values: UnitValues) -> StateType:
    power = values.number(Key.ESS_POWER)
    if power is None:
        return None
    if values.code(Key.ALARM_3):
        return "fault"  # any ESS alarm (30607): the battery's own fault
    if power > POWER_DEADBAND_KW:
        return "charging"
    if power < -POWER_DEADBAND_KW:
        return "discharging"
    return "idle"


def _alarm_text(key: Key) -> Callable[[UnitValues], StateType]:
    def value_fn(values: UnitValues) -> StateType:
        names = active_alarms(values, key)
        return None if names is None else ", ".join(names)[:255] or "ok"

    return value_fn


def _string_power(volts: Key, amps: Key) -> Callable[[UnitValues], StateType]:
    def value_fn(values: UnitValues) -> StateType:
        v, a = values.number(volts), values.number(amps)
        return None if v is None or a is None else round(v * a / 1000, 3)

    return value_fn


PLANT_PHASES = (
    ("a", Key.GRID_SENSOR_PHASE_A_ACTIVE_POWER, Key.PLANT_PHASE_A_ACTIVE_POWER),
    ("b", Key.GRID_SENSOR_PHASE_B_ACTIVE_POWER, Key.PLANT_PHASE_B_ACTIVE_POWER),
    ("c", Key.GRID_SENSOR_PHASE_C_ACTIVE_POWER, Key.PLANT_PHASE_C_ACTIVE_POWER),
)
INVERTER_PHASES = (
    ("a", Key.PHASE_A_VOLTAGE, Key.PHASE_A_CURRENT, 1),
    ("b", Key.PHASE_B_VOLTAGE, Key.PHASE_B_CURRENT, 2),
    ("c", Key.PHASE_C_VOLTAGE, Key.PHASE_C_CURRENT, 3),
)
"""Each phase: its voltage and current, and the phases an inverter needs to have it."""
LINE_VOLTAGES = (
    ("ab", Key.LINE_VOLTAGE_AB, 2),
    ("bc", Key.LINE_VOLTAGE_BC, 3),
    ("ca", Key.LINE_VOLTAGE_CA, 3),
)


def _has_phases(needed: int) -> Callable[[InverterInfo], bool]:
    """Whether an inverter has this many AC phases (by its output type, 31004).

    A single-phase unit reports its absent phases as all ones or -1, which
    are no values; an inverter whose output type was not read has them all.
    """

    def exists(inverter: InverterInfo) -> bool:
        return inverter.phases is None or inverter.phases >= needed

    return exists


PLANT_SENSORS: tuple[SigenergySensorEntityDescription, ...] = (
    # --- power flows (5 s) ---
    SigenergySensorEntityDescription(
        key="plant_pv_power",
        translation_key="plant_pv_power",
        role=DeviceRole.PLANT,
        registers=(Key.PLANT_PV_POWER,),
        device_class=SensorDeviceClass.POWER,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=UnitOfPower.KILO_WATT,
        suggested_display_precision=2,
    ),
    SigenergySensorEntityDescription(
        key="plant_battery_power",
        translation_key="plant_battery_power",
        role=DeviceRole.PLANT,
        registers=(Key.PLANT_ESS_POWER,),
        device_class=SensorDeviceClass.POWER,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=UnitOfPower.KILO_WATT,
        suggested_display_precision=2,
    ),
    SigenergySensorEntityDescription(
        # Home Assistant's convention for a battery's power (the Energy
        # dashboard's "standard" battery power): positive while discharging.
        # The protocol's, and "Battery power" above, is positive while charging.
        key="plant_battery_power_discharging_positive",
        translation_key="plant_battery_power_discharging_positive",
        role=DeviceRole.PLANT,
        registers=(Key.PLANT_ESS_POWER,),
        value_fn=_negated(Key.PLANT_ESS_POWER),
        device_class=SensorDeviceClass.POWER,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=UnitOfPower.KILO_WATT,
        suggested_display_precision=2,
    ),
    SigenergySensorEntityDescription(
        key="grid_power",
        translation_key="grid_power",
        role=DeviceRole.PLANT,
        registers=(Key.GRID_SENSOR_ACTIVE_POWER,),
        device_class=SensorDeviceClass.POWER,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=UnitOfPower.KILO_WATT,
        suggested_display_precision=2,
    ),
    SigenergySensorEntityDescription(
        key="grid_import_power",
        translation_key="grid_import_power",
        role=DeviceRole.PLANT,
        registers=(Key.GRID_SENSOR_ACTIVE_POWER,),
        value_fn=_positive(Key.GRID_SENSOR_ACTIVE_POWER, 1),
        device_class=SensorDeviceClass.POWER,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=UnitOfPower.KILO_WATT,
        suggested_display_precision=2,
    ),
    SigenergySensorEntityDescription(
        key="grid_export_power",
        translation_key="grid_export_power",
        role=DeviceRole.PLANT,
        registers=(Key.GRID_SENSOR_ACTIVE_POWER,),
        value_fn=_positive(Key.GRID_SENSOR_ACTIVE_POWER, -1),
        device_class=SensorDeviceClass.POWER,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=UnitOfPower.KILO_WATT,
        suggested_display_precision=2,
    ),
    SigenergySensorEntityDescription(
        key="load_power",
        translation_key="load_power",
        role=DeviceRole.PLANT,
        registers=(Key.TOTAL_LOAD_POWER,),
        device_class=SensorDeviceClass.POWER,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=UnitOfPower.KILO_WATT,
        suggested_display_precision=2,
    ),
    SigenergySensorEntityDescription(
        key="plant_active_power",
        translation_key="plant_active_power",
        role=DeviceRole.PLANT,
        registers=(Key.PLANT_ACTIVE_POWER,),
        device_class=SensorDeviceClass.POWER,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=UnitOfPower.KILO_WATT,
        suggested_display_precision=2,
    ),
    SigenergySensorEntityDescription(
        key="plant_reactive_power",
        translation_key="plant_reactive_power",
        role=DeviceRole.PLANT,
        registers=(Key.PLANT_REACTIVE_POWER,),
        device_class=SensorDeviceClass.REACTIVE_POWER,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=UnitOfReactivePower.KILO_VOLT_AMPERE_REACTIVE,
        suggested_display_precision=2,
        entity_registry_enabled_default=False,
    ),
    *(
        SigenergySensorEntityDescription(
            key=f"grid_phase_{phase}_power",
            translation_key=f"grid_phase_{phase}_power",
            role=DeviceRole.PLANT,
            registers=(grid,),
            device_class=SensorDeviceClass.POWER,
            state_class=SensorStateClass.MEASUREMENT,
            native_unit_of_measurement=UnitOfPower.KILO_WATT,
            suggested_display_precision=2,
            entity_registry_enabled_default=False,
        )
        for phase, grid, _plant in PLANT_PHASES
    ),
    *(
        SigenergySensorEntityDescription(
            key=f"plant_phase_{phase}_power",
            translation_key=f"plant_phase_{phase}_power",
            role=DeviceRole.PLANT,
            registers=(plant,),
            device_class=SensorDeviceClass.POWER,
            state_class=SensorStateClass.MEASUREMENT,
            native_unit_of_measurement=UnitOfPower.KILO_WATT,
            suggested_display_precision=2,
            entity_registry_enabled_default=False,
        )
        for phase, _grid, plant in PLANT_PHASES
    ),
    SigenergySensorEntityDescription(
        key="third_party_pv_power",
        translation_key="third_party_pv_power",
        role=DeviceRole.PLANT,
        registers=(Key.THIRD_PARTY_PV_POWER,),
        device_class=SensorDeviceClass.POWER,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=UnitOfPower.KILO_WATT,
        suggested_display_precision=2,
        entity_registry_enabled_default=False,
    ),
    # --- battery of the whole plant ---
    SigenergySensorEntityDescription(
        key="plant_battery_soc",
        translation_key="plant_battery_soc",
        role=DeviceRole.PLANT,
        registers=(Key.PLANT_ESS_SOC,),
        device_class=SensorDeviceClass.BATTERY,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=PERCENTAGE,
        suggested_display_precision=1,
    ),
    SigenergySensorEntityDescription(
        key="plant_battery_soh",
        translation_key="plant_battery_soh",
        role=DeviceRole.PLANT,
        poll=PollGroup.DETAIL,
        registers=(Key.PLANT_ESS_SOH,),
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=PERCENTAGE,
        suggested_display_precision=1,
        entity_category=EntityCategory.DIAGNOSTIC,
    ),
    SigenergySensorEntityDescription(
        key="plant_available_charge_energy",
        translation_key="plant_available_charge_energy",
        role=DeviceRole.PLANT,
        poll=PollGroup.DETAIL,
        registers=(Key.PLANT_ESS_AVAILABLE_CHARGE_ENERGY,),
        device_class=SensorDeviceClass.ENERGY_STORAGE,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=UnitOfEnergy.KILO_WATT_HOUR,
        suggested_display_precision=2,
    ),
    SigenergySensorEntityDescription(
        key="plant_available_discharge_energy",
        translation_key="plant_available_discharge_energy",
        role=DeviceRole.PLANT,
        poll=PollGroup.DETAIL,
        registers=(Key.PLANT_ESS_AVAILABLE_DISCHARGE_ENERGY,),
        device_class=SensorDeviceClass.ENERGY_STORAGE,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=UnitOfEnergy.KILO_WATT_HOUR,
        suggested_display_precision=2,
    ),
    SigenergySensorEntityDescription(
        key="plant_rated_capacity",
        translation_key="plant_rated_capacity",
        role=DeviceRole.PLANT,
        poll=PollGroup.SETTINGS,
        registers=(Key.PLANT_ESS_RATED_ENERGY_CAPACITY,),
        device_class=SensorDeviceClass.ENERGY_STORAGE,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=UnitOfEnergy.KILO_WATT_HOUR,
        suggested_display_precision=1,
        entity_category=EntityCategory.DIAGNOSTIC,
    ),
    SigenergySensorEntityDescription(
        key="plant_charge_cut_off_soc",
        translation_key="plant_charge_cut_off_soc",
        role=DeviceRole.PLANT,
        poll=PollGroup.DETAIL,
        registers=(Key.PLANT_ESS_CHARGE_CUT_OFF_SOC,),
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=PERCENTAGE,
        suggested_display_precision=0,
        entity_category=EntityCategory.DIAGNOSTIC,
    ),
    SigenergySensorEntityDescription(
        key="plant_discharge_cut_off_soc",
        translation_key="plant_discharge_cut_off_soc",
        role=DeviceRole.PLANT,
        poll=PollGroup.DETAIL,
        registers=(Key.PLANT_ESS_DISCHARGE_CUT_OFF_SOC,),
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=PERCENTAGE,
        suggested_display_precision=0,
        entity_category=EntityCategory.DIAGNOSTIC,
    ),
    SigenergySensorEntityDescription(
        key="plant_battery_temperature",
        translation_key="plant_battery_temperature",
        role=DeviceRole.PLANT,
        poll=PollGroup.DETAIL,
        registers=(Key.PLANT_ESS_AVERAGE_CELL_TEMPERATURE,),
        device_class=SensorDeviceClass.TEMPERATURE,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=UnitOfTemperature.CELSIUS,
        suggested_display_precision=1,
        entity_registry_enabled_default=False,
    ),
    SigenergySensorEntityDescription(
        key="plant_available_charging_power",
        translation_key="plant_available_charging_power",
        role=DeviceRole.PLANT,
        registers=(Key.PLANT_ESS_AVAILABLE_MAX_CHARGING_POWER,),
        device_class=SensorDeviceClass.POWER,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=UnitOfPower.KILO_WATT,
        suggested_display_precision=2,
    ),
    # --- states (5 s) ---
    SigenergySensorEntityDescription(
        key="grid_mode",
        translation_key="grid_mode",
        role=DeviceRole.PLANT,
        registers=(Key.GRID_STATUS,),
        value_fn=_enum_value(Key.GRID_STATUS, GridStatus),
        device_class=SensorDeviceClass.ENUM,
        options=_options(GridStatus),
        # The binary sensor "Grid" states whether the plant is on grid; this
        # adds only whether an outage was automatic or manual.
        entity_registry_enabled_default=False,
    ),
    SigenergySensorEntityDescription(
        key="plant_running_state",
        translation_key="plant_running_state",
        role=DeviceRole.PLANT,
        registers=(Key.PLANT_RUNNING_STATE,),
        value_fn=_enum_value(Key.PLANT_RUNNING_STATE, RunningState),
        device_class=SensorDeviceClass.ENUM,
        options=_options(RunningState),
    ),
    SigenergySensorEntityDescription(
        key="ems_work_mode",
        translation_key="ems_work_mode",
        role=DeviceRole.PLANT,
        registers=(Key.EMS_WORK_MODE,),
        value_fn=_enum_value(Key.EMS_WORK_MODE, EmsWorkMode),
        device_class=SensorDeviceClass.ENUM,
        options=_options(EmsWorkMode),
    ),
    # --- energy (60 s) ---
    SigenergySensorEntityDescription(
        key="plant_pv_energy",
        translation_key="plant_pv_energy",
        role=DeviceRole.PLANT,
        poll=PollGroup.ENERGY,
        registers=(Key.PLANT_PV_ENERGY_TOTAL,),
        counter=Counter.LIFETIME,
        device_class=SensorDeviceClass.ENERGY,
        state_class=SensorStateClass.TOTAL_INCREASING,
        native_unit_of_measurement=UnitOfEnergy.KILO_WATT_HOUR,
        suggested_display_precision=2,
    ),
    SigenergySensorEntityDescription(
        key="plant_load_energy",
        translation_key="plant_load_energy",
        role=DeviceRole.PLANT,
        poll=PollGroup.ENERGY,
        registers=(Key.PLANT_LOAD_ENERGY_TOTAL,),
        counter=Counter.LIFETIME,
        device_class=SensorDeviceClass.ENERGY,
        state_class=SensorStateClass.TOTAL_INCREASING,
        native_unit_of_measurement=UnitOfEnergy.KILO_WATT_HOUR,
        suggested_display_precision=2,
    ),
    SigenergySensorEntityDescription(
        key="grid_import_energy",
        translation_key="grid_import_energy",
        role=DeviceRole.PLANT,
        poll=PollGroup.ENERGY,
        registers=(Key.GRID_IMPORT_ENERGY_TOTAL_LEGACY,),
        counter=Counter.LIFETIME,
        device_class=SensorDeviceClass.ENERGY,
        state_class=SensorStateClass.TOTAL_INCREASING,
        native_unit_of_measurement=UnitOfEnergy.KILO_WATT_HOUR,
        suggested_display_precision=2,
    ),
    SigenergySensorEntityDescription(
        key="grid_export_energy",
        translation_key="grid_export_energy",
        role=DeviceRole.PLANT,
        poll=PollGroup.ENERGY,
        registers=(Key.GRID_EXPORT_ENERGY_TOTAL_LEGACY,),
        counter=Counter.LIFETIME,
        device_class=SensorDeviceClass.ENERGY,
        state_class=SensorStateClass.TOTAL_INCREASING,
        native_unit_of_measurement=UnitOfEnergy.KILO_WATT_HOUR,
        suggested_display_precision=2,
    ),
    SigenergySensorEntityDescription(
        key="plant_battery_charge_energy",
        translation_key="plant_battery_charge_energy",
        role=DeviceRole.PLANT,
        poll=PollGroup.ENERGY,
        registers=(Key.PLANT_ESS_CHARGE_ENERGY_TOTAL_LEGACY,),
        counter=Counter.LIFETIME,
        device_class=SensorDeviceClass.ENERGY,
        state_class=SensorStateClass.TOTAL_INCREASING,
        native_unit_of_measurement=UnitOfEnergy.KILO_WATT_HOUR,
        suggested_display_precision=2,
    ),
    SigenergySensorEntityDescription(
        key="plant_battery_discharge_energy",
        translation_key="plant_battery_discharge_energy",
        role=DeviceRole.PLANT,
        poll=PollGroup.ENERGY,
        registers=(Key.PLANT_ESS_DISCHARGE_ENERGY_TOTAL_LEGACY,),
        counter=Counter.LIFETIME,
        device_class=SensorDeviceClass.ENERGY,
        state_class=SensorStateClass.TOTAL_INCREASING,
        native_unit_of_measurement=UnitOfEnergy.KILO_WATT_HOUR,
        suggested_display_precision=2,
    ),
    SigenergySensorEntityDescription(
        key="plant_pv_energy_daily",
        translation_key="plant_pv_energy_daily",
        role=DeviceRole.PLANT,
        poll=PollGroup.ENERGY,
        registers=(Key.PLANT_PV_ENERGY_DAILY,),
        counter=Counter.DAILY,
        device_class=SensorDeviceClass.ENERGY,
        state_class=SensorStateClass.TOTAL_INCREASING,
        native_unit_of_measurement=UnitOfEnergy.KILO_WATT_HOUR,
        suggested_display_precision=2,
    ),
    SigenergySensorEntityDescription(
        key="plant_load_energy_daily",
        translation_key="plant_load_energy_daily",
        role=DeviceRole.PLANT,
        poll=PollGroup.ENERGY,
        registers=(Key.PLANT_LOAD_ENERGY_DAILY,),
        counter=Counter.DAILY,
        device_class=SensorDeviceClass.ENERGY,
        state_class=SensorStateClass.TOTAL_INCREASING,
        native_unit_of_measurement=UnitOfEnergy.KILO_WATT_HOUR,
        suggested_display_precision=2,
    ),
)


def _smart_loads() -> tuple[SigenergySensorEntityDescription, ...]:
    """Power and lifetime energy of smart loads 1-24 (30098-30193), for the loads in use."""
    descriptions: list[SigenergySensorEntityDescription] = []
    for load in range(1, SMART_LOADS + 1):
        placeholders = {"load": str(load)}
        descriptions += [
            SigenergySensorEntityDescription(
                key=f"smart_load_{load}_power",
                translation_key="smart_load_power",
                translation_placeholders=placeholders,
                role=DeviceRole.PLANT,
                poll=PollGroup.DETAIL,
                smart_load=load,
                registers=(Key(f"smart_load_{load}_power"),),
                device_class=SensorDeviceClass.POWER,
                state_class=SensorStateClass.MEASUREMENT,
                native_unit_of_measurement=UnitOfPower.KILO_WATT,
                suggested_display_precision=2,
            ),
            SigenergySensorEntityDescription(
                key=f"smart_load_{load}_energy_total",
                translation_key="smart_load_energy",
                translation_placeholders=placeholders,
                role=DeviceRole.PLANT,
                poll=PollGroup.ENERGY,
                smart_load=load,
                registers=(Key(f"smart_load_{load}_energy_total"),),
                counter=Counter.LIFETIME,
                device_class=SensorDeviceClass.ENERGY,
                state_class=SensorStateClass.TOTAL_INCREASING,
                native_unit_of_measurement=UnitOfEnergy.KILO_WATT_HOUR,
                suggested_display_precision=2,
            ),
        ]
    return tuple(descriptions)


ALARM_SENSORS: tuple[SigenergySensorEntityDescription, ...] = tuple(
    SigenergySensorEntityDescription(
        key=str(key),
        translation_key="alarm",
        translation_placeholders={"alarm": str(number)},
        role=role,
        registers=(key,),
        value_fn=_alarm_text(key),
        entity_category=EntityCategory.DIAGNOSTIC,
    )
    for role, number, key in ALARMS
)
"""The active alarms of each alarm register, by name ("ok" when none)."""


INVERTER_SENSORS: tuple[SigenergySensorEntityDescription, ...] = (
    SigenergySensorEntityDescription(
        key="active_power",
        translation_key="active_power",
        role=DeviceRole.INVERTER,
        registers=(Key.ACTIVE_POWER,),
        device_class=SensorDeviceClass.POWER,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=UnitOfPower.KILO_WATT,
        suggested_display_precision=2,
    ),
    SigenergySensorEntityDescription(
        key="running_state",
        translation_key="running_state",
        role=DeviceRole.INVERTER,
        registers=(Key.RUNNING_STATE,),
        value_fn=_enum_value(Key.RUNNING_STATE, RunningState),
        device_class=SensorDeviceClass.ENUM,
        options=_options(RunningState),
    ),
    SigenergySensorEntityDescription(
        key="pv_indicator",
        translation_key="pv_indicator",
        role=DeviceRole.INVERTER,
        registers=ind.INVERTER_KEYS,
        plant_registers=ind.PLANT_KEYS,
        required=(Key.RUNNING_STATE,),
        value_fn=lambda values: ind.pv_indicator(values).state.value,
        device_class=SensorDeviceClass.ENUM,
        options=[s.value for s in ind.PvIndicator],
    ),
    SigenergySensorEntityDescription(
        key="grid_indicator",
        translation_key="grid_indicator",
        role=DeviceRole.INVERTER,
        registers=ind.INVERTER_KEYS,
        plant_registers=ind.PLANT_KEYS,
        required=(Key.RUNNING_STATE,),
        value_fn=lambda values: ind.grid_indicator(values, values).state.value,
        device_class=SensorDeviceClass.ENUM,
        options=[s.value for s in ind.GridIndicator],
    ),
    SigenergySensorEntityDescription(
        key="battery_indicator",
        translation_key="battery_indicator",
        role=DeviceRole.INVERTER,
        registers=ind.INVERTER_KEYS,
        plant_registers=ind.PLANT_KEYS,
        required=(Key.RUNNING_STATE,),
        value_fn=lambda values: ind.battery_indicator(values).state.value,
        device_class=SensorDeviceClass.ENUM,
        options=[s.value for s in ind.BatteryIndicator],
    ),
    SigenergySensorEntityDescription(
        key="reactive_power",
        translation_key="reactive_power",
        role=DeviceRole.INVERTER,
        registers=(Key.REACTIVE_POWER,),
        device_class=SensorDeviceClass.REACTIVE_POWER,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=UnitOfReactivePower.KILO_VOLT_AMPERE_REACTIVE,
        suggested_display_precision=2,
        entity_registry_enabled_default=False,
    ),
    SigenergySensorEntityDescription(
        key="grid_frequency",
        translation_key="grid_frequency",
        role=DeviceRole.INVERTER,
        registers=(Key.GRID_FREQUENCY,),
        device_class=SensorDeviceClass.FREQUENCY,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=UnitOfFrequency.HERTZ,
        suggested_display_precision=2,
    ),
    SigenergySensorEntityDescription(
        key="internal_temperature",
        translation_key="internal_temperature",
        role=DeviceRole.INVERTER,
        registers=(Key.PCS_INTERNAL_TEMPERATURE,),
        device_class=SensorDeviceClass.TEMPERATURE,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=UnitOfTemperature.CELSIUS,
        suggested_display_precision=1,
        entity_category=EntityCategory.DIAGNOSTIC,
    ),
    SigenergySensorEntityDescription(
        key="power_factor",
        translation_key="power_factor",
        role=DeviceRole.INVERTER,
        registers=(Key.POWER_FACTOR,),
        device_class=SensorDeviceClass.POWER_FACTOR,
        state_class=SensorStateClass.MEASUREMENT,
        suggested_display_precision=3,
        entity_registry_enabled_default=False,
    ),
    *(
        SigenergySensorEntityDescription(
            key=f"phase_{phase}_voltage",
            translation_key=f"phase_{phase}_voltage",
            role=DeviceRole.INVERTER,
            exists_fn=_has_phases(needed),
            registers=(volts,),
            device_class=SensorDeviceClass.VOLTAGE,
            state_class=SensorStateClass.MEASUREMENT,
            native_unit_of_measurement=UnitOfElectricPotential.VOLT,
            suggested_display_precision=1,
            entity_registry_enabled_default=False,
        )
        for phase, volts, _amps, needed in INVERTER_PHASES
    ),
    *(
        SigenergySensorEntityDescription(
            key=f"phase_{phase}_current",
            translation_key=f"phase_{phase}_current",
            role=DeviceRole.INVERTER,
            exists_fn=_has_phases(needed),
            registers=(amps,),
            device_class=SensorDeviceClass.CURRENT,
            state_class=SensorStateClass.MEASUREMENT,
            native_unit_of_measurement=UnitOfElectricCurrent.AMPERE,
            suggested_display_precision=2,
            entity_registry_enabled_default=False,
        )
        for phase, _volts, amps, needed in INVERTER_PHASES
    ),
    *(
        SigenergySensorEntityDescription(
            key=f"line_voltage_{line}",
            translation_key=f"line_voltage_{line}",
            role=DeviceRole.INVERTER,
            exists_fn=_has_phases(needed),
            registers=(volts,),
            device_class=SensorDeviceClass.VOLTAGE,
            state_class=SensorStateClass.MEASUREMENT,
            native_unit_of_measurement=UnitOfElectricPotential.VOLT,
            suggested_display_precision=1,
            entity_registry_enabled_default=False,
        )
        for line, volts, needed in LINE_VOLTAGES
    ),
)


PV_SENSORS: tuple[SigenergySensorEntityDescription, ...] = (
    SigenergySensorEntityDescription(
        key="pv_power",
        translation_key="pv_power",
        role=DeviceRole.PV,
        exists_fn=lambda inverter: inverter.has_pv,
        registers=(Key.PV_POWER,),
        device_class=SensorDeviceClass.POWER,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=UnitOfPower.KILO_WATT,
        suggested_display_precision=2,
    ),
    SigenergySensorEntityDescription(
        key="insulation_resistance",
        translation_key="insulation_resistance",
        role=DeviceRole.PV,
        exists_fn=lambda inverter: inverter.has_pv,
        registers=(Key.INSULATION_RESISTANCE,),
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=MEGA_OHM,
        suggested_display_precision=3,
        entity_category=EntityCategory.DIAGNOSTIC,
        entity_registry_enabled_default=False,
    ),
    SigenergySensorEntityDescription(
        key="pv_energy",
        translation_key="pv_energy",
        role=DeviceRole.PV,
        poll=PollGroup.ENERGY,
        exists_fn=lambda inverter: inverter.has_pv,
        registers=(Key.PV_ENERGY_TOTAL,),
        counter=Counter.LIFETIME,
        device_class=SensorDeviceClass.ENERGY,
        state_class=SensorStateClass.TOTAL_INCREASING,
        native_unit_of_measurement=UnitOfEnergy.KILO_WATT_HOUR,
        suggested_display_precision=2,
    ),
    SigenergySensorEntityDescription(
        key="pv_energy_daily",
        translation_key="pv_energy_daily",
        role=DeviceRole.PV,
        poll=PollGroup.ENERGY,
        exists_fn=lambda inverter: inverter.has_pv,
        registers=(Key.PV_ENERGY_DAILY,),
        counter=Counter.DAILY,
        device_class=SensorDeviceClass.ENERGY,
        state_class=SensorStateClass.TOTAL_INCREASING,
        native_unit_of_measurement=UnitOfEnergy.KILO_WATT_HOUR,
        suggested_display_precision=2,
    ),
)


def _pv_strings() -> tuple[SigenergySensorEntityDescription, ...]:
    """Voltage, current and power of PV strings 1-36, for the strings the inverter reports."""
    descriptions: list[SigenergySensorEntityDescription] = []
    for string in range(1, PV_STRINGS + 1):
        volts, amps = Key(f"pv{string}_voltage"), Key(f"pv{string}_current")

        def has_string(inverter: InverterInfo, string: int = string) -> bool:
            return string <= inverter.pv_string_count

        placeholders = {"string": str(string)}
        descriptions += [
            SigenergySensorEntityDescription(
                key=f"pv{string}_voltage",
                translation_key="pv_string_voltage",
                translation_placeholders=placeholders,
                role=DeviceRole.PV,
                exists_fn=has_string,
                registers=(volts,),
                device_class=SensorDeviceClass.VOLTAGE,
                state_class=SensorStateClass.MEASUREMENT,
                native_unit_of_measurement=UnitOfElectricPotential.VOLT,
                suggested_display_precision=1,
            ),
            SigenergySensorEntityDescription(
                key=f"pv{string}_current",
                translation_key="pv_string_current",
                translation_placeholders=placeholders,
                role=DeviceRole.PV,
                exists_fn=has_string,
                registers=(amps,),
                device_class=SensorDeviceClass.CURRENT,
                state_class=SensorStateClass.MEASUREMENT,
                native_unit_of_measurement=UnitOfElectricCurrent.AMPERE,
                suggested_display_precision=2,
            ),
            SigenergySensorEntityDescription(
                key=f"pv{string}_power",
                translation_key="pv_string_power",
                translation_placeholders=placeholders,
                role=DeviceRole.PV,
                exists_fn=has_string,
                registers=(volts, amps),
                value_fn=_string_power(volts, amps),
                device_class=SensorDeviceClass.POWER,
                state_class=SensorStateClass.MEASUREMENT,
                native_unit_of_measurement=UnitOfPower.KILO_WATT,
                suggested_display_precision=2,
            ),
        ]
    return tuple(descriptions)


BATTERY_SENSORS: tuple[SigenergySensorEntityDescription, ...] = (
    SigenergySensorEntityDescription(
        key="battery_soc",
        translation_key="battery_soc",
        role=DeviceRole.BATTERY,
        exists_fn=lambda inverter: inverter.has_battery,
        registers=(Key.ESS_SOC,),
        device_class=SensorDeviceClass.BATTERY,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=PERCENTAGE,
        suggested_display_precision=1,
    ),
    SigenergySensorEntityDescription(
        key="battery_power",
        translation_key="battery_power",
        role=DeviceRole.BATTERY,
        exists_fn=lambda inverter: inverter.has_battery,
        registers=(Key.ESS_POWER,),
        device_class=SensorDeviceClass.POWER,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=UnitOfPower.KILO_WATT,
        suggested_display_precision=2,
    ),
    SigenergySensorEntityDescription(
        # Home Assistant's convention (positive while discharging), for an
        # Energy dashboard that has each inverter's battery; the plant's is
        # enabled by default, these wait to be enabled.
        key="battery_power_discharging_positive",
        translation_key="battery_power_discharging_positive",
        role=DeviceRole.BATTERY,
        exists_fn=lambda inverter: inverter.has_battery,
        registers=(Key.ESS_POWER,),
        value_fn=_negated(Key.ESS_POWER),
        device_class=SensorDeviceClass.POWER,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=UnitOfPower.KILO_WATT,
        suggested_display_precision=2,
        entity_registry_enabled_default=False,
    ),
    SigenergySensorEntityDescription(
        key="battery_state",
        translation_key="battery_state",
        role=DeviceRole.BATTERY,
        exists_fn=lambda inverter: inverter.has_battery,
        registers=(Key.ESS_POWER, Key.ALARM_3),
        required=(Key.ESS_POWER,),
        value_fn=_battery_state,
        device_class=SensorDeviceClass.ENUM,
        options=["charging", "discharging", "idle", "fault"],
        # The charging binary sensor and the inverter's battery indicator
        # state the same; kept for owners who want one enum.
        entity_registry_enabled_default=False,
    ),
    SigenergySensorEntityDescription(
        key="battery_soh",
        translation_key="battery_soh",
        role=DeviceRole.BATTERY,
        exists_fn=lambda inverter: inverter.has_battery,
        registers=(Key.ESS_SOH,),
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=PERCENTAGE,
        suggested_display_precision=1,
        entity_category=EntityCategory.DIAGNOSTIC,
    ),
    SigenergySensorEntityDescription(
        key="battery_temperature",
        translation_key="battery_temperature",
        role=DeviceRole.BATTERY,
        exists_fn=lambda inverter: inverter.has_battery,
        registers=(Key.ESS_AVERAGE_CELL_TEMPERATURE,),
        device_class=SensorDeviceClass.TEMPERATURE,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=UnitOfTemperature.CELSIUS,
        suggested_display_precision=1,
    ),
    SigenergySensorEntityDescription(
        key="battery_max_temperature",
        translation_key="battery_max_temperature",
        role=DeviceRole.BATTERY,
        exists_fn=lambda inverter: inverter.has_battery,
        registers=(Key.ESS_MAX_CELL_TEMPERATURE,),
        device_class=SensorDeviceClass.TEMPERATURE,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=UnitOfTemperature.CELSIUS,
        suggested_display_precision=1,
        entity_registry_enabled_default=False,
    ),
    SigenergySensorEntityDescription(
        key="battery_min_temperature",
        translation_key="battery_min_temperature",
        role=DeviceRole.BATTERY,
        exists_fn=lambda inverter: inverter.has_battery,
        registers=(Key.ESS_MIN_CELL_TEMPERATURE,),
        device_class=SensorDeviceClass.TEMPERATURE,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=UnitOfTemperature.CELSIUS,
        suggested_display_precision=1,
        entity_registry_enabled_default=False,
    ),
    SigenergySensorEntityDescription(
        key="battery_cell_voltage",
        translation_key="battery_cell_voltage",
        role=DeviceRole.BATTERY,
        exists_fn=lambda inverter: inverter.has_battery,
        registers=(Key.ESS_AVERAGE_CELL_VOLTAGE,),
        device_class=SensorDeviceClass.VOLTAGE,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=UnitOfElectricPotential.VOLT,
        suggested_display_precision=3,
        entity_category=EntityCategory.DIAGNOSTIC,
    ),
    SigenergySensorEntityDescription(
        key="battery_max_cell_voltage",
        translation_key="battery_max_cell_voltage",
        role=DeviceRole.BATTERY,
        exists_fn=lambda inverter: inverter.has_battery,
        registers=(Key.ESS_MAX_CELL_VOLTAGE,),
        device_class=SensorDeviceClass.VOLTAGE,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=UnitOfElectricPotential.VOLT,
        suggested_display_precision=3,
        entity_registry_enabled_default=False,
    ),
    SigenergySensorEntityDescription(
        key="battery_min_cell_voltage",
        translation_key="battery_min_cell_voltage",
        role=DeviceRole.BATTERY,
        exists_fn=lambda inverter: inverter.has_battery,
        registers=(Key.ESS_MIN_CELL_VOLTAGE,),
        device_class=SensorDeviceClass.VOLTAGE,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=UnitOfElectricPotential.VOLT,
        suggested_display_precision=3,
        entity_registry_enabled_default=False,
    ),
    SigenergySensorEntityDescription(
        key="battery_available_charge_energy",
        translation_key="battery_available_charge_energy",
        role=DeviceRole.BATTERY,
        exists_fn=lambda inverter: inverter.has_battery,
        registers=(Key.ESS_AVAILABLE_CHARGE_ENERGY,),
        device_class=SensorDeviceClass.ENERGY_STORAGE,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=UnitOfEnergy.KILO_WATT_HOUR,
        suggested_display_precision=2,
    ),
    SigenergySensorEntityDescription(
        key="battery_available_discharge_energy",
        translation_key="battery_available_discharge_energy",
        role=DeviceRole.BATTERY,
        exists_fn=lambda inverter: inverter.has_battery,
        registers=(Key.ESS_AVAILABLE_DISCHARGE_ENERGY,),
        device_class=SensorDeviceClass.ENERGY_STORAGE,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=UnitOfEnergy.KILO_WATT_HOUR,
        suggested_display_precision=2,
    ),
    SigenergySensorEntityDescription(
        key="battery_rated_capacity",
        translation_key="battery_rated_capacity",
        role=DeviceRole.BATTERY,
        poll=PollGroup.SETTINGS,
        exists_fn=lambda inverter: inverter.has_battery,
        registers=(Key.RATED_BATTERY_CAPACITY,),
        device_class=SensorDeviceClass.ENERGY_STORAGE,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=UnitOfEnergy.KILO_WATT_HOUR,
        suggested_display_precision=1,
        entity_category=EntityCategory.DIAGNOSTIC,
    ),
    SigenergySensorEntityDescription(
        key="battery_charge_energy",
        translation_key="battery_charge_energy",
        role=DeviceRole.BATTERY,
        poll=PollGroup.ENERGY,
        exists_fn=lambda inverter: inverter.has_battery,
        registers=(Key.ESS_CHARGE_ENERGY_TOTAL,),
        counter=Counter.LIFETIME,
        device_class=SensorDeviceClass.ENERGY,
        state_class=SensorStateClass.TOTAL_INCREASING,
        native_unit_of_measurement=UnitOfEnergy.KILO_WATT_HOUR,
        suggested_display_precision=2,
    ),
    SigenergySensorEntityDescription(
        key="battery_discharge_energy",
        translation_key="battery_discharge_energy",
        role=DeviceRole.BATTERY,
        poll=PollGroup.ENERGY,
        exists_fn=lambda inverter: inverter.has_battery,
        registers=(Key.ESS_DISCHARGE_ENERGY_TOTAL,),
        counter=Counter.LIFETIME,
        device_class=SensorDeviceClass.ENERGY,
        state_class=SensorStateClass.TOTAL_INCREASING,
        native_unit_of_measurement=UnitOfEnergy.KILO_WATT_HOUR,
        suggested_display_precision=2,
    ),
    SigenergySensorEntityDescription(
        key="battery_charge_energy_daily",
        translation_key="battery_charge_energy_daily",
        role=DeviceRole.BATTERY,
        poll=PollGroup.ENERGY,
        exists_fn=lambda inverter: inverter.has_battery,
        registers=(Key.ESS_CHARGE_ENERGY_DAILY,),
        counter=Counter.DAILY,
        device_class=SensorDeviceClass.ENERGY,
        state_class=SensorStateClass.TOTAL_INCREASING,
        native_unit_of_measurement=UnitOfEnergy.KILO_WATT_HOUR,
        suggested_display_precision=2,
    ),
    SigenergySensorEntityDescription(
        key="battery_discharge_energy_daily",
        translation_key="battery_discharge_energy_daily",
        role=DeviceRole.BATTERY,
        poll=PollGroup.ENERGY,
        exists_fn=lambda inverter: inverter.has_battery,
        registers=(Key.ESS_DISCHARGE_ENERGY_DAILY,),
        counter=Counter.DAILY,
        device_class=SensorDeviceClass.ENERGY,
        state_class=SensorStateClass.TOTAL_INCREASING,
        native_unit_of_measurement=UnitOfEnergy.KILO_WATT_HOUR,
        suggested_display_precision=2,
    ),
)


CHARGER_SENSORS: tuple[SigenergySensorEntityDescription, ...] = (
    # DC charger: present when it reports a rated power (31523).
    SigenergySensorEntityDescription(
        key="dc_charger_power",
        translation_key="dc_charger_power",
        role=DeviceRole.DC_CHARGER,
        exists_fn=lambda inverter: inverter.dc_charger,
        registers=(Key.DC_CHARGER_OUTPUT_POWER,),
        device_class=SensorDeviceClass.POWER,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=UnitOfPower.KILO_WATT,
        suggested_display_precision=2,
    ),
    SigenergySensorEntityDescription(
        key="dc_charger_state",
        translation_key="dc_charger_state",
        role=DeviceRole.DC_CHARGER,
        exists_fn=lambda inverter: inverter.dc_charger,
        registers=(Key.DC_CHARGER_RUNNING_STATE,),
        value_fn=_enum_value(Key.DC_CHARGER_RUNNING_STATE, DcChargerState),
        device_class=SensorDeviceClass.ENUM,
        options=_options(DcChargerState),
    ),
    SigenergySensorEntityDescription(
        key="dc_charger_vehicle_soc",
        translation_key="dc_charger_vehicle_soc",
        role=DeviceRole.DC_CHARGER,
        exists_fn=lambda inverter: inverter.dc_charger,
        registers=(Key.DC_CHARGER_VEHICLE_SOC,),
        device_class=SensorDeviceClass.BATTERY,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=PERCENTAGE,
        suggested_display_precision=0,
    ),
    SigenergySensorEntityDescription(
        key="dc_charger_charge_energy",
        translation_key="dc_charger_charge_energy",
        role=DeviceRole.DC_CHARGER,
        poll=PollGroup.ENERGY,
        exists_fn=lambda inverter: inverter.dc_charger,
        registers=(Key.DC_CHARGER_CHARGE_ENERGY_TOTAL,),
        counter=Counter.LIFETIME,
        device_class=SensorDeviceClass.ENERGY,
        state_class=SensorStateClass.TOTAL_INCREASING,
        native_unit_of_measurement=UnitOfEnergy.KILO_WATT_HOUR,
        suggested_display_precision=2,
    ),
    SigenergySensorEntityDescription(
        key="dc_charger_discharge_energy",
        translation_key="dc_charger_discharge_energy",
        role=DeviceRole.DC_CHARGER,
        poll=PollGroup.ENERGY,
        exists_fn=lambda inverter: inverter.dc_charger,
        registers=(Key.DC_CHARGER_DISCHARGE_ENERGY_TOTAL,),
        counter=Counter.LIFETIME,
        device_class=SensorDeviceClass.ENERGY,
        state_class=SensorStateClass.TOTAL_INCREASING,
        native_unit_of_measurement=UnitOfEnergy.KILO_WATT_HOUR,
        suggested_display_precision=2,
    ),
    # AC charger (EVAC), at its own unit id.
    SigenergySensorEntityDescription(
        key="ac_charger_state",
        translation_key="ac_charger_state",
        role=DeviceRole.AC_CHARGER,
        registers=(Key.AC_CHARGER_SYSTEM_STATE,),
        value_fn=_enum_value(Key.AC_CHARGER_SYSTEM_STATE, AcChargerState),
        device_class=SensorDeviceClass.ENUM,
        options=_options(AcChargerState),
    ),
    SigenergySensorEntityDescription(
        key="ac_charger_power",
        translation_key="ac_charger_power",
        role=DeviceRole.AC_CHARGER,
        registers=(Key.AC_CHARGER_CHARGING_POWER,),
        device_class=SensorDeviceClass.POWER,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=UnitOfPower.KILO_WATT,
        suggested_display_precision=2,
    ),
    SigenergySensorEntityDescription(
        key="ac_charger_energy",
        translation_key="ac_charger_energy",
        role=DeviceRole.AC_CHARGER,
        poll=PollGroup.ENERGY,
        registers=(Key.AC_CHARGER_ENERGY_TOTAL,),
        counter=Counter.LIFETIME,
        device_class=SensorDeviceClass.ENERGY,
        state_class=SensorStateClass.TOTAL_INCREASING,
        native_unit_of_measurement=UnitOfEnergy.KILO_WATT_HOUR,
        suggested_display_precision=2,
    ),
)


SENSORS: tuple[SigenergySensorEntityDescription, ...] = (
    *PLANT_SENSORS,
    *_smart_loads(),
    *INVERTER_SENSORS,
    *ALARM_SENSORS,
    *PV_SENSORS,
    *_pv_strings(),
    *BATTERY_SENSORS,
    *CHARGER_SENSORS,
)


def guarded_counters(group: PollGroup) -> frozenset[Key]:
    """The energy counters a coordinator guards: those of the sensors it reads."""
    return frozenset(d.registers[0] for d in SENSORS if d.counter is not None and d.group is group)


def counter_targets(
    plant: PlantInfo, features: PlantFeatures
) -> list[tuple[SigenergySensorEntityDescription, Unit]]:
    """Every energy counter sensor the plant has, with its unit."""
    return [(d, unit) for d, unit in targets(plant, features, SENSORS) if d.counter is not None]


def counters_of(plant: PlantInfo, features: PlantFeatures) -> list[tuple[int, str, bool]]:
    """Every energy counter the plant has: (unit id, register key, whether it is daily)."""
    return [
        (unit_id_of(unit), str(d.registers[0]), d.counter is Counter.DAILY)
        for d, unit in counter_targets(plant, features)
    ]


async def async_setup_entry(
    hass: HomeAssistant,
    entry: SigenergyConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add a sensor for each description every unit of the plant has, and control's two."""
    add_entities(
        entry,
        async_add_entities,
        SENSORS,
        lambda runtime, description, unit: (
            SigenergyCounterEntity if description.counter else SigenergySensorEntity
        )(runtime, description, unit),
    )
    async_add_entities(SigenergyControlSensor(entry.runtime_data, d) for d in CONTROL_SENSORS)


class SigenergySensorEntity(SigenergyEntity, SensorEntity):
    """A Sigenergy sensor."""

    entity_description: SigenergySensorEntityDescription

    @property
    def native_value(self) -> StateType:
        """The sensor's value."""
        return sensor_value(self.entity_description, self.values)


@dataclass
class CounterStoredData(SensorExtraStoredData):
    """What a counter keeps across restarts: the last value its guard let through, and when."""

    good_at: float | None = None
    """When that value was read, epoch seconds."""

    def as_dict(self) -> dict[str, Any]:
        """The stored form: the sensor's, and the time."""
        return {**super().as_dict(), "good_at": self.good_at}


class SigenergyCounterEntity(SigenergySensorEntity, RestoreSensor):
    """An energy counter: Home Assistant keeps its last good value for the next start.

    The stored value is the guard's, not the state: a counter whose last
    reading was refused (unavailable) still stores the value the owner's
    statistics hold, and the next start judges its first reading against it.
    As it is added, the entity hands that value to its counter's guard
    (``seed``), before it writes its first state: until then the guard has
    published nothing of the counter.
    """

    async def async_added_to_hass(self) -> None:
        """Seed the counter's guard from the restore data, else the recorder; then follow."""
        key = self.entity_description.registers[0]
        if (self.unit_id, key) in self.coordinator.guard.awaiting():
            seed = await async_restored_seed(self)
            if seed is None:
                seed = (await async_recorded_seeds(self.hass, [self.entity_id])).get(self.entity_id)
            self.coordinator.seed_counter(self.unit_id, key, seed)
        await super().async_added_to_hass()

    @property
    def extra_restore_state_data(self) -> CounterStoredData:
        """The guard's last good value of this counter."""
        key = (self.unit_id, self.entity_description.registers[0])
        guard = self.coordinator.guard
        return CounterStoredData(
            guard.last(key), self.native_unit_of_measurement, guard.last_at(key)
        )


def sensor_value(description: SigenergySensorEntityDescription, values: UnitValues) -> StateType:
    """A sensor's value from its unit's values: its ``value_fn``'s, else its register's number.

    Never a negative zero: a negated or rounded 0.0 would show as "-0.00 kW".
    """
    if description.value_fn is not None:
        value = description.value_fn(values)
    else:
        value = values.number(description.registers[0])
    return 0.0 if isinstance(value, float) and value == 0 else value


NO_ACTION = "none"
REVERTING = "reverting"
"""An action whose end was asked for, until the plant's own settings are back."""

CONTROL_SENSORS: tuple[SensorEntityDescription, ...] = (
    SensorEntityDescription(
        key="control_action",
        translation_key="control_action",
        device_class=SensorDeviceClass.ENUM,
        options=[NO_ACTION, *(str(a) for a in Action), REVERTING],
    ),
    SensorEntityDescription(
        key="control_action_end",
        translation_key="control_action_end",
        device_class=SensorDeviceClass.TIMESTAMP,
    ),
)
"""The running action and its deadline: what the controller does, not a register."""


class SigenergyControlSensor(SensorEntity):
    """The action that has remote EMS (force charge, force discharge, hold), or none.

    While an action is being undone, and until the plant has its own settings
    back (a revert the plant did not take is tried again), *Control action*
    shows ``reverting`` and *Control action end* when the revert runs or is
    tried next.
    """

    _attr_has_entity_name = True
    _attr_should_poll = False

    def __init__(self, runtime: SigenergyRuntimeData, description: SensorEntityDescription) -> None:
        """Bind the sensor to the plant's controller and device."""
        self.entity_description = description
        self.controller = runtime.controller
        plant = runtime.plant
        self._attr_unique_id = unique_id_for(plant, plant, description.key)
        self._attr_device_info = DeviceInfo(
            identifiers={device_identifier(plant, plant, DeviceRole.PLANT)}
        )

    async def async_added_to_hass(self) -> None:
        """Follow the controller."""
        self.async_on_remove(self.controller.async_add_listener(self.async_write_ha_state))

    @property
    def native_value(self) -> StateType | datetime:
        """The action's name (``none``, ``reverting``), or its deadline (the revert's time)."""
        action = self.controller.action
        if self.entity_description.key == "control_action_end":
            if action is None:
                return None
            if action.reverting:
                return self.controller.revert_at or action.deadline
            return action.deadline
        if action is None:
            return NO_ACTION
        return REVERTING if action.reverting else str(action.action)
