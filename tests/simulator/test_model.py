"""Physics of the simulated plant, read through the registers (no network)."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest

from custom_components.sigenergy_modbus.protocol import codec, enums
from custom_components.sigenergy_modbus.protocol.registers import REGISTERS, DataType, DeviceKind
from simulator import PlantSimulator
from simulator.model import pv_strings_for
from simulator.registermap import encode_register

from .conftest import MIDNIGHT, NOON, TZ

STEP = 60.0
W = 0.0015  # one watt of rounding, with margin, in kW

COUNTERS = [
    r.key
    for r in REGISTERS
    if r.unit == "kWh" and r.data_type in {DataType.U32, DataType.U64} and "available" not in r.key
]
DAILY = {
    "plant_load_energy_daily",
    "plant_pv_energy_daily",
    "plant_pv_energy_previous_day",
    "ess_charge_energy_daily",
    "ess_discharge_energy_daily",
    "pv_energy_daily",
}


def make(inverters: int = 1, start: datetime = NOON, **kwargs: object) -> PlantSimulator:
    """A simulator whose clock only the test moves."""
    return PlantSimulator(
        inverters=inverters, auto_advance=False, start_time=start, tz=TZ, latency=0, **kwargs
    )


def num(sim: PlantSimulator, unit: int, key: str) -> float:
    value = sim.value(unit, key)
    assert isinstance(value, (int, float)), (unit, key, value)
    return float(value)


def counters(sim: PlantSimulator) -> dict[tuple[int, str], float]:
    result = {}
    for unit in sim.unit_ids:
        kind = sim.model.unit_kind(unit)
        for key in COUNTERS:
            register = next(r for r in REGISTERS if r.key == key)
            if register.device is kind:
                result[unit, key] = num(sim, unit, key)
    return result


def test_every_readable_register_has_a_value_in_range() -> None:
    sim = make(inverters=2, ac_charger=True)
    for unit in sim.unit_ids:
        kind = sim.model.unit_kind(unit)
        values = sim.model.values(unit)
        for register in REGISTERS:
            if register.device is not kind or not register.access.readable:
                continue
            assert register.key in values, (unit, register.key)
            value = values[register.key]
            if value is None or isinstance(value, str):
                continue
            decoded = codec.decode_value(
                register.data_type, encode_register(register, value), register.gain
            )
            assert decoded == pytest.approx(value, abs=1 / register.gain), register.key


def test_hardware_is_realistic_and_seeded() -> None:
    sim = make(inverters=5, seed=7)
    serials = {sim.serial(u) for u in sim.inverter_ids}
    assert len(serials) == 5
    for unit in sim.inverter_ids:
        assert re.fullmatch(r"110B\d{10}", sim.serial(unit))
        rated = num(sim, unit, "rated_active_power")
        assert sim.value(unit, "model_type") == f"SigenStor EC {rated:.1f} TP"
        assert num(sim, unit, "pv_string_count") == pv_strings_for(rated)
        packs = num(sim, unit, "pack_count")
        assert 1 <= packs <= 6
        assert num(sim, unit, "rated_battery_capacity") == packs * 8.0
        assert 99.0 <= num(sim, unit, "ess_soh") < 100.0
        assert sim.value(unit, "firmware_version") == "V100R001C00SPC112B011"
        assert num(sim, unit, "running_state") == enums.RunningState.RUNNING
        assert num(sim, unit, "output_type") == enums.OutputType.L1_L2_L3_N
    assert pv_strings_for(5.0) == pv_strings_for(8.0) == 2
    assert pv_strings_for(10.0) == pv_strings_for(15.0) == 3
    assert pv_strings_for(17.0) == pv_strings_for(25.0) == 4
    again = make(inverters=5, seed=7)
    assert {again.serial(u) for u in again.inverter_ids} == serials
    again.advance(3600)
    sim.advance(3600)
    assert sim.value(247, "plant_pv_power") == again.value(247, "plant_pv_power")
    assert sim.serial(1) != make(inverters=5, seed=8).serial(1)


def test_a_day_of_physics() -> None:
    """A 3-inverter plant with an AC charger, stepped every minute for 24 h."""
    sim = make(inverters=3, start=MIDNIGHT, ac_charger=True)
    invs = sim.inverter_ids
    charger = sim.ac_charger_id
    assert charger is not None
    start = counters(sim)
    previous = dict(start)
    integrated: dict[str, float] = dict.fromkeys(
        ["pv", "load", "import", "export", "charge", "discharge", "evac", "smart1"], 0.0
    )
    per_inverter = {u: {"pv": 0.0, "charge": 0.0, "discharge": 0.0} for u in invs}
    socs: list[float] = []
    seen_export = seen_full = False
    capacity = sum(num(sim, u, "rated_battery_capacity") for u in invs)
    assert num(sim, 247, "plant_ess_rated_energy_capacity") == pytest.approx(capacity)
    assert num(sim, 247, "grid_status") == enums.GridStatus.ON_GRID
    assert num(sim, 247, "plant_running_state") == enums.RunningState.RUNNING
    for step in range(int(86400 / STEP)):
        hour = (step * STEP / 3600) % 24
        pv = num(sim, 247, "plant_pv_power")
        grid = num(sim, 247, "grid_sensor_active_power")
        ess = num(sim, 247, "plant_ess_power")
        load = num(sim, 247, "total_load_power")
        evac = num(sim, charger, "ac_charger_charging_power")
        smart1 = num(sim, 247, "smart_load_1_power")
        # energy balance: PV + import + discharge = load + export + charge
        assert pv + grid - ess == pytest.approx(load, abs=W), hour
        assert load == pytest.approx(num(sim, 247, "general_load_power") + smart1 + evac, abs=W)
        assert load >= 0
        phases = sum(num(sim, 247, f"grid_sensor_phase_{p}_active_power") for p in "abc")
        assert phases == pytest.approx(grid, abs=W)
        plant_phases = sum(num(sim, 247, f"plant_phase_{p}_active_power") for p in "abc")
        assert plant_phases == pytest.approx(num(sim, 247, "plant_active_power"), abs=W)
        # plant values are sums of the inverters'
        inv_pv = inv_ess = inv_ac = weighted_soc = 0.0
        for unit in invs:
            unit_pv = num(sim, unit, "pv_power")
            unit_ess = num(sim, unit, "ess_power")
            unit_ac = num(sim, unit, "active_power")
            assert unit_ac == pytest.approx(unit_pv - unit_ess, abs=W)
            strings = int(num(sim, unit, "pv_string_count"))
            vi = sum(
                num(sim, unit, f"pv{n}_voltage") * num(sim, unit, f"pv{n}_current")
                for n in range(1, strings + 1)
            )
            assert unit_pv == pytest.approx(vi / 1000, abs=0.0006)
            if unit_pv == 0:
                assert all(num(sim, unit, f"pv{n}_voltage") == 0 for n in range(1, 5))
            soc = num(sim, unit, "ess_soc")
            assert 5.0 <= soc <= 100.0
            weighted_soc += soc * num(sim, unit, "rated_battery_capacity")
            inv_pv += unit_pv
            inv_ess += unit_ess
            inv_ac += unit_ac
            phase_current = num(sim, unit, "phase_a_current")
            phase_voltage = num(sim, unit, "phase_a_voltage")
            assert 220 < phase_voltage < 240
            assert 390 < num(sim, unit, "line_voltage_ab") < 410
            assert phase_current * phase_voltage / 1000 == pytest.approx(unit_ac / 3, abs=0.01)
            per_inverter[unit]["pv"] += unit_pv * STEP / 3600
            per_inverter[unit]["charge"] += max(unit_ess, 0) * STEP / 3600
            per_inverter[unit]["discharge"] += max(-unit_ess, 0) * STEP / 3600
        assert pv == pytest.approx(inv_pv, abs=W)
        assert ess == pytest.approx(inv_ess, abs=W)
        assert num(sim, 247, "plant_active_power") == pytest.approx(inv_ac, abs=W)
        plant_soc = num(sim, 247, "plant_ess_soc")
        assert plant_soc == pytest.approx(weighted_soc / capacity, abs=0.1)
        socs.append(plant_soc)
        if hour < 5 or hour > 21:
            assert pv == 0
        seen_export |= grid < -0.5
        seen_full |= plant_soc >= 99.9
        for name, power in (
            ("pv", pv),
            ("load", load),
            ("import", max(grid, 0)),
            ("export", max(-grid, 0)),
            ("charge", max(ess, 0)),
            ("discharge", max(-ess, 0)),
            ("evac", evac),
            ("smart1", smart1),
        ):
            integrated[name] += power * STEP / 3600

        sim.advance(STEP)

        now = counters(sim)
        for key, value in now.items():
            if key[1] in DAILY:
                continue
            assert value >= previous[key], key  # lifetime counters never decrease
        previous = now

    end = counters(sim)

    def delta(unit: int, key: str) -> float:
        return end[unit, key] - start[unit, key]

    def close(counted: float, expected: float) -> None:
        assert counted == pytest.approx(expected, rel=0.01, abs=0.03)

    close(delta(247, "plant_pv_energy_total"), integrated["pv"])
    close(delta(247, "self_pv_energy_total"), integrated["pv"])
    close(delta(247, "plant_load_energy_total"), integrated["load"])
    close(delta(247, "grid_import_energy_total"), integrated["import"])
    close(delta(247, "grid_import_energy_total_legacy"), integrated["import"])
    close(delta(247, "grid_export_energy_total"), integrated["export"])
    close(delta(247, "grid_export_energy_total_legacy"), integrated["export"])
    close(delta(247, "plant_ess_charge_energy_total"), integrated["charge"])
    close(delta(247, "plant_ess_charge_energy_total_legacy"), integrated["charge"])
    close(delta(247, "plant_ess_discharge_energy_total"), integrated["discharge"])
    close(delta(247, "plant_ess_discharge_energy_total_legacy"), integrated["discharge"])
    close(delta(247, "evac_charge_energy_total"), integrated["evac"])
    close(delta(charger, "ac_charger_energy_total"), integrated["evac"])
    close(delta(247, "smart_load_1_energy_total"), integrated["smart1"])
    close(
        delta(247, "common_load_energy_total"),
        integrated["load"] - integrated["evac"] - integrated["smart1"],
    )
    for unit in invs:
        close(delta(unit, "pv_energy_total"), per_inverter[unit]["pv"])
        close(delta(unit, "ess_charge_energy_total"), per_inverter[unit]["charge"])
        close(delta(unit, "ess_discharge_energy_total"), per_inverter[unit]["discharge"])
    # The day ended at midnight: yesterday's PV is the day's integral.
    close(end[247, "plant_pv_energy_previous_day"], integrated["pv"])
    assert end[247, "plant_pv_energy_daily"] == 0
    # The new statistics interface started later than the legacy counters.
    assert end[247, "grid_import_energy_total"] < end[247, "grid_import_energy_total_legacy"]
    assert integrated["pv"] > 50
    assert seen_export
    assert seen_full
    assert min(socs) < max(socs)


def test_daily_counters_reset_at_local_midnight() -> None:
    sim = make(start=datetime(2025, 6, 2, 23, 58, tzinfo=TZ))
    pv_today = num(sim, 247, "plant_pv_energy_daily")
    assert pv_today > 10  # the warm-up ran the day from midnight
    assert num(sim, 1, "pv_energy_daily") == pytest.approx(pv_today, abs=0.02)
    assert num(sim, 247, "plant_load_energy_daily") > 5
    assert num(sim, 1, "ess_charge_energy_daily") > 0
    sim.advance(120)  # exactly 00:00
    assert datetime.fromtimestamp(sim.time, TZ).hour == 0
    assert num(sim, 247, "plant_pv_energy_daily") == 0
    assert num(sim, 247, "plant_load_energy_daily") == 0
    assert num(sim, 1, "pv_energy_daily") == 0
    assert num(sim, 1, "ess_charge_energy_daily") == 0
    assert num(sim, 1, "ess_discharge_energy_daily") == 0
    assert num(sim, 247, "plant_pv_energy_previous_day") == pytest.approx(pv_today, abs=0.02)
    sim.advance(600)
    assert 0 < num(sim, 247, "plant_load_energy_daily") < 1


def test_cut_off_socs_limit_the_battery() -> None:
    sim = make(start=MIDNIGHT)
    sim.model.inverters[0].soc = 45.0
    sim.model.write(247, "ess_charge_cut_off_soc", 80.0)
    sim.model.write(247, "ess_discharge_cut_off_soc", 40.0)
    assert num(sim, 247, "plant_ess_charge_cut_off_soc") == 80.0
    socs = []
    for _ in range(int(24 * 3600 / 300)):
        sim.advance(300)
        socs.append(num(sim, 1, "ess_soc"))
    assert max(socs) <= 80.0
    assert min(socs) >= 40.0
    assert max(socs) >= 79.5  # it did reach the ceiling ...
    assert min(socs) <= 40.5  # ... and the floor
    # at the floor at night the grid covers the load
    sim = make(start=datetime(2025, 6, 3, 3, 0, tzinfo=TZ))
    sim.model.write(247, "ess_discharge_cut_off_soc", 95.0)
    sim.advance(3600)
    assert num(sim, 247, "plant_ess_power") == 0
    assert num(sim, 247, "grid_sensor_active_power") == pytest.approx(
        num(sim, 247, "total_load_power"), abs=W
    )


def test_remote_ems_modes() -> None:
    sim = make(start=datetime(2025, 6, 3, 2, 0, tzinfo=TZ))
    sim.model.write(247, "ess_discharge_cut_off_soc", 5.0)
    sim.model.write(
        247, "remote_ems_control_mode", int(enums.RemoteEmsControlMode.COMMAND_CHARGING_GRID_FIRST)
    )
    assert num(sim, 247, "plant_ess_power") < 0  # not yet enabled: self consumption
    sim.model.write(247, "remote_ems_enable", 1)
    assert num(sim, 247, "ems_work_mode") == enums.EmsWorkMode.REMOTE_EMS
    assert num(sim, 247, "plant_ess_power") == pytest.approx(
        num(sim, 1, "ess_rated_charge_power"), abs=0.01
    )
    assert num(sim, 247, "grid_sensor_active_power") > num(sim, 247, "total_load_power")
    sim.model.write(
        247, "remote_ems_control_mode", int(enums.RemoteEmsControlMode.PCS_REMOTE_CONTROL)
    )
    sim.model.write(247, "active_power_fixed_target", 3.0)
    assert num(sim, 247, "plant_active_power") == pytest.approx(3.0, abs=W)
    sim.model.write(247, "remote_ems_enable", 0)
    assert num(sim, 247, "ems_work_mode") == enums.EmsWorkMode.MAX_SELF_CONSUMPTION


def test_export_limit_curtails_pv() -> None:
    sim = make()
    sim.model.write(247, "ess_charge_cut_off_soc", 10.0)  # battery may not charge
    assert num(sim, 247, "grid_sensor_active_power") < -1.0
    sim.model.write(247, "grid_max_export_limit", 1.0)
    assert num(sim, 247, "grid_sensor_active_power") >= -1.0 - W


@pytest.mark.parametrize("hour", [12, 2])
def test_off_grid(hour: int) -> None:
    sim = make(inverters=3, start=datetime(2025, 6, 2, hour, 0, tzinfo=TZ))
    sim.set_scenario("off_grid")
    sim.advance(600)
    assert num(sim, 247, "grid_status") == enums.GridStatus.OFF_GRID_AUTO
    assert num(sim, 247, "grid_sensor_active_power") == 0
    for phase in "abc":
        assert num(sim, 247, f"grid_sensor_phase_{phase}_active_power") == 0
    pv = num(sim, 247, "plant_pv_power")
    ess = num(sim, 247, "plant_ess_power")
    assert num(sim, 247, "total_load_power") == pytest.approx(pv - ess, abs=W)
    assert num(sim, 247, "total_load_power") > 0
    assert int(num(sim, 1, "alarm_1")) & enums_bit("Grid power outage", enums.PCS_ALARM_1)
    assert int(num(sim, 247, "plant_alarm_1")) & enums_bit("Grid power outage", enums.PCS_ALARM_1)
    assert num(sim, 247, "plant_running_state") == enums.RunningState.RUNNING
    sim.set_scenario("normal")
    assert num(sim, 247, "grid_status") == enums.GridStatus.ON_GRID
    assert num(sim, 247, "plant_alarm_1") == 0


def enums_bit(name: str, table: enums.AlarmTable) -> int:
    """The bit mask of an alarm by its name in an appendix table."""
    return 1 << next(bit for bit, text in table.bits.items() if text == name)


def test_overload() -> None:
    sim = make(inverters=1, start=datetime(2025, 6, 2, 20, 0, tzinfo=TZ))
    sim.set_scenario("overload")
    assert num(sim, 247, "grid_status") == enums.GridStatus.OFF_GRID_AUTO
    protection = enums_bit("Off-grid protection", enums.PCS_ALARM_2)
    assert int(num(sim, 1, "alarm_2")) & protection
    assert int(num(sim, 247, "plant_alarm_2")) & protection
    # the inverter delivers at most its maximum; the load it cannot serve is shed
    assert num(sim, 1, "active_power") <= num(sim, 1, "max_active_power") + W
    assert num(sim, 247, "grid_sensor_active_power") == 0


def test_device_faults() -> None:
    sim = make(inverters=3)
    sim.set_scenario("dc_fault", unit_id=2)
    assert num(sim, 2, "pv_power") == 0
    # No current, but the array's open-circuit voltage in daylight, as measured.
    assert num(sim, 2, "pv1_current") == 0
    assert num(sim, 2, "pv1_voltage") > 0
    assert int(num(sim, 2, "alarm_1")) & enums_bit("Low insulation resistance", enums.PCS_ALARM_1)
    assert num(sim, 2, "running_state") == enums.RunningState.RUNNING
    assert num(sim, 1, "alarm_1") == 0
    assert num(sim, 247, "plant_alarm_1") == num(sim, 2, "alarm_1")

    sim.set_scenario("ac_fault", unit_id=1)
    assert num(sim, 2, "alarm_1") == 0
    assert num(sim, 1, "running_state") == enums.RunningState.FAULT
    assert num(sim, 1, "active_power") == 0
    assert num(sim, 1, "pv1_current") == 0
    assert num(sim, 1, "pv1_voltage") > 0  # stopped: its strings are still connected
    assert int(num(sim, 1, "alarm_1")) & enums_bit("Grid over-voltage", enums.PCS_ALARM_1)
    assert num(sim, 1, "phase_a_voltage") > 253
    assert num(sim, 247, "plant_running_state") == enums.RunningState.RUNNING  # 2 still run
    assert int(num(sim, 247, "plant_alarm_1")) & enums_bit("Grid over-voltage", enums.PCS_ALARM_1)

    sim.set_scenario("battery_fault", unit_id=3)
    assert num(sim, 3, "ess_power") == 0
    assert num(sim, 3, "ess_max_charge_power") == 0
    assert int(num(sim, 3, "alarm_3")) & enums_bit("Equipment fault", enums.ESS_ALARM)
    assert num(sim, 247, "plant_alarm_3") == num(sim, 3, "alarm_3")

    sim.set_scenario("normal")
    for unit in sim.inverter_ids:
        for n in range(1, 6):
            assert num(sim, unit, f"alarm_{n}") == 0
        assert num(sim, unit, "running_state") == enums.RunningState.RUNNING

    single = make()
    single.set_scenario("ac-fault")
    assert num(single, 247, "plant_running_state") == enums.RunningState.FAULT


def test_ac_charger_and_smart_load() -> None:
    sim = make(start=datetime(2025, 6, 2, 22, 30, tzinfo=TZ), ac_charger=True)
    unit = sim.ac_charger_id
    assert unit == 2
    assert num(sim, unit, "ac_charger_charging_power") == 11.0
    assert num(sim, unit, "ac_charger_system_state") == enums.AcChargerState.C2
    energy = num(sim, unit, "ac_charger_energy_total")
    sim.advance(3600)
    assert num(sim, unit, "ac_charger_energy_total") == pytest.approx(energy + 11.0, abs=0.02)
    sim.model.write(unit, "ac_charger_start_stop", 1)  # 1: stop
    assert num(sim, unit, "ac_charger_charging_power") == 0
    assert num(sim, unit, "ac_charger_system_state") == enums.AcChargerState.B1

    noon = make()
    assert num(noon, 247, "smart_load_1_power") > 0
    assert all(num(noon, 247, f"smart_load_{n}_power") == 0 for n in range(2, 25))
    assert num(noon, 247, "smart_load_1_energy_total") > 0
    assert num(noon, 247, "smart_load_2_energy_total") == 0


def test_time_registers() -> None:
    sim = make()
    assert num(sim, 247, "system_time") == NOON.timestamp()
    assert num(sim, 247, "system_time_zone") == 60
    sim.advance(90)
    assert num(sim, 247, "system_time") == (NOON + timedelta(seconds=90)).timestamp()


def test_plant_kind_mapping() -> None:
    sim = make(ac_charger=True)
    assert sim.model.unit_kind(247) is DeviceKind.PLANT
    assert sim.model.unit_kind(1) is DeviceKind.INVERTER
    assert sim.model.unit_kind(2) is DeviceKind.AC_CHARGER
    assert sim.model.unit_kind(3) is None
    with pytest.raises(KeyError):
        sim.value(1, "plant_ess_soc")


def test_strings_at_night_and_stopped_in_daylight() -> None:
    """0 V at night; the open-circuit voltage (above the working voltage) when stopped by day."""
    night = make(inverters=1, start=datetime(2025, 6, 2, 23, 0, tzinfo=TZ))
    assert num(night, 1, "pv1_voltage") == 0
    assert num(night, 1, "pv1_current") == 0
    day = make(inverters=1)
    working = num(day, 1, "pv1_voltage")
    assert num(day, 1, "pv1_current") > 0
    day.set_scenario("ac_fault")
    assert num(day, 1, "pv1_current") == 0
    assert num(day, 1, "pv1_voltage") > working
