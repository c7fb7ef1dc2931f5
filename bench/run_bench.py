"""What a poll costs the inverter: the benchmark behind docs/PERFORMANCE.md.

Run it with ``scripts/bench`` (options: ``scripts/bench --help``). It is not
part of the test suite: it measures, it does not assert.

The real integration runs in the real Home Assistant of
pytest-homeassistant-custom-component against the simulator over loopback
TCP. The simulator runs in a thread of its own with its own event loop, so
that its response latency is real and the Home Assistant loop's CPU time is
the integration's alone. Every count comes from the device side (the
simulator's own counters), not from the client's bookkeeping.

Steady state is driven poll by poll on a virtual clock: the coordinators are
refreshed in the order and at the intervals Home Assistant would fire them
over a 10 minute window, and the client's clock follows that schedule.
"""

from __future__ import annotations

import asyncio
import gc
import os
import platform
import threading
import time
import tracemalloc
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from unittest.mock import patch

import pymodbus
import pytest
import pytest_socket
from homeassistant.config_entries import SOURCE_USER
from homeassistant.const import CONF_HOST, CONF_PORT
from homeassistant.const import __version__ as ha_version
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import entity_registry as er
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.sigenergy_modbus import binary_sensor, button, select, sensor, switch, units
from custom_components.sigenergy_modbus.config_flow import entry_title, identify
from custom_components.sigenergy_modbus.const import (
    CONF_SWEEP_FROM,
    DOMAIN,
    POLL_INTERVALS,
    PollGroup,
)
from custom_components.sigenergy_modbus.coordinator import (
    PlantFeatures,
    SigenergyCoordinator,
    SigenergyRuntimeData,
)
from custom_components.sigenergy_modbus.entity import targets, unique_id_for

# the package rebinds its name "number" to protocol.values.number: import from the module
from custom_components.sigenergy_modbus.number import NUMBERS
from custom_components.sigenergy_modbus.protocol.contacts import IoSupport
from custom_components.sigenergy_modbus.protocol.models import PlantInfo
from custom_components.sigenergy_modbus.protocol.planner import ReadPlanner
from custom_components.sigenergy_modbus.protocol.registers import BY_KEY, PLANT_UNIT_ID, DeviceKind
from simulator import PlantSimulator
from simulator.firmware import PROFILES

LATENCY = float(os.environ.get("BENCH_LATENCY", "0.015"))
SIZES = [int(n) for n in os.environ.get("BENCH_SIZES", "1,2,4,8,16").split(",")]
WINDOW = 600
"""Seconds of steady state to drive (two settings polls)."""
OUTPUT = os.environ.get("BENCH_OUTPUT", "docs/PERFORMANCE.md")
ORDER = [PollGroup.REALTIME, PollGroup.DETAIL, PollGroup.ENERGY, PollGroup.SETTINGS]
IDENTIFY_SIZES = [int(n) for n in os.environ.get("BENCH_IDENTIFY_SIZES", "1,3,16").split(",")]
MISSING = {"illegal_address": "0x02", "exception": "0x0B", "silent": "nothing"}
"""What absent unit ids answer, as the simulator's ``missing_ids`` names it, and as the report."""
RECHECK_PROBES = 20
"""Re-check steps measured per case, for its steady load."""
START = 1782036000.0  # 2026-06-21 10:00 UTC


class ThreadedSimulator:
    """A simulator serving from its own thread and event loop."""

    def __init__(self, **kwargs: Any) -> None:
        """Start the thread and the simulator in it."""
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.sim = PlantSimulator(**kwargs)
        self.call(self.sim.start(host="127.0.0.1", port=0))

    def call(self, coro: Any) -> Any:
        """Run a coroutine in the simulator's loop and wait for it."""
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(30)

    @property
    def requests(self) -> int:
        """Requests served so far."""
        return self.sim.stats.requests

    @property
    def registers(self) -> int:
        """Registers returned so far."""
        return self.sim.stats.registers_read

    def close(self) -> None:
        """Stop the simulator and its thread."""
        self.call(self.sim.stop())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)


@dataclass
class PollCost:
    """Device-side cost of the polls of one coordinator over the window."""

    polls: int = 0
    requests: int = 0
    registers: int = 0
    per_poll: list[int] = field(default_factory=list)

    def add(self, requests: int, registers: int) -> None:
        """Count one poll."""
        self.polls += 1
        self.requests += requests
        self.registers += registers
        self.per_poll.append(requests)


