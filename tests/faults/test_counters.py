"""Nothing lost, nothing invented: counters across restarts and midnights, values out of range.

The fault matrix's energy and plausibility rows. Each test runs the real
integration with the recorder against the simulator through the fault proxy,
which corrupts the words of read responses on the wire (``FaultProxy.patch``),
and asserts on the recorder's statistics (``statistics_short_term``: the sums
the Energy dashboard adds up), not only on states: no sum ever moves by more
than the plant made.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from itertools import pairwise
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import pytest
from homeassistant.components.recorder import get_instance, history
from homeassistant.components.sensor import SensorStateClass
from homeassistant.const import STATE_UNAVAILABLE, STATE_UNKNOWN
from homeassistant.helpers import restore_state
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import (
    async_mock_load_restore_state_from_storage,
    async_mock_restore_state_shutdown_restart,
)
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
    do_adhoc_statistics,
    statistics_during_period,
)

from custom_components.sigenergy_modbus.diagnostics import async_get_config_entry_diagnostics
from custom_components.sigenergy_modbus.protocol import codec
from custom_components.sigenergy_modbus.protocol.guard import counter_power_kw
from custom_components.sigenergy_modbus.protocol.plausibility import PlantRatings
from custom_components.sigenergy_modbus.protocol.registers import BY_KEY, PLANT_UNIT_ID
from custom_components.sigenergy_modbus.sensor import Counter
from tests.faults.test_fault_matrix import Run, _start

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from freezegun.api import FrozenDateTimeFactory
    from homeassistant.core import HomeAssistant

    from custom_components.sigenergy_modbus.protocol.registers import Register
    from simulator import PlantSimulator
    from tests.faults.proxy import FaultProxy

BERLIN = ZoneInfo("Europe/Berlin")
"""The plant's time zone in the midnight test; Home Assistant's is US/Pacific."""


@pytest.fixture(autouse=True)
def _quiet() -> None:
    """SQL and frame dumps at DEBUG would only slow the run down."""
    for name in ("pymodbus", "sqlalchemy.engine", "homeassistant.components.recorder"):
        logging.getLogger(name).setLevel(logging.WARNING)


@pytest.fixture
async def run(  # noqa: PLR0917 - fixtures
    recorder_mock: Any,
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: PlantSimulator,
    proxy: FaultProxy,
    caplog: pytest.LogCaptureFixture,
) -> AsyncIterator[Run]:
    """The integration, the recorder on, through the fault proxy."""
    async for watched in _start(hass, freezer, simulator, caplog, proxy):
        yield watched


class Counted:
    """One total_increasing sensor: its register, its unit, how fast it can grow."""

    def __init__(self, run: Run, entity_id: str) -> None:
        entity = run.entities[entity_id]
        description = entity.entity_description
        self.entity_id = entity_id
        self.unit_id = entity.unit_id
        self.register: Register = BY_KEY[description.registers[0]]
        self.daily = getattr(description, "counter", None) is Counter.DAILY
        ratings = PlantRatings.of(run.entry.runtime_data.plant)
        self.max_kw = counter_power_kw(self.register.key, self.unit_id, ratings)

    def truth(self, simulator: PlantSimulator) -> float:
        value = simulator.value(self.unit_id, self.register.key)
        assert isinstance(value, float)
        return value

    def words(self, value: float) -> list[int]:
        register = self.register
        return codec.encode_value(register.data_type, round(value, 2), register.gain)


def counters(run: Run) -> dict[str, Counted]:
    """Every total_increasing sensor of the plant."""
    found = {
        entity_id: Counted(run, entity_id)
        for entity_id in run.entities
        if (state := run.hass.states.get(entity_id)) is not None
        and state.attributes.get("state_class") == SensorStateClass.TOTAL_INCREASING
    }
    assert any(c.daily for c in found.values())
    assert any(not c.daily for c in found.values())
    return found


async def reload(run: Run, *, forget: dict[str, Any] | None = None) -> None:
    """Home Assistant restarts: the entry unloads, the restore state is saved and read back.

    ``forget``: the test's ``hass_storage``, to restart without the counters'
    restore data, as on the first start after an update to the version that
    stores it (before it their sensors kept none).
    """
    hass = run.hass
    ours = set(run.entities)
    assert await hass.config_entries.async_unload(run.entry.entry_id)
    await hass.async_block_till_done()
    await async_mock_restore_state_shutdown_restart(hass)
    if forget is not None:
        stored = forget[restore_state.STORAGE_KEY]["data"]
        kept = [s for s in stored if s["state"]["entity_id"] not in ours]
        assert len(kept) < len(stored)
        forget[restore_state.STORAGE_KEY]["data"] = kept
        await async_mock_load_restore_state_from_storage(hass)
    assert await hass.config_entries.async_setup(run.entry.entry_id)
    await hass.async_block_till_done()
    for group, coordinator in run.entry.runtime_data.coordinators.items():
        coordinator._async_update_data = run._counted(group, coordinator._async_update_data)  # type: ignore[method-assign]


async def statistics(run: Run, since: datetime, entity_ids: set[str]) -> dict[str, list[Any]]:
    """Compile every 5-minute period since ``since``, and return the short-term statistics."""
    hass = run.hass
    first = since.replace(second=0, microsecond=0) - timedelta(minutes=since.minute % 5)
    start = first
    while start + timedelta(minutes=5) <= dt_util.utcnow():
        do_adhoc_statistics(hass, start=start)
        start += timedelta(minutes=5)
    await async_wait_recording_done(hass)
    return await get_instance(hass).async_add_executor_job(
        statistics_during_period, hass, first, None, entity_ids, "5minute", None, {"sum", "state"}
    )


async def recorded(run: Run, since: datetime, entity_ids: list[str]) -> dict[str, list[str]]:
    """Every state the recorder holds for these entities since ``since``."""
    await async_wait_recording_done(run.hass)
    states = await get_instance(run.hass).async_add_executor_job(
        lambda: history.get_significant_states(
            run.hass, since, None, entity_ids, significant_changes_only=False
        )
    )
    return {e: [s.state for s in states.get(e, [])] for e in entity_ids}


def _number(state: str) -> float | None:
    try:
        return float(state)
    except ValueError:
        return None


def energy_of(states: list[str]) -> float:
    """The energy Home Assistant counts from a total_increasing state series (a fall: a reset)."""
    total, last = 0.0, None
    for state in states:
        value = _number(state)
        if value is None:
            continue
        if last is not None:
            total += value - last if value >= last else value
        last = value
    return total


class Truth:
    """What each counter really counted, sampled from the plant after every tick."""

    def __init__(self, simulator: PlantSimulator, counted: dict[str, Counted]) -> None:
        self.simulator = simulator
        self.counted = counted
        self.samples: dict[str, list[str]] = {e: [] for e in counted}
        self.sample()

    def sample(self) -> None:
        for entity_id, counter in self.counted.items():
            self.samples[entity_id].append(str(counter.truth(self.simulator)))

    async def tick(self, run: Run, steps: int) -> None:
        for _ in range(steps):
            await run.tick(60)
            self.sample()

    def made(self, entity_id: str) -> float:
        """The energy the plant made on this counter (a fall of a daily counter: midnight)."""
        return energy_of(self.samples[entity_id])


def check_sums(
    rows: dict[str, list[Any]], truth: Truth, entity_ids: set[str], withheld: float = 0.0
) -> None:
    """The statistics count what the plant made, never more, never a fall.

    ``withheld``: energy the plant made that its counter never showed (a
    counter that came back lower), so the statistics cannot have it either.
    """
    for entity_id in entity_ids:
        counter = truth.counted[entity_id]
        series = rows[entity_id]
        assert len(series) >= 3, entity_id
        sums = [row["sum"] for row in series]
        for before, after in pairwise(sums):
            assert 0.0 <= after - before <= counter.max_kw * 5 / 60 + 1.0, (entity_id, sums)
        made = truth.made(entity_id)
        # The periods cover the run but its first and last minutes: at most two periods less.
        low = made - withheld - counter.max_kw * 10 / 60 - 0.02
        assert low <= sums[-1] - sums[0] <= made + 0.02, (
            entity_id,
            sums,
            made,
        )


# ---------------------------------------------------------------- restarts


def bad_value(counter: Counted, truth: float, kind: str) -> list[int]:
    """What a counter reads after the restart, for each kind of misreading."""
    register = counter.register
    if kind == "zero":
        return [0] * register.count
    if kind == "max":  # the largest value the type holds (all ones is 'no reading')
        return codec.int_to_words(register.data_type, (1 << (16 * register.count)) - 2)
    if kind == "down":
        return counter.words(truth / 2 if counter.daily else max(truth - 1000.0, 0.0))
    return counter.words(truth + (1e7 if counter.daily else 10000.0))


RESTARTS = {
    "zero": "a restart while every counter reads 0",
    "max": "a restart while every counter reads its type's maximum",
    "down": "a restart while every counter reads lower (lifetime -1000 kWh, daily half)",
    "up": "a restart while every counter reads higher (lifetime +10000 kWh, daily +1e7)",
}


@pytest.mark.parametrize("kind", list(RESTARTS))
async def test_restart_while_every_counter_misreads(
    run: Run, simulator: PlantSimulator, proxy: FaultProxy, kind: str
) -> None:
    """The first readings after a restart are judged against what the owner's statistics hold."""
    since = dt_util.utcnow()
    counted = counters(run)
    truth = Truth(simulator, counted)
    await truth.tick(run, 6)
    run.begin()
    for counter in counted.values():
        words = bad_value(counter, counter.truth(simulator), kind)
        proxy.patch(counter.unit_id, counter.register.address, words)
    await reload(run)
    run.check_unavailable(set(counted))  # from the first poll on: nothing published
    run.check_available(set(run.baseline) - set(counted))
    await truth.tick(run, 3)
    run.check_unavailable(set(counted))
    proxy.unpatch()
    run.end()
    recovery = await run.recover()
    await truth.tick(run, 7)
    await run.check_all(failed=set())
    check_sums(await statistics(run, since, set(counted)), truth, set(counted))
    for entity_id, counter in counted.items():
        assert (
            abs(float(run.state(entity_id)) - counter.truth(simulator))
            <= counter.max_kw / 60 + 0.01
        )
    text = [r.getMessage() for r in run.messages()]
    for counter in counted.values():
        ignoring = f"Ignoring {counter.register.key} of unit {counter.unit_id}"
        assert sum(m.startswith(ignoring) for m in text) == 1, ignoring
    run.measure(
        20 + list(RESTARTS).index(kind) / 10,
        RESTARTS[kind],
        "every energy sensor unavailable until its true value is back; the statistics' "
        "sums move by what the plant made, never by the misreading",
        recovery,
    )


