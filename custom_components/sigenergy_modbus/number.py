"""Numbers of the Sigenergy integration: the settings owners change by hand.

The plant's power limits (40032-40044) and state-of-charge settings
(40046-40048), the AC charger's output current (42001) and the DC charger's
limits (41002/41004). Each range comes from the protocol and the device's own
ratings, read with the settings (``protocol.control.SETTINGS``); a limit that
reads "not set" shows at its maximum, and its maximum means no limit. Every
write goes through the plant's controller: refused in read-only mode,
range-checked, skipped when nothing changes, paced, confirmed by read-back.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from homeassistant.components.number import (
    NumberDeviceClass,
    NumberEntity,
    NumberEntityDescription,
    NumberMode,
)
from homeassistant.const import PERCENTAGE, EntityCategory, UnitOfElectricCurrent, UnitOfPower

from .const import PollGroup
from .entity import DeviceRole, SigenergyEntity, SigenergyEntityDescription, add_entities
from .protocol.control import SETTINGS, SettingSpec, setting_range, setting_value
from .protocol.keys import Key

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant
    from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

    from .coordinator import SigenergyConfigEntry

PARALLEL_UPDATES = 1


@dataclass(frozen=True, kw_only=True)
class SigenergyNumberEntityDescription(NumberEntityDescription, SigenergyEntityDescription):
    """A setting: its register, range and rating (``SettingSpec``)."""

    setting: SettingSpec


def _registers(key: Key) -> tuple[Key, ...]:
    """The setting's register and the ratings its range comes from."""
    return (key, *SETTINGS[key].ratings)


