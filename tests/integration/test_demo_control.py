"""The demo can show an input changing: DI1 set through the simulator's control interface."""

from __future__ import annotations

import asyncio
import json
from typing import TYPE_CHECKING

from homeassistant.const import STATE_OFF, STATE_ON

from simulator.control import CONTROL_HOST, Control
from tests.integration.conftest import tick

if TYPE_CHECKING:
    from freezegun.api import FrozenDateTimeFactory
    from homeassistant.core import HomeAssistant
    from pytest_homeassistant_custom_component.common import MockConfigEntry

    from simulator import PlantSimulator

DI1 = "binary_sensor.sigenergy_inverter_1_digital_input_di1"


async def _post(hass: HomeAssistant, port: int, path: str, body: object) -> int:
    """POST to the control interface; then let Home Assistant finish what it started.

    The frozen clock jumps at each tick: a Modbus request still in flight then
    would time out, so the test waits for every poll before it moves time.
    """
    reader, writer = await asyncio.open_connection(CONTROL_HOST, port)
    payload = json.dumps(body).encode()
    writer.write(
        f"POST {path} HTTP/1.1\r\nContent-Length: {len(payload)}\r\n\r\n".encode() + payload
    )
    await writer.drain()
    answer = await reader.read()
    writer.close()
    await hass.async_block_till_done()
    return int(answer.split()[1])


async def test_digital_input_from_the_control_interface(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulator: PlantSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    control = Control(simulator)
    await control.start(0)
    try:
        assert hass.states.get(DI1).state == STATE_OFF
        assert await _post(hass, control.port, "/input", {"unit": 1, "input": 1, "on": True}) == 200
        await tick(hass, freezer, 30)  # the detail poll reads the inputs
        assert hass.states.get(DI1).state == STATE_ON
        assert (
            await _post(hass, control.port, "/input", {"unit": 1, "input": 1, "on": False}) == 200
        )
        await tick(hass, freezer, 30)
        assert hass.states.get(DI1).state == STATE_OFF
    finally:
        await control.stop()
