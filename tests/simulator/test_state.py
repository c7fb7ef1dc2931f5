"""The state file: lifetime counters only grow across restarts of the simulator.

Deterministic: the plant's clock is set and moved by the tests, and a state
is saved and restored through JSON as the command line does it.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import pytest

from simulator import state
from simulator.model import PlantModel

from .conftest import TZ

if TYPE_CHECKING:
    from pathlib import Path

MORNING = datetime(2025, 6, 2, 7, 0, tzinfo=TZ).timestamp()
HOUR = 3600.0

LIFETIME = {
    247: (
        "plant_pv_energy_total",
        "plant_load_energy_total",
        "plant_ess_charge_energy_total_legacy",
        "plant_ess_discharge_energy_total_legacy",
        "grid_import_energy_total_legacy",
        "grid_export_energy_total_legacy",
        "common_load_energy_total",
        "smart_load_1_energy_total",
        "evac_charge_energy_total",
    ),
    1: ("pv_energy_total", "ess_charge_energy_total", "ess_discharge_energy_total"),
    2: ("ac_charger_energy_total",),
}
DAILY = {247: ("plant_pv_energy_daily", "plant_load_energy_daily"), 1: ("pv_energy_daily",)}


def plant(start: float, **kwargs: Any) -> PlantModel:
    options: dict[str, Any] = {"inverters": 1, "ac_charger": True, "seed": 1, "tz": TZ}
    options.update(kwargs)
    return PlantModel(start_time=start, **options)


def registers(model: PlantModel, table: dict[int, tuple[str, ...]]) -> dict[tuple[int, str], Any]:
    return {(unit, key): model.values(unit)[key] for unit, keys in table.items() for key in keys}


def saved(model: PlantModel) -> dict[str, Any]:
    """What the state file holds, through JSON as on disk."""
    loaded: dict[str, Any] = json.loads(json.dumps(state.snapshot(model)))
    return loaded


def test_a_restart_goes_on_as_one_run() -> None:
    """Saved in the morning, started again at night: every counter as if it had run on."""
    one_run = plant(MORNING)
    one_run.advance(15 * HOUR)  # past midnight: the daily counters start over on the way
    first = plant(MORNING)
    first.advance(3 * HOUR)
    data = saved(first)

    again = plant(MORNING + 15 * HOUR)
    assert state.restore(again, data).startswith("continued from 2025-06-02T10:00:00")
    assert again.time == one_run.time
    assert registers(again, LIFETIME) == registers(one_run, LIFETIME)
    assert registers(again, DAILY) == registers(one_run, DAILY)
    assert again.values(1)["ess_soc"] == one_run.values(1)["ess_soc"]


def test_without_it_every_start_starts_over() -> None:
    """What the state file is for: the next morning, a fresh plant's counters are lower."""
    first = plant(MORNING)
    first.advance(12 * HOUR)
    fresh = plant(MORNING + 24 * HOUR)
    lower = [k for k, v in registers(fresh, LIFETIME).items() if v < registers(first, LIFETIME)[k]]
    assert lower  # the seed alone would make the counters go back


@pytest.mark.parametrize(
    ("saved_at", "started_at"),
    [
        (MORNING + 30 * HOUR, MORNING + 2 * HOUR),  # run faster than real time: saved ahead
        (MORNING, MORNING + 10 * 24 * HOUR),  # stopped for longer than a week
    ],
    ids=["saved-ahead-of-the-start", "a-long-stop"],
)
def test_lifetime_counters_never_lower(saved_at: float, started_at: float) -> None:
    """The clock is the start's; each lifetime counter goes on from the saved one."""
    first = plant(MORNING)
    first.advance(saved_at - MORNING)
    data = saved(first)
    before = registers(first, LIFETIME)

    again = plant(started_at)
    assert state.restore(again, data).startswith("lifetime counters continued from")
    assert again.time == started_at
    after = registers(again, LIFETIME)
    for key, value in before.items():
        assert after[key] >= value, key
    assert registers(again, DAILY) == registers(plant(started_at), DAILY)  # the day's own


def test_another_plants_file_is_not_used() -> None:
    other = plant(MORNING, seed=7)
    other.advance(HOUR)
    again = plant(MORNING + HOUR)
    before = registers(again, LIFETIME)
    assert state.restore(again, saved(other)) == "not used: it is another plant's"
    assert registers(again, LIFETIME) == before
    assert state.restore(again, {"version": 0}) == "not used: it is another plant's"


def test_file_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "state.json"
    assert state.load(path) is None
    model = plant(MORNING)
    state.save(path, state.snapshot(model))
    assert state.load(path) == saved(model)
    assert [p.name for p in path.parent.iterdir()] == ["state.json"]  # no partial file left
    path.write_text("{not json", encoding="utf-8")
    assert state.load(path) is None


def test_default_path_is_one_file_a_plant(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path))
    one = state.default_path(seed=1, inverters=1, ac_charger=False)
    assert one == tmp_path / "sigenergy-simulator" / "plant-seed1-inverters1.json"
    assert len({one, state.default_path(seed=1, inverters=3, ac_charger=False)}) == 2
    assert state.default_path(seed=1, inverters=1, ac_charger=True).name.endswith(
        "-ac-charger.json"
    )
    monkeypatch.delenv("XDG_STATE_HOME")
    home = state.default_path(seed=2, inverters=1, ac_charger=False)
    assert home.parts[-4:-1] == (".local", "state", "sigenergy-simulator")


def test_the_plants_state_of_charge_at_start() -> None:
    """--start-soc: by the warm-up's physics where it gets there, else set at the start."""
    from simulator.model import plant_at_soc, plant_soc  # noqa: PLC0415

    for hour in (0, 9, 15, 21):
        start = datetime(2025, 6, 2, hour, 0, tzinfo=TZ) + timedelta(minutes=30)
        model = plant_at_soc(60.0, inverters=2, seed=1, start_time=start.timestamp(), tz=TZ)
        assert plant_soc(model) == pytest.approx(60.0, abs=state_tolerance()), hour
        assert model.time == start.timestamp()


def state_tolerance() -> float:
    from simulator.model import SOC_TOLERANCE  # noqa: PLC0415

    return SOC_TOLERANCE
