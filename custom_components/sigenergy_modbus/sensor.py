"""Sensors of the Sigenergy integration."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
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

from .const import PollGroup
from .entity import (
    DeviceRole,
    SigenergyEntity,
    SigenergyEntityDescription,
    Unit,
    has_battery,
    targets,
)
from .protocol import indicators as ind
from .protocol.enums import (
    ALARM_TABLES,
    AcChargerState,
    DcChargerState,
    EmsWorkMode,
    GridStatus,
    RemoteEmsControlMode,
    RunningState,
)
from .protocol.registers import PLANT_UNIT_ID, pv_string_registers

if TYPE_CHECKING:
    from enum import IntEnum

    from homeassistant.core import HomeAssistant
    from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
    from homeassistant.helpers.typing import StateType

    from .coordinator import SigenergyConfigEntry

PARALLEL_UPDATES = 0

type Values = Mapping[str, Any]

_RT, _DT, _EN, _ST = PollGroup.REALTIME, PollGroup.DETAIL, PollGroup.ENERGY, PollGroup.SETTINGS
_PLANT, _INV, _BAT, _PV = DeviceRole.PLANT, DeviceRole.INVERTER, DeviceRole.BATTERY, DeviceRole.PV
_DC, _AC = DeviceRole.DC_CHARGER, DeviceRole.AC_CHARGER
_DIAG = EntityCategory.DIAGNOSTIC


@dataclass(frozen=True, kw_only=True)
class SigenergySensorEntityDescription(SensorEntityDescription, SigenergyEntityDescription):
    """A Sigenergy sensor: where its value comes from and how it is shown."""

    value_fn: Callable[[Values], StateType] | None = None
    """Value from the unit's registers; default: the first register as read."""
    attrs_fn: Callable[[Values], dict[str, Any]] | None = None
    lifetime: bool = False
    """A lifetime counter: guarded so that it never goes backwards."""
    enabled_fn: Callable[[Values], bool] | None = None
    """Enabled by default only when this says so about the first reading."""


def _pace(role: DeviceRole, group: PollGroup | None = None) -> PollGroup:
    """Plant-wide values every 5 s; each device's own every 30 s.

    The plant's registers carry the power flows, state of charge and grid
    mode of the whole plant in two reads; per-device detail at 30 s keeps the
    steady load on the inverter under 0.6 requests a second.
    """
    return group or (_RT if role is _PLANT else _DT)


def _first(description: SigenergySensorEntityDescription, values: Values) -> StateType:
    value = values.get(description.registers[0])
    return value if isinstance(value, int | float | str) else None


def _enum_fn(key: str, enum: type[IntEnum]) -> Callable[[Values], StateType]:
    def value_fn(values: Values) -> StateType:
        raw = values.get(key)
        member = enum.parse(raw) if isinstance(raw, int) else None  # type: ignore[attr-defined]
        return None if member is None else member.name.lower()

    return value_fn


def _options(enum: type[IntEnum]) -> list[str]:
    return [m.name.lower() for m in enum]


def _power(
    key: str, register: str, role: DeviceRole = _PLANT, group: PollGroup | None = None, **kw: Any
) -> SigenergySensorEntityDescription:
    return SigenergySensorEntityDescription(
        key=key,
        translation_key=kw.pop("translation_key", key),
        group=_pace(role, group),
        role=role,
        registers=kw.pop("registers", (register,)),
        device_class=SensorDeviceClass.POWER,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=UnitOfPower.KILO_WATT,
        suggested_display_precision=2,
        **kw,
    )


def _energy(
    key: str, register: str, role: DeviceRole = _PLANT, *, lifetime: bool = True, **kw: Any
) -> SigenergySensorEntityDescription:
    return SigenergySensorEntityDescription(
        key=key,
        translation_key=kw.pop("translation_key", key),
        group=_EN,
        role=role,
        registers=(register,),
        device_class=SensorDeviceClass.ENERGY,
        state_class=SensorStateClass.TOTAL_INCREASING,
        native_unit_of_measurement=UnitOfEnergy.KILO_WATT_HOUR,
        suggested_display_precision=2,
        lifetime=lifetime,
        **kw,
    )


