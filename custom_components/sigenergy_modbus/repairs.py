"""Repair flows of the Sigenergy integration.

"Remote EMS is on, but no action of ours set it" can be fixed from the
repair: confirming turns remote EMS off, back to the plant's own EMS. Every
other issue of the integration explains itself and goes away when its cause
does.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from homeassistant.components.repairs import ConfirmRepairFlow, RepairsFlow
from homeassistant.config_entries import ConfigEntryState
from homeassistant.exceptions import HomeAssistantError

from .const import DOMAIN

if TYPE_CHECKING:
    import sys

    from homeassistant.core import HomeAssistant

    from .coordinator import SigenergyConfigEntry

    # Home Assistant 2026.10 has a result type of its own for repair flows.
    if sys.version_info >= (3, 14):
        from homeassistant.components.repairs import RepairsFlowResult as FlowResult
    else:
        from homeassistant.data_entry_flow import FlowResult


class ReleaseRemoteEmsFlow(ConfirmRepairFlow):
    """Turn remote EMS off once the owner confirms."""

    def __init__(self, entry: SigenergyConfigEntry) -> None:
        """Fix the plant of this entry."""
        super().__init__()
        self.entry = entry

    async def async_step_confirm(self, user_input: dict[str, str] | None = None) -> FlowResult:
        """Ask, then release."""
        if user_input is not None:
            try:
                await self.entry.runtime_data.controller.async_release()
            except HomeAssistantError:
                return self.async_abort(reason="release_failed")
        return await super().async_step_confirm(user_input)


async def async_create_fix_flow(
    hass: HomeAssistant, issue_id: str, data: dict[str, str | int | float | None] | None
) -> RepairsFlow:
    """The flow that fixes an issue of this integration."""
    entry_id = str((data or {}).get("entry_id"))
    entry = hass.config_entries.async_get_entry(entry_id)
    if entry is None or entry.domain != DOMAIN or entry.state is not ConfigEntryState.LOADED:
        return ConfirmRepairFlow()
    return ReleaseRemoteEmsFlow(entry)