async def test_restart_without_a_restore_state_is_judged_by_the_recorder(
    run: Run, simulator: PlantSimulator, proxy: FaultProxy, hass_storage: dict[str, Any]
) -> None:
    """The first start after an update: no restore state yet, the recorder's statistics seed."""
    since = dt_util.utcnow()
    counted = counters(run)
    truth = Truth(simulator, counted)
    await truth.tick(run, 6)
    await statistics(run, since, set(counted))  # what the recorder holds when it restarts
    run.begin()
    for counter in counted.values():
        proxy.patch(counter.unit_id, counter.register.address, [0] * counter.register.count)
    await reload(run, forget=hass_storage)
    run.check_unavailable(set(counted))
    await truth.tick(run, 3)
    run.check_unavailable(set(counted))
    proxy.unpatch()
    run.end()
    recovery = await run.recover()
    await truth.tick(run, 7)
    await run.check_all(failed=set())
    check_sums(await statistics(run, since, set(counted)), truth, set(counted))
    run.measure(
        20.5,
        "a restart without restore state (first start after an update) while counters read 0",
        "energy sensors unavailable until their true value is back, judged by the "
        "recorder's statistics",
        recovery,
    )


# ---------------------------------------------------------------- daily counters


@pytest.mark.parametrize(
    "simulator_options", [{"start_time": datetime(2026, 6, 21, 23, 50, tzinfo=BERLIN)}]
)
async def test_daily_counters_restart_at_the_plants_midnight_and_only_then(
    run: Run, simulator: PlantSimulator, proxy: FaultProxy
) -> None:
    """A 0 five minutes before the plant's midnight is refused; the midnight reset is not.

    The plant is in Berlin, Home Assistant in US/Pacific: its midnight is nine
    hours away, so only the plant's own clock can tell.
    """
    since = dt_util.utcnow()
    counted = counters(run)
    daily = {e: c for e, c in counted.items() if c.daily and c.truth(simulator) > 0}
    assert daily
    truth = Truth(simulator, daily)
    await truth.tick(run, 3)  # 23:53
    run.begin()
    for counter in daily.values():
        proxy.patch(counter.unit_id, counter.register.address, [0] * counter.register.count)
    await truth.tick(run, 2)  # 23:55: a reset that is none
    run.check_unavailable(set(daily))
    proxy.unpatch()
    run.end()
    recovery = await run.recover()
    truth.sample()
    before_midnight = {e: float(run.state(e)) for e in daily}
    await truth.tick(run, 14)  # through midnight, to 00:10
    local = datetime.fromtimestamp(simulator.time, BERLIN)
    assert (local.hour, local.minute) == (0, 10)
    for entity_id, counter in daily.items():
        value = float(run.state(entity_id))
        assert value < before_midnight[entity_id] or before_midnight[entity_id] == 0.0
        assert value == pytest.approx(counter.truth(simulator), abs=counter.max_kw / 60 + 0.01)
    # Since midnight, every poll published: no energy sensor waited for a later one.
    midnight = run.now - 10 * 60
    unavailable = [
        (at, e)
        for at, e, s in run.changes
        if e in daily and s == STATE_UNAVAILABLE and at > midnight
    ]
    assert unavailable == []
    # Not check_never_zero: at midnight the grid power really is 0 now and then.
    run.check_log(failed=set())
    await run.check_energy_never_decreases()
    states = await recorded(run, since, sorted(daily))
    for entity_id in daily:
        values = [v for s in states[entity_id] if (v := _number(s)) is not None]
        falls = [(a, b) for a, b in pairwise(values) if b < a]
        assert len(falls) == 1, (entity_id, values)  # at midnight, once
    check_sums(await statistics(run, since, set(daily)), truth, set(daily))
    run.measure(
        22,
        "daily counters read 0 at 23:55, then the plant's midnight (its time zone, not "
        "Home Assistant's)",
        "the false reset: unavailable; the midnight reset: published at the first poll "
        "after it; the sums count each day once",
        recovery,
    )


