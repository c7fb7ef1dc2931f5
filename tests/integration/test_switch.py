"""The DO1/DO2 dry contacts: switched by the user, confirmed, refused when read-only."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from homeassistant.components.switch import DOMAIN as SWITCH_DOMAIN
from homeassistant.const import (
    ATTR_ENTITY_ID,
    SERVICE_TURN_OFF,
    SERVICE_TURN_ON,
    STATE_OFF,
    STATE_ON,
    Platform,
)
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError

from custom_components.sigenergy_modbus.const import CONF_READ_ONLY
from tests.integration.snapshot import snapshot_entities

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant
    from pytest_homeassistant_custom_component.common import MockConfigEntry
    from syrupy.assertion import SnapshotAssertion

    from simulator import PlantSimulator

DO1 = "switch.sigenergy_inverter_1_dry_contact_do1"
DO2 = "switch.sigenergy_inverter_1_dry_contact_do2"


@pytest.fixture
def platforms() -> list[Platform]:
    """Only the switch platform."""
    return [Platform.SWITCH]


async def test_snapshot(
    hass: HomeAssistant, everything_enabled: MockConfigEntry, snapshot: SnapshotAssertion
) -> None:
    """Both dry contacts of the inverter."""
    await snapshot_entities(hass, snapshot, everything_enabled.entry_id, "switch")


async def _call(hass: HomeAssistant, service: str, entity_id: str) -> None:
    await hass.services.async_call(
        SWITCH_DOMAIN, service, {ATTR_ENTITY_ID: entity_id}, blocking=True
    )


async def test_dry_contacts_switch_the_coils(
    hass: HomeAssistant, init_integration: MockConfigEntry, simulator: PlantSimulator
) -> None:
    """Turning DO1 on closes coil 0 of the inverter, and the state follows at once."""
    assert hass.states.get(DO1).state == STATE_OFF
    assert hass.states.get(DO2).state == STATE_OFF
    writes = len(simulator.stats.writes)
    await _call(hass, SERVICE_TURN_ON, DO1)
    assert simulator.coil(1, 0) is True
    assert simulator.coil(1, 1) is False
    assert hass.states.get(DO1).state == STATE_ON
    await _call(hass, SERVICE_TURN_ON, DO2)
    await _call(hass, SERVICE_TURN_OFF, DO1)
    assert simulator.coil(1, 0) is False
    assert simulator.coil(1, 1) is True
    assert hass.states.get(DO1).state == STATE_OFF
    assert hass.states.get(DO2).state == STATE_ON
    assert len(simulator.stats.writes) == writes + 3


async def test_no_write_at_setup(
    init_integration: MockConfigEntry, simulator: PlantSimulator
) -> None:
    """Loading the integration writes nothing to the plant."""
    assert simulator.stats.writes == []


@pytest.mark.parametrize("read_only", [True])
async def test_read_only_refuses(
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    simulator: PlantSimulator,
    read_only: bool,
) -> None:
    """In read-only mode a switch refuses with a translated error and sends nothing."""
    mock_config_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(mock_config_entry, options={CONF_READ_ONLY: read_only})
    assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    with pytest.raises(ServiceValidationError) as err:
        await _call(hass, SERVICE_TURN_ON, DO1)
    assert err.value.translation_key == "read_only"
    assert simulator.stats.writes == []
    assert simulator.coil(1, 0) is False


async def test_write_failure_is_translated(
    hass: HomeAssistant, init_integration: MockConfigEntry, simulator: PlantSimulator
) -> None:
    """A device that refuses the write gives a translated error; the switch stays usable."""
    simulator.faults.exceptions[(1, 0)] = 0x04
    with pytest.raises(HomeAssistantError) as err:
        await _call(hass, SERVICE_TURN_ON, DO1)
    assert err.value.translation_key == "write_failed"
    assert hass.states.get(DO1).state == STATE_OFF
    simulator.faults.exceptions.clear()
    await _call(hass, SERVICE_TURN_ON, DO1)
    assert hass.states.get(DO1).state == STATE_ON