@dataclass
class Result:
    """One scenario's numbers."""

    name: str
    inverters: int
    entities: int
    startup_requests: int = 0
    startup_seconds: float = 0.0
    polls: dict[PollGroup, PollCost] = field(default_factory=dict)
    bounds: dict[PollGroup, int] = field(default_factory=dict)
    steady_rps: float = 0.0
    bound_rps: float = 0.0
    realtime_wall: float = 0.0
    realtime_requests: int = 0
    realtime_cpu: float = 0.0
    memory_kib: float = 0.0
    restart_requests: int = 0
    """Requests of a restart (the entry set up again, its counters seeded)."""
    firmware: str = "v2.9"
    first: dict[PollGroup, int] = field(default_factory=dict)
    """Requests of each poll's first refresh at setup."""
    truth: dict[PollGroup, int] = field(default_factory=dict)
    """Fewest reads given what the firmware really refuses (told, not learned)."""
    control: str = "idle"
    """``none``: the controller's own reads left out; ``idle``; ``action``: a force charge runs."""
    writes: int = 0
    """Writes the plant received at setup and by the action, before the window."""
    window_writes: int = 0
    """Writes during the window of polls."""


RESULTS: list[Result] = []


@dataclass
class Identification:
    """What identifying one plant costs: until the entry exists, and until the sweep is done."""

    inverters: int
    missing: str
    entry_requests: int = 0
    entry_seconds: float = 0.0
    sweep_ids: int = 0
    sweep_requests: int = 0
    sweep_busy: float = 0.0
    recheck_requests_per_probe: float = 0.0
    recheck_busy_per_probe: float = 0.0

    @property
    def complete_seconds(self) -> float:
        """Seconds from the owner's submit until every unit id was asked, on the sweep's pace."""
        return self.entry_seconds + self.sweep_ids * units.SWEEP_INTERVAL.total_seconds()

    @property
    def recheck_rps(self) -> float:
        """Extra steady load of the periodic re-check, requests a second."""
        return self.recheck_requests_per_probe / units.RECHECK_INTERVAL.total_seconds()


IDENTIFICATIONS: list[Identification] = []


@contextmanager
def virtual_clock(runtime: SigenergyRuntimeData) -> Iterator[Callable[[float], None]]:
    """Let the client's clock follow the bench's schedule."""
    now = [time.monotonic()]
    client = runtime.client
    original = client._clock
    client._clock = lambda: now[0]
    try:

        def advance(seconds: float) -> None:
            now[0] += seconds

        yield advance
    finally:
        client._clock = original


def lower_bound(runtime: SigenergyRuntimeData, group: PollGroup) -> int:
    """Fewest reads of <= 124 registers covering one poll's registers, with no sharing.

    The planner's greedy cover is the optimum (tests/protocol/test_planner
    checks it against an independent dynamic programme); coils and discrete
    inputs cost one read each, being other function codes.
    """
    coordinator = runtime.coordinators[group]
    planner = ReadPlanner()
    reads = sum(len(planner.plan(unit, regs)) for unit, regs in coordinator.wanted.items())
    for support in coordinator.io_units.values():
        reads += support.dry_contacts + support.digital_inputs
    return reads


def bound_on_firmware(runtime: SigenergyRuntimeData, group: PollGroup, firmware: str) -> int:
    """The fewest reads of one poll when the planner is told what the firmware refuses."""
    coordinator = runtime.coordinators[group]
    planner = ReadPlanner()
    refused = [BY_KEY[key] for key in PROFILES[firmware].refused]
    for unit_id in coordinator.wanted:
        kind = DeviceKind.PLANT if unit_id == PLANT_UNIT_ID else DeviceKind.INVERTER
        for register in refused:
            if register.device is kind:
                planner.mark_unsupported(unit_id, register)
    reads = sum(len(planner.plan(unit, regs)) for unit, regs in coordinator.wanted.items())
    for support in coordinator.io_units.values():
        reads += support.dry_contacts + support.digital_inputs
    return reads


@contextmanager
def first_refreshes(sim: ThreadedSimulator, first: dict[PollGroup, int]) -> Iterator[None]:
    """Count the requests of each coordinator's first refresh (setup's)."""
    original = SigenergyCoordinator._async_update_data

    async def counted(self: SigenergyCoordinator) -> Any:
        before = sim.requests
        try:
            return await original(self)
        finally:
            first.setdefault(self.group, sim.requests - before)

    with patch.object(SigenergyCoordinator, "_async_update_data", counted):
        yield


