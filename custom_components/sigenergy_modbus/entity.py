"""Base entity, entity description fields and devices of the integration."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.helpers.entity import EntityDescription
from homeassistant.helpers.update_coordinator import CoordinatorEntity

from .const import DOMAIN, PollGroup
from .coordinator import (
    AcChargerConfig,
    InverterConfig,
    PlantConfig,
    SigenergyCoordinator,
    SigenergyRuntimeData,
)
from .protocol.registers import BY_KEY, PLANT_UNIT_ID

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator, Mapping

    from homeassistant.core import HomeAssistant

MANUFACTURER = "Sigenergy"


class DeviceRole(StrEnum):
    """Which device an entity belongs to."""

    PLANT = "plant"
    INVERTER = "inverter"
    BATTERY = "battery"
    PV = "pv"
    DC_CHARGER = "dc_charger"
    AC_CHARGER = "ac_charger"


_INVERTER_ROLES = (DeviceRole.INVERTER, DeviceRole.BATTERY, DeviceRole.PV, DeviceRole.DC_CHARGER)

type Unit = PlantConfig | InverterConfig | AcChargerConfig


@dataclass(frozen=True, kw_only=True)
class SigenergyEntityDescription(EntityDescription):
    """What every Sigenergy entity description adds to Home Assistant's."""

    group: PollGroup
    role: DeviceRole
    registers: tuple[str, ...] = ()
    """Register keys the entity's value comes from."""
    plant_registers: tuple[str, ...] = ()
    """Plant (unit 247) register keys the entity reads next to its own unit's."""
    required: tuple[str, ...] | None = None
    """Keys that must have a good reading for the entity to be available (default: all)."""
    has_fn: Callable[[Any], bool] = lambda _unit: True
    """Whether the unit (plant, inverter or AC charger config) has this entity."""


def has_battery(unit: Any) -> bool:
    """Whether an inverter has battery packs (for ``has_fn``)."""
    return bool(unit.has_battery)


def units_for(plant: PlantConfig, role: DeviceRole) -> Iterator[Unit]:
    """The units whose devices have this role."""
    if role is DeviceRole.PLANT:
        yield plant
    elif role is DeviceRole.AC_CHARGER:
        yield from plant.ac_chargers
    else:
        yield from plant.inverters


def unit_id_of(unit: Unit) -> int:
    """The Modbus unit id of a unit."""
    return PLANT_UNIT_ID if isinstance(unit, PlantConfig) else unit.unit_id


def unique_id_for(plant: PlantConfig, unit: Unit, key: str) -> str:
    """Unique id of an entity: the serial of its device's unit, then the key."""
    if isinstance(unit, InverterConfig):
        return f"{unit.serial}_{key}"
    if isinstance(unit, AcChargerConfig):
        return f"{plant.serial}_ac_charger_{unit.unit_id}_{key}"
    return f"{plant.serial}_plant_{key}"


def targets[D: SigenergyEntityDescription](
    plant: PlantConfig, descriptions: Iterable[D]
) -> Iterator[tuple[D, Unit]]:
    """Every (description, unit) pair the plant has an entity for."""
    for description in descriptions:
        for unit in units_for(plant, description.role):
            if description.has_fn(unit):
                yield description, unit


def want_enabled(
    hass: HomeAssistant,
    runtime: SigenergyRuntimeData,
    platform: str,
    descriptions: Iterable[SigenergyEntityDescription],
) -> None:
    """Tell the coordinators which registers the enabled entities need.

    Runs before the first refresh: an entity the user disabled is not polled;
    one not yet in the registry is polled when it is enabled by default.
    """
    registry = er.async_get(hass)
    for description, unit in targets(runtime.plant, descriptions):
        unique_id = unique_id_for(runtime.plant, unit, description.key)
        entity_id = registry.async_get_entity_id(platform, DOMAIN, unique_id)
        entry = registry.async_get(entity_id) if entity_id else None
        enabled = (
            description.entity_registry_enabled_default if entry is None else not entry.disabled
        )
        if enabled:
            coordinator = runtime.coordinators[description.group]
            coordinator.want(unit_id_of(unit), description.registers)
            if description.plant_registers:
                coordinator.want(PLANT_UNIT_ID, description.plant_registers)


def plant_identifier(plant: PlantConfig) -> tuple[str, str]:
    """The plant device's identifier.

    The plant is known by the serial of its first inverter, which is also that
    inverter's identifier; the suffix keeps the two devices apart.
    """
    return (DOMAIN, f"{plant.serial}_plant")


def device_info(plant: PlantConfig, unit: Unit, role: DeviceRole) -> DeviceInfo:
    """Device of an entity: the plant, an inverter or one of its parts."""
    if isinstance(unit, InverterConfig) and role in _INVERTER_ROLES:
        if role is DeviceRole.INVERTER:
            return DeviceInfo(
                identifiers={(DOMAIN, unit.serial)},
                manufacturer=MANUFACTURER,
                model=unit.model or None,
                serial_number=unit.serial,
                sw_version=unit.firmware or None,
                translation_key="inverter",
                translation_placeholders={"unit_id": str(unit.unit_id)},
                via_device=plant_identifier(plant),
            )
        return DeviceInfo(
            identifiers={(DOMAIN, f"{unit.serial}_{role}")},
            manufacturer=MANUFACTURER,
            translation_key=str(role),
            translation_placeholders={"unit_id": str(unit.unit_id)},
            via_device=(DOMAIN, unit.serial),
        )
    if isinstance(unit, AcChargerConfig):
        return DeviceInfo(
            identifiers={(DOMAIN, f"{plant.serial}_ac_charger_{unit.unit_id}")},
            manufacturer=MANUFACTURER,
            translation_key="ac_charger",
            translation_placeholders={"unit_id": str(unit.unit_id)},
            via_device=plant_identifier(plant),
        )
    return DeviceInfo(
        identifiers={plant_identifier(plant)},
        manufacturer=MANUFACTURER,
        model="SigenStor plant",
        translation_key="plant",
    )


class SigenergyEntity(CoordinatorEntity[SigenergyCoordinator]):
    """An entity of one unit, fed by one coordinator."""

    _attr_has_entity_name = True
    entity_description: SigenergyEntityDescription

    def __init__(
        self,
        runtime: SigenergyRuntimeData,
        description: SigenergyEntityDescription,
        unit: Unit,
    ) -> None:
        """Bind the entity to its coordinator, unit and device."""
        super().__init__(runtime.coordinators[description.group])
        self.entity_description = description
        self.runtime = runtime
        self.unit = unit
        self.unit_id = unit_id_of(unit)
        self._attr_unique_id = unique_id_for(runtime.plant, unit, description.key)
        self._attr_device_info = device_info(runtime.plant, unit, description.role)

    @property
    def values(self) -> Mapping[str, Any]:
        """This unit's latest values in the coordinator."""
        return (self.coordinator.data or {}).get(self.unit_id, {})

    @property
    def available(self) -> bool:
        """Unavailable while the poll fails or any register has no good reading."""
        values = self.values
        description = self.entity_description
        required = description.registers if description.required is None else description.required
        return super().available and all(values.get(key) is not None for key in required)

    async def async_added_to_hass(self) -> None:
        """Make sure the coordinator reads what this entity needs."""
        await super().async_added_to_hass()
        wanted = {r.key for r in self.coordinator.wanted.get(self.unit_id, ())}
        missing = [
            key for key in self.entity_description.registers if key in BY_KEY and key not in wanted
        ]
        if missing:
            self.coordinator.want(self.unit_id, tuple(missing))
            await self.coordinator.async_request_refresh()
