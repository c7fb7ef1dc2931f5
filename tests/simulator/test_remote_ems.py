"""The simulated plant obeys remote EMS: modes, limits, cut-offs, chargers, firmware quirks.

Each behaviour is read back through the registers, as the integration sees
it; the refusals go over Modbus TCP, since an exception reply is what the
integration has to interpret.
"""

from __future__ import annotations

import argparse
from datetime import datetime

import pytest
from pymodbus.client import AsyncModbusTcpClient

from custom_components.sigenergy_modbus.protocol import enums
from simulator import ControlOptions, PlantSimulator
from simulator import __main__ as simulator_cli

from .conftest import TZ, connect

W = 0.0015  # one watt of rounding, with margin, in kW
NIGHT = datetime(2025, 6, 3, 2, 0, tzinfo=TZ)
NOON = datetime(2025, 6, 3, 12, 0, tzinfo=TZ)
EVENING = datetime(2025, 6, 3, 19, 0, tzinfo=TZ)

Mode = enums.RemoteEmsControlMode


def make(start: datetime = NIGHT, **options: object) -> PlantSimulator:
    """One inverter (12 kW, 3 packs: 12 kW ESS), clock moved only by the test."""
    return PlantSimulator(
        inverters=1,
        auto_advance=False,
        start_time=start,
        tz=TZ,
        latency=0,
        ac_charger=bool(options.pop("ac_charger", False)),
        control=ControlOptions(**options),  # type: ignore[arg-type]
    )


def half_full(sim: PlantSimulator) -> PlantSimulator:
    """The battery at 50 %, so that the noon sun charges it."""
    sim.model.inverters[0].soc = 50.0
    sim.model.refresh()
    return sim


def num(sim: PlantSimulator, unit: int, key: str) -> float:
    value = sim.value(unit, key)
    assert isinstance(value, (int, float)), (unit, key, value)
    return float(value)


def remote(sim: PlantSimulator, mode: Mode, **limits: float) -> None:
    for key, value in limits.items():
        sim.model.write(247, key, value)
    sim.model.write(247, "remote_ems_control_mode", int(mode))
    sim.model.write(247, "remote_ems_enable", 1)


def balanced(sim: PlantSimulator) -> None:
    """PV + import + discharge = load + export + charge."""
    pv = num(sim, 247, "plant_pv_power")
    grid = num(sim, 247, "grid_sensor_active_power")
    ess = num(sim, 247, "plant_ess_power")
    assert pv + grid - ess == pytest.approx(num(sim, 247, "total_load_power"), abs=W)


def test_command_charging_follows_the_limit_and_the_grid_pays() -> None:
    sim = make()
    soc = num(sim, 247, "plant_ess_soc")
    remote(sim, Mode.COMMAND_CHARGING_GRID_FIRST, ess_max_charging_limit=3.0)
    assert num(sim, 247, "ems_work_mode") == enums.EmsWorkMode.REMOTE_EMS
    assert num(sim, 247, "plant_ess_power") == pytest.approx(3.0, abs=W)
    load = num(sim, 247, "total_load_power")
    assert num(sim, 247, "grid_sensor_active_power") == pytest.approx(load + 3.0, abs=W)
    balanced(sim)
    sim.advance(3600)
    # 3 kWh into 24 kWh: 12.5 % more
    assert num(sim, 247, "plant_ess_soc") == pytest.approx(soc + 12.5, abs=0.2)


def test_command_discharging_exports() -> None:
    sim = make()
    remote(sim, Mode.COMMAND_DISCHARGING_ESS_FIRST, ess_max_discharging_limit=5.0)
    assert num(sim, 247, "plant_ess_power") == pytest.approx(-5.0, abs=W)
    load = num(sim, 247, "total_load_power")
    assert num(sim, 247, "grid_sensor_active_power") == pytest.approx(load - 5.0, abs=W)
    balanced(sim)


