"""Nothing stops an action's revert: failed setups, unloads, Home Assistant stopping.

Each test stores an action on the real plant (the simulator over TCP), then
breaks what comes after it — a platform that raises, a Home Assistant API
that is missing, the entry unloaded, Home Assistant stopping — and asserts
on the device side that the registers the action changed (40029, 40031,
40032/40034) are back, that the owner was told the truth meanwhile, and that
a setup that failed left nothing open.
"""

from __future__ import annotations

import asyncio
from contextlib import contextmanager
from datetime import timedelta
from typing import TYPE_CHECKING, Any
from unittest.mock import patch

import pytest
from homeassistant.config_entries import ConfigEntryDisabler, ConfigEntryState
from homeassistant.const import EVENT_HOMEASSISTANT_STOP, STATE_UNAVAILABLE, Platform
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers import issue_registry as ir
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)

from custom_components.sigenergy_modbus import control, sensor
from custom_components.sigenergy_modbus.config_flow import entry_title, identify
from custom_components.sigenergy_modbus.const import DOMAIN
from tests.clock import real_monotonic, settle
from tests.faults.proxy import FaultProxy
from tests.integration.control_helpers import (
    ACTION,
    ORIGINAL,
    act,
    held,
    plant_writes,
    run,
    stored,
)

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Iterator

    from freezegun.api import FrozenDateTimeFactory
    from homeassistant.core import HomeAssistant
    from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

    from simulator import PlantSimulator

FORCED = {
    "remote_ems_enable": 1,
    "remote_ems_control_mode": 3,
    "ess_max_charging_limit": 3.0,
    "ess_max_discharging_limit": 12.0,
}
"""What a 3 kW force charge holds the plant at."""

REVERT = [(40029, [0]), (40031, [2]), (40032, [0, 12000])]
"""The writes that undo it, in order: remote EMS off first."""


@pytest.fixture
def platforms() -> list[Platform]:
    """Everything that controls or shows control."""
    return [Platform.BUTTON, Platform.NUMBER, Platform.SELECT, Platform.SENSOR, Platform.SWITCH]


@pytest.fixture(autouse=True)
def _no_pacing(monkeypatch: pytest.MonkeyPatch) -> None:
    """The frozen clock would hold the 1 s pacing for ever; test_control_pacing checks it."""
    monkeypatch.setattr(control, "WRITE_INTERVAL", 0.0)


