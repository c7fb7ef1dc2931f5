"""An outage in the log: one line when the plant goes, one when it is back, nothing between.

The whole log is looked at, every logger at INFO and above (an owner's log
shows WARNING and above; "back" is INFO, like Home Assistant's own recovery
lines): the integration's four coordinators, pymodbus (whose "Failed to
connect" warnings, naming the address, flooded the log every 8-13 s once its
own reconnection gave up: the client moves them to its debug log), asyncio,
Home Assistant. The plant is the simulator over loopback TCP, stopped and started
again; Home Assistant's clock runs on through a quarter of an hour of outage,
long past the client's back-off reaching its ceiling.
"""

from __future__ import annotations

import logging
import socket
from typing import TYPE_CHECKING

import pytest
from homeassistant.config_entries import SOURCE_USER
from homeassistant.const import CONF_HOST, CONF_PORT, STATE_UNAVAILABLE
from homeassistant.data_entry_flow import FlowResultType

from custom_components.sigenergy_modbus.const import DOMAIN
from tests.helpers import through_progress
from tests.integration.conftest import tick

if TYPE_CHECKING:
    from freezegun.api import FrozenDateTimeFactory
    from homeassistant.core import HomeAssistant
    from pytest_homeassistant_custom_component.common import MockConfigEntry

    from simulator import PlantSimulator

SOC = "sensor.sigenergy_plant_battery_state_of_charge"
ENERGY = "sensor.sigenergy_plant_pv_energy"
GONE = "Cannot read the plant"
BACK = "The plant answers again"


def _harness(record: logging.LogRecord) -> bool:
    """A line of the test's own making, not Home Assistant's log.

    The simulator's (the device side: its own lines, and asyncio's "is
    serving" about its socket) and asyncio's slow-callback warnings, which the
    frozen clock causes: each tick moves time 5 s within one callback.
    """
    message = record.getMessage()
    return record.name.startswith("simulator") or (
        record.name == "asyncio" and (" took " in message or message.endswith(" is serving"))
    )


def _lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    """Every line at INFO or above, with its logger, as an owner would read them."""
    return [
        f"{r.levelname} {r.name}: {r.getMessage()}"
        for r in caplog.records
        if r.levelno >= logging.INFO and not _harness(r)
    ]


async def test_outage_logs_one_line_each_way(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulator: PlantSimulator,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A 15-minute outage: one WARNING when it starts, one INFO when it ends, nothing else."""
    caplog.set_level(logging.INFO)
    await tick(hass, freezer, 5)
    caplog.clear()

    await simulator.stop()
    for _ in range(180):  # 15 minutes of polls: every coordinator fails, many times
        await tick(hass, freezer, 5)
    assert hass.states.get(SOC).state == STATE_UNAVAILABLE
    assert hass.states.get(ENERGY).state == STATE_UNAVAILABLE
    during = _lines(caplog)
    assert len(during) == 1, during
    assert during[0].startswith(f"WARNING custom_components.sigenergy_modbus: {GONE}"), during

    caplog.clear()
    await simulator.restart()
    for _ in range(6):
        await tick(hass, freezer, 5)
    assert hass.states.get(SOC).state != STATE_UNAVAILABLE
    # Back at once, not at their next poll: the slower polls are asked again.
    assert hass.states.get(ENERGY).state != STATE_UNAVAILABLE
    after = _lines(caplog)
    assert after == [f"INFO custom_components.sigenergy_modbus: {BACK}"], after

    caplog.clear()
    for _ in range(70):  # every coordinator's next polls: all quiet
        await tick(hass, freezer, 5)
    assert _lines(caplog) == []


async def test_outage_line_names_no_address(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulator: PlantSimulator,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Neither line names the plant's address or port."""
    caplog.set_level(logging.INFO)
    await simulator.stop()
    for _ in range(12):
        await tick(hass, freezer, 5)
    await simulator.restart()
    for _ in range(3):
        await tick(hass, freezer, 5)
    text = "\n".join(_lines(caplog))
    assert GONE in text
    assert BACK in text
    assert simulator.host not in text
    assert str(simulator.port) not in text


def _closed_port() -> int:
    """A port on 127.0.0.1 where nothing listens (bound once, then closed)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_mistyped_port_in_the_flow_leaves_no_line(
    hass: HomeAssistant, simulator: PlantSimulator, caplog: pytest.LogCaptureFixture
) -> None:
    """The form says "cannot connect"; the log says nothing, then the right port works."""
    caplog.set_level(logging.INFO)
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "manual"}
    )
    caplog.clear()
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_HOST: simulator.host, CONF_PORT: _closed_port()}
    )
    result = await through_progress(hass, result)
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {CONF_HOST: "cannot_connect"}
    assert _lines(caplog) == []
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_HOST: simulator.host, CONF_PORT: simulator.port}
    )
    result = await through_progress(hass, result)
    assert result["type"] is FlowResultType.CREATE_ENTRY
