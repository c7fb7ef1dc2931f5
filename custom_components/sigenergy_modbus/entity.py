"""Base entity, the description fields every platform shares, and the devices.

An entity description says which device it belongs to (``role``), which
registers its value comes from and how often they are read (``group``), and
whether a plant has it at all (``exists_fn``, ``capability``,
``smart_load``). ``targets`` pairs descriptions with the units that have
them; ``poll_plan`` turns the enabled ones into what each coordinator reads.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING

from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.helpers.entity import EntityDescription
from homeassistant.helpers.update_coordinator import CoordinatorEntity

from .const import DOMAIN, PollGroup
from .coordinator import PlantFeatures, SigenergyCoordinator, SigenergyRuntimeData
from .protocol.enums import ALARM_TABLES
from .protocol.keys import Key
from .protocol.models import AcChargerInfo, InverterInfo, PlantInfo
from .protocol.registers import BY_KEY, PLANT_UNIT_ID, Register
from .protocol.values import EMPTY, UnitValues

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence

    from homeassistant.const import Platform
    from homeassistant.core import HomeAssistant
    from homeassistant.helpers.entity import Entity
    from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

    from .coordinator import SigenergyConfigEntry

MANUFACTURER = "Sigenergy"


class DeviceRole(StrEnum):
    """Which device an entity belongs to."""

    PLANT = "plant"
    INVERTER = "inverter"
    BATTERY = "battery"
    PV = "pv"
    DC_CHARGER = "dc_charger"
    AC_CHARGER = "ac_charger"

    @property
    def default_poll(self) -> PollGroup:
        """Plant-wide values every 5 s; each device's own every 30 s.

        The plant's registers carry the power flows, state of charge and grid
        mode of the whole plant in two reads; per-device detail at 30 s keeps
        the steady load on the inverter under 0.6 requests a second.
        """
        return PollGroup.REALTIME if self is DeviceRole.PLANT else PollGroup.DETAIL


INVERTER_ROLES = frozenset(
    {DeviceRole.INVERTER, DeviceRole.BATTERY, DeviceRole.PV, DeviceRole.DC_CHARGER}
)


class Capability(StrEnum):
    """What an inverter's COM terminal exposes over Modbus, found by the probe at setup."""

    DRY_CONTACTS = "dry_contacts"
    DIGITAL_INPUTS = "digital_inputs"


type Unit = PlantInfo | InverterInfo | AcChargerInfo

ALARMS: tuple[tuple[DeviceRole, int, Key], ...] = (
    (DeviceRole.PLANT, 1, Key.PLANT_ALARM_1),
    (DeviceRole.PLANT, 2, Key.PLANT_ALARM_2),
    (DeviceRole.PLANT, 3, Key.PLANT_ALARM_3),
    (DeviceRole.PLANT, 4, Key.PLANT_ALARM_4),
    (DeviceRole.PLANT, 5, Key.PLANT_ALARM_5),
    (DeviceRole.PLANT, 6, Key.PLANT_ALARM_6),
    (DeviceRole.PLANT, 7, Key.PLANT_ALARM_7),
    (DeviceRole.INVERTER, 1, Key.ALARM_1),
    (DeviceRole.INVERTER, 2, Key.ALARM_2),
    (DeviceRole.INVERTER, 3, Key.ALARM_3),
    (DeviceRole.INVERTER, 4, Key.ALARM_4),
    (DeviceRole.INVERTER, 5, Key.ALARM_5),
)
"""The alarm registers behind the alarm sensors: device, number, register (bits: Appendix 2-13)."""


def active_alarms(values: UnitValues, key: Key) -> list[str] | None:
    """The names of the alarms set in an alarm register, or None when they are not known.

    None when there is no reading, and when bits the protocol's table does
    not define are set: the register then holds something the integration
    cannot read (the coordinator logs it once), and no alarm is invented.
    """
    raw = values.code(key)
    if raw is None:
        return None
    table = ALARM_TABLES[key]
    return None if table.undefined(raw) else table.active(raw)


@dataclass(frozen=True, kw_only=True)
class SigenergyEntityDescription(EntityDescription):
    """What every Sigenergy entity description adds to Home Assistant's."""

    role: DeviceRole
    poll: PollGroup | None = None
    """How often its registers are read; default: the role's (``DeviceRole.default_poll``)."""
    registers: tuple[Key, ...] = ()
    """Registers of the entity's own unit its value comes from."""
    plant_registers: tuple[Key, ...] = ()
    """Plant (unit 247) registers the value also needs."""
    required: tuple[Key, ...] | None = None
    """Registers that must have a good reading for the entity to be available (default: all)."""
    exists_fn: Callable[[InverterInfo], bool] | None = None
    """Whether an inverter has this entity (roles of an inverter only)."""
    capability: Capability | None = None
    """The COM terminal capability the inverter must expose."""
    smart_load: int | None = None
    """The smart load (1-24) the entity is about: it exists only for loads in use."""

    @property
    def group(self) -> PollGroup:
        """The coordinator that reads the entity's registers."""
        return self.poll or self.role.default_poll