@contextmanager
def _failure(kind: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A failure injected into setup: one platform raising, or a Home Assistant API missing."""
    if kind == "platform":
        with patch.object(sensor, "async_setup_entry", side_effect=RuntimeError("sensor broke")):
            yield
        return
    with monkeypatch.context() as patched:
        # An API the integration calls during setup, as if a release had renamed it.
        patched.delattr(er, "async_entries_for_config_entry")
        yield


async def _connections_closed(simulator: PlantSimulator) -> bool:
    """Whether the plant sees no connection open (a close reaches it a few loop turns later)."""
    start = real_monotonic()
    while real_monotonic() - start < 1.0:  # real seconds: the loop's clock is frozen
        if simulator.stats.active_connections == 0:
            return True
        await asyncio.sleep(0)
    return False


async def _set_up(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, entry: MockConfigEntry
) -> None:
    """Set an entry up under the frozen clock (a failed connection attempt waits 0.1 s)."""
    hass.async_create_task(hass.config_entries.async_setup(entry.entry_id))
    await settle(hass, freezer)


def _stop_listeners(hass: HomeAssistant) -> int:
    return hass.bus.async_listeners().get(EVENT_HOMEASSISTANT_STOP, 0)


async def _force_charge_then_unload(
    hass: HomeAssistant, entry: MockConfigEntry, simulator: PlantSimulator, minutes: int = 3
) -> None:
    await act(hass, entry, "force_charge", power=3.0, duration={"minutes": minutes})
    assert held(simulator) == FORCED
    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()


@pytest.mark.parametrize("kind", ["platform", "ha_api"])
async def test_a_setup_that_fails_still_undoes_an_action_past_its_deadline(  # noqa: PLR0917 - fixtures
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulator: PlantSimulator,
    freezer: FrozenDateTimeFactory,
    hass_storage: dict[str, Any],
    issue_registry: ir.IssueRegistry,
    monkeypatch: pytest.MonkeyPatch,
    kind: str,
) -> None:
    """The issue's case: a restart mid-action, then a setup that fails; the revert runs first."""
    listeners = _stop_listeners(hass)  # the controller's among them
    await _force_charge_then_unload(hass, init_integration, simulator)
    freezer.tick(timedelta(minutes=4))  # down past the deadline
    simulator.advance(240)
    assert held(simulator) == FORCED  # nothing on the plant undoes it
    with _failure(kind, monkeypatch):
        await _set_up(hass, freezer, init_integration)
    assert plant_writes(simulator, 3) == REVERT
    assert held(simulator) == ORIGINAL
    assert stored(hass_storage, init_integration) is None
    assert not [i for i in issue_registry.issues.values() if i.issue_id.startswith("revert_")]
    if kind == "ha_api":
        assert init_integration.state is ConfigEntryState.SETUP_ERROR
        assert await _connections_closed(simulator)  # the client closed
        assert _stop_listeners(hass) == listeners - 1  # no controller left, no rescue needed
    else:  # a platform that raises does not fail the entry: Home Assistant logs it
        assert init_integration.state is ConfigEntryState.LOADED
        assert hass.states.get(ACTION).state == STATE_UNAVAILABLE  # the sensors failed


async def test_a_failed_setup_undoes_a_running_action_at_its_deadline(  # noqa: PLR0917 - fixtures
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulator: PlantSimulator,
    freezer: FrozenDateTimeFactory,
    hass_storage: dict[str, Any],
    hass_client: ClientSessionGenerator,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Setup fails mid-action: nothing is loaded, yet the action ends at its deadline."""
    await _force_charge_then_unload(hass, init_integration, simulator, minutes=10)
    with _failure("ha_api", monkeypatch):
        await _set_up(hass, freezer, init_integration)
    assert init_integration.state is ConfigEntryState.SETUP_ERROR
    assert await _connections_closed(simulator)
    # The diagnostics of an entry that failed to set up answer: when an owner needs them.
    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, init_integration)
    assert diagnostics["state"] == "setup_error"
    assert diagnostics["control"]["stored_action"]["action"] == "force_charge"
    assert diagnostics["control"]["not_loaded"]["why"] == "setup_failed"
    await run(hass, freezer, simulator, 540, step=60)
    assert held(simulator) == FORCED  # the owner's action runs its time
    await run(hass, freezer, simulator, 60, step=60)
    assert plant_writes(simulator, 3) == REVERT
    assert held(simulator) == ORIGINAL
    assert stored(hass_storage, init_integration) is None
    assert await _connections_closed(simulator)  # the rescue's own client, closed again
    # Set up again (the API back): nothing stored, nothing written.
    assert await hass.config_entries.async_reload(init_integration.entry_id)
    await hass.async_block_till_done()
    assert hass.states.get(ACTION).state == "none"
    assert len(simulator.stats.writes) == 6


async def test_a_revert_the_plant_refuses_after_a_failed_setup_is_retried(  # noqa: PLR0917 - fixtures
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulator: PlantSimulator,
    freezer: FrozenDateTimeFactory,
    hass_storage: dict[str, Any],
    issue_registry: ir.IssueRegistry,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """No entry to retry it: Home Assistant does, with back-off; the owner is told what to do."""
    await _force_charge_then_unload(hass, init_integration, simulator)
    freezer.tick(timedelta(minutes=4))
    simulator.advance(240)
    simulator.faults.write_exceptions[(247, 40029)] = 0x04  # the plant refuses the revert
    with _failure("ha_api", monkeypatch):
        await _set_up(hass, freezer, init_integration)
    assert init_integration.state is ConfigEntryState.SETUP_ERROR
    assert held(simulator) == FORCED
    issue = issue_registry.async_get_issue(DOMAIN, f"revert_failed_{init_integration.entry_id}")
    assert issue is not None
    assert issue.translation_key == "revert_failed_setup"
    assert issue.severity is ir.IssueSeverity.ERROR
    placeholders = issue.translation_placeholders or {}
    assert placeholders["action"] == "force_charge"
    assert "(40029) = 1" in placeholders["held"]
    assert "(40032) = 3" in placeholders["held"]
    assert "(40029) = 0" in placeholders["original"]
    assert "(40031) = 2" in placeholders["original"]
    assert "(40032) = 12" in placeholders["original"]
    retry = dt_util.utcnow() + timedelta(seconds=30)
    assert placeholders["time"] == control.clock_time(retry)
    await run(hass, freezer, simulator, 30, step=30)  # refused again: next in 60 s
    issue = issue_registry.async_get_issue(DOMAIN, issue.issue_id)
    assert issue is not None
    assert issue.translation_placeholders is not None
    assert issue.translation_placeholders["time"] == control.clock_time(
        dt_util.utcnow() + timedelta(seconds=60)
    )
    simulator.faults.clear()
    await run(hass, freezer, simulator, 30, step=30)
    assert held(simulator) == FORCED  # not before its time
    await run(hass, freezer, simulator, 30, step=30)
    assert held(simulator) == ORIGINAL
    assert stored(hass_storage, init_integration) is None
    assert issue_registry.async_get_issue(DOMAIN, issue.issue_id) is None


async def test_a_plant_silent_at_setup_gets_the_action_undone_when_it_answers(  # noqa: PLR0917 - fixtures
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulator: PlantSimulator,
    freezer: FrozenDateTimeFactory,
    hass_storage: dict[str, Any],
    issue_registry: ir.IssueRegistry,
) -> None:
    """Setup waits for the plant (retrying); the revert is tried outside it meanwhile."""
    await _force_charge_then_unload(hass, init_integration, simulator)
    freezer.tick(timedelta(minutes=4))
    simulator.advance(240)
    await simulator.stop()
    await _set_up(hass, freezer, init_integration)
    assert init_integration.state is ConfigEntryState.SETUP_RETRY
    issue = issue_registry.async_get_issue(DOMAIN, f"revert_failed_{init_integration.entry_id}")
    assert issue is not None
    assert issue.translation_key == "revert_failed_setup"
    await simulator.start(simulator.host, simulator.port)
    for _ in range(12):  # Home Assistant's setup retry or the rescue's, whichever comes first
        await run(hass, freezer, simulator, 10, step=10)
        if init_integration.state is ConfigEntryState.LOADED and held(simulator) == ORIGINAL:
            break
    assert init_integration.state is ConfigEntryState.LOADED
    assert held(simulator) == ORIGINAL
    assert stored(hass_storage, init_integration) is None
    assert issue_registry.async_get_issue(DOMAIN, issue.issue_id) is None
    assert hass.states.get(ACTION).state == "none"


async def test_an_entry_disabled_mid_action_still_ends_it_at_its_deadline(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulator: PlantSimulator,
    freezer: FrozenDateTimeFactory,
    hass_storage: dict[str, Any],
) -> None:
    await act(hass, init_integration, "force_charge", power=3.0, duration={"minutes": 5})
    assert await hass.config_entries.async_set_disabled_by(
        init_integration.entry_id, ConfigEntryDisabler.USER
    )
    await hass.async_block_till_done()
    assert init_integration.state is ConfigEntryState.NOT_LOADED
    assert await _connections_closed(simulator)
    await run(hass, freezer, simulator, 240, step=60)
    assert held(simulator) == FORCED
    await run(hass, freezer, simulator, 60, step=60)
    assert plant_writes(simulator, 3) == REVERT
    assert held(simulator) == ORIGINAL
    assert stored(hass_storage, init_integration) is None


async def test_home_assistant_stopping_tries_a_due_revert_once_more(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulator: PlantSimulator,
    freezer: FrozenDateTimeFactory,
    hass_storage: dict[str, Any],
) -> None:
    """The revert failed at the deadline; Home Assistant stops before the 30 s retry: tried then."""
    await act(hass, init_integration, "force_charge", power=3.0, duration={"minutes": 2})
    simulator.faults.write_exceptions[(247, 40029)] = 0x04
    await run(hass, freezer, simulator, 120, step=60)
    assert hass.states.get(ACTION).state == "reverting"
    assert held(simulator) == FORCED
    simulator.faults.clear()
    await hass.async_stop()
    assert held(simulator) == ORIGINAL
    assert stored(hass_storage, init_integration) is None


async def test_a_connection_lost_between_an_actions_writes_is_told_as_it_is(  # noqa: PLR0917 - fixtures
    hass: HomeAssistant,
    simulator: PlantSimulator,
    freezer: FrozenDateTimeFactory,
    issue_registry: ir.IssueRegistry,
    proxied: MockConfigEntry,
    proxy: FaultProxy,
) -> None:
    """The plant took two writes, then its connection went: not "put back", but when it will be."""
    proxy.refuse_after_write = 40031
    call = hass.async_create_task(
        act(hass, proxied, "force_charge", power=3.0, duration={"minutes": 30})
    )
    await settle(hass, freezer)  # a failed connection attempt waits 0.1 s
    with pytest.raises(control.ControlError) as err:
        await call
    assert err.value.translation_key == "action_failed_not_undone"
    placeholders = err.value.translation_placeholders or {}
    next_try = dt_util.utcnow() + control.RETRY_REVERT_AFTER
    assert placeholders["time"] == control.clock_time(next_try)
    assert held(simulator) == {
        **ORIGINAL,
        "remote_ems_control_mode": 3,
        "ess_max_charging_limit": 3.0,
    }
    # the sensors say so too: the action is being undone, next try at ...
    assert hass.states.get(ACTION).state == "reverting"
    shown = dt_util.parse_datetime(hass.states.get(f"{ACTION}_end").state)
    assert shown == next_try.replace(microsecond=0)
    assert issue_registry.async_get_issue(DOMAIN, f"revert_failed_{proxied.entry_id}") is not None
    await proxy.accept()
    waited = 0
    while held(simulator) != ORIGINAL and waited < 29:
        await run(hass, freezer, simulator, 1, step=1)
        waited += 1
    assert held(simulator) == ORIGINAL  # at the first poll that worked, not at the 30 s retry
    assert dt_util.utcnow() < next_try
    assert hass.states.get(ACTION).state == "none"
    assert issue_registry.async_get_issue(DOMAIN, f"revert_failed_{proxied.entry_id}") is None


async def test_the_plant_changing_an_actions_value_back_is_no_issue_after_it(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulator: PlantSimulator,
    freezer: FrozenDateTimeFactory,
    issue_registry: ir.IssueRegistry,
) -> None:
    """ "Changed back" holds while the action runs; once it ended and the value is back, it goes."""
    await act(hass, init_integration, "force_charge", power=3.0, duration={"minutes": 20})
    simulator.model.write(247, "ess_max_charging_limit", 12.0)  # another client
    await run(hass, freezer, simulator, 600, step=60)  # two settings polls
    issue_id = f"value_reverted_{init_integration.entry_id}_247_ess_max_charging_limit"
    found = issue_registry.async_get_issue(DOMAIN, issue_id)
    assert found is not None
    assert found.translation_key == "value_reverted"
    await run(hass, freezer, simulator, 660, step=60)  # the deadline: the revert
    assert held(simulator) == ORIGINAL
    assert hass.states.get(ACTION).state == "none"
    assert issue_registry.async_get_issue(DOMAIN, issue_id) is None


@pytest.fixture
async def proxy(simulator: PlantSimulator) -> AsyncIterator[FaultProxy]:
    """A fault proxy in front of the simulator (the fault tests' own)."""
    fault_proxy = FaultProxy(simulator.host, simulator.port)
    await fault_proxy.start()
    yield fault_proxy
    await fault_proxy.stop()


@pytest.fixture
async def proxied(
    hass: HomeAssistant, proxy: FaultProxy, _only_platforms: None
) -> AsyncIterator[MockConfigEntry]:
    """The integration set up through the proxy."""
    plant = await identify(proxy.host, proxy.port)
    entry = MockConfigEntry(
        domain=DOMAIN, title=entry_title(plant), unique_id=plant.serial, data=plant.as_data()
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    yield entry
    if entry.state.recoverable:
        await hass.config_entries.async_unload(entry.entry_id)
        await hass.async_block_till_done()