def test_discharging_ess_first_curtails_pv_first_at_the_inverters_maximum() -> None:
    ess_first = make(start=NOON)
    remote(ess_first, Mode.COMMAND_DISCHARGING_ESS_FIRST, ess_max_discharging_limit=6.0)
    pv_first = make(start=NOON)
    remote(pv_first, Mode.COMMAND_DISCHARGING_PV_FIRST, ess_max_discharging_limit=6.0)
    maximum = num(ess_first, 1, "max_active_power")
    for sim in (ess_first, pv_first):
        assert num(sim, 247, "plant_active_power") == pytest.approx(
            maximum, abs=0.02
        )  # strings round
        balanced(sim)
    assert num(ess_first, 247, "plant_ess_power") == pytest.approx(-6.0, abs=W)
    assert num(pv_first, 247, "plant_ess_power") > -6.0 + 0.5
    assert num(pv_first, 247, "plant_pv_power") > num(ess_first, 247, "plant_pv_power") + 0.5


def test_hold_charging_pv_first_at_zero_keeps_the_battery_still() -> None:
    sim = half_full(make(start=NOON))
    assert num(sim, 247, "plant_ess_power") > 1.0  # charging from the sun
    remote(sim, Mode.COMMAND_CHARGING_PV_FIRST, ess_max_charging_limit=0.0)
    assert num(sim, 247, "plant_ess_power") == 0.0
    assert num(sim, 247, "grid_sensor_active_power") < -1.0  # the surplus is exported
    balanced(sim)
    soc = num(sim, 247, "plant_ess_soc")
    sim.advance(1800)
    assert num(sim, 247, "plant_ess_soc") == soc


def test_cut_offs_stop_a_command() -> None:
    sim = make()
    soc = num(sim, 247, "plant_ess_soc")
    sim.model.write(247, "ess_discharge_cut_off_soc", soc + 5)
    remote(sim, Mode.COMMAND_DISCHARGING_ESS_FIRST, ess_max_discharging_limit=5.0)
    assert num(sim, 247, "plant_ess_power") == 0.0
    sim.model.write(247, "ess_charge_cut_off_soc", soc - 5)
    remote(sim, Mode.COMMAND_CHARGING_GRID_FIRST, ess_max_charging_limit=5.0)
    assert num(sim, 247, "plant_ess_power") == 0.0


def test_import_limits_hold_grid_charging_back() -> None:
    sim = make()
    remote(sim, Mode.COMMAND_CHARGING_GRID_FIRST, ess_max_charging_limit=10.0)
    load = num(sim, 247, "total_load_power")
    sim.model.write(247, "grid_max_import_limit", load + 2.0)
    assert num(sim, 247, "grid_sensor_active_power") == pytest.approx(load + 2.0, abs=W)
    assert num(sim, 247, "plant_ess_power") == pytest.approx(2.0, abs=W)
    sim.model.write(247, "grid_max_import_limit", 100.0)
    sim.model.write(247, "pcs_max_import_limit", 4.0)
    assert num(sim, 247, "plant_ess_power") == pytest.approx(4.0, abs=W)  # no PV at night
    balanced(sim)


@pytest.mark.parametrize("older", [False, True], ids=["v2.9", "command modes only"])
def test_limits_in_self_consumption(older: bool) -> None:
    """V2.9 applies the ESS and PV limits in every mode; older firmware only in command modes."""
    sim = half_full(make(start=NOON, limits_in_command_modes_only=older))
    charging = num(sim, 247, "plant_ess_power")
    assert charging > 2.0
    sim.model.write(247, "ess_max_charging_limit", 1.0)
    if older:
        assert num(sim, 247, "plant_ess_power") == pytest.approx(charging, abs=W)
        remote(sim, Mode.COMMAND_CHARGING_PV_FIRST)
    assert num(sim, 247, "plant_ess_power") == pytest.approx(1.0, abs=W)
    sim.model.write(247, "remote_ems_enable", 0)
    sim.model.write(247, "ess_max_charging_limit", 12.0)
    sim.model.write(247, "pv_max_power_limit", 2.0)
    if older:
        assert num(sim, 247, "plant_pv_power") > 2.0
        remote(sim, Mode.COMMAND_CHARGING_PV_FIRST)
    assert num(sim, 247, "plant_pv_power") <= 2.0 + W


