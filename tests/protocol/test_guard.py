"""CounterGuard: energy counters publish no energy the plant did not make (pure, no sockets)."""

from __future__ import annotations

import pytest

from custom_components.sigenergy_modbus.protocol.guard import (
    DAY,
    HOUR,
    CounterGuard,
    CounterKind,
    CounterSpec,
    Moment,
    Verdict,
    counter_kind,
    counter_power_kw,
    counter_specs,
)
from custom_components.sigenergy_modbus.protocol.models import (
    AcChargerInfo,
    InverterInfo,
    PlantInfo,
)
from custom_components.sigenergy_modbus.protocol.plausibility import PlantRatings

KEY = "pv_energy_total"
LIFETIME = CounterSpec(CounterKind.LIFETIME, 10.0)
RESETTABLE = CounterSpec(CounterKind.RESETTABLE, 10.0)
DAILY = CounterSpec(CounterKind.DAILY, 10.0)
NOON = 10 * DAY + 12 * HOUR
"""A plant-local noon, on the guard's local scale."""


def at(seconds: float, *, zone: float = 0.0) -> Moment:
    """A moment ``seconds`` after an epoch-like start, the plant ``zone`` hours ahead."""
    return Moment(now=seconds, local=seconds + zone * HOUR)


def guard_of(spec: CounterSpec = LIFETIME, **kwargs: float) -> CounterGuard:
    return CounterGuard({KEY: spec}, **kwargs)  # type: ignore[arg-type]


def started(guard: CounterGuard, value: float, when: float = 0.0) -> None:
    """Give the guard a confirmed value: a first reading and one that agrees."""
    assert guard.check(KEY, value, at(when)).provisional
    assert guard.check(KEY, value, at(when)) == Verdict(value)


# ---------------------------------------------------------------- first readings


def test_a_first_reading_waits_for_a_second_that_agrees() -> None:
    guard = guard_of()
    verdict = guard.check(KEY, 1234.5, at(0.0))
    assert verdict == Verdict(None, "a first reading, to be confirmed", provisional=True)
    assert guard.last(KEY) is None
    assert guard.check(KEY, 1234.6, at(60.0)) == Verdict(1234.6)
    assert guard.last(KEY) == 1234.6
    assert guard.last_at(KEY) == 60.0


def test_a_garbage_first_reading_is_never_published() -> None:
    """1e9 first, then the true value: the true value becomes the candidate, then confirmed."""
    guard = guard_of()
    assert guard.check(KEY, 1e9, at(0.0)).provisional
    verdict = guard.check(KEY, 15077.61, at(1.0))
    assert verdict == Verdict(None, "15077.61 does not confirm 1000000000.0", provisional=True)
    assert guard.check(KEY, 15077.62, at(61.0)) == Verdict(15077.62)


def test_a_second_reading_too_high_does_not_confirm() -> None:
    guard = guard_of()
    guard.check(KEY, 100.0, at(0.0))
    assert guard.check(KEY, 1e9, at(1.0)).value is None
    assert guard.last(KEY) is None


def test_none_is_no_reading() -> None:
    guard = guard_of()
    assert guard.check(KEY, None, at(0.0)) == Verdict(None, "no reading")
    assert guard.last(KEY) is None
    started(guard, 10.0)
    assert guard.check(KEY, None, at(60.0)) == Verdict(None, "no reading")
    assert guard.last(KEY) == 10.0


# ---------------------------------------------------------------- seeds


def test_a_seed_judges_the_first_reading_at_once() -> None:
    """After a restart a 0, the maximum, a jump up or down are failed reads; the truth is not."""
    for bad in (0.0, 2**64 / 100, 4044.22 - 500, 4044.22 + 500):
        guard = guard_of()
        guard.seed(KEY, 4044.22, at=-HOUR)
        assert guard.check(KEY, bad, at(0.0)).value is None, bad
        assert guard.last(KEY) == 4044.22
    guard = guard_of()
    guard.seed(KEY, 4044.22, at=-HOUR)
    assert guard.check(KEY, 4044.51, at(0.0)) == Verdict(4044.51)


