"""Buttons of the Sigenergy integration: start and stop the plant and its chargers.

The start/stop registers (40000, 41000, 42000) are write-only: nothing can
be read back, so each command is its own button rather than a switch whose
state would be a guess. Start and stop are separate buttons, so that no tap
toggles the wrong way. The plant's are disabled by default and in the
configuration category: stopping the plant stops the battery and the PV.
What a command did shows in the running state sensors at the next poll.

Mind the polarity: the plant takes 1 to start and 0 to stop, the chargers 0
to start and 1 to stop (protocol tables 5-2-4, 5-4, 5-6).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from homeassistant.components.button import ButtonEntity, ButtonEntityDescription
from homeassistant.const import EntityCategory

from .entity import DeviceRole, SigenergyEntity, SigenergyEntityDescription, add_entities
from .protocol.keys import Key

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant
    from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

    from .coordinator import SigenergyConfigEntry

PARALLEL_UPDATES = 1

PLANT_START, PLANT_STOP = 1, 0
CHARGER_START, CHARGER_STOP = 0, 1


@dataclass(frozen=True, kw_only=True)
class SigenergyButtonEntityDescription(ButtonEntityDescription, SigenergyEntityDescription):
    """A command: the write-only register and the code it is sent."""

    command: Key
    code: int


BUTTONS: tuple[SigenergyButtonEntityDescription, ...] = (
    SigenergyButtonEntityDescription(
        key="plant_start",
        translation_key="plant_start",
        role=DeviceRole.PLANT,
        command=Key.PLANT_START_STOP,
        code=PLANT_START,
        entity_category=EntityCategory.CONFIG,
        entity_registry_enabled_default=False,
    ),
    SigenergyButtonEntityDescription(
        key="plant_stop",
        translation_key="plant_stop",
        role=DeviceRole.PLANT,
        command=Key.PLANT_START_STOP,
        code=PLANT_STOP,
        entity_category=EntityCategory.CONFIG,
        entity_registry_enabled_default=False,
    ),
    SigenergyButtonEntityDescription(
        key="ac_charger_start",
        translation_key="charger_start",
        role=DeviceRole.AC_CHARGER,
        command=Key.AC_CHARGER_START_STOP,
        code=CHARGER_START,
    ),
    SigenergyButtonEntityDescription(
        key="ac_charger_stop",
        translation_key="charger_stop",
        role=DeviceRole.AC_CHARGER,
        command=Key.AC_CHARGER_START_STOP,
        code=CHARGER_STOP,
    ),
    SigenergyButtonEntityDescription(
        key="dc_charger_start",
        translation_key="charger_start",
        role=DeviceRole.DC_CHARGER,
        exists_fn=lambda inverter: inverter.dc_charger,
        command=Key.DC_CHARGER_START_STOP,
        code=CHARGER_START,
    ),
    SigenergyButtonEntityDescription(
        key="dc_charger_stop",
        translation_key="charger_stop",
        role=DeviceRole.DC_CHARGER,
        exists_fn=lambda inverter: inverter.dc_charger,
        command=Key.DC_CHARGER_START_STOP,
        code=CHARGER_STOP,
    ),
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: SigenergyConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the start and stop buttons of the plant and each charger."""
    add_entities(entry, async_add_entities, BUTTONS, SigenergyButtonEntity)


class SigenergyButtonEntity(SigenergyEntity, ButtonEntity):
    """Start or stop the plant or a charger."""

    entity_description: SigenergyButtonEntityDescription

    async def async_press(self) -> None:
        """Send the command, then poll again soon to show what it did."""
        description = self.entity_description
        await self.runtime.controller.async_command(
            self.unit_id, description.command, description.code, source=self.entity_id
        )
        await self.coordinator.async_request_refresh()