def enable_everything(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    """Create every entity the plant can have, enabled, before setup (as a user would)."""
    registry = er.async_get(hass)
    plant = PlantInfo.from_data(str(entry.unique_id), entry.data)
    # Whatever the plant turns out to have: registry entries of entities it
    # lacks are never used.
    everything = PlantFeatures(
        io_support=defaultdict(lambda: IoSupport(dry_contacts=True, digital_inputs=True)),
        smart_loads=frozenset(range(1, 25)),
    )
    for platform_name, descriptions in (
        ("sensor", sensor.SENSORS),
        ("binary_sensor", binary_sensor.BINARY_SENSORS),
        ("switch", switch.SWITCHES),
        ("number", NUMBERS),
        ("select", select.SELECTS),
        ("button", button.BUTTONS),
    ):
        for description, unit in targets(plant, everything, descriptions):
            registry.async_get_or_create(
                platform_name,
                DOMAIN,
                unique_id_for(plant, unit, description.key),
                config_entry=entry,
            )


async def run_scenario(
    hass: HomeAssistant,
    name: str,
    inverters: int,
    *,
    everything: bool,
    share: bool,
    firmware: str = "v2.9",
    control: str = "idle",
) -> Result:
    """Set up the integration against a fresh plant and measure it."""
    sim = ThreadedSimulator(
        inverters=inverters,
        latency=LATENCY,
        auto_advance=False,
        start_time=START,
        seed=inverters,
        firmware=firmware,
    )
    try:
        plant = await identify(sim.sim.host, sim.sim.port)
        entry = MockConfigEntry(
            domain=DOMAIN, title=entry_title(plant), unique_id=plant.serial, data=plant.as_data()
        )
        entry.add_to_hass(hass)
        if everything:
            enable_everything(hass, entry)
        result = Result(
            name=name, inverters=inverters, entities=0, firmware=firmware, control=control
        )
        patches = (
            []
            if share
            else [patch("custom_components.sigenergy_modbus.coordinator.FRESH_SHARE", -1.0)]
        )
        if control == "none":  # what polling costs without the guardrails' registers
            patches += [
                patch("custom_components.sigenergy_modbus.CONTROL_REALTIME", ()),
                patch("custom_components.sigenergy_modbus.CONTROL_SETTINGS", ()),
            ]
        for p in patches:
            p.start()
        try:
            await _measure(hass, entry, sim, result, share=share)
        finally:
            for p in patches:
                p.stop()
            await hass.config_entries.async_unload(entry.entry_id)
            await hass.config_entries.async_remove(entry.entry_id)
            await hass.async_block_till_done()
    finally:
        sim.close()
    RESULTS.append(result)
    return result


async def _measure(
    hass: HomeAssistant,
    entry: MockConfigEntry,
    sim: ThreadedSimulator,
    result: Result,
    *,
    share: bool,
) -> None:
    gc.collect()
    tracemalloc.start(25)
    before = tracemalloc.take_snapshot()
    requests, started = sim.requests, time.perf_counter()
    with first_refreshes(sim, result.first):
        assert await hass.config_entries.async_setup(entry.entry_id)
        await hass.async_block_till_done()
    result.startup_seconds = time.perf_counter() - started
    result.startup_requests = sim.requests - requests
    gc.collect()
    after = tracemalloc.take_snapshot()
    tracemalloc.stop()
    ours = [tracemalloc.Filter(True, "*custom_components/sigenergy_modbus/*", all_frames=True)]
    grown = after.filter_traces(ours).compare_to(before.filter_traces(ours), "filename")
    result.memory_kib = sum(s.size_diff for s in grown) / 1024
    result.entities = len(
        [
            e
            for e in er.async_entries_for_config_entry(er.async_get(hass), entry.entry_id)
            if not e.disabled
        ]
    )
    runtime: SigenergyRuntimeData = entry.runtime_data
    if not share:
        for coordinator in runtime.coordinators.values():
            coordinator.slower = []
    if result.control == "action":
        # A force charge for an hour: its writes happen now, the window polls while it runs.
        await hass.services.async_call(
            DOMAIN,
            "force_charge",
            {"device_id": next(iter(runtime.devices.values())), "power": 2, "duration": "01:00:00"},
            blocking=True,
        )
        assert runtime.controller.action is not None
    result.writes = len(sim.sim.stats.writes)
    result.bounds = {g: lower_bound(runtime, g) for g in ORDER}
    result.truth = {g: bound_on_firmware(runtime, g, result.firmware) for g in ORDER}
    result.polls = {g: PollCost() for g in ORDER}
    realtime: list[tuple[float, float, int]] = []
    with virtual_clock(runtime) as advance:
        for t in range(5, WINDOW + 1, 5):
            advance(5)
            for group in ORDER:
                if t % int(POLL_INTERVALS[group].total_seconds()):
                    continue
                coordinator = runtime.coordinators[group]
                requests, registers = sim.requests, sim.registers
                cpu, wall = time.thread_time(), time.perf_counter()
                await coordinator.async_refresh()
                wall, cpu = time.perf_counter() - wall, time.thread_time() - cpu
                assert coordinator.last_update_success, coordinator.last_error
                result.polls[group].add(sim.requests - requests, sim.registers - registers)
                if group is PollGroup.REALTIME:
                    realtime.append((wall, cpu, sim.requests - requests))
    result.steady_rps = sum(c.requests for c in result.polls.values()) / WINDOW
    result.window_writes = len(sim.sim.stats.writes) - result.writes
    result.realtime_wall = sum(w for w, _, _ in realtime) / len(realtime)
    result.realtime_cpu = sum(c for _, c, _ in realtime) / len(realtime)
    result.realtime_requests = round(sum(n for _, _, n in realtime) / len(realtime))
    result.bound_rps = sum(result.bounds[g] / POLL_INTERVALS[g].total_seconds() for g in ORDER)
    requests = sim.requests
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    result.restart_requests = sim.requests - requests


@pytest.fixture(autouse=True)
def _sockets(socket_enabled: None, enable_custom_integrations: None) -> None:
    pytest_socket.socket_allow_hosts(["127.0.0.1"], allow_unix_socket=True)


async def test_default_entities(hass: HomeAssistant) -> None:
    """One inverter, the default entity set: the headline numbers."""
    await run_scenario(hass, "1 inverter, default entities", 1, everything=False, share=True)


async def test_before_sharing(hass: HomeAssistant) -> None:
    """The same without reads shared between polls: the design before."""
    await run_scenario(
        hass,
        "1 inverter, default entities, no sharing between polls",
        1,
        everything=False,
        share=False,
    )


async def test_all_entities(hass: HomeAssistant) -> None:
    """One inverter with every optional entity enabled."""
    await run_scenario(hass, "1 inverter, every entity enabled", 1, everything=True, share=True)


@pytest.mark.parametrize("everything", [False, True], ids=["default", "all"])
@pytest.mark.parametrize("inverters", SIZES)
async def test_scaling(hass: HomeAssistant, inverters: int, everything: bool) -> None:
    """Plants of 1-16 inverters, default entities and all entities (a fresh Home Assistant each)."""
    which = "every entity enabled" if everything else "default entities"
    await run_scenario(
        hass, f"{inverters} inverters, {which}", inverters, everything=everything, share=True
    )


@pytest.mark.parametrize("everything", [False, True], ids=["default", "all"])
@pytest.mark.parametrize("firmware", list(PROFILES))
async def test_firmware_profiles(hass: HomeAssistant, firmware: str, everything: bool) -> None:
    """One inverter on each firmware profile: the first poll's cost, the steady one's."""
    which = "every entity enabled" if everything else "default entities"
    await run_scenario(
        hass,
        f"firmware {firmware}, {which}",
        1,
        everything=everything,
        share=True,
        firmware=firmware,
    )


@pytest.mark.parametrize("everything", [False, True], ids=["default", "all"])
@pytest.mark.parametrize("control", ["none", "idle", "action"])
async def test_control(hass: HomeAssistant, control: str, everything: bool) -> None:
    """One inverter: polling without control's reads, with control idle, during an action."""
    which = "every entity enabled" if everything else "default entities"
    await run_scenario(
        hass, f"control {control}, {which}", 1, everything=everything, share=True, control=control
    )


async def _add_by_hand(hass: HomeAssistant, host: str, port: int) -> Any:
    """The config flow as an owner runs it: Enter address, then through its progress."""
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "manual"}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_HOST: host, CONF_PORT: port}
    )
    while result["type"] is FlowResultType.SHOW_PROGRESS:
        await hass.async_block_till_done()
        result = await hass.config_entries.flow.async_configure(result["flow_id"])
    assert result["type"] is FlowResultType.CREATE_ENTRY, result
    return result["result"]


