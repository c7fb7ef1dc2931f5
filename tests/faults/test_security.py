"""Security and privacy: nothing written unasked, nothing personal in diagnostics or logs."""

from __future__ import annotations

import json
import logging
from typing import TYPE_CHECKING

import pytest
from homeassistant.config_entries import SOURCE_DHCP, ConfigEntryState
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.service_info.dhcp import DhcpServiceInfo
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)

from custom_components.sigenergy_modbus import config_flow
from custom_components.sigenergy_modbus.const import DOMAIN
from custom_components.sigenergy_modbus.protocol import client as client_module
from simulator import ControlOptions
from tests.clock import settle
from tests.faults.conftest import advance
from tests.helpers import through_progress

if TYPE_CHECKING:
    from collections.abc import Iterator

    from freezegun.api import FrozenDateTimeFactory
    from homeassistant.core import HomeAssistant
    from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

    from simulator import PlantSimulator

THREE = pytest.mark.parametrize("simulator_options", [{"inverters": 3}])
MAC = "0c47a9912345"


@pytest.fixture(autouse=True)
def _quiet() -> Iterator[None]:
    """pymodbus' frame dumps at DEBUG would only slow the tests down."""
    logger = logging.getLogger("pymodbus")
    level = logger.level
    logger.setLevel(logging.WARNING)
    yield
    logger.setLevel(level)


def _secrets(hass: HomeAssistant, simulator: PlantSimulator) -> list[str]:
    """What must never appear in clear: serials, the address, the location."""
    host, port = simulator.host, simulator.port
    return [
        *(simulator.serial(unit) for unit in simulator.inverter_ids),
        host,
        f"{host}:{port}",
        f"('{host}', {port})",
        MAC,
        "0C:47:A9:91:23:45",
        str(hass.config.latitude),
        str(hass.config.longitude),
    ]


CONTROL_PLATFORMS = ("number", "select", "button", "switch")


@pytest.mark.parametrize(
    "simulator_options",
    [{"inverters": 3, "ac_charger": True, "control": ControlOptions(dc_charger=True)}],
)
@pytest.mark.parametrize("everything", [False, True], ids=["default", "every entity enabled"])
@pytest.mark.timeout(300)  # a day of a 3-inverter plant, every entity, on a loaded machine
async def test_no_write_in_a_whole_day(
    hass: HomeAssistant,
    loaded: MockConfigEntry,
    simulator: PlantSimulator,
    freezer: FrozenDateTimeFactory,
    issue_registry: ir.IssueRegistry,
    *,
    everything: bool,
) -> None:
    """24 simulated hours of polling, no automation: the plant never receives a write.

    In quarter hours: every poll and every timer of the integration comes due
    at each step, through a midnight and a whole day of the plant's physics.

    With the control entities (numbers, select, switches, buttons) of the
    plant and both chargers, enabled or not; nothing of control writes on
    its own, and its guardrails find nothing to report.
    """
    registry = er.async_get(hass)
    if everything:
        for entry in er.async_entries_for_config_entry(registry, loaded.entry_id):
            if entry.disabled_by is not None:
                registry.async_update_entity(entry.entity_id, disabled_by=None)
        assert await hass.config_entries.async_reload(loaded.entry_id)
        await hass.async_block_till_done()
    entries = er.async_entries_for_config_entry(registry, loaded.entry_id)
    for platform in CONTROL_PLATFORMS:
        mine = [e for e in entries if e.domain == platform]
        assert mine, platform
        assert everything is all(e.disabled_by is None for e in mine), platform
    requests = simulator.stats.requests
    await advance(hass, freezer, 900, 24 * 4, simulator)
    assert simulator.stats.requests > requests + 24 * 4 * 3  # it did poll all day
    assert simulator.stats.writes == []
    assert simulator.stats.by_function.keys() <= {0x01, 0x02, 0x03, 0x04}
    assert loaded.runtime_data.client.stats.writes == 0
    assert loaded.runtime_data.controller.writes == 0
    assert not [i for i in issue_registry.issues.values() if i.domain == DOMAIN]