def _measure(  # noqa: PLR0913, PLR0917 - a description is many fields
    key: str,
    register: str,
    role: DeviceRole,
    device_class: SensorDeviceClass | None,
    unit: str | None,
    group: PollGroup = _DT,
    precision: int | None = 1,
    **kw: Any,
) -> SigenergySensorEntityDescription:
    return SigenergySensorEntityDescription(
        key=key,
        translation_key=kw.pop("translation_key", key),
        group=group,
        role=role,
        registers=(register,),
        device_class=device_class,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=unit,
        suggested_display_precision=precision,
        **kw,
    )


def _enum(
    key: str,
    register: str,
    enum: type[IntEnum],
    role: DeviceRole = _PLANT,
    group: PollGroup | None = None,
    **kw: Any,
) -> SigenergySensorEntityDescription:
    return SigenergySensorEntityDescription(
        key=key,
        translation_key=key,
        group=_pace(role, group),
        role=role,
        registers=(register,),
        device_class=SensorDeviceClass.ENUM,
        options=_options(enum),
        value_fn=_enum_fn(register, enum),
        **kw,
    )


def _alarm(key: str, register: str, role: DeviceRole) -> SigenergySensorEntityDescription:
    table = ALARM_TABLES[register]

    def value_fn(values: Values) -> StateType:
        raw = values.get(register)
        if not isinstance(raw, int):
            return None
        return ", ".join(table.active(raw))[:255] or "ok"

    return SigenergySensorEntityDescription(
        key=key,
        translation_key=key,
        group=_pace(role),
        role=role,
        registers=(register,),
        entity_category=_DIAG,
        value_fn=value_fn,
        attrs_fn=lambda values: {"code": values.get(register)},
    )


def _grid_import(values: Values) -> StateType:
    power = values.get("grid_sensor_active_power")
    return max(power, 0.0) if isinstance(power, int | float) else None


def _grid_export(values: Values) -> StateType:
    power = values.get("grid_sensor_active_power")
    return max(-power, 0.0) if isinstance(power, int | float) else None


def _battery_state(values: Values) -> StateType:
    power = values.get("ess_power")
    if not isinstance(power, int | float):
        return None
    if power > 0.01:  # noqa: PLR2004 - 10 W dead band
        return "charging"
    if power < -0.01:  # noqa: PLR2004
        return "discharging"
    return "idle"


_INDICATOR_KEYS = tuple(r.key for r in ind.INVERTER_REGISTERS)
_INDICATOR_PLANT_KEYS = tuple(r.key for r in ind.PLANT_REGISTERS)


def _indicator(
    key: str, pick: Callable[[Values, Values], ind.Indicator[Any]], states: type[Any]
) -> SigenergySensorEntityDescription:
    def attrs(values: Values) -> dict[str, Any]:
        reading = pick(values, values.get("_plant", {}))
        return {"colour": reading.colour, "pattern": reading.pattern, "reason": reading.reason}

    return SigenergySensorEntityDescription(
        key=key,
        translation_key=key,
        group=_DT,
        role=_INV,
        registers=_INDICATOR_KEYS,
        plant_registers=_INDICATOR_PLANT_KEYS,
        required=("running_state",),
        device_class=SensorDeviceClass.ENUM,
        options=[s.value for s in states],
        value_fn=lambda values: pick(values, values.get("_plant", {})).state.value,
        attrs_fn=attrs,
    )


def _pv_strings() -> list[SigenergySensorEntityDescription]:
    descriptions = []
    for n in range(1, 37):
        volts, amps = (r.key for r in pv_string_registers(n))

        def power(values: Values, volts: str = volts, amps: str = amps) -> StateType:
            v, a = values.get(volts), values.get(amps)
            if not isinstance(v, int | float) or not isinstance(a, int | float):
                return None
            return round(v * a / 1000, 3)

        def has(unit: Any, n: int = n) -> bool:
            return bool(n <= unit.pv_string_count)

        common: dict[str, Any] = {"translation_placeholders": {"string": str(n)}, "has_fn": has}
        descriptions += [
            _measure(
                f"pv{n}_voltage",
                volts,
                _PV,
                SensorDeviceClass.VOLTAGE,
                UnitOfElectricPotential.VOLT,
                _DT,
                1,
                translation_key="pv_string_voltage",
                **common,
            ),
            _measure(
                f"pv{n}_current",
                amps,
                _PV,
                SensorDeviceClass.CURRENT,
                UnitOfElectricCurrent.AMPERE,
                _DT,
                2,
                translation_key="pv_string_current",
                **common,
            ),
            _power(
                f"pv{n}_power",
                volts,
                _PV,
                translation_key="pv_string_power",
                registers=(volts, amps),
                value_fn=power,
                **common,
            ),
        ]
    return descriptions