@pytest.mark.parametrize("missing", list(MISSING))
@pytest.mark.parametrize("inverters", IDENTIFY_SIZES)
async def test_identification(hass: HomeAssistant, inverters: int, missing: str) -> None:
    """Add a plant with the config flow, then let the background sweep ask every id left.

    The entry's setup is not counted (the startup figures above are). The
    sweep's steps are driven one after the other here; on the sweep's own
    pace (``units.SWEEP_INTERVAL``) they are spread over steps x interval.
    """
    sim = ThreadedSimulator(
        inverters=inverters,
        latency=LATENCY,
        auto_advance=False,
        start_time=START,
        seed=inverters,
        missing_ids=missing,
    )
    measured = Identification(inverters=inverters, missing=missing)
    try:
        with (
            patch("custom_components.sigenergy_modbus.async_setup_entry", return_value=True),
            patch("custom_components.sigenergy_modbus.async_unload_entry", return_value=True),
        ):
            requests, started = sim.requests, time.perf_counter()
            entry = await _add_by_hand(hass, sim.sim.host, sim.sim.port)
            measured.entry_seconds = time.perf_counter() - started
            measured.entry_requests = sim.requests - requests
            await hass.async_block_till_done()
            assert await hass.config_entries.async_unload(entry.entry_id)
        assert len(entry.data["inverters"]) == inverters
        assert await hass.config_entries.async_setup(entry.entry_id)
        await hass.async_block_till_done()
        plant_units = entry.runtime_data.units
        plant_units.stop()  # the bench drives the steps itself
        for coordinator in entry.runtime_data.coordinators.values():
            # No poll meanwhile: silent ids keep the sweep waiting for minutes, and the
            # requests counted here are the sweep's own.
            coordinator.update_interval = None
            coordinator._unschedule_refresh()
        requests = sim.requests
        while entry.data[CONF_SWEEP_FROM] is not None:
            started = time.perf_counter()
            await plant_units._probe_next()
            measured.sweep_busy += time.perf_counter() - started
            measured.sweep_ids += 1
        measured.sweep_requests = sim.requests - requests
        assert len(entry.data["inverters"]) == inverters
        requests, started = sim.requests, time.perf_counter()
        for _ in range(RECHECK_PROBES):
            await plant_units._probe_next()
        measured.recheck_busy_per_probe = (time.perf_counter() - started) / RECHECK_PROBES
        measured.recheck_requests_per_probe = (sim.requests - requests) / RECHECK_PROBES
        await hass.config_entries.async_unload(entry.entry_id)
        await hass.async_block_till_done()
    finally:
        sim.close()
    IDENTIFICATIONS.append(measured)