async def test_daily_counter_zero_mid_day_then_an_impossible_jump(
    run: Run, simulator: PlantSimulator, proxy: FaultProxy
) -> None:
    """The campaign's finding: 0 mid-day, then 1e7 kWh; neither reaches the statistics."""
    since = dt_util.utcnow()
    counted = counters(run)
    daily = {e: c for e, c in counted.items() if c.daily and c.truth(simulator) > 0}
    truth = Truth(simulator, daily)
    await truth.tick(run, 5)
    run.begin()
    for counter in daily.values():
        proxy.patch(counter.unit_id, counter.register.address, [0] * counter.register.count)
    await truth.tick(run, 3)
    run.check_unavailable(set(daily))
    for counter in daily.values():
        proxy.patch(counter.unit_id, counter.register.address, counter.words(1e7))
    await truth.tick(run, 3)
    run.check_unavailable(set(daily))
    proxy.unpatch()
    run.end()
    recovery = await run.recover()
    await truth.tick(run, 6)
    await run.check_all(failed=set())
    states = await recorded(run, since, sorted(daily))
    for entity_id in daily:
        values = [v for s in states[entity_id] if (v := _number(s)) is not None]
        assert values == sorted(values), entity_id
        assert max(values) < 1e6, entity_id
    check_sums(await statistics(run, since, set(daily)), truth, set(daily))
    run.measure(
        23,
        "daily counters read 0 mid-day for 3 min, then 1e7 kWh for 3 min",
        "those sensors unavailable; nothing reaches the statistics",
        recovery,
    )


