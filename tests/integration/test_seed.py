"""Every setup seeds each energy counter from its own sensor's restored state.

The seed comes through the API Home Assistant offers integrations for it
(``RestoreEntity.async_get_last_extra_data``), on every Home Assistant the
suite runs on: a restart and a reload where every counter reads 0 publish
nothing, because each counter's first reading is judged against the value
its sensor kept, and the log says that every counter was seeded.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import pytest
from homeassistant.const import STATE_UNAVAILABLE, Platform
from homeassistant.helpers.entity_platform import async_get_platforms
from pytest_homeassistant_custom_component.common import (
    async_mock_restore_state_shutdown_restart,
)

from custom_components.sigenergy_modbus.const import DOMAIN
from custom_components.sigenergy_modbus.sensor import SigenergyCounterEntity
from tests.integration.conftest import tick

if TYPE_CHECKING:
    from freezegun.api import FrozenDateTimeFactory
    from homeassistant.core import HomeAssistant
    from pytest_homeassistant_custom_component.common import MockConfigEntry

    from simulator import PlantSimulator


@pytest.fixture
def platforms() -> list[Platform]:
    """Only the sensors."""
    return [Platform.SENSOR]


def counter_entities(hass: HomeAssistant) -> dict[str, SigenergyCounterEntity]:
    """The energy counter sensors that are set up, by entity id."""
    return {
        entity_id: entity
        for platform in async_get_platforms(hass, DOMAIN)
        for entity_id, entity in platform.entities.items()
        if isinstance(entity, SigenergyCounterEntity)
    }


def counter_of(entity: SigenergyCounterEntity) -> tuple[int, str]:
    return entity.unit_id, str(entity.entity_description.registers[0])


@pytest.mark.parametrize("how", ["restart", "reload"])
async def test_every_counter_is_seeded_from_its_restored_state(  # noqa: PLR0917 - fixtures
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulator: PlantSimulator,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
    how: str,
) -> None:
    """Counters reading 0 after a restart or reload: none published, each one's seed its own."""
    await tick(hass, freezer, 60)
    counters = counter_entities(hass)
    assert len(counters) >= 10
    guard = init_integration.runtime_data.coordinators["energy"].guard
    kept = {counter_of(e): guard.last(counter_of(e)) for e in counters.values()}
    assert None not in kept.values()
    for unit_id, key in kept:
        simulator.set_value(unit_id, key, 0)
    caplog.set_level(logging.DEBUG, logger="custom_components.sigenergy_modbus")
    caplog.clear()
    if how == "restart":
        assert await hass.config_entries.async_unload(init_integration.entry_id)
        await hass.async_block_till_done()
        await async_mock_restore_state_shutdown_restart(hass)
        assert await hass.config_entries.async_setup(init_integration.entry_id)
    else:
        assert await hass.config_entries.async_reload(init_integration.entry_id)
    await hass.async_block_till_done()

    guard = init_integration.runtime_data.coordinators["energy"].guard
    assert guard.awaiting() == frozenset()
    for entity_id, entity in counter_entities(hass).items():
        state = hass.states.get(entity_id)
        assert state is not None
        assert state.state == STATE_UNAVAILABLE, entity_id  # the 0 is refused: never published
        assert guard.last(counter_of(entity)) == kept[counter_of(entity)], entity_id
    assert f"Seeded {len(kept)} of {len(kept)} energy counters" in caplog.text
    assert init_integration.runtime_data.coordinators["energy"].rejected == dict.fromkeys(kept, 1)

    simulator.clear_overrides()
    await tick(hass, freezer, 60)
    for entity_id, entity in counter_entities(hass).items():
        unit_id, key = counter_of(entity)
        assert float(hass.states.get(entity_id).state) == pytest.approx(
            simulator.value(unit_id, key), abs=0.011
        ), entity_id
