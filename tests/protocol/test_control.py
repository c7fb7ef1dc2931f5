"""Plant control as data: the writes of each action, their undoing, ranges and guardrails."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from custom_components.sigenergy_modbus.protocol import control
from custom_components.sigenergy_modbus.protocol.codec import encode
from custom_components.sigenergy_modbus.protocol.control import (
    CHARGE_LIMIT,
    DISCHARGE_LIMIT,
    ENABLE,
    MODE,
    NO_LIMIT,
    SETTINGS,
    Action,
    Block,
    LimitWatch,
    Refusal,
    Takeover,
    Write,
)
from custom_components.sigenergy_modbus.protocol.enums import EmsWorkMode
from custom_components.sigenergy_modbus.protocol.exceptions import (
    SigenergyDeviceError,
    SigenergyUnsupportedError,
    SigenergyValueError,
)
from custom_components.sigenergy_modbus.protocol.keys import Key
from custom_components.sigenergy_modbus.protocol.registers import BY_KEY

# What a plant in self consumption holds: remote EMS off, mode 2, limits at 12 kW.
HELD = {
    ENABLE: (0,),
    MODE: (2,),
    CHARGE_LIMIT: (0, 12000),
    DISCHARGE_LIMIT: (0, 12000),
}
RATINGS = {"plant_ess_rated_charging_power": 12.0, "plant_ess_rated_discharging_power": 10.0}


def test_force_charge_writes_limit_mode_enable_in_that_order() -> None:
    takeover, writes = control.transition(
        None, control.action_targets(Action.FORCE_CHARGE, 3.5), HELD
    )
    assert writes == [Write(CHARGE_LIMIT, (0, 3500)), Write(MODE, (3,)), Write(ENABLE, (1,))]
    assert takeover.original == {CHARGE_LIMIT: (0, 12000), MODE: (2,), ENABLE: (0,)}


def test_force_discharge_and_hold_targets() -> None:
    assert control.action_targets(Action.FORCE_DISCHARGE, 5.0) == {
        DISCHARGE_LIMIT: (0, 5000),
        MODE: (6,),
        ENABLE: (1,),
    }
    assert control.action_targets(Action.HOLD) == {CHARGE_LIMIT: (0, 0), MODE: (4,), ENABLE: (1,)}


def test_a_write_that_changes_nothing_is_left_out() -> None:
    held = {**HELD, MODE: (3,)}
    _, writes = control.transition(None, control.action_targets(Action.FORCE_CHARGE, 12.0), held)
    assert writes == [Write(ENABLE, (1,))]


def test_revert_restores_what_was_read_remote_ems_first() -> None:
    targets = control.action_targets(Action.FORCE_CHARGE, 3.5)
    takeover, _ = control.transition(None, targets, HELD)
    assert control.revert(takeover, targets) == [
        Write(ENABLE, (0,)),
        Write(MODE, (2,)),
        Write(CHARGE_LIMIT, (0, 12000)),
    ]
    # what the plant already holds again is not written
    assert control.revert(takeover, {**targets, MODE: (2,)}) == [
        Write(ENABLE, (0,)),
        Write(CHARGE_LIMIT, (0, 12000)),
    ]


def test_replacing_an_action_restores_what_only_the_old_one_changed() -> None:
    charge = control.action_targets(Action.FORCE_CHARGE, 3.5)
    first, _ = control.transition(None, charge, HELD)
    discharge = control.action_targets(Action.FORCE_DISCHARGE, 4.0)
    second, writes = control.transition(first, discharge, {**HELD, **charge})
    assert writes == [
        Write(DISCHARGE_LIMIT, (0, 4000)),
        Write(MODE, (6,)),
        Write(CHARGE_LIMIT, (0, 12000)),  # the charge limit back, the enable untouched
    ]
    # the original is still what the plant held before the first action
    assert second.original == {DISCHARGE_LIMIT: (0, 12000), MODE: (2,), ENABLE: (0,)}
    assert control.revert(second, {**HELD, **discharge}) == [
        Write(ENABLE, (0,)),
        Write(MODE, (2,)),
        Write(DISCHARGE_LIMIT, (0, 12000)),
    ]


def test_unset_limit_is_restored_as_unset_with_the_rating_as_fallback() -> None:
    held = {**HELD, CHARGE_LIMIT: NO_LIMIT}
    targets = control.action_targets(Action.HOLD)
    takeover, _ = control.transition(None, targets, held)
    (*_, limit) = control.revert(takeover, targets, RATINGS)
    assert limit == Write(CHARGE_LIMIT, NO_LIMIT, fallback=(0, 12000))


def test_limits_after_the_enable_where_the_firmware_needs_remote_ems() -> None:
    keys = control.action_targets(Action.FORCE_DISCHARGE, 1.0)
    assert control.takeover_order(keys, limits_need_remote_ems=True) == [
        MODE,
        ENABLE,
        DISCHARGE_LIMIT,
    ]
    assert control.revert_order(keys, limits_need_remote_ems=True) == [
        DISCHARGE_LIMIT,
        ENABLE,
        MODE,
    ]


def test_takeover_survives_a_restart() -> None:
    takeover, _ = control.transition(None, control.action_targets(Action.HOLD), HELD)
    takeover = Takeover(
        original=takeover.original, targets=takeover.targets, limits_need_remote_ems=True
    )
    assert Takeover.from_data(takeover.as_data()) == takeover


@given(
    st.sampled_from(list(Action)),
    st.sampled_from(list(Action)),
    st.floats(0, 12, allow_nan=False).map(lambda p: round(p, 3)),
    st.floats(0, 12, allow_nan=False).map(lambda p: round(p, 3)),
)
def test_any_sequence_of_actions_reverts_to_the_start(
    first: Action, second: Action, p1: float, p2: float
) -> None:
    """Apply two actions and the revert as a plant would: it ends where it began."""
    plant = dict(HELD)
    takeover = None
    for action, power in ((first, p1), (second, p2)):
        takeover, writes = control.transition(
            takeover, control.action_targets(action, power), plant
        )
        for write in writes:
            plant[write.key] = write.words
        assert all(plant[k] == v for k, v in takeover.targets.items())
    assert takeover is not None
    for write in control.revert(takeover, plant):
        plant[write.key] = write.words
    assert plant == HELD


# --- settings ------------------------------------------------------------------------------


def test_ess_limit_range_from_the_rating_unset_shown_as_no_limit() -> None:
    spec = SETTINGS[CHARGE_LIMIT]
    values = {CHARGE_LIMIT: None, "plant_ess_rated_charging_power": 12.0}
    assert control.setting_range(spec, values) == (0.0, 12.0)
    assert control.setting_value(spec, values) == 12.0  # not set: no limit
    assert control.setting_value(spec, {"plant_ess_rated_charging_power": 12.0}) is None
    assert control.setting_range(spec, {CHARGE_LIMIT: 5.0}) is None  # rating unknown


def test_range_never_tighter_than_what_the_device_reports() -> None:
    spec = SETTINGS[Key.GRID_MAX_IMPORT_LIMIT]
    assert control.setting_range(spec, {"plant_max_active_power": 13.2}) == (0.0, 13.2)
    values = {"plant_max_active_power": 13.2, Key.GRID_MAX_IMPORT_LIMIT: 33.2}
    assert control.setting_range(spec, values) == (0.0, 33.2)


def test_pcs_limit_maximum_is_written_as_no_limit() -> None:
    spec = SETTINGS[Key.PCS_MAX_EXPORT_LIMIT]
    values = {"plant_max_active_power": 13.2, Key.PCS_MAX_EXPORT_LIMIT: None}
    bounds = control.setting_range(spec, values)
    assert bounds == (0.0, 13.2)
    assert control.setting_value(spec, values) == 13.2
    assert control.setting_words(spec, 13.2, bounds) == NO_LIMIT
    assert control.setting_words(spec, 5.0, bounds) == (0, 5000)
    # and the client's range check lets all ones through
    register = control.writable(BY_KEY[Key.PCS_MAX_EXPORT_LIMIT], NO_LIMIT)
    assert encode(register, control.value_of(register, NO_LIMIT)) == [0xFFFF, 0xFFFF]


def test_ac_charger_current_between_6_a_and_the_smaller_rating() -> None:
    spec = SETTINGS[Key.AC_CHARGER_OUTPUT_CURRENT]
    values = {"ac_charger_rated_current": 32.0, "ac_charger_input_breaker_rated_current": 16.0}
    assert control.setting_range(spec, values) == (6.0, 16.0)
    with pytest.raises(SigenergyValueError):
        control.setting_words(spec, 5.9, (6.0, 16.0))
    with pytest.raises(SigenergyValueError):
        control.setting_words(spec, 16.5, (6.0, 16.0))
    assert control.setting_words(spec, 10.0, (6.0, 16.0)) == (0, 1000)


def test_dc_charger_charging_limit_never_zero() -> None:
    spec = SETTINGS[Key.DC_CHARGER_MAX_CHARGING_POWER_LIMIT]
    # a device reporting 0 does not widen the minimum
    bounds = control.setting_range(
        spec, {Key.DC_CHARGER_MAX_CHARGING_POWER_LIMIT: 0.0, "dc_charger_rated_charging_power": 12}
    )
    assert bounds == (control.DC_CHARGER_MIN_CHARGE_KW, 12.0)
    with pytest.raises(SigenergyValueError):
        control.setting_words(spec, 0.0, bounds)
    assert control.forbidden(Key.DC_CHARGER_MAX_CHARGING_POWER_LIMIT, (0, 0))
    assert not control.forbidden(Key.DC_CHARGER_MAX_DISCHARGING_POWER_LIMIT, (0, 0))


def test_soc_settings_0_to_100() -> None:
    for key in (Key.ESS_BACKUP_SOC, Key.ESS_CHARGE_CUT_OFF_SOC, Key.ESS_DISCHARGE_CUT_OFF_SOC):
        assert control.setting_range(SETTINGS[key], {}) == (0.0, 100.0)


def test_writable_widens_to_what_the_device_held() -> None:
    """40053 reads 20.0 on live systems (protocol: 0-10.0): writing it back is possible."""
    register = BY_KEY[Key.LVRT_NEGATIVE_SEQUENCE_FACTOR]
    raw = control.words(register, 20.0)
    with pytest.raises(SigenergyValueError):
        encode(register, 20.0)
    assert encode(control.writable(register, raw), 20.0) == [2000]
    # a coded register keeps its allowed values
    mode = control.writable(BY_KEY[MODE], (7,))
    with pytest.raises(SigenergyValueError):
        encode(mode, 7)


def test_words_of_a_reading() -> None:
    register = BY_KEY[CHARGE_LIMIT]
    assert control.words_of(register, None) == NO_LIMIT
    assert control.words_of(register, 3.5) == (0, 3500)
    assert control.value_of(register, NO_LIMIT) == 0xFFFFFFFF / 1000


# --- guardrails ----------------------------------------------------------------------------


def _device_error(code: int) -> SigenergyDeviceError:
    cls = SigenergyUnsupportedError if code in (1, 2) else SigenergyDeviceError
    return cls(code, 247, 0x10, 40032)


def test_refusal_0x02_is_the_mode_when_the_register_reads() -> None:
    assert control.refusal(_device_error(2), readable=True) is Refusal.NOT_ALLOWED
    assert control.refusal(_device_error(2), readable=False) is Refusal.UNSUPPORTED
    assert control.refusal(_device_error(3), readable=True) is None


def test_write_only_registers_are_probed_through_their_table() -> None:
    assert (
        control.probe_register(BY_KEY[Key.AC_CHARGER_START_STOP])
        is BY_KEY[Key.AC_CHARGER_OUTPUT_CURRENT]
    )
    assert (
        control.probe_register(BY_KEY[Key.DC_CHARGER_START_STOP])
        is BY_KEY[Key.DC_CHARGER_MAX_CHARGING_POWER_LIMIT]
    )
    assert control.probe_register(BY_KEY[Key.PLANT_START_STOP]) is BY_KEY[ENABLE]
    assert control.probe_register(BY_KEY[CHARGE_LIMIT]) is BY_KEY[CHARGE_LIMIT]


@pytest.mark.parametrize(
    ("action", "values", "target", "expected"),
    [
        (Action.FORCE_CHARGE, {"plant_ess_soc": 90.0, Key.ESS_CHARGE_CUT_OFF_SOC: 90.0}, None,
         Block.CHARGE_CUT_OFF),
        (Action.FORCE_CHARGE, {"plant_ess_soc": 90.0, Key.ESS_CHARGE_CUT_OFF_SOC: 90.0}, 95.0,
         Block.CHARGE_CUT_OFF),
        (Action.FORCE_CHARGE, {"plant_ess_soc": 90.0, Key.ESS_CHARGE_CUT_OFF_SOC: 90.0}, 85.0,
         None),
        (Action.FORCE_CHARGE, {"plant_ess_soc": 80.0, Key.ESS_CHARGE_CUT_OFF_SOC: 90.0}, None,
         None),
        (Action.FORCE_DISCHARGE, {"plant_ess_soc": 20.0, Key.ESS_DISCHARGE_CUT_OFF_SOC: 20.0},
         None, Block.DISCHARGE_CUT_OFF),
        (Action.FORCE_DISCHARGE, {"plant_ess_soc": 20.0, Key.ESS_DISCHARGE_CUT_OFF_SOC: 5.0,
         Key.ESS_BACKUP_SOC: 30.0}, None, Block.BACKUP_SOC),
        (Action.FORCE_DISCHARGE, {"plant_ess_soc": 20.0, Key.ESS_DISCHARGE_CUT_OFF_SOC: 5.0,
         Key.ESS_BACKUP_SOC: 30.0, Key.GRID_STATUS: 1}, None, None),
        (Action.HOLD, {"plant_ess_soc": 0.0, Key.ESS_DISCHARGE_CUT_OFF_SOC: 50.0}, None, None),
        (Action.FORCE_DISCHARGE, {Key.ESS_DISCHARGE_CUT_OFF_SOC: 50.0}, None, None),
    ],
)  # fmt: skip
def test_blocking(
    action: Action, values: dict[str, float], target: float | None, expected: Block | None
) -> None:
    blocked = control.blocking(action, values, target=target)
    assert (None if blocked is None else blocked.block) == expected


def test_soc_reached() -> None:
    assert control.soc_reached(Action.FORCE_CHARGE, 80.0, 80.0)
    assert not control.soc_reached(Action.FORCE_CHARGE, 79.9, 80.0)
    assert control.soc_reached(Action.FORCE_DISCHARGE, 20.0, 20.0)
    assert not control.soc_reached(Action.FORCE_DISCHARGE, 20.1, 20.0)
    assert not control.soc_reached(Action.HOLD, 50.0, 50.0)
    assert not control.soc_reached(Action.FORCE_CHARGE, None, 80.0)
    assert not control.soc_reached(Action.FORCE_CHARGE, 90.0, None)


def _poll(charge_limit: float | None, ess: float, mode: int = 0) -> dict[str, float | None]:
    return {
        CHARGE_LIMIT: charge_limit,
        "plant_ess_power": ess,
        "plant_pv_power": 0.0,
        "ems_work_mode": mode,
    }


def test_limit_watch_reports_an_ignored_limit_once_and_its_recovery() -> None:
    watch = LimitWatch(polls=3)
    assert watch.observe(_poll(2.0, 5.0)) == ([], [])
    assert watch.observe(_poll(2.0, 5.0)) == ([], [])
    found, _ = watch.observe(_poll(2.0, 5.0))
    assert [(i.key, i.limit, i.measured, i.ems_mode) for i in found] == [
        (CHARGE_LIMIT, 2.0, 5.0, EmsWorkMode.MAX_SELF_CONSUMPTION)
    ]
    assert watch.observe(_poll(2.0, 5.0)) == ([], [])  # once
    assert watch.observe(_poll(2.0, 2.05)) == ([], [CHARGE_LIMIT])  # within tolerance: holds


def test_limit_watch_within_tolerance_and_unknown_limits() -> None:
    watch = LimitWatch(polls=2)
    for _ in range(5):
        assert watch.observe(_poll(10.0, 10.4)) == ([], [])  # 5 % of 10 kW
        assert watch.observe(_poll(None, 12.0)) == ([], [])  # no limit
    assert watch.observe({"plant_ess_power": None}) == ([], [])


def test_limit_watch_a_new_limit_starts_again() -> None:
    watch = LimitWatch(polls=2)
    watch.observe(_poll(2.0, 5.0))
    found, _ = watch.observe(_poll(2.0, 5.0))
    assert found
    _, holding = watch.observe(_poll(6.0, 5.0))  # the owner raised it: nothing to report
    assert holding == [CHARGE_LIMIT]
    assert watch.observe(_poll(6.0, 5.0)) == ([], [])


def test_discharge_and_pv_limits_are_watched() -> None:
    watch = LimitWatch(polls=1)
    found, _ = watch.observe(
        {
            DISCHARGE_LIMIT: 1.0,
            "plant_ess_power": -4.0,
            Key.PV_MAX_POWER_LIMIT: 2.0,
            "plant_pv_power": 6.0,
        }
    )
    assert {i.key for i in found} == {DISCHARGE_LIMIT, Key.PV_MAX_POWER_LIMIT}