def units_for(plant: PlantInfo, role: DeviceRole) -> Iterator[Unit]:
    """The units whose devices have this role."""
    if role is DeviceRole.PLANT:
        yield plant
    elif role is DeviceRole.AC_CHARGER:
        yield from plant.ac_chargers
    else:
        yield from plant.inverters


def unit_id_of(unit: Unit) -> int:
    """The Modbus unit id of a unit."""
    return PLANT_UNIT_ID if isinstance(unit, PlantInfo) else unit.unit_id


def _exists(description: SigenergyEntityDescription, unit: Unit, features: PlantFeatures) -> bool:
    if isinstance(unit, InverterInfo):
        if description.exists_fn is not None and not description.exists_fn(unit):
            return False
        if description.capability is not None:
            support = features.io_support.get(unit.unit_id)
            if support is None:
                return False
            if description.capability is Capability.DRY_CONTACTS:
                return support.dry_contacts
            return support.digital_inputs
    if description.smart_load is not None:
        return description.smart_load in features.smart_loads
    return True


def targets[D: SigenergyEntityDescription](
    plant: PlantInfo, features: PlantFeatures, descriptions: Iterable[D]
) -> Iterator[tuple[D, Unit]]:
    """Every (description, unit) pair the plant has an entity for."""
    for description in descriptions:
        for unit in units_for(plant, description.role):
            if _exists(description, unit, features):
                yield description, unit


def unique_id_for(plant: PlantInfo, unit: Unit, key: str) -> str:
    """Unique id of an entity: the serial of its device's unit, then the key."""
    if isinstance(unit, InverterInfo):
        return f"{unit.serial}_{key}"
    if isinstance(unit, AcChargerInfo):
        return f"{plant.serial}_ac_charger_{unit.unit_id}_{key}"
    return f"{plant.serial}_plant_{key}"


@dataclass(kw_only=True)
class PollPlan:
    """What the enabled entities need each coordinator to read, by unit id."""

    registers: dict[PollGroup, dict[int, set[Register]]] = field(default_factory=dict)

    def add(self, group: PollGroup, unit_id: int, keys: Iterable[Key]) -> None:
        """Have a coordinator read these registers of a unit."""
        wanted = self.registers.setdefault(group, {}).setdefault(unit_id, set())
        wanted.update(BY_KEY[k] for k in keys)

    def for_group(self, group: PollGroup) -> dict[int, frozenset[Register]]:
        """A coordinator's share."""
        return {unit: frozenset(r) for unit, r in self.registers.get(group, {}).items()}


def poll_plan(
    hass: HomeAssistant,
    plant: PlantInfo,
    features: PlantFeatures,
    platforms: Mapping[Platform, Sequence[SigenergyEntityDescription]],
) -> PollPlan:
    """The registers behind the entities that are enabled, by coordinator and unit.

    Runs at setup, before the first refresh: an entity the user disabled is
    not read; one not yet in the registry is read when it is enabled by
    default. Home Assistant reloads the entry when an entity is enabled or
    disabled, which plans again.
    """
    registry = er.async_get(hass)
    plan = PollPlan()
    for platform, descriptions in platforms.items():
        for description, unit in targets(plant, features, descriptions):
            unique_id = unique_id_for(plant, unit, description.key)
            entity_id = registry.async_get_entity_id(platform, DOMAIN, unique_id)
            entry = registry.async_get(entity_id) if entity_id else None
            if entry is None:
                enabled = description.entity_registry_enabled_default
            else:
                enabled = not entry.disabled
            if enabled:
                plan.add(description.group, unit_id_of(unit), description.registers)
                plan.add(description.group, PLANT_UNIT_ID, description.plant_registers)
    return plan


# --- devices -----------------------------------------------------------------


def device_identifier(plant: PlantInfo, unit: Unit, role: DeviceRole) -> tuple[str, str]:
    """The identifier of the device an entity of this unit and role belongs to.

    The plant is known by the serial of its first inverter, which is also that
    inverter's identifier; the suffix keeps the two devices apart.
    """
    if isinstance(unit, InverterInfo) and role in INVERTER_ROLES:
        if role is DeviceRole.INVERTER:
            return (DOMAIN, unit.serial)
        return (DOMAIN, f"{unit.serial}_{role}")
    if isinstance(unit, AcChargerInfo):
        return (DOMAIN, f"{plant.serial}_ac_charger_{unit.unit_id}")
    return (DOMAIN, f"{plant.serial}_plant")


def _kw(value: float | None) -> str:
    return "" if value is None else f" {value:g} kW"