def _smart_loads() -> list[SigenergySensorEntityDescription]:
    descriptions = []
    for n in range(1, 25):
        energy_key = f"smart_load_{n}_energy_total"

        def used(values: Values, energy_key: str = energy_key) -> bool:
            energy = values.get(energy_key)
            return isinstance(energy, int | float) and energy > 0

        placeholders = {"load": str(n)}
        descriptions += [
            _power(
                f"smart_load_{n}_power",
                f"smart_load_{n}_power",
                translation_key="smart_load_power",
                group=_DT,
                translation_placeholders=placeholders,
                enabled_fn=used,
            ),
            _energy(
                energy_key,
                energy_key,
                translation_key="smart_load_energy",
                translation_placeholders=placeholders,
                enabled_fn=used,
            ),
        ]
    return descriptions


def _has_dc_charger(unit: Any) -> bool:
    return bool(unit.dc_charger)


def _has_pv(unit: Any) -> bool:
    return bool(unit.pv_string_count > 0)


SENSORS: tuple[SigenergySensorEntityDescription, ...] = (
    # --- plant power flows (5 s) ---
    _power("plant_pv_power", "plant_pv_power"),
    _power("plant_battery_power", "plant_ess_power"),
    _power("grid_power", "grid_sensor_active_power"),
    _power("grid_import_power", "grid_sensor_active_power", value_fn=_grid_import),
    _power("grid_export_power", "grid_sensor_active_power", value_fn=_grid_export),
    _power("load_power", "total_load_power"),
    _power("plant_active_power", "plant_active_power"),
    _measure(
        "plant_reactive_power",
        "plant_reactive_power",
        _PLANT,
        SensorDeviceClass.REACTIVE_POWER,
        UnitOfReactivePower.KILO_VOLT_AMPERE_REACTIVE,
        _RT,
        2,
        entity_registry_enabled_default=False,
    ),
    *(
        _power(
            f"grid_phase_{p}_power",
            f"grid_sensor_phase_{p}_active_power",
            entity_registry_enabled_default=False,
        )
        for p in "abc"
    ),
    *(
        _power(
            f"plant_phase_{p}_power",
            f"plant_phase_{p}_active_power",
            entity_registry_enabled_default=False,
        )
        for p in "abc"
    ),
    _power("third_party_pv_power", "third_party_pv_power", entity_registry_enabled_default=False),
    # --- plant battery ---
    _measure(
        "plant_battery_soc", "plant_ess_soc", _PLANT, SensorDeviceClass.BATTERY, PERCENTAGE, _RT, 1
    ),
    _measure(
        "plant_battery_soh",
        "plant_ess_soh",
        _PLANT,
        None,
        PERCENTAGE,
        _DT,
        1,
        entity_category=_DIAG,
    ),
    _measure(
        "plant_available_charge_energy",
        "plant_ess_available_charge_energy",
        _PLANT,
        SensorDeviceClass.ENERGY_STORAGE,
        UnitOfEnergy.KILO_WATT_HOUR,
        _DT,
        2,
    ),
    _measure(
        "plant_available_discharge_energy",
        "plant_ess_available_discharge_energy",
        _PLANT,
        SensorDeviceClass.ENERGY_STORAGE,
        UnitOfEnergy.KILO_WATT_HOUR,
        _DT,
        2,
    ),
    _measure(
        "plant_rated_capacity",
        "plant_ess_rated_energy_capacity",
        _PLANT,
        SensorDeviceClass.ENERGY_STORAGE,
        UnitOfEnergy.KILO_WATT_HOUR,
        _ST,
        1,
        entity_category=_DIAG,
    ),
    _measure(
        "plant_charge_cut_off_soc",
        "plant_ess_charge_cut_off_soc",
        _PLANT,
        None,
        PERCENTAGE,
        _DT,
        0,
        entity_category=_DIAG,
    ),
    _measure(
        "plant_discharge_cut_off_soc",
        "plant_ess_discharge_cut_off_soc",
        _PLANT,
        None,
        PERCENTAGE,
        _DT,
        0,
        entity_category=_DIAG,
    ),
    _measure(
        "plant_battery_temperature",
        "plant_ess_average_cell_temperature",
        _PLANT,
        SensorDeviceClass.TEMPERATURE,
        UnitOfTemperature.CELSIUS,
        _DT,
        1,
        entity_registry_enabled_default=False,
    ),
    _measure(
        "backup_soc", "ess_backup_soc", _PLANT, None, PERCENTAGE, _ST, 0, entity_category=_DIAG
    ),
    # --- plant states (5 s) ---
    _enum("grid_mode", "grid_status", GridStatus),
    _enum("plant_running_state", "plant_running_state", RunningState),
    _enum("ems_work_mode", "ems_work_mode", EmsWorkMode),
    _enum(
        "remote_ems_control_mode",
        "remote_ems_control_mode",
        RemoteEmsControlMode,
        group=_ST,
        entity_category=_DIAG,
        entity_registry_enabled_default=False,
    ),
    *(_alarm(f"plant_alarm_{n}", f"plant_alarm_{n}", _PLANT) for n in range(1, 8)),
    # --- plant energy (60 s) ---
    _energy("plant_pv_energy", "plant_pv_energy_total"),
    _energy("plant_load_energy", "plant_load_energy_total"),
    _energy("grid_import_energy", "grid_import_energy_total_legacy"),
    _energy("grid_export_energy", "grid_export_energy_total_legacy"),
    _energy("plant_battery_charge_energy", "plant_ess_charge_energy_total_legacy"),
    _energy("plant_battery_discharge_energy", "plant_ess_discharge_energy_total_legacy"),
    _energy("plant_pv_energy_daily", "plant_pv_energy_daily", lifetime=False),
    _energy("plant_load_energy_daily", "plant_load_energy_daily", lifetime=False),
    *_smart_loads(),
    # --- inverter (5 s) ---
    _power("active_power", "active_power", _INV),
    _power("pv_power", "pv_power", _PV, has_fn=_has_pv),
    _enum("running_state", "running_state", RunningState, _INV),
    *(_alarm(f"alarm_{n}", f"alarm_{n}", _INV) for n in range(1, 6)),
    _indicator("pv_indicator", lambda inv, plant: ind.pv_indicator(inv), ind.PvIndicator),
    _indicator("grid_indicator", ind.grid_indicator, ind.GridIndicator),
    _indicator(
        "battery_indicator", lambda inv, plant: ind.battery_indicator(inv), ind.BatteryIndicator
    ),
    SigenergySensorEntityDescription(
        key="communication_indicator",
        translation_key="communication_indicator",
        group=_DT,
        role=_INV,
        device_class=SensorDeviceClass.ENUM,
        options=[s.value for s in ind.CommunicationIndicator],
        value_fn=lambda _values: ind.communication_indicator().state.value,
        attrs_fn=lambda _values: {"reason": ind.communication_indicator().reason},
        entity_registry_enabled_default=False,
    ),
    # --- inverter detail (30 s) ---
    _measure(
        "reactive_power",
        "reactive_power",
        _INV,
        SensorDeviceClass.REACTIVE_POWER,
        UnitOfReactivePower.KILO_VOLT_AMPERE_REACTIVE,
        _DT,
        2,
        entity_registry_enabled_default=False,
    ),
    _measure(
        "grid_frequency",
        "grid_frequency",
        _INV,
        SensorDeviceClass.FREQUENCY,
        UnitOfFrequency.HERTZ,
        _DT,
        2,
    ),
    _measure(
        "internal_temperature",
        "pcs_internal_temperature",
        _INV,
        SensorDeviceClass.TEMPERATURE,
        UnitOfTemperature.CELSIUS,
        _DT,
        1,
        entity_category=_DIAG,
    ),
    _measure(
        "power_factor",
        "power_factor",
        _INV,
        SensorDeviceClass.POWER_FACTOR,
        None,
        _DT,
        3,
        entity_registry_enabled_default=False,
    ),
    *(
        _measure(
            f"phase_{p}_voltage",
            f"phase_{p}_voltage",
            _INV,
            SensorDeviceClass.VOLTAGE,
            UnitOfElectricPotential.VOLT,
            _DT,
            1,
            entity_registry_enabled_default=False,
        )
        for p in "abc"
    ),
    *(
        _measure(
            f"phase_{p}_current",
            f"phase_{p}_current",
            _INV,
            SensorDeviceClass.CURRENT,
            UnitOfElectricCurrent.AMPERE,
            _DT,
            2,
            entity_registry_enabled_default=False,
        )
        for p in "abc"
    ),
    *(
        _measure(
            f"line_voltage_{ph}",
            f"line_voltage_{ph}",
            _INV,
            SensorDeviceClass.VOLTAGE,
            UnitOfElectricPotential.VOLT,
            _DT,
            1,
            entity_registry_enabled_default=False,
        )
        for ph in ("ab", "bc", "ca")
    ),
    _measure(
        "insulation_resistance",
        "insulation_resistance",
        _PV,
        None,
        "MΩ",
        _DT,
        3,
        entity_category=_DIAG,
        entity_registry_enabled_default=False,
        has_fn=_has_pv,
    ),
    *_pv_strings(),
    # --- inverter energy (60 s) ---
    _energy("pv_energy", "pv_energy_total", _PV, has_fn=_has_pv),
    _energy("pv_energy_daily", "pv_energy_daily", _PV, lifetime=False, has_fn=_has_pv),
    # --- battery of an inverter ---
    _measure(
        "battery_soc",
        "ess_soc",
        _BAT,
        SensorDeviceClass.BATTERY,
        PERCENTAGE,
        _DT,
        1,
        has_fn=has_battery,
    ),
    _power("battery_power", "ess_power", _BAT, has_fn=has_battery),
    SigenergySensorEntityDescription(
        key="battery_state",
        translation_key="battery_state",
        group=_DT,
        role=_BAT,
        registers=("ess_power",),
        device_class=SensorDeviceClass.ENUM,
        options=["charging", "discharging", "idle"],
        value_fn=_battery_state,
        has_fn=has_battery,
    ),
    _measure(
        "battery_soh",
        "ess_soh",
        _BAT,
        None,
        PERCENTAGE,
        _DT,
        1,
        entity_category=_DIAG,
        has_fn=has_battery,
    ),
    _measure(
        "battery_temperature",
        "ess_average_cell_temperature",
        _BAT,
        SensorDeviceClass.TEMPERATURE,
        UnitOfTemperature.CELSIUS,
        _DT,
        1,
        has_fn=has_battery,
    ),
    _measure(
        "battery_max_temperature",
        "ess_max_cell_temperature",
        _BAT,
        SensorDeviceClass.TEMPERATURE,
        UnitOfTemperature.CELSIUS,
        _DT,
        1,
        entity_registry_enabled_default=False,
        has_fn=has_battery,
    ),
    _measure(
        "battery_min_temperature",
        "ess_min_cell_temperature",
        _BAT,
        SensorDeviceClass.TEMPERATURE,
        UnitOfTemperature.CELSIUS,
        _DT,
        1,
        entity_registry_enabled_default=False,
        has_fn=has_battery,
    ),
    _measure(
        "battery_cell_voltage",
        "ess_average_cell_voltage",
        _BAT,
        SensorDeviceClass.VOLTAGE,
        UnitOfElectricPotential.VOLT,
        _DT,
        3,
        entity_category=_DIAG,
        has_fn=has_battery,
    ),
    _measure(
        "battery_max_cell_voltage",
        "ess_max_cell_voltage",
        _BAT,
        SensorDeviceClass.VOLTAGE,
        UnitOfElectricPotential.VOLT,
        _DT,
        3,
        entity_registry_enabled_default=False,
        has_fn=has_battery,
    ),
    _measure(
        "battery_min_cell_voltage",
        "ess_min_cell_voltage",
        _BAT,
        SensorDeviceClass.VOLTAGE,
        UnitOfElectricPotential.VOLT,
        _DT,
        3,
        entity_registry_enabled_default=False,
        has_fn=has_battery,
    ),
    _measure(
        "battery_available_charge_energy",
        "ess_available_charge_energy",
        _BAT,
        SensorDeviceClass.ENERGY_STORAGE,
        UnitOfEnergy.KILO_WATT_HOUR,
        _DT,
        2,
        has_fn=has_battery,
    ),
    _measure(
        "battery_available_discharge_energy",
        "ess_available_discharge_energy",
        _BAT,
        SensorDeviceClass.ENERGY_STORAGE,
        UnitOfEnergy.KILO_WATT_HOUR,
        _DT,
        2,
        has_fn=has_battery,
    ),
    _measure(
        "battery_rated_capacity",
        "rated_battery_capacity",
        _BAT,
        SensorDeviceClass.ENERGY_STORAGE,
        UnitOfEnergy.KILO_WATT_HOUR,
        _ST,
        1,
        entity_category=_DIAG,
        has_fn=has_battery,
    ),
    _energy("battery_charge_energy", "ess_charge_energy_total", _BAT, has_fn=has_battery),
    _energy("battery_discharge_energy", "ess_discharge_energy_total", _BAT, has_fn=has_battery),
    _energy(
        "battery_charge_energy_daily",
        "ess_charge_energy_daily",
        _BAT,
        lifetime=False,
        has_fn=has_battery,
    ),
    _energy(
        "battery_discharge_energy_daily",
        "ess_discharge_energy_daily",
        _BAT,
        lifetime=False,
        has_fn=has_battery,
    ),
    # --- DC charger (present when it reports a rated power) ---
    _power("dc_charger_power", "dc_charger_output_power", _DC, has_fn=_has_dc_charger),
    _enum(
        "dc_charger_state",
        "dc_charger_running_state",
        DcChargerState,
        _DC,
        _DT,
        has_fn=_has_dc_charger,
    ),
    _measure(
        "dc_charger_vehicle_soc",
        "dc_charger_vehicle_soc",
        _DC,
        SensorDeviceClass.BATTERY,
        PERCENTAGE,
        _DT,
        0,
        has_fn=_has_dc_charger,
    ),
    _energy(
        "dc_charger_charge_energy", "dc_charger_charge_energy_total", _DC, has_fn=_has_dc_charger
    ),
    _energy(
        "dc_charger_discharge_energy",
        "dc_charger_discharge_energy_total",
        _DC,
        has_fn=_has_dc_charger,
    ),
    # --- AC charger ---
    _enum("ac_charger_state", "ac_charger_system_state", AcChargerState, _AC),
    _power("ac_charger_power", "ac_charger_charging_power", _AC),
    _energy("ac_charger_energy", "ac_charger_energy_total", _AC),
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: SigenergyConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add a sensor for each description every unit of the plant has."""
    runtime = entry.runtime_data
    async_add_entities(
        SigenergySensorEntity(runtime, description, unit)
        for description, unit in targets(runtime.plant, SENSORS)
    )


class SigenergySensorEntity(SigenergyEntity, SensorEntity):
    """A Sigenergy sensor."""

    entity_description: SigenergySensorEntityDescription

    def __init__(
        self, runtime: Any, description: SigenergySensorEntityDescription, unit: Unit
    ) -> None:
        """Set up the sensor; some are enabled by default only when in use."""
        super().__init__(runtime, description, unit)
        if description.enabled_fn is not None:
            self._attr_entity_registry_enabled_default = description.enabled_fn(self.values)

    @property
    def values(self) -> Values:
        """The unit's values, with the plant's for entities that read plant registers too."""
        values = super().values
        if self.entity_description.plant_registers:
            plant = (self.coordinator.data or {}).get(PLANT_UNIT_ID, {})
            return {**values, "_plant": plant}
        return values

    @property
    def native_value(self) -> StateType:
        """The sensor's value."""
        description = self.entity_description
        if description.value_fn is not None:
            return description.value_fn(self.values)
        return _first(description, self.values)

    @property
    def extra_state_attributes(self) -> dict[str, Any] | None:
        """Attributes such as an indicator's colour and pattern."""
        if self.entity_description.attrs_fn is None or not self.available:
            return None
        return self.entity_description.attrs_fn(self.values)
