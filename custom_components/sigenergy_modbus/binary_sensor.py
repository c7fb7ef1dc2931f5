"""Binary sensors of the Sigenergy integration."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from homeassistant.components.binary_sensor import (
    BinarySensorDeviceClass,
    BinarySensorEntity,
    BinarySensorEntityDescription,
)
from homeassistant.const import EntityCategory

from .const import PollGroup
from .coordinator import input_key
from .entity import (
    DeviceRole,
    SigenergyEntity,
    SigenergyEntityDescription,
    has_battery,
    targets,
)
from .protocol.contacts import DIGITAL_INPUTS
from .protocol.enums import ALARM_TABLES, GridSensorStatus, GridStatus

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant
    from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

    from .coordinator import SigenergyConfigEntry, SigenergyRuntimeData

PARALLEL_UPDATES = 0

type Values = Mapping[str, Any]


@dataclass(frozen=True, kw_only=True)
class SigenergyBinarySensorEntityDescription(
    BinarySensorEntityDescription, SigenergyEntityDescription
):
    """A Sigenergy binary sensor."""

    is_on_fn: Callable[[Values], bool | None]
    attrs_fn: Callable[[Values], dict[str, Any]] | None = None
    io_input: int | None = None
    """Digital input index: the entity exists only where the inverter exposes DIs."""


def _equals(key: str, wanted: int) -> Callable[[Values], bool | None]:
    def is_on(values: Values) -> bool | None:
        value = values.get(key)
        return value == wanted if isinstance(value, int) else None

    return is_on


def _power_sign(key: str, sign: int) -> Callable[[Values], bool | None]:
    def is_on(values: Values) -> bool | None:
        value = values.get(key)
        return sign * value > 0.01 if isinstance(value, int | float) else None  # noqa: PLR2004 - 10 W

    return is_on


def _alarm(key: str, register: str, role: DeviceRole) -> SigenergyBinarySensorEntityDescription:
    table = ALARM_TABLES[register]

    def is_on(values: Values) -> bool | None:
        value = values.get(register)
        return bool(value) if isinstance(value, int) else None

    def attrs(values: Values) -> dict[str, Any]:
        value = values.get(register)
        return {"alarms": table.active(value) if isinstance(value, int) else []}

    return SigenergyBinarySensorEntityDescription(
        key=key,
        translation_key=key,
        group=PollGroup.REALTIME if role is DeviceRole.PLANT else PollGroup.DETAIL,
        role=role,
        registers=(register,),
        device_class=BinarySensorDeviceClass.PROBLEM,
        entity_category=EntityCategory.DIAGNOSTIC,
        is_on_fn=is_on,
        attrs_fn=attrs,
    )


def _digital_input(index: int) -> SigenergyBinarySensorEntityDescription:
    key = input_key(index)
    return SigenergyBinarySensorEntityDescription(
        key=key,
        translation_key="digital_input",
        translation_placeholders={"input": str(index + 1)},
        group=PollGroup.DETAIL,
        role=DeviceRole.INVERTER,
        registers=(key,),
        is_on_fn=lambda values: values.get(key) if isinstance(values.get(key), bool) else None,
        io_input=index,
    )


BINARY_SENSORS: tuple[SigenergyBinarySensorEntityDescription, ...] = (
    SigenergyBinarySensorEntityDescription(
        key="grid_connected",
        translation_key="grid_connected",
        group=PollGroup.REALTIME,
        role=DeviceRole.PLANT,
        registers=("grid_status",),
        device_class=BinarySensorDeviceClass.CONNECTIVITY,
        is_on_fn=_equals("grid_status", GridStatus.ON_GRID),
    ),
    SigenergyBinarySensorEntityDescription(
        key="grid_sensor_connected",
        translation_key="grid_sensor_connected",
        group=PollGroup.REALTIME,
        role=DeviceRole.PLANT,
        registers=("grid_sensor_status",),
        device_class=BinarySensorDeviceClass.CONNECTIVITY,
        entity_category=EntityCategory.DIAGNOSTIC,
        is_on_fn=_equals("grid_sensor_status", GridSensorStatus.CONNECTED),
    ),
    SigenergyBinarySensorEntityDescription(
        key="battery_charging",
        translation_key="battery_charging",
        group=PollGroup.DETAIL,
        role=DeviceRole.BATTERY,
        registers=("ess_power",),
        device_class=BinarySensorDeviceClass.BATTERY_CHARGING,
        is_on_fn=_power_sign("ess_power", 1),
        has_fn=has_battery,
    ),
    SigenergyBinarySensorEntityDescription(
        key="battery_discharging",
        translation_key="battery_discharging",
        group=PollGroup.DETAIL,
        role=DeviceRole.BATTERY,
        registers=("ess_power",),
        device_class=BinarySensorDeviceClass.RUNNING,
        is_on_fn=_power_sign("ess_power", -1),
        has_fn=has_battery,
    ),
    *(_alarm(f"plant_alarm_{n}_active", f"plant_alarm_{n}", DeviceRole.PLANT) for n in range(1, 8)),
    *(_alarm(f"alarm_{n}_active", f"alarm_{n}", DeviceRole.INVERTER) for n in range(1, 6)),
    *(_digital_input(i) for i in range(DIGITAL_INPUTS)),
)


def _supported(
    runtime: SigenergyRuntimeData, description: SigenergyBinarySensorEntityDescription, unit: Any
) -> bool:
    if description.io_input is None:
        return True
    support = runtime.io_support.get(unit.unit_id)
    return support is not None and support.digital_inputs


async def async_setup_entry(
    hass: HomeAssistant,
    entry: SigenergyConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the binary sensors the plant has."""
    runtime = entry.runtime_data
    async_add_entities(
        SigenergyBinarySensorEntity(runtime, description, unit)
        for description, unit in targets(runtime.plant, BINARY_SENSORS)
        if _supported(runtime, description, unit)
    )


class SigenergyBinarySensorEntity(SigenergyEntity, BinarySensorEntity):
    """A Sigenergy binary sensor."""

    entity_description: SigenergyBinarySensorEntityDescription

    @property
    def is_on(self) -> bool | None:
        """Whether the sensor is on."""
        return self.entity_description.is_on_fn(self.values)

    @property
    def extra_state_attributes(self) -> dict[str, Any] | None:
        """The active alarms' names, for alarm sensors."""
        if self.entity_description.attrs_fn is None or not self.available:
            return None
        return self.entity_description.attrs_fn(self.values)