# ---------------------------------------------------------------- a power cut


async def test_lifetime_counter_slightly_lower_after_a_power_cut(
    run: Run, simulator: PlantSimulator, proxy: FaultProxy, caplog: pytest.LogCaptureFixture
) -> None:
    """The counter comes back 3 kWh lower and counts on from there: its last value is held."""
    since = dt_util.utcnow()
    counted = counters(run)
    (entity_id,) = run.of_key("plant_pv_energy")
    counter = counted[entity_id]
    truth = Truth(simulator, {entity_id: counter})
    await truth.tick(run, 2)
    held = float(run.state(entity_id))
    run.begin()
    seen = []
    for _ in range(30):
        lower = counter.words(counter.truth(simulator) - 3.0)
        proxy.patch(PLANT_UNIT_ID, counter.register.address, lower)
        await truth.tick(run, 1)
        seen.append(float(run.state(entity_id)))  # never unavailable
    proxy.unpatch()
    run.end()
    await run.check_all(failed=set())
    assert seen[:5] == [held] * 5  # held ...
    assert seen[-1] > held  # ... until the counter, 3 kWh behind, passed it
    assert seen == sorted(seen)
    ours = [r for r in run.messages() if r.name.startswith("custom_components")]
    assert not [r for r in ours if r.levelno >= logging.WARNING]
    assert sum("slightly lower" in r.getMessage() for r in ours) == 1
    # The 3 kWh the counter lost in the power cut are no energy anybody can count.
    check_sums(await statistics(run, since, {entity_id}), truth, {entity_id}, withheld=3.0)
    run.measure(
        24,
        "a lifetime counter comes back 3 kWh lower after a power cut, and counts on",
        "nothing: the sensor holds its last value until the counter passes it; one info "
        "line, no warning",
        None,
    )


