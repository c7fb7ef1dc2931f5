"""Snapshots of a platform's entities that read the same on every Home Assistant we test.

``snapshot_platform`` of pytest-homeassistant-custom-component serialises
whole registry entries, whose fields change between Home Assistant releases
(``aliases``, ``compat_name``, how enum keys print). These snapshots keep
what this integration decides: identity, name, classes, unit, category,
whether it is enabled, its options, its state and attributes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from homeassistant.helpers import entity_registry as er

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant
    from syrupy.assertion import SnapshotAssertion


def _plain(value: Any) -> Any:
    """Enums and other str subclasses as plain strings, containers recursively."""
    if isinstance(value, str):
        return str(value)
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in sorted(value.items())}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def entity_snapshot(hass: HomeAssistant, entry: er.RegistryEntry) -> dict[str, Any]:
    """The stable description of one entity and its state."""
    state = hass.states.get(entry.entity_id)
    return _plain(
        {
            "entity_id": entry.entity_id,
            "unique_id": entry.unique_id,
            "translation_key": entry.translation_key,
            "original_name": entry.original_name,
            "device_class": entry.original_device_class,
            "entity_category": entry.entity_category,
            "disabled_by": entry.disabled_by,
            "unit_of_measurement": entry.unit_of_measurement,
            "capabilities": entry.capabilities,
            "state": None if state is None else state.state,
            "attributes": None if state is None else dict(state.attributes),
        }
    )


async def snapshot_entities(
    hass: HomeAssistant, snapshot: SnapshotAssertion, entry_id: str, domain: str
) -> None:
    """Match every entity of one platform of a config entry against the snapshot."""
    registry = er.async_get(hass)
    entries = sorted(
        (e for e in er.async_entries_for_config_entry(registry, entry_id) if e.domain == domain),
        key=lambda e: e.entity_id,
    )
    assert entries, f"no {domain} entities"
    assert {e.entity_id: entity_snapshot(hass, e) for e in entries} == snapshot