def _fmt(value: float, digits: int = 2) -> str:
    return f"{value:.{digits}f}"


def write_report() -> str:
    """Write docs/PERFORMANCE.md from the results."""
    lines = [
        "# Performance: what a poll costs the inverter",
        "",
        "Written by `scripts/bench` (see `bench/run_bench.py`); numbers from the simulator's own",
        "counters, i.e. the device side. Do not edit by hand: run `scripts/bench` again.",
        "",
        f"- Machine: {platform.machine()}, {os.cpu_count()} cores, {platform.platform()}",
        f"- Python {platform.python_version()}, Home Assistant {ha_version}, pymodbus {pymodbus.__version__}",
        f"- Simulated device latency: {LATENCY * 1000:.0f} ms a request; steady state over {WINDOW} s",
        "  of polls at the default intervals (5 s, 30 s, 60 s, 5 min).",
        "- *Bound*: the fewest reads of <= 124 registers that cover one poll's registers (the",
        "  planner's greedy cover, which the tests check against an exact optimum), plus one",
        "  read each for coils and discrete inputs. *Measured* can be below the bound because",
        "  a poll takes values another poll read moments ago in the same request.",
        "",
    ]
    for result in RESULTS:
        lines += _scenario(result)
    lines += _scaling()
    lines += _firmware()
    lines += _control()
    lines += _identification()
    text = "\n".join(lines) + "\n"
    os.makedirs(os.path.dirname(OUTPUT) or ".", exist_ok=True)
    with open(OUTPUT, "w", encoding="utf-8") as handle:
        handle.write(text)
    return text