NUMBERS: tuple[SigenergyNumberEntityDescription, ...] = (
    # --- plant power limits (table 5-2-1) ---
    SigenergyNumberEntityDescription(
        key="ess_max_charging_limit",
        translation_key="ess_max_charging_limit",
        role=DeviceRole.PLANT,
        poll=PollGroup.SETTINGS,
        registers=_registers(Key.ESS_MAX_CHARGING_LIMIT),
        required=(),
        setting=SETTINGS[Key.ESS_MAX_CHARGING_LIMIT],
        device_class=NumberDeviceClass.POWER,
        native_unit_of_measurement=UnitOfPower.KILO_WATT,
        native_step=0.1,
        mode=NumberMode.BOX,
        entity_category=EntityCategory.CONFIG,
    ),
    SigenergyNumberEntityDescription(
        key="ess_max_discharging_limit",
        translation_key="ess_max_discharging_limit",
        role=DeviceRole.PLANT,
        poll=PollGroup.SETTINGS,
        registers=_registers(Key.ESS_MAX_DISCHARGING_LIMIT),
        required=(),
        setting=SETTINGS[Key.ESS_MAX_DISCHARGING_LIMIT],
        device_class=NumberDeviceClass.POWER,
        native_unit_of_measurement=UnitOfPower.KILO_WATT,
        native_step=0.1,
        mode=NumberMode.BOX,
        entity_category=EntityCategory.CONFIG,
    ),
    SigenergyNumberEntityDescription(
        key="pv_max_power_limit",
        translation_key="pv_max_power_limit",
        role=DeviceRole.PLANT,
        poll=PollGroup.SETTINGS,
        registers=_registers(Key.PV_MAX_POWER_LIMIT),
        required=(),
        setting=SETTINGS[Key.PV_MAX_POWER_LIMIT],
        device_class=NumberDeviceClass.POWER,
        native_unit_of_measurement=UnitOfPower.KILO_WATT,
        native_step=0.1,
        mode=NumberMode.BOX,
        entity_category=EntityCategory.CONFIG,
        entity_registry_enabled_default=False,
    ),
    SigenergyNumberEntityDescription(
        key="grid_max_export_limit",
        translation_key="grid_max_export_limit",
        role=DeviceRole.PLANT,
        poll=PollGroup.SETTINGS,
        registers=_registers(Key.GRID_MAX_EXPORT_LIMIT),
        required=(),
        setting=SETTINGS[Key.GRID_MAX_EXPORT_LIMIT],
        device_class=NumberDeviceClass.POWER,
        native_unit_of_measurement=UnitOfPower.KILO_WATT,
        native_step=0.1,
        mode=NumberMode.BOX,
        entity_category=EntityCategory.CONFIG,
    ),
    SigenergyNumberEntityDescription(
        key="grid_max_import_limit",
        translation_key="grid_max_import_limit",
        role=DeviceRole.PLANT,
        poll=PollGroup.SETTINGS,
        registers=_registers(Key.GRID_MAX_IMPORT_LIMIT),
        required=(),
        setting=SETTINGS[Key.GRID_MAX_IMPORT_LIMIT],
        device_class=NumberDeviceClass.POWER,
        native_unit_of_measurement=UnitOfPower.KILO_WATT,
        native_step=0.1,
        mode=NumberMode.BOX,
        entity_category=EntityCategory.CONFIG,
        entity_registry_enabled_default=False,
    ),
    SigenergyNumberEntityDescription(
        key="pcs_max_export_limit",
        translation_key="pcs_max_export_limit",
        role=DeviceRole.PLANT,
        poll=PollGroup.SETTINGS,
        registers=_registers(Key.PCS_MAX_EXPORT_LIMIT),
        required=(),
        setting=SETTINGS[Key.PCS_MAX_EXPORT_LIMIT],
        device_class=NumberDeviceClass.POWER,
        native_unit_of_measurement=UnitOfPower.KILO_WATT,
        native_step=0.1,
        mode=NumberMode.BOX,
        entity_category=EntityCategory.CONFIG,
        entity_registry_enabled_default=False,
    ),
    SigenergyNumberEntityDescription(
        key="pcs_max_import_limit",
        translation_key="pcs_max_import_limit",
        role=DeviceRole.PLANT,
        poll=PollGroup.SETTINGS,
        registers=_registers(Key.PCS_MAX_IMPORT_LIMIT),
        required=(),
        setting=SETTINGS[Key.PCS_MAX_IMPORT_LIMIT],
        device_class=NumberDeviceClass.POWER,
        native_unit_of_measurement=UnitOfPower.KILO_WATT,
        native_step=0.1,
        mode=NumberMode.BOX,
        entity_category=EntityCategory.CONFIG,
        entity_registry_enabled_default=False,
    ),
    # --- state of charge settings (table 5-2-4) ---
    SigenergyNumberEntityDescription(
        key="backup_soc",
        translation_key="backup_soc",
        role=DeviceRole.PLANT,
        poll=PollGroup.SETTINGS,
        registers=_registers(Key.ESS_BACKUP_SOC),
        required=(),
        setting=SETTINGS[Key.ESS_BACKUP_SOC],
        native_unit_of_measurement=PERCENTAGE,
        native_step=1,
        mode=NumberMode.BOX,
        entity_category=EntityCategory.CONFIG,
    ),
    SigenergyNumberEntityDescription(
        key="charge_cut_off_soc",
        translation_key="charge_cut_off_soc",
        role=DeviceRole.PLANT,
        poll=PollGroup.SETTINGS,
        registers=_registers(Key.ESS_CHARGE_CUT_OFF_SOC),
        required=(),
        setting=SETTINGS[Key.ESS_CHARGE_CUT_OFF_SOC],
        native_unit_of_measurement=PERCENTAGE,
        native_step=1,
        mode=NumberMode.BOX,
        entity_category=EntityCategory.CONFIG,
    ),
    SigenergyNumberEntityDescription(
        key="discharge_cut_off_soc",
        translation_key="discharge_cut_off_soc",
        role=DeviceRole.PLANT,
        poll=PollGroup.SETTINGS,
        registers=_registers(Key.ESS_DISCHARGE_CUT_OFF_SOC),
        required=(),
        setting=SETTINGS[Key.ESS_DISCHARGE_CUT_OFF_SOC],
        native_unit_of_measurement=PERCENTAGE,
        native_step=1,
        mode=NumberMode.BOX,
        entity_category=EntityCategory.CONFIG,
    ),
    # --- chargers ---
    SigenergyNumberEntityDescription(
        key="ac_charger_output_current",
        translation_key="ac_charger_output_current",
        role=DeviceRole.AC_CHARGER,
        poll=PollGroup.SETTINGS,
        registers=_registers(Key.AC_CHARGER_OUTPUT_CURRENT),
        required=(),
        setting=SETTINGS[Key.AC_CHARGER_OUTPUT_CURRENT],
        device_class=NumberDeviceClass.CURRENT,
        native_unit_of_measurement=UnitOfElectricCurrent.AMPERE,
        native_step=1,
        mode=NumberMode.SLIDER,
        entity_category=EntityCategory.CONFIG,
    ),
    SigenergyNumberEntityDescription(
        key="dc_charger_max_charging_power_limit",
        translation_key="dc_charger_max_charging_power_limit",
        role=DeviceRole.DC_CHARGER,
        poll=PollGroup.SETTINGS,
        exists_fn=lambda inverter: inverter.dc_charger,
        registers=_registers(Key.DC_CHARGER_MAX_CHARGING_POWER_LIMIT),
        required=(),
        setting=SETTINGS[Key.DC_CHARGER_MAX_CHARGING_POWER_LIMIT],
        device_class=NumberDeviceClass.POWER,
        native_unit_of_measurement=UnitOfPower.KILO_WATT,
        native_step=0.1,
        mode=NumberMode.BOX,
        entity_category=EntityCategory.CONFIG,
    ),
    SigenergyNumberEntityDescription(
        key="dc_charger_max_discharging_power_limit",
        translation_key="dc_charger_max_discharging_power_limit",
        role=DeviceRole.DC_CHARGER,
        poll=PollGroup.SETTINGS,
        exists_fn=lambda inverter: inverter.dc_charger,
        registers=_registers(Key.DC_CHARGER_MAX_DISCHARGING_POWER_LIMIT),
        required=(),
        setting=SETTINGS[Key.DC_CHARGER_MAX_DISCHARGING_POWER_LIMIT],
        device_class=NumberDeviceClass.POWER,
        native_unit_of_measurement=UnitOfPower.KILO_WATT,
        native_step=0.1,
        mode=NumberMode.BOX,
        entity_category=EntityCategory.CONFIG,
        entity_registry_enabled_default=False,
    ),
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: SigenergyConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add a number for each setting every unit of the plant has."""
    add_entities(entry, async_add_entities, NUMBERS, SigenergyNumberEntity)


class SigenergyNumberEntity(SigenergyEntity, NumberEntity):
    """A setting of the plant or one of its chargers."""

    entity_description: SigenergyNumberEntityDescription

    @property
    def _range(self) -> tuple[float, float] | None:
        return setting_range(self.entity_description.setting, self.values)

    @property
    def available(self) -> bool:
        """Unavailable without a reading of the setting or of the rating its range needs."""
        return super().available and self._range is not None and self.native_value is not None

    @property
    def native_value(self) -> float | None:
        """The setting; a limit that is not set shows at its maximum (no limit)."""
        return setting_value(self.entity_description.setting, self.values)

    @property
    def native_min_value(self) -> float:
        """The lowest value the setting may be written."""
        bounds = self._range
        return 0.0 if bounds is None else bounds[0]

    @property
    def native_max_value(self) -> float:
        """The highest value: the device's rating, or what it reports when that is higher."""
        bounds = self._range
        return 0.0 if bounds is None else bounds[1]

    async def async_set_native_value(self, value: float) -> None:
        """Write the setting through the controller."""
        await self.runtime.controller.async_write_setting(
            self.unit_id, self.entity_description.setting, value, source=self.entity_id
        )