@THREE
async def test_diagnostics_hold_nothing_personal(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    simulator: PlantSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """An entry added by DHCP discovery, healthy and then failing: no secret in clear."""
    with pytest.MonkeyPatch.context() as patched:
        patched.setattr(config_flow, "DEFAULT_PORT", simulator.port)
        result = await hass.config_entries.flow.async_init(
            DOMAIN,
            context={"source": SOURCE_DHCP},
            data=DhcpServiceInfo(ip=simulator.host, hostname="sigenstor", macaddress=MAC),
        )
        result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
        result = await through_progress(hass, result)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    entry = result["result"]
    await hass.async_block_till_done()
    secrets = _secrets(hass, simulator)
    healthy = json.dumps(await get_diagnostics_for_config_entry(hass, hass_client, entry))
    await simulator.stop()
    await advance(hass, freezer, 5, 3)
    failing = await get_diagnostics_for_config_entry(hass, hass_client, entry)
    assert failing["coordinators"]["realtime"]["last_error"]  # the failure is there
    for text in (healthy, json.dumps(failing)):
        leaks = [secret for secret in secrets if secret in text]
        assert not leaks, leaks
    await simulator.start(simulator.host, simulator.port)
    await advance(hass, freezer, 5, 3)


@THREE
async def test_logs_hold_nothing_personal(
    hass: HomeAssistant,
    simulator: PlantSimulator,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Setup, polls, an outage at start and one later, recovery: no secret at INFO and above.

    Nor from pymodbus, which logs a warning with the address at every refused
    connection attempt: those of the integration's connections go to its
    debug log, the address redacted. The simulator's own log (the test's
    device, not the integration) is left out, and so is what asyncio says
    about the simulator's listening socket ("<Server ...> is serving", at
    INFO when the loop runs in debug mode).
    """
    caplog.set_level(logging.DEBUG, logger=client_module.__name__)
    plant = await config_flow.identify(simulator.host, simulator.port)
    entry = MockConfigEntry(
        domain=DOMAIN,
        title=config_flow.entry_title(plant),
        unique_id=plant.serial,
        data=plant.as_data(),
    )
    entry.add_to_hass(hass)
    await simulator.stop()  # the first setup fails: "not ready yet", then a retry
    setup = hass.async_create_task(hass.config_entries.async_setup(entry.entry_id))
    await settle(hass, freezer)  # pymodbus before 3.16 sleeps 0.1 s after a failed attempt
    assert setup.done()
    assert not setup.result()
    assert entry.state is ConfigEntryState.SETUP_RETRY
    await simulator.start(simulator.host, simulator.port)
    await advance(hass, freezer, 60, 2, simulator)
    assert entry.runtime_data.coordinators["realtime"].last_update_success
    await advance(hass, freezer, 5, 12, simulator)
    await simulator.stop()
    await advance(hass, freezer, 5, 12, simulator)
    await simulator.start(simulator.host, simulator.port)
    await advance(hass, freezer, 5, 24, simulator)
    secrets = _secrets(hass, simulator)
    records = [
        r
        for r in caplog.records
        if r.levelno >= logging.INFO
        and not r.name.startswith("simulator")
        and not (r.name == "asyncio" and r.getMessage().endswith(" is serving"))
    ]
    assert any("Cannot read the plant" in r.getMessage() for r in records)
    leaks = {
        (r.name, r.levelname, r.getMessage())
        for r in records
        if any(secret in r.getMessage() for secret in secrets)
    }
    assert not leaks, sorted(leaks)
    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]  # any logger at all
    assert not [r for r in warnings if simulator.host in r.getMessage()], warnings
    # pymodbus did complain, at every refused attempt: in the debug log, redacted.
    moved = [
        r.getMessage()
        for r in caplog.records
        if r.name == client_module.__name__ and r.getMessage().startswith("pymodbus warning")
    ]
    failed = [m for m in moved if "Failed to connect" in m]
    assert failed, moved
    assert all("(<plant>)" in m for m in failed), failed
    # pymodbus tells an identical line again as "Repeating....": moved as well.
    assert len(moved) >= 2, moved
    assert set(moved) - set(failed) <= {"pymodbus warning: Repeating...."}, moved
    assert not [m for m in moved if any(secret in m for secret in secrets)]
    await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
