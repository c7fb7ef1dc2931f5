"""Helpers the test packages share, for what differs between the Home Assistants we test."""

from __future__ import annotations

from typing import TYPE_CHECKING

from homeassistant.data_entry_flow import FlowResultType

if TYPE_CHECKING:
    from homeassistant.config_entries import ConfigFlowResult
    from homeassistant.core import HomeAssistant
    from homeassistant.helpers import device_registry as dr


def device_by_identifier(
    registry: dr.DeviceRegistry, identifier: tuple[str, str], entry_id: str
) -> dr.DeviceEntry | None:
    """A device of a config entry by identifier, without the deprecated lookup where it is."""
    lookup = getattr(registry, "async_get_device_by_identifier", None)
    if lookup is not None:  # Home Assistant 2026.8 and later
        device: dr.DeviceEntry | None = lookup(identifier, entry_id)
        return device
    return registry.async_get_device(identifiers={identifier})


async def through_progress(hass: HomeAssistant, result: ConfigFlowResult) -> ConfigFlowResult:
    """Follow a config flow through its progress steps to what the user sees next."""
    while result["type"] is FlowResultType.SHOW_PROGRESS:
        await hass.async_block_till_done()
        result = await hass.config_entries.flow.async_configure(result["flow_id"])
    return result