def _scenario(result: Result) -> list[str]:
    if (
        result.inverters != 1
        or "inverters," in result.name
        or result.name.startswith(("firmware", "control"))
    ):
        return []
    lines = [
        f"## {result.name}",
        "",
        f"{result.entities} enabled entities.",
        "",
        "| poll | every | requests / poll | registers / poll | bound | measured / bound |",
        "|---|---|---|---|---|---|",
    ]
    for group in ORDER:
        cost = result.polls[group]
        per_poll = cost.requests / max(cost.polls, 1)
        bound = result.bounds[group]
        ratio = per_poll / bound if bound else 0.0
        lines.append(
            f"| {group} | {int(POLL_INTERVALS[group].total_seconds())} s | {_fmt(per_poll)} "
            f"(min {min(cost.per_poll)}, max {max(cost.per_poll)}) | {_fmt(cost.registers / max(cost.polls, 1), 1)} "
            f"| {bound} | {_fmt(ratio)} |"
        )
    expected = result.realtime_requests * LATENCY
    lines += [
        "",
        "| figure | value |",
        "|---|---|",
        f"| steady state | **{_fmt(result.steady_rps, 3)} requests/s** (bound without sharing: {_fmt(result.bound_rps, 3)}) |",
        (
            f"| startup | {result.startup_requests} requests, {_fmt(result.startup_seconds)} s "
            f"to all entities available (first setup); {result.restart_requests} requests at a "
            "restart |"
        ),
        (
            f"| realtime poll wall time (mean) | {_fmt(result.realtime_wall * 1000, 1)} ms for "
            f"{result.realtime_requests} requests "
            f"= {_fmt(result.realtime_wall / expected if expected else 0)} x requests x latency |"
        ),
        f"| realtime poll CPU on the event loop (mean) | {_fmt(result.realtime_cpu * 1000, 2)} ms |",
        f"| memory held by the integration after setup | {_fmt(result.memory_kib, 0)} KiB |",
        "",
    ]
    return lines


def _scaling() -> list[str]:
    rows = [r for r in RESULTS if "inverters," in r.name]
    if not rows:
        return []
    lines = [
        "## Scaling",
        "",
        (
            "| plant | entities | startup requests | steady requests/s | added per inverter "
            "| realtime poll | detail poll requests | memory |"
        ),
        "|---|---|---|---|---|---|---|---|",
    ]
    base: dict[bool, Result] = {}
    for r in rows:
        everything = "every" in r.name
        first = base.setdefault(everything, r)
        added = (
            _fmt((r.steady_rps - first.steady_rps) / (r.inverters - first.inverters), 3)
            if r.inverters != first.inverters
            else "-"
        )
        detail = r.polls[PollGroup.DETAIL]
        lines.append(
            f"| {r.name} | {r.entities} | {r.startup_requests} | {_fmt(r.steady_rps, 3)} | "
            f"{added} | {_fmt(r.realtime_wall * 1000, 1)} ms / "
            f"{r.realtime_requests} req | {_fmt(detail.requests / max(detail.polls, 1), 1)} | "
            f"{_fmt(r.memory_kib, 0)} KiB |"
        )
    return [*lines, ""]


