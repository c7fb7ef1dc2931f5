"""Switches of the Sigenergy integration: the DO1/DO2 dry contacts.

A dry contact switches a smart load (heat pump, pool heater). Each switch is
created only where the probe found the inverter's coils. Nothing is written
unless the user (or the user's automation) acts; every write is refused in
read-only mode and confirmed by reading the coil back.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from homeassistant.components.switch import SwitchDeviceClass, SwitchEntity, SwitchEntityDescription
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError

from .const import DOMAIN
from .entity import (
    Capability,
    DeviceRole,
    SigenergyEntity,
    SigenergyEntityDescription,
    add_entities,
)
from .protocol.contacts import DRY_CONTACTS
from .protocol.exceptions import SigenergyError, SigenergyReadOnlyError

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant
    from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

    from .coordinator import SigenergyConfigEntry

PARALLEL_UPDATES = 1


@dataclass(frozen=True, kw_only=True)
class SigenergySwitchEntityDescription(SwitchEntityDescription, SigenergyEntityDescription):
    """A dry contact: which coil it is."""

    coil: int


SWITCHES: tuple[SigenergySwitchEntityDescription, ...] = tuple(
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


async def async_setup_entry(
    hass: HomeAssistant,
    entry: SigenergyConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add DO1 and DO2 of every inverter whose coils answered the probe."""
    add_entities(entry, async_add_entities, SWITCHES, SigenergyDryContactSwitch)


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
                translation_domain=DOMAIN,
                translation_key="read_only",
                translation_placeholders=placeholders,
            ) from err
        except SigenergyError as err:
            raise HomeAssistantError(
                translation_domain=DOMAIN,
                translation_key="write_failed",
                translation_placeholders={**placeholders, "error": str(err)},
            ) from err
        self.coordinator.set_coil(self.unit_id, coil, state)
