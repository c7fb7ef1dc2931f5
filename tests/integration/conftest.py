"""Fixtures for the integration tests: a config entry for the simulated plant."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING
from unittest.mock import patch

import pytest
from homeassistant.const import Platform
from homeassistant.helpers import entity_registry as er
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed

from custom_components.sigenergy_modbus.config_flow import entry_title, identify
from custom_components.sigenergy_modbus.const import DOMAIN
from tests.clock import settle

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Iterator

    from freezegun.api import FrozenDateTimeFactory
    from homeassistant.core import HomeAssistant

    from simulator import PlantSimulator


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(enable_custom_integrations: None) -> None:
    """Load the integration from custom_components/."""


@pytest.fixture
def platforms() -> list[Platform]:
    """Platforms to load; a test module narrows it down."""
    return [Platform.BINARY_SENSOR, Platform.SENSOR, Platform.SWITCH]


@pytest.fixture
async def mock_config_entry(simulator: PlantSimulator) -> MockConfigEntry:
    """An entry as the config flow makes it for the simulated plant."""
    plant = await identify(simulator.host, simulator.port)
    return MockConfigEntry(
        domain=DOMAIN, title=entry_title(plant), unique_id=plant.serial, data=plant.as_data()
    )


@pytest.fixture
def _only_platforms(platforms: list[Platform]) -> Iterator[None]:
    with patch("custom_components.sigenergy_modbus.PLATFORMS", platforms):
        yield


@pytest.fixture
async def init_integration(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry, _only_platforms: None
) -> AsyncIterator[MockConfigEntry]:
    """The integration set up against the simulator."""
    mock_config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    yield mock_config_entry
    if mock_config_entry.state.recoverable:
        await hass.config_entries.async_unload(mock_config_entry.entry_id)
        await hass.async_block_till_done()


@pytest.fixture
async def everything_enabled(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> MockConfigEntry:
    """The integration with every entity enabled, the way an owner does it.

    The owner enables entities in the registry; Home Assistant reloads the
    entry, which plans the reads again with them.
    """
    registry = er.async_get(hass)
    for entry in er.async_entries_for_config_entry(registry, init_integration.entry_id):
        if entry.disabled_by is not None:
            registry.async_update_entity(entry.entity_id, disabled_by=None)
    assert await hass.config_entries.async_reload(init_integration.entry_id)
    await hass.async_block_till_done()
    return init_integration


async def tick(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, seconds: float, steps: int = 1
) -> None:
    """Move Home Assistant's clock on, ``steps`` times, and let the polls run."""
    for _ in range(steps):
        freezer.tick(timedelta(seconds=seconds))
        async_fire_time_changed(hass)
        await settle(hass, freezer)
        await hass.async_block_till_done(wait_background_tasks=True)
