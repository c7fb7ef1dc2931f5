"""Service actions of the Sigenergy integration: timed control of a plant's battery.

``force_charge``, ``force_discharge`` and ``hold`` take remote EMS over until
their ``duration`` is up (or a state of charge is reached) and then put back
exactly what they changed; ``release`` ends the running one now. They target
a plant by any of its devices or entities. The rules are the controller's
(``control.PlantController``).
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING and sys.version_info >= (3, 14):
    # Home Assistant 2026.10 and later type their schemas with probatio, and
    # alias the module voluptuous to it at run time; 2026.2 has voluptuous.
    import probatio as vol
else:
    import voluptuous as vol
from homeassistant.core import HomeAssistant, ServiceCall, callback
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import config_validation as cv
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.target import TargetSelection, async_extract_referenced_entity_ids

from .const import DOMAIN
from .protocol.control import Action

if TYPE_CHECKING:
    from homeassistant.helpers.typing import VolSchemaType

    from .control import PlantController
    from .coordinator import SigenergyConfigEntry

ATTR_POWER = "power"
ATTR_DURATION = "duration"
ATTR_TARGET_SOC = "target_soc"
ATTR_FLOOR_SOC = "floor_soc"

SERVICE_RELEASE = "release"

_SOC = vol.All(vol.Coerce(float), vol.Range(min=0, max=100))
_POWER = vol.All(vol.Coerce(float), vol.Range(min=0, min_included=False))

SCHEMAS: dict[str, VolSchemaType] = {
    # A target is required: entity ids, device ids, areas (HA's entity service fields).
    Action.FORCE_CHARGE: cv.make_entity_service_schema(
        {
            vol.Required(ATTR_POWER): _POWER,
            vol.Required(ATTR_DURATION): cv.positive_time_period,
            vol.Optional(ATTR_TARGET_SOC): _SOC,
        }
    ),
    Action.FORCE_DISCHARGE: cv.make_entity_service_schema(
        {
            vol.Required(ATTR_POWER): _POWER,
            vol.Required(ATTR_DURATION): cv.positive_time_period,
            vol.Optional(ATTR_FLOOR_SOC): _SOC,
        }
    ),
    Action.HOLD: cv.make_entity_service_schema(
        {vol.Required(ATTR_DURATION): cv.positive_time_period}
    ),
    SERVICE_RELEASE: cv.make_entity_service_schema({}),
}


def _controllers(call: ServiceCall) -> list[PlantController]:
    """The controllers of the plants a call targets."""
    hass = call.hass
    loaded: list[SigenergyConfigEntry] = hass.config_entries.async_loaded_entries(DOMAIN)
    selection = TargetSelection(call.data)
    referenced = async_extract_referenced_entity_ids(hass, selection)
    devices = selection.device_ids | referenced.referenced_devices
    registry = er.async_get(hass)
    entry_ids = {
        entry.config_entry_id
        for entity_id in referenced.referenced | referenced.indirectly_referenced
        if (entry := registry.async_get(entity_id)) is not None
    }
    found = [
        entry.runtime_data.controller
        for entry in loaded
        if entry.entry_id in entry_ids or devices & set(entry.runtime_data.devices.values())
    ]
    if not found:
        raise ServiceValidationError(translation_domain=DOMAIN, translation_key="no_plant")
    return found


@callback
def async_setup_services(hass: HomeAssistant) -> None:
    """Register the control actions."""

    async def run(call: ServiceCall) -> None:
        action = Action(call.service)
        for controller in _controllers(call):
            await controller.async_run(
                action,
                duration=call.data[ATTR_DURATION],
                power=call.data.get(ATTR_POWER),
                soc_limit=call.data.get(ATTR_TARGET_SOC, call.data.get(ATTR_FLOOR_SOC)),
            )

    async def release(call: ServiceCall) -> None:
        for controller in _controllers(call):
            await controller.async_release()

    for action in Action:
        hass.services.async_register(DOMAIN, action, run, schema=SCHEMAS[action])
    hass.services.async_register(DOMAIN, SERVICE_RELEASE, release, schema=SCHEMAS[SERVICE_RELEASE])
