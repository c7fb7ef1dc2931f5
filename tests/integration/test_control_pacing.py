"""The protocol's pacing between writes, measured on the device side with the real clock."""

from __future__ import annotations

import itertools
import time
from typing import TYPE_CHECKING

import pytest
from homeassistant.const import Platform

from custom_components.sigenergy_modbus import control
from tests.integration.control_helpers import act

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant
    from pytest_homeassistant_custom_component.common import MockConfigEntry

    from simulator import PlantSimulator


@pytest.fixture
def platforms() -> list[Platform]:
    """The control sensors only: the actions need no other entity."""
    return [Platform.SENSOR]


async def test_writes_are_paced(
    hass: HomeAssistant, init_integration: MockConfigEntry, simulator: PlantSimulator
) -> None:
    """At least the protocol's minimum request period (1 s) between two writes."""
    assert control.WRITE_INTERVAL == 1.0
    await act(hass, init_integration, "force_discharge", power=1.5, duration={"minutes": 5})
    await act(hass, init_integration, "release")
    times = simulator.stats.write_times
    assert len(times) == 6
    gaps = [b - a for a, b in itertools.pairwise(times)]
    assert min(gaps) >= control.WRITE_INTERVAL - 0.02, gaps
    assert max(gaps) < control.WRITE_INTERVAL + 1.0, gaps  # paced, not stalled
    assert time.monotonic() - times[-1] < 5