def test_a_seed_allows_what_the_plant_made_while_home_assistant_was_down() -> None:
    guard = guard_of()  # 10 kW
    guard.seed(KEY, 100.0, at=0.0)
    assert guard.check(KEY, 180.0, at(8 * HOUR)) == Verdict(180.0)  # 8 h at 10 kW
    guard = guard_of()
    guard.seed(KEY, 100.0, at=0.0)
    assert guard.check(KEY, 181.5, at(8 * HOUR)).value is None


def test_a_counter_awaiting_its_seed_publishes_nothing_until_it_comes() -> None:
    """The seed may come after the first poll: the latest reading waits and is judged then."""
    for bad in (0.0, 2**64 / 100, 4044.22 - 500, 4044.22 + 500):
        guard = guard_of()
        guard.await_seed(KEY)
        assert guard.check(KEY, 4044.3, at(0.0)).awaiting
        verdict = guard.check(KEY, bad, at(1.0))
        assert verdict == Verdict(
            None, "awaiting its last value from Home Assistant", awaiting=True
        )
        assert guard.awaiting() == {KEY}
        assert guard.last(KEY) is None
        judged = guard.seed(KEY, 4044.22, at=-HOUR)  # judges the latest, the bad one
        assert judged is not None
        assert judged.value is None, bad
        assert guard.awaiting() == frozenset()
        assert guard.last(KEY) == 4044.22
    guard = guard_of()
    guard.await_seed(KEY)
    assert guard.check(KEY, 4044.51, at(0.0)).awaiting
    assert guard.seed(KEY, 4044.22, at=-HOUR) == Verdict(4044.51)
    assert guard.last(KEY) == 4044.51
    assert guard.check(KEY, 4044.6, at(60.0)) == Verdict(4044.6)


def test_a_seed_that_comes_before_any_reading_judges_the_first_one() -> None:
    guard = guard_of()
    guard.await_seed(KEY)
    assert guard.seed(KEY, 100.0, at=0.0) is None
    assert guard.check(KEY, 0.0, at(60.0)).value is None
    assert guard.check(KEY, 100.1, at(120.0)) == Verdict(100.1)


def test_a_counter_without_a_seed_is_judged_as_a_new_one() -> None:
    """Home Assistant holds nothing: the kept reading is a first reading, to be confirmed."""
    guard = guard_of()
    guard.await_seed(KEY)
    assert guard.check(KEY, 1234.5, at(0.0)).awaiting
    verdict = guard.unseeded(KEY)
    assert verdict == Verdict(None, "a first reading, to be confirmed", provisional=True)
    assert guard.check(KEY, 1234.6, at(60.0)) == Verdict(1234.6)
    guard = guard_of()
    guard.await_seed(KEY)
    assert guard.unseeded(KEY) is None  # nothing read yet
    assert guard.check(KEY, 5.0, at(0.0)).provisional


# ---------------------------------------------------------------- lifetime counters


def test_lower_value_is_rejected_then_normal_values_accepted() -> None:
    guard = guard_of()
    started(guard, 100.0)
    verdict = guard.check(KEY, 0.0, at(10.0))
    assert verdict == Verdict(None, "went back from 100.0 to 0.0")
    assert guard.last(KEY) == 100.0
    assert guard.check(KEY, 100.2, at(20.0)) == Verdict(100.2)


def test_equal_value_is_accepted() -> None:
    guard = guard_of()
    started(guard, 50.0)
    assert guard.check(KEY, 50.0, at(5.0)) == Verdict(50.0)


def test_jump_beyond_what_the_plant_can_produce() -> None:
    guard = guard_of()
    started(guard, 100.0)
    # One hour at 10 kW, plus 1 kWh of slack: 111 kWh at most.
    assert guard.check(KEY, 111.01, at(HOUR)) == Verdict(None, "jumped from 100.0 to 111.01")
    assert guard.last(KEY) == 100.0
    assert guard.check(KEY, 111.0, at(HOUR)) == Verdict(111.0)


