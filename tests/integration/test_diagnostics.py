"""Diagnostics: what a bug report needs, with nothing personal in clear."""

from __future__ import annotations

import json

from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator
from syrupy.assertion import SnapshotAssertion

from simulator import PlantSimulator


async def test_diagnostics(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    init_integration: MockConfigEntry,
    simulator: PlantSimulator,
) -> None:
    """Plan, unsupported registers, firmware and errors are there; serials and host are not."""
    result = await get_diagnostics_for_config_entry(hass, hass_client, init_integration)
    text = json.dumps(result)
    assert simulator.serial(1) not in text
    assert simulator.host not in text
    assert result["entry"]["data"]["host"] == "**REDACTED**"
    (inverter,) = result["inverters"]
    assert inverter["serial"] == "**REDACTED**"
    assert inverter["firmware"] == simulator.value(1, "firmware_version")
    realtime = result["coordinators"]["realtime"]
    assert realtime["last_update_success"] is True
    assert realtime["last_error"] is None
    assert realtime["plan"]["247"]  # JSON keys are strings
    assert all(count <= 124 for _kind, _address, count in realtime["plan"]["247"])
    assert result["io_support"]["1"]["dry_contacts"] is True
    assert result["smart_loads_in_use"]
    assert result["client"]["requests"] > 0
    assert "unsupported_registers" in result


async def test_diagnostics_snapshot(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    init_integration: MockConfigEntry,
    simulator: PlantSimulator,
    snapshot: SnapshotAssertion,
) -> None:
    """The whole report for the deterministic plant: plan, ratings, what was found."""
    result = await get_diagnostics_for_config_entry(hass, hass_client, init_integration)
    assert result["entry"]["data"]["port"] == simulator.port  # ephemeral: not in the snapshot
    result["entry"]["data"]["port"] = "<the simulator's port>"
    assert result == snapshot
