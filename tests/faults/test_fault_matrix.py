"""The fault matrix: the real integration through faults of the network and the plant.

Each test sets up the integration (every platform, the recorder on) against
the simulator, directly or through the fault proxy, lets it poll, injects one
fault for a while, ends it, and checks what a user would see:

* the entities the fault concerns are unavailable while it lasts, and a power
  or energy sensor never shows 0 instead;
* every entity available before is available again within two poll
  intervals of its own poll after the fault ends;
* no lifetime energy sensor's recorded state ever decreases (the recorder);
* no traceback or unhandled exception in the log, one error line per
  coordinator when its poll starts failing and one when it recovers;
* no connection storm: at most one new connection attempt per 5 s tick, and
  a back-off that grows while connecting keeps failing;
* nothing written to the plant (or, where a test writes, never twice).

Each test records its measurements (recovery time, connections during the
fault) for docs/RELIABILITY.md, written with ``RELIABILITY_REPORT=1``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass, field
from datetime import timedelta
from functools import partial
from typing import TYPE_CHECKING, Any

import pytest
from homeassistant.components.recorder import get_instance, history
from homeassistant.components.switch import DOMAIN as SWITCH_DOMAIN
from homeassistant.const import (
    ATTR_ENTITY_ID,
    EVENT_STATE_CHANGED,
    SERVICE_TURN_ON,
    STATE_UNAVAILABLE,
)
from homeassistant.core import callback
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.entity_platform import async_get_platforms
from homeassistant.util import dt as dt_util
from pymodbus.client import AsyncModbusTcpClient
from pymodbus.exceptions import ModbusException
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
)

from custom_components.sigenergy_modbus.config_flow import entry_title, identify
from custom_components.sigenergy_modbus.const import DOMAIN, POLL_INTERVALS, PollGroup
from custom_components.sigenergy_modbus.entity import SigenergyEntity
from custom_components.sigenergy_modbus.protocol.registers import BY_KEY, PLANT_UNIT_ID, REGISTERS
from custom_components.sigenergy_modbus.sensor import SENSORS, Counter
from tests.clock import real_monotonic
from tests.faults.conftest import advance
from tests.faults.report import MEASUREMENTS, Measurement
from tests.helpers import device_by_identifier

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Callable, Iterator

    from freezegun.api import FrozenDateTimeFactory
    from homeassistant.core import Event, EventStateChangedData, HomeAssistant

    from simulator import PlantSimulator
    from tests.faults.proxy import FaultProxy

TICK = 5.0
"""Seconds of one step of the clock: the realtime poll's interval."""

LIFETIME = {d.key for d in SENSORS if d.counter is Counter.LIFETIME}
POWER_OR_ENERGY = {"power", "energy"}
GONE = "Cannot read the plant ({} poll"
BACK = "The plant answers again"
BAD_LOG = (
    "Traceback",
    "Task exception was never retrieved",
    "Exception in callback",
    "Unexpected error",
    "Error doing job",
    "Fatal error",
)


@dataclass
class Window:
    """What happened while a fault lasted."""

    start: float
    end: float | None = None
    connections: int = 0
    attempts: int = 0
    polls: int = 0
    attempts_per_tick: list[int] = field(default_factory=list)


