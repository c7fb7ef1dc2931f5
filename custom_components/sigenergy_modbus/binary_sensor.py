"""Binary sensors of the Sigenergy integration."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from homeassistant.components.binary_sensor import (
    BinarySensorDeviceClass,
    BinarySensorEntity,
    BinarySensorEntityDescription,
)
from homeassistant.const import EntityCategory

from .entity import (
    ALARMS,
    Capability,
    DeviceRole,
    SigenergyEntity,
    SigenergyEntityDescription,
    active_alarms,
    add_entities,
)
from .protocol.contacts import DIGITAL_INPUTS
from .protocol.enums import GridSensorStatus, GridStatus
from .protocol.keys import Key
from .protocol.values import POWER_DEADBAND_KW

if TYPE_CHECKING:
    from collections.abc import Callable

    from homeassistant.core import HomeAssistant
    from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

    from .coordinator import SigenergyConfigEntry
    from .protocol.values import UnitValues

PARALLEL_UPDATES = 0


@dataclass(frozen=True, kw_only=True)
class SigenergyBinarySensorEntityDescription(
    BinarySensorEntityDescription, SigenergyEntityDescription
):
    """A Sigenergy binary sensor."""

    is_on_fn: Callable[[UnitValues], bool | None]


def _equals(key: Key, wanted: int) -> Callable[[UnitValues], bool | None]:
    def is_on(values: UnitValues) -> bool | None:
        value = values.code(key)
        return None if value is None else value == wanted

    return is_on


def _flows(key: Key, sign: int) -> Callable[[UnitValues], bool | None]:
    """Whether a signed power flows one way (``sign`` 1 or -1) beyond the dead band."""

    def is_on(values: UnitValues) -> bool | None:
        power = values.number(key)
        return None if power is None else sign * power > POWER_DEADBAND_KW

    return is_on


def _any_alarm(key: Key) -> Callable[[UnitValues], bool | None]:
    def is_on(values: UnitValues) -> bool | None:
        names = active_alarms(values, key)
        return None if names is None else bool(names)

    return is_on


def _input(index: int) -> Callable[[UnitValues], bool | None]:
    return lambda values: values.input(index)


BINARY_SENSORS: tuple[SigenergyBinarySensorEntityDescription, ...] = (
    SigenergyBinarySensorEntityDescription(
        key="grid_connected",
        translation_key="grid_connected",
        role=DeviceRole.PLANT,
        registers=(Key.GRID_STATUS,),
        is_on_fn=_equals(Key.GRID_STATUS, GridStatus.ON_GRID),
        device_class=BinarySensorDeviceClass.CONNECTIVITY,
    ),
    SigenergyBinarySensorEntityDescription(
        key="grid_sensor_connected",
        translation_key="grid_sensor_connected",
        role=DeviceRole.PLANT,
        registers=(Key.GRID_SENSOR_STATUS,),
        is_on_fn=_equals(Key.GRID_SENSOR_STATUS, GridSensorStatus.CONNECTED),
        device_class=BinarySensorDeviceClass.CONNECTIVITY,
        entity_category=EntityCategory.DIAGNOSTIC,
    ),
    SigenergyBinarySensorEntityDescription(
        key="battery_charging",
        translation_key="battery_charging",
        role=DeviceRole.BATTERY,
        exists_fn=lambda inverter: inverter.has_battery,
        registers=(Key.ESS_POWER,),
        is_on_fn=_flows(Key.ESS_POWER, 1),
        device_class=BinarySensorDeviceClass.BATTERY_CHARGING,
    ),
    SigenergyBinarySensorEntityDescription(
        key="battery_discharging",
        translation_key="battery_discharging",
        role=DeviceRole.BATTERY,
        exists_fn=lambda inverter: inverter.has_battery,
        registers=(Key.ESS_POWER,),
        is_on_fn=_flows(Key.ESS_POWER, -1),
        # No device class: Home Assistant has none for discharging, and
        # "running" would read "Running / Not running". The states are named
        # by translation, "Discharging / Not discharging", like the charging
        # sensor's "Charging / Not charging".
    ),
    SigenergyBinarySensorEntityDescription(
        key="battery_fault",
        translation_key="battery_fault",
        role=DeviceRole.BATTERY,
        exists_fn=lambda inverter: inverter.has_battery,
        registers=(Key.ALARM_3,),
        # The ESS alarm register (30607) is the battery's own: any alarm in
        # it is a problem of this battery, shown on its device. The inverter's
        # alarm 3 sensor of the same register names the alarms.
        is_on_fn=_any_alarm(Key.ALARM_3),
        device_class=BinarySensorDeviceClass.PROBLEM,
    ),
    *(
        SigenergyBinarySensorEntityDescription(
            key=f"{key}_active",
            translation_key="alarm_active",
            translation_placeholders={"alarm": str(number)},
            role=role,
            registers=(key,),
            is_on_fn=_any_alarm(key),
            device_class=BinarySensorDeviceClass.PROBLEM,
            entity_category=EntityCategory.DIAGNOSTIC,
            # The alarm sensor of the same register names the active alarms
            # ("ok" when none); this on/off form is for automations.
            entity_registry_enabled_default=False,
        )
        for role, number, key in ALARMS
    ),
    *(
        SigenergyBinarySensorEntityDescription(
            key=f"di{index + 1}",
            translation_key="digital_input",
            translation_placeholders={"input": str(index + 1)},
            role=DeviceRole.INVERTER,
            capability=Capability.DIGITAL_INPUTS,
            is_on_fn=_input(index),
        )
        for index in range(DIGITAL_INPUTS)
    ),
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: SigenergyConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the binary sensors the plant has."""
    add_entities(entry, async_add_entities, BINARY_SENSORS, SigenergyBinarySensorEntity)


class SigenergyBinarySensorEntity(SigenergyEntity, BinarySensorEntity):
    """A Sigenergy binary sensor."""

    entity_description: SigenergyBinarySensorEntityDescription

    @property
    def available(self) -> bool:
        """Also unavailable while a digital input was not read."""
        return super().available and self.is_on is not None

    @property
    def is_on(self) -> bool | None:
        """Whether the sensor is on."""
        return self.entity_description.is_on_fn(self.values)