def device_infos(plant: PlantInfo, name: str) -> Iterator[tuple[DeviceInfo, tuple[str, str]]]:
    """Every device of the plant with what the registers tell, parents first.

    Each comes with the identifier of its parent (the plant's is its own).
    """
    plant_id = device_identifier(plant, plant, DeviceRole.PLANT)
    first = plant.inverters[0] if plant.inverters else None
    yield (
        DeviceInfo(
            identifiers={plant_id},
            manufacturer=MANUFACTURER,
            model="SigenStor plant",
            serial_number=plant.serial or None,
            sw_version=first.firmware or None if first else None,
            translation_key=DeviceRole.PLANT,
            translation_placeholders={"name": name},
        ),
        plant_id,
    )
    for inverter in plant.inverters:
        unit = {"name": name, "unit_id": str(inverter.unit_id)}
        inverter_id = device_identifier(plant, inverter, DeviceRole.INVERTER)
        yield (
            DeviceInfo(
                identifiers={inverter_id},
                manufacturer=MANUFACTURER,
                model=inverter.model or None,
                serial_number=inverter.serial,
                sw_version=inverter.firmware or None,
                translation_key=DeviceRole.INVERTER,
                translation_placeholders=unit,
            ),
            plant_id,
        )
        parts: list[tuple[DeviceRole, str]] = []
        if inverter.has_battery:
            capacity = f", {inverter.battery_capacity:g} kWh" if inverter.battery_capacity else ""
            parts.append((DeviceRole.BATTERY, f"SigenStor BAT x {inverter.pack_count}{capacity}"))
        if inverter.has_pv:
            parts.append(
                (
                    DeviceRole.PV,
                    f"{inverter.pv_string_count} PV strings, {inverter.mppt_count} MPPT",
                )
            )
        if inverter.dc_charger:
            parts.append((DeviceRole.DC_CHARGER, "Sigen DC charger"))
        for role, model in parts:
            yield (
                DeviceInfo(
                    identifiers={device_identifier(plant, inverter, role)},
                    manufacturer=MANUFACTURER,
                    model=model,
                    translation_key=role,
                    translation_placeholders=unit,
                ),
                inverter_id,
            )
    for charger in plant.ac_chargers:
        yield (
            DeviceInfo(
                identifiers={device_identifier(plant, charger, DeviceRole.AC_CHARGER)},
                manufacturer=MANUFACTURER,
                model=f"Sigen AC charger{_kw(charger.rated_power)}",
                translation_key=DeviceRole.AC_CHARGER,
                translation_placeholders={"name": name, "unit_id": str(charger.unit_id)},
            ),
            plant_id,
        )


def register_devices(
    hass: HomeAssistant, entry: SigenergyConfigEntry, plant: PlantInfo
) -> dict[tuple[str, str], str]:
    """Create or update every device of the plant; their registry ids by identifier.

    Devices are linked to their parent by the parent's registry id
    (``via_device_id``), which every supported Home Assistant accepts; the
    entities then only name their device's identifier.
    """
    registry = dr.async_get(hass)
    ids: dict[tuple[str, str], str] = {}
    for info, parent in device_infos(plant, entry.title):
        device = registry.async_get_or_create(config_entry_id=entry.entry_id, **info)
        (identifier,) = info["identifiers"]
        ids[identifier] = device.id
        via = ids[parent] if parent != identifier else None
        if device.via_device_id != via:
            registry.async_update_device(device.id, via_device_id=via)
    return ids


def add_entities[D: SigenergyEntityDescription](
    entry: SigenergyConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
    descriptions: Sequence[D],
    factory: Callable[[SigenergyRuntimeData, D, Unit], Entity],
) -> None:
    """Add a platform's entities for the plant now, and for the units found while it runs.

    Each entity is added once: a unit found later, or a capability found
    later for a known unit, adds only what is new.
    """
    runtime = entry.runtime_data
    added: set[str] = set()

    def add(unit_ids: frozenset[int] | None = None) -> None:
        new = []
        for description, unit in targets(runtime.plant, runtime.features, descriptions):
            if unit_ids is not None and unit_id_of(unit) not in unit_ids:
                continue
            unique_id = unique_id_for(runtime.plant, unit, description.key)
            if unique_id not in added:
                added.add(unique_id)
                new.append(factory(runtime, description, unit))
        if new:
            async_add_entities(new)

    add()
    entry.async_on_unload(runtime.units.on_new_entities(add))


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
        self._attr_device_info = DeviceInfo(
            identifiers={device_identifier(runtime.plant, unit, description.role)}
        )

    @property
    def values(self) -> UnitValues:
        """This unit's latest values, with the plant's where the entity reads plant registers."""
        data = self.coordinator.data or {}
        values = data.get(self.unit_id, EMPTY)
        if self.entity_description.plant_registers and self.unit_id != PLANT_UNIT_ID:
            return values.merged(data.get(PLANT_UNIT_ID, EMPTY))
        return values

    @property
    def available(self) -> bool:
        """Unavailable while the poll fails or any register it needs has no good reading."""
        description = self.entity_description
        if description.required is None:
            required = (*description.registers, *description.plant_registers)
        else:
            required = description.required
        values = self.values
        return super().available and all(values.get(key) is not None for key in required)