def _firmware() -> list[str]:
    rows = [r for r in RESULTS if r.name.startswith("firmware")]
    if not rows:
        return []
    lines = [
        "## Firmware profiles",
        "",
        "One inverter against each of the simulator's firmware profiles (`--firmware`, see",
        "`simulator/firmware.py`): requests of each poll's *first* refresh at setup (where the",
        "planner meets the registers that firmware refuses and learns them) and of a *steady*",
        "poll afterwards (mean, min-max), against the *bound* when the planner is told what",
        "the firmware refuses. Startup counts every request of the first setup; a restart",
        "seeds its counters and reads no counter twice.",
        "",
        ("| firmware | entities | poll | first poll | steady poll | bound | startup | restart |"),
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        for n, group in enumerate(ORDER):
            cost = r.polls[group]
            steady = cost.requests / max(cost.polls, 1)
            head = f"{r.firmware} | {r.entities}" if n == 0 else " | "
            tail = f"{r.startup_requests} | {r.restart_requests}" if n == 0 else " | "
            lines.append(
                f"| {head} | {group} | {r.first.get(group, 0)} | {_fmt(steady)} "
                f"({min(cost.per_poll)}-{max(cost.per_poll)}) | {r.truth[group]} | {tail} |"
            )
    return [*lines, ""]


CONTROL_ROWS = {
    "none": "polling only (the controller's registers left out of the plan)",
    "idle": "with control: guardrails watching, no action",
    "action": "a force charge running (remote EMS on, 40032 = 2 kW)",
}


def _control() -> list[str]:
    rows = [r for r in RESULTS if r.name.startswith("control")]
    if not rows:
        return []
    lines = [
        "## Control",
        "",
        "One inverter; what control adds to polling. The guardrails (remote EMS on without an",
        "action, a value the plant changed back, a limit without effect, a blocked battery) read",
        "40029-40048, the ratings 30010/30068/30070 and the realtime powers, which the polls read",
        "anyway; an action's state of charge and deadline are watched from the same polls. The",
        "*writes*: before the window (setup, the action's) / during it.",
        "",
        "| entities | control | realtime | detail | energy | settings | requests/s | writes |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        which = "every entity" if "every" in r.name else "default"
        cells = " | ".join(_fmt(r.polls[g].requests / max(r.polls[g].polls, 1)) for g in ORDER)
        lines.append(
            f"| {which} ({r.entities}) | {CONTROL_ROWS[r.control]} | {cells} | "
            f"{_fmt(r.steady_rps, 3)} | {r.writes} / {r.window_writes} |"
        )
    return [*lines, ""]


def _identification() -> list[str]:
    if not IDENTIFICATIONS:
        return []
    sweep = units.SWEEP_INTERVAL.total_seconds()
    recheck = units.RECHECK_INTERVAL.total_seconds()
    lines = [
        "## Identification: adding a plant",
        "",
        "The config flow as an owner runs it (*Enter address*), then the background sweep of",
        "the unit ids the flow's first pass left (`units.py`). *Entry exists*: requests and",
        "seconds from submitting the address to the entry (the first pass: the plant, the ids",
        "1..N+2). *Sweep*: the ids asked after setup, their requests and the seconds the line",
        f"was busy with them; at one id every {sweep:g} s, identification is *complete* after",
        "the time shown (entry plus steps x interval). Absent ids that stay silent cost a",
        "probe timeout each: 0.25 s in the flow (four times the slowest reply, at least",
        "0.25 s), the protocol's 1 s in the sweep, where nobody waits.",
        "",
        (
            "| plant | absent ids answer | entry exists: requests | entry exists: seconds "
            "| sweep: ids | sweep: requests | sweep: line busy | complete after |"
        ),
        "|---|---|---|---|---|---|---|---|",
    ]
    for m in sorted(IDENTIFICATIONS, key=lambda m: (m.inverters, list(MISSING).index(m.missing))):
        lines.append(
            f"| {m.inverters} inverter{'s' if m.inverters > 1 else ''} | {MISSING[m.missing]} "
            f"| {m.entry_requests} | {_fmt(m.entry_seconds)} s | {m.sweep_ids} "
            f"| {m.sweep_requests} | {_fmt(m.sweep_busy, 1)} s "
            f"| {_fmt(m.complete_seconds / 60, 1)} min |"
        )
    lines += [
        "",
        "## The periodic re-check",
        "",
        f"Once swept, one unit id without a unit is asked every {recheck:g} s (a cycle of the",
        "free ids in about four hours), so that a unit added later is found without a",
        f"reconfigure. Measured over {RECHECK_PROBES} re-check steps of each plant:",
        "",
        "| plant | absent ids answer | requests a step | line busy a step | extra steady load |",
        "|---|---|---|---|---|",
    ]
    for m in sorted(IDENTIFICATIONS, key=lambda m: (m.inverters, list(MISSING).index(m.missing))):
        lines.append(
            f"| {m.inverters} inverter{'s' if m.inverters > 1 else ''} | {MISSING[m.missing]} "
            f"| {_fmt(m.recheck_requests_per_probe)} | {_fmt(m.recheck_busy_per_probe * 1000, 0)} ms "
            f"| **{_fmt(m.recheck_rps, 3)} requests/s** |"
        )
    return [*lines, ""]


@pytest.fixture(scope="session", autouse=True)
def _report() -> Iterator[None]:
    yield
    if RESULTS or IDENTIFICATIONS:
        print(write_report())
