"""Helpers the test packages share, for what differs between the Home Assistants we test."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
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
