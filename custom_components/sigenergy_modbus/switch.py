"""Switches of the Sigenergy integration: the DO1/DO2 dry contacts, and remote EMS.

A dry contact switches a smart load (heat pump, pool heater). Each switch is
created only where the probe found the inverter's coils. Nothing is written
unless the user (or the user's automation) acts; every write is refused in
read-only mode and confirmed by reading the coil back.

Remote EMS (40029) is for experts and disabled by default: on, it hands the
plant's energy management to the remote EMS control mode until someone turns
it off again, which a repair issue points out. The timed actions are the safe
way to use it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from homeassistant.components.switch import SwitchDeviceClass, SwitchEntity, SwitchEntityDescription
from homeassistant.const import EntityCategory
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError

from .const import DOMAIN, PollGroup
from .entity import (
    Capability,
    DeviceRole,
    SigenergyEntity,
    SigenergyEntityDescription,
    add_entities,
)
from .protocol.contacts import DRY_CONTACTS
from .protocol.exceptions import SigenergyError, SigenergyReadOnlyError
from .protocol.keys import Key

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant
    from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

    from .coordinator import SigenergyConfigEntry

PARALLEL_UPDATES = 1


@dataclass(frozen=True, kw_only=True)
class SigenergySwitchEntityDescription(SwitchEntityDescription, SigenergyEntityDescription):
    """A dry contact: which coil it is."""

    coil: int


@dataclass(frozen=True, kw_only=True)
class SigenergySettingSwitchEntityDescription(SwitchEntityDescription, SigenergyEntityDescription):
    """An on/off setting: its register (0 off, 1 on)."""

    register: Key


DRY_CONTACT_SWITCHES: tuple[SigenergySwitchEntityDescription, ...] = tuple(
    SigenergySwitchEntityDescription(
        key=f"do{coil + 1}",
        translation_key="dry_contact",
        translation_placeholders={"contact": str(coil + 1)},
        role=DeviceRole.INVERTER,
        capability=Capability.DRY_CONTACTS,
        device_class=SwitchDeviceClass.SWITCH,
        coil=coil,
    )
    for coil in range(DRY_CONTACTS)
)

SETTING_SWITCHES: tuple[SigenergySettingSwitchEntityDescription, ...] = (
    SigenergySettingSwitchEntityDescription(
        key="remote_ems",
        translation_key="remote_ems",
        role=DeviceRole.PLANT,
        poll=PollGroup.SETTINGS,
        registers=(Key.REMOTE_EMS_ENABLE,),
        register=Key.REMOTE_EMS_ENABLE,
        device_class=SwitchDeviceClass.SWITCH,
        entity_category=EntityCategory.CONFIG,
        entity_registry_enabled_default=False,
    ),
)

SWITCHES: tuple[SigenergySwitchEntityDescription | SigenergySettingSwitchEntityDescription, ...] = (
    *DRY_CONTACT_SWITCHES,
    *SETTING_SWITCHES,
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: SigenergyConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add DO1 and DO2 of every inverter whose coils answered the probe, and remote EMS."""
    add_entities(entry, async_add_entities, DRY_CONTACT_SWITCHES, SigenergyDryContactSwitch)
    add_entities(entry, async_add_entities, SETTING_SWITCHES, SigenergySettingSwitch)


class SigenergyDryContactSwitch(SigenergyEntity, SwitchEntity):
    """Dry contact DO1 or DO2 of an inverter's COM terminal."""

    entity_description: SigenergySwitchEntityDescription

    @property
    def available(self) -> bool:
        """Unavailable while the coil was not read."""
        return super().available and self.is_on is not None

    @property
    def is_on(self) -> bool | None:
        """Whether the contact is closed."""
        return self.values.coil(self.entity_description.coil)

    async def async_turn_on(self, **kwargs: Any) -> None:
        """Close the contact."""
        await self._switch(on=True)

    async def async_turn_off(self, **kwargs: Any) -> None:
        """Open the contact."""
        await self._switch(on=False)

    async def _switch(self, *, on: bool) -> None:
        coil = self.entity_description.coil
        placeholders = {"contact": f"DO{coil + 1}", "unit_id": str(self.unit_id)}
        try:
            state = await self.runtime.client.write_coil(self.unit_id, coil, on)
        except SigenergyReadOnlyError as err:
            raise ServiceValidationError(
                translation_domain=DOMAIN, translation_key="read_only"
            ) from err
        except SigenergyError as err:
            raise HomeAssistantError(
                translation_domain=DOMAIN,
                translation_key="write_failed",
                translation_placeholders={**placeholders, "error": str(err)},
            ) from err
        self.coordinator.set_coil(self.unit_id, coil, state)


class SigenergySettingSwitch(SigenergyEntity, SwitchEntity):
    """An on/off setting of the plant, written through the controller."""

    entity_description: SigenergySettingSwitchEntityDescription

    @property
    def is_on(self) -> bool | None:
        """Whether the setting is on (None for a code other than 0 and 1)."""
        code = self.values.code(self.entity_description.register)
        return None if code not in (0, 1) else code == 1

    async def async_turn_on(self, **kwargs: Any) -> None:
        """Turn the setting on."""
        await self._write(1)

    async def async_turn_off(self, **kwargs: Any) -> None:
        """Turn the setting off."""
        await self._write(0)

    async def _write(self, code: int) -> None:
        await self.runtime.controller.async_write_code(
            self.unit_id, self.entity_description.register, code, source=self.entity_id
        )