class Run:
    """The integration running against the plant, watched from the outside."""

    def __init__(  # noqa: PLR0917 - the test's fixtures
        self,
        hass: HomeAssistant,
        freezer: FrozenDateTimeFactory,
        simulator: PlantSimulator,
        entry: MockConfigEntry,
        caplog: pytest.LogCaptureFixture,
        proxy: FaultProxy | None,
    ) -> None:
        """Watch a loaded entry."""
        self.hass = hass
        self.freezer = freezer
        self.simulator = simulator
        self.entry = entry
        self.caplog = caplog
        self.proxy = proxy
        self.now = 0.0
        self.started = dt_util.utcnow() - timedelta(seconds=1)  # before setup's states
        self.changes: list[tuple[float, str, str]] = []
        self.polls = dict.fromkeys(PollGroup, 0)
        self._polls_at_begin = dict(self.polls)
        self.window: Window | None = None
        self.baseline: dict[str, str] = {}
        self.recovered: dict[str, float] = {}
        self._unsub = hass.bus.async_listen(EVENT_STATE_CHANGED, self._changed)
        for group, coordinator in entry.runtime_data.coordinators.items():
            coordinator._async_update_data = self._counted(group, coordinator._async_update_data)  # type: ignore[method-assign]

    def _counted(self, group: PollGroup, update: Callable[[], Any]) -> Callable[[], Any]:
        async def counted() -> Any:
            self.polls[group] += 1
            return await update()

        return counted

    @callback
    def _changed(self, event: Event[EventStateChangedData]) -> None:
        # A callback: a plain function would run in the executor, out of order, and
        # iterate the platforms' entities while the event loop adds to them.
        new = event.data["new_state"]
        if new is not None and new.entity_id in self.entities:
            self.changes.append((self.now, new.entity_id, new.state))

    def close(self) -> None:
        """Stop watching."""
        self._unsub()

    # ------------------------------------------------------------ what is there

    @property
    def entities(self) -> dict[str, SigenergyEntity]:
        """Every entity of the integration fed by a poll, by entity id.

        The control sensors (the running action and its end) show what the
        integration does, not a register: no fault of the plant concerns them.
        """
        return {
            entity_id: entity
            for platform in async_get_platforms(self.hass, DOMAIN)
            for entity_id, entity in platform.entities.items()
            if isinstance(entity, SigenergyEntity)
        }

    @property
    def client(self) -> Any:
        """The integration's Modbus client."""
        return self.entry.runtime_data.client

    def state(self, entity_id: str) -> str:
        """An entity's state."""
        state = self.hass.states.get(entity_id)
        assert state is not None, entity_id
        return state.state

    def available(self) -> set[str]:
        """Entities that are available now."""
        return {e for e in self.entities if self.state(e) != STATE_UNAVAILABLE}

    def of_unit(self, unit_id: int) -> set[str]:
        """Entities of one unit (247: the plant)."""
        return {e for e, entity in self.entities.items() if entity.unit_id == unit_id}

    def of_key(self, *keys: str) -> set[str]:
        """Entities whose description has one of these keys."""
        return {e for e, entity in self.entities.items() if entity.entity_description.key in keys}

    def of_group(self, group: PollGroup) -> set[str]:
        """Entities fed by one coordinator."""
        return {e for e, entity in self.entities.items() if entity.coordinator.group is group}

    def polled(self) -> set[str]:
        """Entities whose coordinator has polled since the fault began."""
        return {
            e
            for e, entity in self.entities.items()
            if self.polls[entity.coordinator.group] > self._polls_at_begin[entity.coordinator.group]
        }

    def group_of(self, entity_id: str) -> PollGroup:
        """The coordinator that feeds an entity."""
        return self.entities[entity_id].coordinator.group

    def _on_the_wire(self) -> object:
        """What the integration's client waits for (a reply, a connection), if any."""
        pending = self.client.pending
        return pending if pending is not None and not pending.done() else None

    def server_connections(self) -> int:
        """Connections the server in front of the integration has accepted."""
        if self.proxy is not None:
            return self.proxy.connections
        return self.simulator.stats.connections

    def attempts(self) -> int:
        """Connection attempts the integration has made, accepted or not."""
        stats = self.client.stats
        return int(stats.connects + stats.connect_failures)

    # ------------------------------------------------------------ time

    async def tick(self, seconds: float = TICK, steps: int = 1, *, plant: bool = True) -> None:
        """Move the clock on (and, with ``plant``, the simulated plant too)."""
        for _ in range(steps):
            attempts = self.attempts()
            simulator = self.simulator if plant else None
            await advance(
                self.hass, self.freezer, seconds, 1, simulator, on_the_wire=self._on_the_wire
            )
            self.now += seconds
            if self.window is not None and self.window.end is None:
                self.window.attempts_per_tick.append(self.attempts() - attempts)

    # ------------------------------------------------------------ a fault

    def begin(self) -> None:
        """The fault starts now."""
        self.baseline = {e: self.state(e) for e in self.available()}
        self._polls_at_begin = dict(self.polls)
        self.window = Window(
            start=self.now,
            connections=self.server_connections(),
            attempts=self.attempts(),
            polls=sum(self.polls.values()),
        )
        self._log_start = len(self.caplog.records)

    def end(self) -> None:
        """The fault ends now."""
        window = self.window
        assert window is not None
        window.end = self.now
        window.connections = self.server_connections() - window.connections
        window.attempts = self.attempts() - window.attempts
        window.polls = sum(self.polls.values()) - window.polls

    async def recover(self, limit: float | None = None) -> float:
        """Tick until every entity available before the fault is available again.

        Returns the seconds from the fault's end to the last one back, and
        checks each entity came back within two intervals of its own poll.
        """
        window = self.window
        assert window is not None
        assert window.end is not None
        limit = limit or 2 * max(POLL_INTERVALS[g].total_seconds() for g in PollGroup) + TICK
        missing = set(self.baseline) - self.available()
        while missing and self.now - window.end < limit:
            await self.tick()
            back = missing & self.available()
            for entity_id in back:
                self.recovered[entity_id] = self.now - window.end
            missing -= back
        assert not missing, f"still unavailable {self.now - window.end} s after the fault"
        for entity_id, seconds in self.recovered.items():
            interval = POLL_INTERVALS[self.group_of(entity_id)].total_seconds()
            assert seconds <= 2 * interval + TICK, (entity_id, seconds)
        return max(self.recovered.values(), default=0.0)

    # ------------------------------------------------------------ checks

    def messages(self, since: int = 0) -> list[logging.LogRecord]:
        """Log records since the fault began (or since ``since``)."""
        return self.caplog.records[since or self._log_start :]

    def check_log(self, *, failed: set[PollGroup]) -> None:
        """One line when polls fail, one when they recover, for all four; nothing unhandled."""
        text = [r.getMessage() for r in self.messages()]
        gone = [g for g in PollGroup for m in text if m.startswith(GONE.format(g))]
        back = sum(m.startswith(BACK) for m in text)
        if failed:
            assert (len(gone), back) == (1, 1), (gone, back)
            assert gone[0] in failed, (gone, failed)
        else:
            assert len(gone) == back <= 1, (gone, back)
        self.check_clean()

    def check_clean(self) -> None:
        """No traceback, no unhandled exception, nothing written to the plant.

        Tracebacks at DEBUG level are left out: Home Assistant 2026.10's
        coordinator adds one ("Full error:") after each "Error fetching" line,
        and asyncio's debug mode (on in tests) one for each connection a
        fault resets; neither reaches an owner's log at its default level.
        """
        for record in self.caplog.records:
            if record.levelno > logging.DEBUG:
                assert record.exc_info is None, record.getMessage()
            message = record.getMessage()
            assert not any(bad in message for bad in BAD_LOG), message
        assert self.simulator.stats.writes == []

    def check_unavailable(self, entity_ids: set[str]) -> None:
        """These entities are unavailable now."""
        assert entity_ids
        showing = {e: self.state(e) for e in entity_ids if self.state(e) != STATE_UNAVAILABLE}
        assert not showing, showing

    def check_available(self, entity_ids: set[str]) -> None:
        """These entities are available now."""
        missing = {e for e in entity_ids if self.state(e) == STATE_UNAVAILABLE}
        assert not missing, missing

    def check_failed_polls_unavailable(self) -> None:
        """Every entity of a coordinator whose poll fails is unavailable."""
        coordinators = self.entry.runtime_data.coordinators
        failed = [g for g, c in coordinators.items() if not c.last_update_success]
        assert PollGroup.REALTIME in failed
        self.check_unavailable({e for g in failed for e in self.of_group(g)} & set(self.baseline))

    def check_never_zero(self) -> None:
        """No power or energy sensor showed 0 during the fault where it was not 0 before."""
        window = self.window
        assert window is not None
        end = window.end if window.end is not None else self.now
        for at, entity_id, state in self.changes:
            if not window.start <= at <= end:
                continue
            device_class = self.hass.states.get(entity_id).attributes.get("device_class")  # type: ignore[union-attr]
            if device_class not in POWER_OR_ENERGY:
                continue
            before = _number(self.baseline.get(entity_id))
            assert not (_number(state) == 0 and before), (entity_id, at, state)

    def lifetime_entities(self) -> list[str]:
        """The lifetime energy sensors."""
        return sorted(
            e for e, entity in self.entities.items() if entity.entity_description.key in LIFETIME
        )

    async def check_energy_never_decreases(self) -> None:
        """Neither the state machine nor the recorder ever saw a lifetime counter go down."""
        lifetime = self.lifetime_entities()
        assert lifetime
        seen: dict[str, float] = {}
        for _at, entity_id, state in self.changes:
            if entity_id in lifetime and (value := _number(state)) is not None:
                assert value >= seen.get(entity_id, value), (entity_id, seen[entity_id], value)
                seen[entity_id] = value
        await async_wait_recording_done(self.hass)
        recorded = await get_instance(self.hass).async_add_executor_job(
            partial(
                history.get_significant_states,
                self.hass,
                self.started,
                None,
                lifetime,
                significant_changes_only=False,
            )
        )
        assert set(recorded) == set(lifetime)
        for entity_id, states in recorded.items():
            values = [v for s in states if (v := _number(_state(s))) is not None]
            assert values, entity_id
            assert values == sorted(values), (entity_id, values)

    async def check_all(self, *, failed: set[PollGroup]) -> None:
        """The checks every fault passes."""
        self.check_log(failed=failed)
        self.check_never_zero()
        await self.check_energy_never_decreases()

    def check_no_storm(self) -> None:
        """At most one connection attempt a tick, never more than one a poll."""
        window = self.window
        assert window is not None
        assert max(window.attempts_per_tick, default=0) <= 1, window.attempts_per_tick
        assert window.attempts <= window.polls, (window.attempts, window.polls)

    def measure(self, order: float, fault: str, user_sees: str, recovery: float | None) -> None:
        """Record the fault's measurements for the report."""
        window = self.window
        assert window is not None
        assert window.end is not None
        back = [t for e, t in self.recovered.items() if self.group_of(e) is PollGroup.REALTIME]
        realtime = max(back) if back else None
        if not self.recovered:
            recovery = None  # nothing was lost
        MEASUREMENTS.append(
            Measurement(
                order=order,
                fault=fault,
                user_sees=user_sees,
                duration=window.end - window.start,
                recovery=recovery,
                realtime=realtime,
                connections=window.connections,
                attempts=window.attempts,
                polls=window.polls,
            )
        )