def test_the_plant_reverts_the_export_limit() -> None:
    sim = make(start=NOON, revert_grid_export_limit_after=600.0)
    before = num(sim, 247, "grid_max_export_limit")
    sim.model.write(247, "grid_max_export_limit", 2.0)
    sim.advance(300)
    # A second write restarts the time; the revert goes back to the value before both.
    sim.model.write(247, "grid_max_export_limit", 1.0)
    sim.advance(599)
    assert num(sim, 247, "grid_max_export_limit") == 1.0
    sim.advance(2)
    assert num(sim, 247, "grid_max_export_limit") == before
    sim.advance(3600)
    assert num(sim, 247, "grid_max_export_limit") == before


def test_unset_ess_limits_read_all_ones() -> None:
    sim = make(unset_ess_limits=True)
    assert sim.words(247, "ess_max_charging_limit") == [0xFFFF, 0xFFFF]
    assert sim.value(247, "ess_max_discharging_limit") is None
    assert num(sim, 247, "plant_ess_power") < 0  # no limit: the battery covers the load


def test_dc_charger_charges_the_vehicle_and_a_zero_limit_faults_it() -> None:
    sim = make(dc_charger=True)
    assert num(sim, 1, "dc_charger_rated_charging_power") == 12.0
    assert num(sim, 1, "dc_charger_running_state") == enums.DcChargerState.OCCUPIED
    load = num(sim, 247, "total_load_power")
    sim.model.write(1, "dc_charger_max_charging_power_limit", 7.0)
    sim.model.write(1, "dc_charger_start_stop", 0)
    assert num(sim, 1, "dc_charger_running_state") == enums.DcChargerState.CHARGING
    assert num(sim, 1, "dc_charger_output_power") == 7.0
    assert num(sim, 247, "total_load_power") == pytest.approx(load + 7.0, abs=0.01)
    balanced(sim)
    soc = num(sim, 1, "dc_charger_vehicle_soc")
    sim.advance(1800)
    assert num(sim, 1, "dc_charger_vehicle_soc") == pytest.approx(soc + 3.5 / 60 * 100, abs=0.2)
    assert num(sim, 1, "dc_charger_session_charge_energy") == pytest.approx(3.5, abs=0.02)
    sim.model.write(1, "dc_charger_max_charging_power_limit", 0.0)
    assert num(sim, 1, "dc_charger_running_state") == enums.DcChargerState.FAULT
    assert num(sim, 1, "dc_charger_output_power") == 0.0
    sim.model.write(1, "dc_charger_max_charging_power_limit", 5.0)
    assert num(sim, 1, "dc_charger_running_state") == enums.DcChargerState.FAULT  # latched
    sim.model.write(1, "dc_charger_start_stop", 1)
    sim.model.write(1, "dc_charger_start_stop", 0)
    assert num(sim, 1, "dc_charger_output_power") == 5.0


def test_plant_stop_and_start() -> None:
    sim = make()
    sim.model.write(247, "plant_start_stop", 0)
    assert num(sim, 247, "plant_running_state") == enums.RunningState.SHUTDOWN
    assert num(sim, 247, "plant_ess_power") == 0.0
    sim.model.write(247, "plant_start_stop", 1)
    assert num(sim, 247, "plant_running_state") == enums.RunningState.RUNNING


# --- what the firmware refuses, over TCP --------------------------------------------------


async def _write(client: AsyncModbusTcpClient, unit: int, address: int, words: list[int]) -> int:
    """Write registers; the exception code of the reply (0: accepted)."""
    reply = await client.write_registers(address, words, device_id=unit)
    return int(getattr(reply, "exception_code", 0)) if reply.isError() else 0


async def test_limit_writes_refused_outside_remote_ems() -> None:
    async with make(limit_writes_need_remote_ems=True) as sim:
        client = await connect(sim)
        try:
            assert await _write(client, 247, 40032, [0, 3000]) == 0x02
            read = await client.read_holding_registers(40032, count=2, device_id=247)
            assert not read.isError()  # the register itself is there: the mode is wrong
            assert await _write(client, 247, 40029, [1]) == 0
            assert await _write(client, 247, 40032, [0, 3000]) == 0
            assert sim.value(247, "ess_max_charging_limit") == 3.0
        finally:
            client.close()


