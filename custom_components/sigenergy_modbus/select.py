"""Select of the Sigenergy integration: the remote EMS control mode (40031), for experts.

Disabled by default. The timed actions (force charge, force discharge, hold)
set the mode themselves and put back what it was; this select changes it for
good, and only takes effect while remote EMS (40029) is on. While an action
runs it refuses, since the action owns the mode until its deadline.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from homeassistant.components.select import SelectEntity, SelectEntityDescription
from homeassistant.const import EntityCategory

from .const import PollGroup
from .entity import DeviceRole, SigenergyEntity, SigenergyEntityDescription, add_entities
from .protocol.enums import RemoteEmsControlMode
from .protocol.keys import Key

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant
    from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

    from .coordinator import SigenergyConfigEntry

PARALLEL_UPDATES = 1

MODES = tuple(m for m in RemoteEmsControlMode if m is not RemoteEmsControlMode.RESERVED)
"""Appendix 6 without 0x07 "Reserved", which is not written."""


@dataclass(frozen=True, kw_only=True)
class SigenergySelectEntityDescription(SelectEntityDescription, SigenergyEntityDescription):
    """A coded setting: its register and its options' codes."""

    register: Key
    codes: tuple[RemoteEmsControlMode, ...]


SELECTS: tuple[SigenergySelectEntityDescription, ...] = (
    SigenergySelectEntityDescription(
        key="remote_ems_control_mode",
        translation_key="remote_ems_control_mode",
        role=DeviceRole.PLANT,
        poll=PollGroup.SETTINGS,
        registers=(Key.REMOTE_EMS_CONTROL_MODE,),
        register=Key.REMOTE_EMS_CONTROL_MODE,
        codes=MODES,
        options=[m.name.lower() for m in MODES],
        entity_category=EntityCategory.CONFIG,
        entity_registry_enabled_default=False,
    ),
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: SigenergyConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the remote EMS control mode select."""
    add_entities(entry, async_add_entities, SELECTS, SigenergySelectEntity)


class SigenergySelectEntity(SigenergyEntity, SelectEntity):
    """A coded setting of the plant."""

    entity_description: SigenergySelectEntityDescription

    @property
    def current_option(self) -> str | None:
        """The option of the code the register holds (None for a code without one)."""
        code = self.values.code(self.entity_description.register)
        member = RemoteEmsControlMode.parse(code)
        if member is None or member not in self.entity_description.codes:
            return None
        return member.name.lower()

    async def async_select_option(self, option: str) -> None:
        """Write the option's code."""
        codes = self.entity_description.codes
        code = codes[[m.name.lower() for m in codes].index(option)]
        await self.runtime.controller.async_write_code(
            self.unit_id, self.entity_description.register, int(code), source=self.entity_id
        )