# ---------------------------------------------------------------- out of range


def _flipped(words: list[int]) -> list[int]:
    """The words with the high byte of the low word flipped, as a bad frame does."""
    return [*words[:-1], words[-1] ^ 0xFF00]


async def test_values_outside_their_range_are_no_reading(
    run: Run, simulator: PlantSimulator, proxy: FaultProxy
) -> None:
    """SOC 150 %, PV power 2,147,483.647 kW, a flipped byte, and the rest of each kind."""
    since = dt_util.utcnow()
    soc = BY_KEY["plant_ess_soc"]
    active = BY_KEY["active_power"]
    cases = {  # entity key: (unit id, register, words on the wire)
        "plant_battery_soc": (PLANT_UNIT_ID, soc, [1500]),  # 150.0 %
        "battery_soc": (1, BY_KEY["ess_soc"], [2000]),  # 200.0 %
        "plant_pv_power": (PLANT_UNIT_ID, BY_KEY["plant_pv_power"], [0x7FFF, 0xFFFF]),
        "active_power": (1, active, _flipped(simulator.words(1, "active_power"))),
        "battery_temperature": (1, BY_KEY["ess_average_cell_temperature"], [0x7FFF]),
        "grid_frequency": (1, BY_KEY["grid_frequency"], [0xFFFE]),
        "battery_cell_voltage": (1, BY_KEY["ess_average_cell_voltage"], [0xFFFE]),
        "battery_soh": (1, BY_KEY["ess_soh"], [0x8000]),
    }
    flipped = codec.decode(active, cases["active_power"][2])
    assert abs(flipped) > 24.0  # type: ignore[arg-type] # twice the 12 kW rating
    run.begin()
    for unit_id, register, words in cases.values():
        proxy.patch(unit_id, register.address, words)
    proxy.patch(PLANT_UNIT_ID, BY_KEY["plant_alarm_7"].address, [0xFFFF])
    proxy.patch(PLANT_UNIT_ID, BY_KEY["plant_running_state"].address, [99])
    await run.tick(steps=12)
    wrong = run.of_key(*cases) | run.of_key("plant_alarm_7", "plant_alarm_7_active")
    run.check_unavailable(wrong)
    (running,) = run.of_key("plant_running_state")
    assert run.state(running) == STATE_UNKNOWN
    run.check_available(set(run.baseline) - wrong - {running})
    diagnostics = await async_get_config_entry_diagnostics(run.hass, run.entry)
    implausible = diagnostics["implausible_values"]
    for unit_id, register, _words in cases.values():
        assert implausible[unit_id][register.key] >= 1, register.key
    assert implausible[PLANT_UNIT_ID]["plant_running_state"] >= 1
    assert "plant_alarm_7" not in implausible[PLANT_UNIT_ID]  # all ones: no reading, not wrong
    proxy.unpatch()
    run.end()
    recovery = await run.recover()
    await run.check_all(failed=set())
    text = [r.getMessage() for r in run.messages() if r.name.startswith("custom_components")]
    for unit_id, register, _words in cases.values():
        assert sum(m.startswith(f"Ignoring {register.key} of unit {unit_id}") for m in text) == 1
    bad = {}
    for key, (unit_id, register, words) in cases.items():
        (entity_id,) = run.of_key(key) & run.of_unit(unit_id)
        bad[entity_id] = codec.decode(register, words)
    states = await recorded(run, since, sorted(bad))
    for entity_id, series in states.items():
        values = {v for s in series if (v := _number(s)) is not None}
        assert bad[entity_id] not in values, (entity_id, bad[entity_id])
    run.measure(
        25,
        "values outside their range: SOC 150 % and 200 %, PV power 2,147,483.647 kW, a "
        "flipped byte (active power), 3276.7 °C, 655.34 Hz, a cell at 65.534 V, SOH 3276.8 %; "
        "alarm 7 all ones; running state 99",
        "those entities unavailable (the running state unknown), one warning each, counted "
        "in the diagnostics; never recorded; the rest fine",
        recovery,
    )