async def test_writes_above_the_ratings_refused() -> None:
    async with make(ratings_bound_writes=True, ac_charger=True, dc_charger=True) as sim:
        client = await connect(sim)
        charger = sim.ac_charger_id
        assert charger is not None
        try:
            assert await _write(client, 247, 40032, [0, 12000]) == 0
            assert await _write(client, 247, 40032, [0, 12001]) == 0x03
            assert await _write(client, 247, 40034, [0xFFFF, 0xFFFF]) == 0x03
            assert await _write(client, charger, 42001, [0, 1600]) == 0
            assert await _write(client, charger, 42001, [0, 1601]) == 0x03
            assert await _write(client, 1, 41002, [0, 12001]) == 0x03
            assert sim.value(247, "ess_max_charging_limit") == 12.0
        finally:
            client.close()


async def test_ac_charger_start_needs_a_vehicle() -> None:
    for start, code in ((NOON, 0x02), (EVENING, 0)):
        async with make(start=start, ac_charger=True, ac_charger_start_needs_vehicle=True) as sim:
            charger = sim.ac_charger_id
            assert charger is not None
            client = await connect(sim)
            try:
                reply = await client.write_register(42000, 0, device_id=charger)
                assert (reply.exception_code if reply.isError() else 0) == code
                current = await client.read_holding_registers(42001, count=2, device_id=charger)
                assert not current.isError()  # the charger's table is there
            finally:
                client.close()


async def test_write_exceptions_leave_reads_alone() -> None:
    async with make() as sim:
        client = await connect(sim)
        try:
            sim.faults.write_exceptions[(247, 40029)] = 0x04
            read = await client.read_holding_registers(40029, count=7, device_id=247)
            assert not read.isError()
            assert await _write(client, 247, 40029, [1]) == 0x04
            assert await _write(client, 247, 40031, [3]) == 0  # another address
            sim.faults.clear()
            assert await _write(client, 247, 40029, [1]) == 0
        finally:
            client.close()


def test_command_line_control_options() -> None:
    """``python -m simulator --write-rules ...`` sets the firmware's control rules."""
    parse = simulator_cli._parser().parse_args
    assert parse([]).write_rules is None  # the firmware profile's
    options = parse(
        [
            "--write-rules",
            "limits-in-command-modes-only,revert-grid-export-limit-after=600,dc-charger",
        ]
    ).write_rules
    assert options == ControlOptions(
        limits_in_command_modes_only=True, revert_grid_export_limit_after=600.0, dc_charger=True
    )
    for bad in (
        "no-such-rule",
        "dc-charger=1",
        "revert-grid-export-limit-after",
        "revert-grid-export-limit-after=soon",
    ):
        with pytest.raises(argparse.ArgumentTypeError):
            simulator_cli.control_options(bad)


def test_firmware_profiles_bring_their_control_rules() -> None:
    """``--firmware v2.8`` applies the limits in the command modes only; V2.9 in every mode."""
    older = PlantSimulator(firmware="v2.8", auto_advance=False, start_time=NOON, tz=TZ)
    assert older.model.control == ControlOptions(limits_in_command_modes_only=True)
    assert PlantSimulator(auto_advance=False, start_time=NOON, tz=TZ).model.control == (
        ControlOptions()
    )
    told = PlantSimulator(
        firmware="v2.8", auto_advance=False, start_time=NOON, tz=TZ, control=ControlOptions()
    )
    assert told.model.control == ControlOptions()
    # on the older profile the charge limit does nothing in self consumption
    half_full(older)
    charging = num(older, 247, "plant_ess_power")
    assert charging > 2.0
    older.model.write(247, "ess_max_charging_limit", 1.0)
    assert num(older, 247, "plant_ess_power") == pytest.approx(charging, abs=W)