def _state(state: Any) -> str:
    return state.state if hasattr(state, "state") else str(state["state"])


def _number(state: str | None) -> float | None:
    try:
        return float(state)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None


@pytest.fixture(autouse=True)
def _quiet() -> Iterator[None]:
    """Frame dumps and SQL at DEBUG would only slow the run down."""
    names = ("pymodbus", "sqlalchemy.engine", "homeassistant.components.recorder")
    loggers = [logging.getLogger(name) for name in names]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.WARNING)
    yield
    for logger, level in zip(loggers, levels, strict=True):
        logger.setLevel(level)


async def _start(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: PlantSimulator,
    caplog: pytest.LogCaptureFixture,
    proxy: FaultProxy | None,
) -> AsyncIterator[Run]:
    """Set up the integration against the simulator (through the proxy, if any)."""
    host, port = (proxy.host, proxy.port) if proxy else (simulator.host, simulator.port)
    plant = await identify(host, port)
    entry = MockConfigEntry(
        domain=DOMAIN, title=entry_title(plant), unique_id=plant.serial, data=plant.as_data()
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    run = Run(hass, freezer, simulator, entry, caplog, proxy)
    await run.tick(steps=2)
    yield run
    run.close()
    # A test that failed mid-fault must not leave a poll waiting for a reply.
    simulator.faults.clear()
    simulator.clear_overrides()
    if proxy is not None:
        proxy.set_mode("pass")
        proxy.silent_units.clear()
        await proxy.accept()
    if not simulator.running:
        await simulator.start(simulator.host, simulator.port)
    await run.tick(steps=2)
    await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()


@pytest.fixture
async def direct(
    recorder_mock: Any,
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: PlantSimulator,
    caplog: pytest.LogCaptureFixture,
) -> AsyncIterator[Run]:
    """The integration connected straight to the simulator."""
    async for run in _start(hass, freezer, simulator, caplog, None):
        yield run


@pytest.fixture
async def proxied(  # noqa: PLR0917 - fixtures
    recorder_mock: Any,
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: PlantSimulator,
    proxy: FaultProxy,
    caplog: pytest.LogCaptureFixture,
) -> AsyncIterator[Run]:
    """The integration connected to the simulator through the fault proxy."""
    async for run in _start(hass, freezer, simulator, caplog, proxy):
        yield run


# ---------------------------------------------------------------- whole-plant faults

UNAVAILABLE = "every entity unavailable, then back"


async def _whole_plant_fault(run: Run, ticks: int = 12) -> None:
    """Let a fault that hits every request last ``ticks`` ticks (the caller starts it)."""
    await run.tick(steps=2)  # a request waits for its 1 s timeout until the next tick
    run.check_unavailable(run.of_group(PollGroup.REALTIME) & set(run.baseline))
    await run.tick(steps=ticks - 2)
    run.check_failed_polls_unavailable()


async def test_simulator_restart(direct: Run, simulator: PlantSimulator) -> None:
    """The plant's Modbus server goes away for a minute and comes back."""
    direct.begin()
    await simulator.stop()
    await direct.tick(steps=12)
    direct.check_failed_polls_unavailable()
    await simulator.start(simulator.host, simulator.port)
    direct.end()
    recovery = await direct.recover()
    await direct.check_all(failed={PollGroup.REALTIME, PollGroup.DETAIL, PollGroup.ENERGY})
    direct.check_no_storm()
    assert direct.window.connections == 0  # type: ignore[union-attr]
    direct.measure(1, "the plant's Modbus server stops, then starts again", UNAVAILABLE, recovery)


async def test_reset_mid_response(proxied: Run, proxy: FaultProxy) -> None:
    """Every response is cut after 5 bytes and the connection reset."""
    proxied.begin()
    proxy.set_mode("reset_mid_response", cut_bytes=5)
    await _whole_plant_fault(proxied)
    proxy.set_mode("pass")
    proxied.end()
    recovery = await proxied.recover()
    await proxied.check_all(failed={PollGroup.REALTIME, PollGroup.DETAIL, PollGroup.ENERGY})
    proxied.check_no_storm()
    # Accepted connections that break before answering back off like refused ones.
    assert proxied.window.attempts < len(proxied.window.attempts_per_tick)  # type: ignore[union-attr]
    proxied.measure(2, "connection reset in the middle of a response", UNAVAILABLE, recovery)


async def test_simulator_stall(direct: Run, simulator: PlantSimulator) -> None:
    """The plant hangs for a minute: requests queue, nothing answers."""
    direct.begin()
    simulator.faults.stall(None)
    await _whole_plant_fault(direct)
    simulator.faults.clear_stall()
    direct.end()
    recovery = await direct.recover()
    await direct.check_all(failed={PollGroup.REALTIME, PollGroup.DETAIL, PollGroup.ENERGY})
    direct.check_no_storm()
    direct.measure(3, "the plant stalls, far longer than the 1 s timeout", UNAVAILABLE, recovery)


async def test_half_open(proxied: Run, proxy: FaultProxy) -> None:
    """A half-open peer: connections stay up, nothing ever answers."""
    proxied.begin()
    proxy.set_mode("stall")
    await _whole_plant_fault(proxied)
    # The integration drops a connection that timed out: none piles up.
    assert proxy.active_connections <= 1
    proxy.set_mode("pass")
    proxied.end()
    recovery = await proxied.recover()
    await proxied.check_all(failed={PollGroup.REALTIME, PollGroup.DETAIL, PollGroup.ENERGY})
    proxied.check_no_storm()
    proxied.measure(4, "half-open connection: TCP stays up, nothing answers", UNAVAILABLE, recovery)


async def test_truncated_frames(proxied: Run, proxy: FaultProxy) -> None:
    """Only the first 9 bytes of every response arrive."""
    proxied.begin()
    proxy.set_mode("truncate", cut_bytes=9)
    await _whole_plant_fault(proxied)
    proxy.set_mode("pass")
    proxied.end()
    recovery = await proxied.recover()
    await proxied.check_all(failed={PollGroup.REALTIME, PollGroup.DETAIL, PollGroup.ENERGY})
    proxied.check_no_storm()
    proxied.measure(5, "truncated response frames (9 bytes of each)", UNAVAILABLE, recovery)


async def test_wrong_transaction_id(proxied: Run, proxy: FaultProxy) -> None:
    """Every response carries another request's transaction id: none is taken."""
    proxied.begin()
    proxy.set_mode("wrong_tid")
    await _whole_plant_fault(proxied)
    proxy.set_mode("pass")
    proxied.end()
    recovery = await proxied.recover()
    await proxied.check_all(failed={PollGroup.REALTIME, PollGroup.DETAIL, PollGroup.ENERGY})
    proxied.check_no_storm()
    proxied.measure(6, "wrong transaction ids in responses", UNAVAILABLE, recovery)


async def test_garbage_frames(proxied: Run, proxy: FaultProxy) -> None:
    """Responses with a valid header and a PDU that is no Modbus function."""
    proxied.begin()
    proxy.set_mode("garbage")
    await _whole_plant_fault(proxied)
    proxy.set_mode("pass")
    proxied.end()
    recovery = await proxied.recover()
    await proxied.check_all(failed={PollGroup.REALTIME, PollGroup.DETAIL, PollGroup.ENERGY})
    proxied.check_no_storm()
    proxied.measure(6.5, "garbage response frames (no Modbus function)", UNAVAILABLE, recovery)


@pytest.mark.parametrize("code", [0x04, 0x06])
async def test_exception_reply_fails_the_poll(
    direct: Run, simulator: PlantSimulator, code: int
) -> None:
    """0x04 (device failure) or 0x06 (busy) on the plant's power block fails the poll."""
    simulator.faults.exceptions[(PLANT_UNIT_ID, BY_KEY["grid_sensor_active_power"].address)] = code
    direct.begin()
    await direct.tick(steps=12)
    realtime = direct.of_group(PollGroup.REALTIME) & set(direct.baseline)
    direct.check_unavailable(realtime)
    simulator.faults.exceptions.clear()
    direct.end()
    recovery = await direct.recover()
    await direct.check_all(failed={PollGroup.REALTIME})
    assert direct.window.connections == 0  # type: ignore[union-attr] # an exception reply is an answer
    name = {0x04: "device failure", 0x06: "device busy"}[code]
    direct.measure(
        7 + (code == 0x06),
        f"exception 0x{code:02X} ({name}) on the plant's realtime block",
        "the polls reading that block fail: their entities unavailable, the rest fine",
        recovery,
    )


async def test_busy_once_in_every_poll(direct: Run, simulator: PlantSimulator) -> None:
    """Busy (0x06) once at every realtime poll: asked again, and nothing is lost."""
    client = direct.entry.runtime_data.client
    retries = client.stats.busy_retries
    address = BY_KEY["grid_sensor_active_power"].address
    direct.begin()
    for _ in range(12):
        simulator.faults.once[PLANT_UNIT_ID, address] = 0x06
        await direct.tick()
    direct.end()
    assert client.stats.busy_retries - retries >= 12  # each poll asked once more
    assert simulator.stats.exceptions.get(0x06, 0) >= 12
    await direct.check_all(failed=set())
    assert direct.window.connections == 0  # type: ignore[union-attr]
    direct.measure(
        7.5,
        "exception 0x06 (device busy) once at every realtime poll",
        "nothing: the request is asked once more after 0.3 s, every entity stays available",
        None,
    )


async def test_exception_0x02_on_one_register(direct: Run, simulator: PlantSimulator) -> None:
    """One register refused with 0x02: that entity alone is unavailable, and it is learned."""
    pv_power = direct.of_key("plant_pv_power")
    simulator.faults.exceptions[(PLANT_UNIT_ID, BY_KEY["plant_pv_power"].address)] = 0x02
    direct.begin()
    await direct.tick(steps=3)
    direct.check_unavailable(pv_power)
    direct.check_available(set(direct.baseline) - pv_power)
    refused = simulator.stats.exceptions.get(0x02, 0)
    assert refused
    await direct.tick(steps=9)
    assert simulator.stats.exceptions.get(0x02, 0) == refused  # learned: never asked again
    direct.check_unavailable(pv_power)
    direct.check_available(set(direct.baseline) - pv_power)
    simulator.faults.exceptions.clear()
    direct.end()
    # Learned as unsupported until the firmware changes or the entry reloads.
    await direct.tick(steps=12)
    direct.check_unavailable(pv_power)
    await direct.check_all(failed=set())
    assert direct.window.connections == 0  # type: ignore[union-attr]
    direct.measure(
        9,
        "exception 0x02 on one register",
        "that entity alone unavailable, learned as unsupported until the firmware changes "
        "or the entry reloads; the rest fine",
        None,
    )
    assert await direct.hass.config_entries.async_reload(direct.entry.entry_id)
    await direct.hass.async_block_till_done()
    direct.check_available(pv_power)


async def test_sentinels(direct: Run, simulator: PlantSimulator) -> None:
    """'No reading' patterns (0xFFFF, 0x8000) make the entity unavailable, never 0."""
    garbled = direct.of_key("plant_battery_soc", "plant_pv_power", "internal_temperature")
    assert len(garbled) == 3
    direct.begin()
    simulator.set_raw(PLANT_UNIT_ID, "plant_ess_soc", [0xFFFF])
    simulator.set_raw(PLANT_UNIT_ID, "plant_pv_power", [0x8000, 0x0000])
    simulator.set_raw(1, "pcs_internal_temperature", [0x8000])
    await direct.tick(steps=12)
    direct.check_unavailable(garbled)
    direct.check_available(set(direct.baseline) - garbled)
    simulator.clear_overrides()
    direct.end()
    recovery = await direct.recover()
    await direct.check_all(failed=set())
    direct.measure(
        10,
        "sentinels 0xFFFF / 0x8000 in a block",
        "those entities unavailable (not 0), the rest fine",
        recovery,
    )


@pytest.mark.parametrize("jump", [-1000.0, 10000.0])
async def test_energy_counter_jumps(direct: Run, simulator: PlantSimulator, jump: float) -> None:
    """A lifetime counter read lower, or impossibly higher, is unavailable, never recorded."""
    key = "grid_import_energy_total_legacy"
    (entity_id,) = direct.of_key("grid_import_energy")
    before = simulator.value(PLANT_UNIT_ID, key)
    assert isinstance(before, float)
    direct.begin()
    simulator.set_value(PLANT_UNIT_ID, key, max(before + jump, 0.0))
    await direct.tick(steps=24)
    direct.check_unavailable({entity_id})
    direct.check_available(set(direct.baseline) - {entity_id})
    simulator.clear_override(PLANT_UNIT_ID, key)
    direct.end()
    recovery = await direct.recover()
    await direct.check_all(failed=set())
    text = [r.getMessage() for r in direct.messages()]
    assert sum(m.startswith(f"Ignoring {key} of unit 247") for m in text) == 1
    assert sum(m == f"{key} of unit 247 is plausible again" for m in text) == 1
    assert float(direct.state(entity_id)) >= before
    what = "goes backwards (-1000 kWh)" if jump < 0 else "jumps by +10000 kWh"
    direct.measure(
        11 + (jump > 0),
        f"lifetime energy counter {what}",
        "that sensor unavailable, one warning; the recorder never sees it",
        recovery,
    )


async def test_second_client_hammering(direct: Run, simulator: PlantSimulator) -> None:
    """Another Modbus client reads in a tight loop: the integration still works."""
    stop = asyncio.Event()
    reads = [0]

    async def hammer() -> None:
        other = AsyncModbusTcpClient(simulator.host, port=simulator.port, retries=0)
        try:
            while not stop.is_set() and reads[0] < 20000:
                if not other.connected:
                    await other.connect()
                # A request in flight when the test moves the clock 5 s on
                # times out: the other client does not care, it reads on.
                with contextlib.suppress(ModbusException):
                    await other.read_input_registers(30000, count=100, device_id=PLANT_UNIT_ID)
                    reads[0] += 1
        finally:
            other.close()

    task = asyncio.ensure_future(hammer())
    direct.begin()
    realtime = direct.entry.runtime_data.coordinators[PollGroup.REALTIME]
    for _ in range(12):
        await direct.tick()
        # The other client gets the plant to itself for a while too: ten reads
        # (however long a loaded machine takes for them, within 5 s).
        target = reads[0] + 10
        deadline = real_monotonic() + 5.0
        while reads[0] < target and real_monotonic() < deadline:
            await _spin(0.005)
        assert realtime.last_update_success
        direct.check_available(set(direct.baseline))
    stop.set()
    await task
    direct.end()
    assert reads[0] > 100
    await direct.check_all(failed=set())
    direct.measure(
        13,
        f"a second Modbus client hammering the plant ({reads[0]} reads)",
        "nothing: every entity stays available",
        0.0,
    )


async def _spin(seconds: float) -> None:
    """Run the event loop for real seconds (the test clock is frozen)."""
    deadline = real_monotonic() + seconds
    while real_monotonic() < deadline:  # noqa: ASYNC110 - no event to wait for: real time
        await asyncio.sleep(0)


def _fail_unit(simulator: PlantSimulator, unit_id: int, code: int) -> None:
    """Every register, coil and input of a unit answers ``code``."""
    for register in REGISTERS:
        if register.device.value == "inverter":
            simulator.faults.exceptions[(unit_id, register.address)] = code
    for address in range(5):
        simulator.faults.exceptions[(unit_id, address)] = code


@pytest.mark.parametrize("simulator_options", [{"inverters": 3}])
@pytest.mark.parametrize("how", ["0x0B", "silent"])
async def test_one_inverter_gone(
    proxied: Run, simulator: PlantSimulator, proxy: FaultProxy, how: str
) -> None:
    """The plant answers, inverter 2 does not: only inverter 2's entities are unavailable."""
    gone = proxied.of_unit(2)
    assert gone
    proxied.begin()
    if how == "silent":
        proxy.silent_units.add(2)
    else:
        _fail_unit(simulator, 2, 0x0B)
    await proxied.tick(steps=18)
    # Settings (5 min) entities keep their last value until their next poll.
    proxied.check_unavailable(gone & set(proxied.baseline) & proxied.polled())
    proxied.check_available(set(proxied.baseline) - gone)
    proxy.silent_units.clear()
    simulator.faults.exceptions.clear()
    proxied.end()
    recovery = await proxied.recover()
    await proxied.check_all(failed=set())
    proxied.check_no_storm()
    text = [r.getMessage() for r in proxied.messages()]
    for group in (PollGroup.DETAIL, PollGroup.ENERGY):  # one line each way, per poll
        assert sum(m.startswith(f"Unit 2 does not answer the {group} poll") for m in text) == 1
        assert text.count(f"Unit 2 answers the {group} poll again") == 1
    if how == "0x0B":
        assert proxied.window.connections == 0  # type: ignore[union-attr]
    answer = "exception 0x0B (gateway target failed)" if how == "0x0B" else "no answer (timeouts)"
    proxied.measure(
        14 + (how == "silent"),
        f"3-inverter plant, inverter 2 gone: {answer}",
        "inverter 2's entities unavailable; the plant's and the other inverters' fine",
        recovery,
    )


async def test_modbus_disabled_for_an_hour(
    proxied: Run, proxy: FaultProxy, issue_registry: ir.IssueRegistry
) -> None:
    """Modbus TCP switched off for an hour: a repair issue, then everything back."""
    issue_id = f"unreachable_{proxied.entry.entry_id}"
    proxied.begin()
    await proxy.refuse()
    await proxied.tick(steps=12, plant=False)
    first_minute = sum(proxied.window.attempts_per_tick)  # type: ignore[union-attr]
    await proxied.tick(steps=12, plant=False)
    second_minute = sum(proxied.window.attempts_per_tick) - first_minute  # type: ignore[union-attr]
    assert second_minute < first_minute  # the back-off grows
    assert second_minute <= 6  # at the 10 s cap: one attempt every 5-10 s
    proxied.check_failed_polls_unavailable()
    assert issue_registry.async_get_issue(DOMAIN, issue_id) is None
    await proxied.tick(60, steps=58, plant=False)
    issue = issue_registry.async_get_issue(DOMAIN, issue_id)
    assert issue is not None
    assert issue.translation_key == "plant_unreachable"
    proxied.check_failed_polls_unavailable()
    await proxy.accept()
    proxied.end()
    recovery = await proxied.recover()
    assert issue_registry.async_get_issue(DOMAIN, issue_id) is None
    await proxied.check_all(failed=set(PollGroup))
    proxied.check_no_storm()
    assert proxied.window.connections == 0  # type: ignore[union-attr]
    proxied.measure(
        16,
        "Modbus TCP disabled: connection refused for an hour",
        "every entity unavailable; after 10 min a repair issue, gone when the plant is back",
        recovery,
    )


async def test_firmware_change(
    direct: Run, simulator: PlantSimulator, device_registry: dr.DeviceRegistry
) -> None:
    """New firmware that lacks two registers: the device shows it, the plan adapts."""
    new = "V100R002C00SPC300B001"
    inverter = device_by_identifier(
        device_registry, (DOMAIN, simulator.serial(1)), direct.entry.entry_id
    )
    assert inverter is not None
    assert inverter.sw_version != new
    lost = direct.of_key("grid_frequency", "internal_temperature")
    assert len(lost) == 2
    direct.begin()
    simulator.set_firmware(1, new)
    for key in ("grid_frequency", "pcs_internal_temperature"):
        simulator.faults.unsupported.add((1, BY_KEY[key].address))
    await direct.tick(steps=60)  # the next settings poll comes within 5 minutes
    inverter = device_by_identifier(
        device_registry, (DOMAIN, simulator.serial(1)), direct.entry.entry_id
    )
    assert inverter is not None
    assert inverter.sw_version == new
    await direct.tick(steps=12)
    refused = simulator.stats.exceptions.get(0x02, 0)
    assert refused
    await direct.tick(steps=24)
    assert simulator.stats.exceptions.get(0x02, 0) == refused  # learned again, not asked again
    direct.check_unavailable(lost)
    direct.check_available(set(direct.baseline) - lost)
    direct.end()
    await direct.check_all(failed=set())
    direct.measure(
        17,
        "firmware update that drops two registers",
        "new version on the device at the next settings poll (≤ 5 min); those two entities "
        "unavailable, learned; the rest fine",
        None,
    )


async def test_write_lost_in_a_reset_is_not_repeated(
    proxied: Run, proxy: FaultProxy, simulator: PlantSimulator
) -> None:
    """A switch whose reply is cut off fails with a translated error; the write is sent once."""
    (do1,) = proxied.of_key("do1") & proxied.of_unit(1)
    proxied.begin()
    proxy.set_mode("reset_mid_response", cut_bytes=5)
    with pytest.raises(HomeAssistantError) as err:
        await proxied.hass.services.async_call(
            SWITCH_DOMAIN, SERVICE_TURN_ON, {ATTR_ENTITY_ID: do1}, blocking=True
        )
    assert err.value.translation_key == "write_failed"
    proxy.set_mode("pass")
    proxied.end()
    await proxied.tick(steps=24)
    assert [w[:3] for w in simulator.stats.writes] == [(1, 0x05, 0)]
    simulator.stats.writes.clear()
    # The connection had answered before: the next poll reconnects at once.
    await proxied.check_all(failed=set())