def test_jump_limit_right_after_a_reading() -> None:
    """Within the same second only the 1 kWh slack applies, whatever the rating."""
    guard = guard_of(CounterSpec(CounterKind.LIFETIME, 1000.0))
    started(guard, 100.0)
    assert guard.check(KEY, 101.5, at(0.0)).value is None
    assert guard.check(KEY, 101.0, at(0.0)) == Verdict(101.0)


def test_clock_going_backwards_does_not_widen_the_limit() -> None:
    guard = guard_of()
    started(guard, 100.0, 10 * HOUR)
    assert guard.check(KEY, 102.0, at(0.0)).value is None  # negative time counts as none
    assert guard.check(KEY, 100.5, at(0.0)) == Verdict(100.5)


def test_a_slight_drop_after_a_power_cut_is_held_until_the_counter_passes_it() -> None:
    guard = guard_of()  # 10 kW: up to 10 kWh, and 10 % of the value, is slight
    started(guard, 15000.0)
    verdict = guard.check(KEY, 14996.5, at(60.0))
    assert verdict == Verdict(15000.0, "reads 14996.5, slightly lower than 15000.0", held=True)
    for step in range(2, 30):  # held, every poll, as long as it reads lower
        assert guard.check(KEY, 14996.5 + step * 0.1, at(60.0 * step)).held
    assert guard.last(KEY) == 15000.0
    assert guard.check(KEY, 15000.2, at(1800.0)) == Verdict(15000.2)


def test_a_big_drop_is_no_power_cut() -> None:
    guard = guard_of()
    started(guard, 15000.0)
    assert guard.check(KEY, 14989.0, at(60.0)).value is None  # more than 1 h at 10 kW
    guard = guard_of()
    started(guard, 50.0)
    assert guard.check(KEY, 44.0, at(60.0)).value is None  # more than 10 %
    assert guard.check(KEY, 45.5, at(60.0)).held


def test_only_resetting_counters_are_ever_taken_lower() -> None:
    """A counter the protocol never resets stays unpublished however long it reads lower."""
    guard = guard_of(accept_reset_after=3)
    started(guard, 5000.0)
    for step in range(1, 20):
        assert guard.check(KEY, 1.0 + step, at(float(step))).value is None
    assert guard.last(KEY) == 5000.0
    assert guard.check(KEY, 5000.5, at(30.0)) == Verdict(5000.5)


# ---------------------------------------------------------------- the "new statistics" counters


def test_legitimate_reset_is_accepted_once() -> None:
    guard = guard_of(RESETTABLE, accept_reset_after=3)
    started(guard, 5000.0)
    assert guard.check(KEY, 0.0, at(10.0)).value is None
    assert guard.check(KEY, 0.1, at(20.0)).value is None
    verdict = guard.check(KEY, 0.1, at(30.0))
    assert verdict == Verdict(0.1, "accepted a counter reset from 5000.0 to 0.1")
    assert guard.last(KEY) == 0.1
    assert guard.check(KEY, 0.3, at(40.0)) == Verdict(0.3)
    assert guard.check(KEY, 0.2, at(50.0)).value is None


def test_default_reset_needs_ten_reads() -> None:
    guard = guard_of(RESETTABLE)
    started(guard, 5000.0)
    verdicts = [guard.check(KEY, 1.0 + n / 100, at(10.0 * n)) for n in range(1, 11)]
    assert [v.value for v in verdicts[:9]] == [None] * 9
    assert verdicts[9].value == pytest.approx(1.1)


def test_lower_run_interrupted_by_an_even_lower_value_restarts() -> None:
    guard = guard_of(RESETTABLE, accept_reset_after=3)
    started(guard, 5000.0)
    assert guard.check(KEY, 10.0, at(1.0)).value is None
    assert guard.check(KEY, 11.0, at(2.0)).value is None
    assert guard.check(KEY, 5.0, at(3.0)).value is None  # lower again: the count restarts
    assert guard.check(KEY, 5.0, at(4.0)).value is None
    assert guard.check(KEY, 6.0, at(5.0)).value == 6.0


