"""Diagnostics of the Sigenergy integration: what a bug report needs, nothing personal."""

from __future__ import annotations

from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from homeassistant.components.diagnostics import async_redact_data
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import CONF_HOST

from .control import action_store, async_load_action
from .rescue import rescue_of

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant

    from .coordinator import SigenergyConfigEntry

TO_REDACT = {CONF_HOST, "serial", "serial_number", "unique_id", "macaddress", "mac", "title"}


async def async_get_config_entry_diagnostics(
    hass: HomeAssistant, entry: SigenergyConfigEntry
) -> dict[str, Any]:
    """Entry, register plan, unsupported registers, firmware, last errors, values refused.

    ``implausible_values`` counts, by unit and register, the readings outside
    their physical range and the codes outside their table;
    ``counter_readings_rejected`` the energy counter readings the guard did
    not publish; ``control`` the writes made, the last ones and the running
    action. An entry that is not loaded (its setup failed, or waits to be
    retried) has no runtime data: its diagnostics say why, and what control
    holds for it without the entry.
    """
    if entry.state is not ConfigEntryState.LOADED:
        return await _not_loaded(hass, entry)
    runtime = entry.runtime_data
    client = runtime.client
    planner = client.planner
    coordinators: dict[str, Any] = {}
    for group, coordinator in runtime.coordinators.items():
        coordinators[group] = {
            "interval_seconds": coordinator.update_interval.total_seconds()
            if coordinator.update_interval
            else None,
            "last_update_success": coordinator.last_update_success,
            "last_error": coordinator.last_error,
            "plan": {
                unit_id: [
                    (b.kind.name, b.address, b.count) for b in planner.plan(unit_id, registers)
                ]
                for unit_id, registers in coordinator.wanted.items()
            },
        }
    units = {u for c in runtime.coordinators.values() for u in c.wanted}
    plausibility = next(iter(runtime.coordinators.values())).plausibility
    rejected: dict[int, dict[str, int]] = {}
    for coordinator in runtime.coordinators.values():
        for (unit, key), count in sorted(coordinator.rejected.items()):
            rejected.setdefault(unit, {})[key] = count
    return {
        "entry": async_redact_data(
            {"title": entry.title, "data": dict(entry.data), "options": dict(entry.options)},
            TO_REDACT,
        ),
        "inverters": [async_redact_data(i.as_data(), TO_REDACT) for i in runtime.plant.inverters],
        "io_support": {unit: asdict(s) for unit, s in runtime.features.io_support.items()},
        "smart_loads_in_use": sorted(runtime.features.smart_loads),
        "units": runtime.units.diagnostics(),
        "coordinators": coordinators,
        "unsupported_registers": {
            unit: sorted(planner.unsupported(unit)) for unit in sorted(units)
        },
        "implausible_values": plausibility.counts(),
        "counter_readings_rejected": rejected,
        "client": asdict(client.stats),
        "control": runtime.controller.diagnostics(),
    }


async def _not_loaded(hass: HomeAssistant, entry: SigenergyConfigEntry) -> dict[str, Any]:
    """The entry, why it is not loaded, its stored action and the revert running without it."""
    action = await async_load_action(action_store(hass, entry.entry_id))
    rescue = rescue_of(hass, entry.entry_id)
    return {
        "entry": async_redact_data(
            {"title": entry.title, "data": dict(entry.data), "options": dict(entry.options)},
            TO_REDACT,
        ),
        "state": str(entry.state.value),
        "reason": entry.reason,
        "control": {
            "stored_action": None if action is None else action.as_data(),
            "not_loaded": None if rescue is None else rescue.diagnostics(),
        },
    }
