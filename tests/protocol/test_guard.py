"""CounterGuard: lifetime counters never go backwards, nor jump (pure, no sockets)."""

from __future__ import annotations

import pytest

from custom_components.sigenergy_modbus.protocol.guard import CounterGuard, Verdict

KEY = "pv_energy_total"
HOUR = 3600.0


def test_first_value_is_accepted() -> None:
    guard = CounterGuard()
    assert guard.last(KEY) is None
    assert guard.check(KEY, 1234.5, 0.0) == Verdict(1234.5)
    assert guard.last(KEY) == 1234.5


def test_none_is_no_reading() -> None:
    guard = CounterGuard()
    assert guard.check(KEY, None, 0.0) == Verdict(None, "no reading")
    assert guard.last(KEY) is None
    guard.check(KEY, 10.0, 0.0)
    assert guard.check(KEY, None, 60.0) == Verdict(None, "no reading")
    assert guard.last(KEY) == 10.0


def test_lower_value_is_rejected_then_normal_values_accepted() -> None:
    guard = CounterGuard()
    guard.check(KEY, 100.0, 0.0)
    verdict = guard.check(KEY, 0.0, 10.0)
    assert verdict.value is None
    assert verdict.reason == "went back from 100.0 to 0.0"
    assert guard.last(KEY) == 100.0
    assert guard.check(KEY, 100.2, 20.0) == Verdict(100.2)
    assert guard.last(KEY) == 100.2


def test_equal_value_is_accepted() -> None:
    guard = CounterGuard()
    guard.check(KEY, 50.0, 0.0)
    assert guard.check(KEY, 50.0, 5.0) == Verdict(50.0)


def test_jump_beyond_what_the_plant_can_produce() -> None:
    guard = CounterGuard(max_power_kw=10.0)
    guard.check(KEY, 100.0, 0.0)
    # One hour at 10 kW, plus 1 kWh of slack: 111 kWh at most.
    verdict = guard.check(KEY, 111.01, HOUR)
    assert verdict.value is None
    assert verdict.reason == "jumped from 100.0 to 111.01"
    assert guard.last(KEY) == 100.0
    assert guard.check(KEY, 111.0, HOUR) == Verdict(111.0)


def test_jump_limit_right_after_a_reading() -> None:
    """Within the same second only the 1 kWh slack applies, whatever the rating."""
    guard = CounterGuard(max_power_kw=1000.0)
    guard.check(KEY, 100.0, 0.0)
    assert guard.check(KEY, 101.5, 0.0).value is None
    assert guard.check(KEY, 101.0, 0.0) == Verdict(101.0)


def test_clock_going_backwards_does_not_widen_the_limit() -> None:
    guard = CounterGuard(max_power_kw=10.0)
    guard.check(KEY, 100.0, 10 * HOUR)
    assert guard.check(KEY, 102.0, 0.0).value is None  # negative time counts as none
    assert guard.check(KEY, 100.5, 0.0) == Verdict(100.5)


def test_legitimate_reset_is_accepted_once() -> None:
    guard = CounterGuard(accept_reset_after=3)
    guard.check(KEY, 5000.0, 0.0)
    assert guard.check(KEY, 0.0, 10.0).value is None
    assert guard.check(KEY, 0.1, 20.0).value is None
    verdict = guard.check(KEY, 0.1, 30.0)
    assert verdict.value == 0.1
    assert verdict.reason == "accepted a counter reset from 5000.0 to 0.1"
    assert guard.last(KEY) == 0.1
    # From then on the new counter is guarded as usual.
    assert guard.check(KEY, 0.3, 40.0) == Verdict(0.3)
    assert guard.check(KEY, 0.2, 50.0).value is None


def test_default_reset_needs_ten_reads() -> None:
    guard = CounterGuard()
    guard.check(KEY, 5000.0, 0.0)
    verdicts = [guard.check(KEY, 1.0 + n / 100, 10.0 * n) for n in range(1, 11)]
    assert [v.value for v in verdicts[:9]] == [None] * 9
    assert verdicts[9].value == pytest.approx(1.1)


def test_lower_run_interrupted_by_an_even_lower_value_restarts() -> None:
    guard = CounterGuard(accept_reset_after=3)
    guard.check(KEY, 5000.0, 0.0)
    assert guard.check(KEY, 10.0, 1.0).value is None
    assert guard.check(KEY, 11.0, 2.0).value is None
    assert guard.check(KEY, 5.0, 3.0).value is None  # lower again: the count restarts
    assert guard.check(KEY, 5.0, 4.0).value is None
    assert guard.check(KEY, 6.0, 5.0) == Verdict(6.0, "accepted a counter reset from 5000.0 to 6.0")


def test_lower_run_interrupted_by_a_good_value_restarts() -> None:
    guard = CounterGuard(accept_reset_after=3)
    guard.check(KEY, 5000.0, 0.0)
    assert guard.check(KEY, 0.0, 1.0).value is None
    assert guard.check(KEY, 0.0, 2.0).value is None
    assert guard.check(KEY, 5000.1, 3.0) == Verdict(5000.1)  # a glitch, not a reset
    assert guard.check(KEY, 0.0, 4.0).value is None
    assert guard.check(KEY, 0.0, 5.0).value is None
    assert guard.check(KEY, 0.0, 6.0).value == 0.0


def test_rejected_jump_still_ends_a_lower_run() -> None:
    """A value above the last good one ends a lower run, even one rejected as a jump."""
    guard = CounterGuard(max_power_kw=1.0, accept_reset_after=2)
    guard.check(KEY, 100.0, 0.0)
    assert guard.check(KEY, 1.0, 1.0).value is None
    assert guard.check(KEY, 900.0, 2.0).value is None  # too high: rejected, run cleared
    assert guard.check(KEY, 1.0, 3.0).value is None
    assert guard.check(KEY, 1.0, 4.0).value == 1.0


def test_counters_are_independent() -> None:
    guard = CounterGuard(accept_reset_after=2)
    guard.check("a", 10.0, 0.0)
    guard.check((1, "b"), 20.0, 0.0)
    assert guard.check("a", 5.0, 1.0).value is None
    assert guard.check((1, "b"), 20.5, 1.0) == Verdict(20.5)
    assert guard.check("a", 5.0, 2.0).value == 5.0
    assert guard.last("a") == 5.0
    assert guard.last((1, "b")) == 20.5
    assert guard.last("c") is None


def test_only_resetting_counters_are_ever_taken_lower() -> None:
    """A counter the protocol never resets stays unpublished however long it reads lower."""
    guard = CounterGuard(accept_reset_after=3)
    guard.check(KEY, 5000.0, 0.0, resettable=False)
    for step in range(1, 20):
        verdict = guard.check(KEY, 1.0 + step, float(step), resettable=False)
        assert verdict.value is None
    assert guard.last(KEY) == 5000.0
    assert guard.check(KEY, 5000.5, 30.0, resettable=False) == Verdict(5000.5)