def test_lower_run_interrupted_by_a_good_value_restarts() -> None:
    guard = guard_of(RESETTABLE, accept_reset_after=3)
    started(guard, 5000.0)
    assert guard.check(KEY, 0.0, at(1.0)).value is None
    assert guard.check(KEY, 0.0, at(2.0)).value is None
    assert guard.check(KEY, 5000.1, at(3.0)) == Verdict(5000.1)  # a glitch, not a reset
    assert guard.check(KEY, 0.0, at(4.0)).value is None
    assert guard.check(KEY, 0.0, at(5.0)).value is None
    assert guard.check(KEY, 0.0, at(6.0)).value == 0.0


def test_rejected_jump_still_ends_a_lower_run() -> None:
    """A value above the last good one ends a lower run, even one rejected as a jump."""
    guard = guard_of(CounterSpec(CounterKind.RESETTABLE, 1.0), accept_reset_after=2)
    started(guard, 100.0)
    assert guard.check(KEY, 1.0, at(1.0)).value is None
    assert guard.check(KEY, 900.0, at(2.0)).value is None  # too high: rejected, run cleared
    assert guard.check(KEY, 1.0, at(3.0)).value is None
    assert guard.check(KEY, 1.0, at(4.0)).value == 1.0


def test_counters_are_independent() -> None:
    guard = CounterGuard({"a": RESETTABLE, (1, "b"): LIFETIME}, accept_reset_after=2)
    for key, value in (("a", 10.0), ((1, "b"), 20.0)):
        guard.check(key, value, at(0.0))
        guard.check(key, value, at(0.0))
    assert guard.check("a", 5.0, at(1.0)).value is None
    assert guard.check((1, "b"), 20.5, at(1.0)) == Verdict(20.5)
    assert guard.check("a", 5.0, at(2.0)).value == 5.0
    assert guard.last("a") == 5.0
    assert guard.last((1, "b")) == 20.5
    assert guard.last("c") is None


# ---------------------------------------------------------------- daily counters


def test_a_daily_counter_restarts_at_the_plants_midnight() -> None:
    guard = guard_of(DAILY)
    midnight = 11 * DAY
    started(guard, 30.0, midnight - 120)
    assert guard.check(KEY, 30.1, at(midnight - 60)) == Verdict(30.1)
    assert guard.check(KEY, 0.02, at(midnight + 30)) == Verdict(0.02)
    assert guard.check(KEY, 0.2, at(midnight + 90)) == Verdict(0.2)


def test_a_daily_counter_goes_down_at_midnight_only() -> None:
    guard = guard_of(DAILY)
    started(guard, 5.0, NOON)
    assert guard.check(KEY, 0.0, at(NOON + 60)).value is None  # a 0 mid-day
    assert guard.check(KEY, 1e7, at(NOON + 120)).value is None  # then a jump
    assert guard.check(KEY, 5.1, at(NOON + 180)) == Verdict(5.1)


def test_midnight_is_the_plants_not_home_assistants() -> None:
    """The plant's clock two hours ahead: it resets at 22:00 by Home Assistant's clock."""
    guard = guard_of(DAILY)
    plant_midnight = 11 * DAY - 2 * HOUR  # on Home Assistant's scale
    guard.check(KEY, 30.0, at(plant_midnight - 120, zone=2))
    guard.check(KEY, 30.0, at(plant_midnight - 60, zone=2))
    assert guard.check(KEY, 0.05, at(plant_midnight + 60, zone=2)) == Verdict(0.05)
    # On Home Assistant's own clock that drop would have been refused.
    guard = guard_of(DAILY)
    guard.check(KEY, 30.0, at(plant_midnight - 120))
    guard.check(KEY, 30.0, at(plant_midnight - 60))
    assert guard.check(KEY, 0.05, at(plant_midnight + 60)).value is None


def test_a_reset_a_little_after_midnight_read_after_the_old_total() -> None:
    """The first poll after midnight still reads yesterday's small total; the reset follows."""
    guard = guard_of(DAILY)
    midnight = 11 * DAY
    started(guard, 0.4, midnight - 60)
    assert guard.check(KEY, 0.4, at(midnight + 30)) == Verdict(0.4)  # not reset yet
    assert guard.check(KEY, 0.0, at(midnight + 90)) == Verdict(0.0)
    # Once restarted, the day's drops are refused again.
    assert guard.check(KEY, 0.3, at(midnight + 2 * HOUR)) == Verdict(0.3)
    assert guard.check(KEY, 0.0, at(midnight + 3 * HOUR)).value is None


def test_yesterdays_total_after_midnight_is_more_than_the_day_allows() -> None:
    guard = guard_of(DAILY)
    midnight = 11 * DAY
    started(guard, 60.0, midnight - 60)
    verdict = guard.check(KEY, 60.0, at(midnight + 30))
    assert verdict == Verdict(None, "60.0 is more than it can count since midnight")
    assert guard.check(KEY, 0.01, at(midnight + 90)) == Verdict(0.01)


def test_a_seeded_daily_counter_restarts_after_a_night_home_assistant_was_down() -> None:
    guard = guard_of(DAILY)
    midnight = 11 * DAY
    guard.seed(KEY, 30.0, at=midnight - 2 * HOUR)
    assert guard.check(KEY, 2.5, at(midnight + 8 * HOUR)) == Verdict(2.5)
    guard = guard_of(DAILY)
    guard.seed(KEY, 3.0, at=midnight + 6 * HOUR)  # seeded the same day: no reset due
    assert guard.check(KEY, 0.0, at(midnight + 8 * HOUR)).value is None


def test_a_daily_counter_never_holds_more_than_the_day_allows() -> None:
    guard = guard_of(DAILY)  # 10 kW: 120 kWh by noon, and 1 kWh of slack
    assert guard.check(KEY, 121.5, at(NOON)).value is None
    assert guard.check(KEY, 120.5, at(NOON)).provisional


# ---------------------------------------------------------------- limits from the ratings


def _plant() -> PlantInfo:
    return PlantInfo(
        serial="S",
        host="h",
        port=502,
        max_active_power=13.2,
        inverters=(
            InverterInfo(unit_id=1, serial="A", rated_power=12.0, battery_capacity=24.0),
            InverterInfo(unit_id=2, serial="B", rated_power=5.0),
        ),
        ac_chargers=(AcChargerInfo(unit_id=3, rated_power=11.0),),
    )


def test_limits_come_from_the_ratings() -> None:
    ratings = PlantRatings.of(_plant())
    assert ratings.plant_kw == 17.0  # the inverters' ratings summed exceed 30010's
    assert counter_power_kw("plant_pv_energy_total", 247, ratings) == 34.0
    assert counter_power_kw("grid_import_energy_total_legacy", 247, ratings) == 34.0 + 55.0
    assert counter_power_kw("smart_load_3_energy_total", 247, ratings) == 34.0 + 55.0
    assert counter_power_kw("pv_energy_total", 1, ratings) == 24.0
    assert counter_power_kw("ess_charge_energy_daily", 2, ratings) == 10.0
    assert counter_power_kw("dc_charger_charge_energy_total", 2, ratings) == 50.0
    assert counter_power_kw("ac_charger_energy_total", 3, ratings) == 22.0


def test_counter_kinds_and_specs() -> None:
    assert counter_kind("plant_pv_energy_daily", daily=True) is CounterKind.DAILY
    assert counter_kind("grid_import_energy_total", daily=False) is CounterKind.RESETTABLE
    assert counter_kind("grid_import_energy_total_legacy", daily=False) is CounterKind.LIFETIME
    specs = counter_specs(
        _plant(), [(1, "pv_energy_daily", True), (247, "plant_pv_energy_total", False)]
    )
    assert specs == {
        (1, "pv_energy_daily"): CounterSpec(CounterKind.DAILY, 24.0),
        (247, "plant_pv_energy_total"): CounterSpec(CounterKind.LIFETIME, 34.0),
    }


def test_a_plant_without_ratings_falls_back_to_the_largest_model() -> None:
    ratings = PlantRatings.of(
        PlantInfo(serial="S", host="h", port=502, inverters=(InverterInfo(unit_id=1, serial="A"),))
    )
    assert ratings.plant_kw == 25.0
    assert counter_power_kw("pv_energy_total", 1, ratings) == 50.0
