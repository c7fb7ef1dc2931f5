"""What a simulated plant keeps across restarts of the simulator: a JSON state file.

A real plant never resets its lifetime energy counters; a simulator that
starts from its seed every time would, and Home Assistant would see every
counter drop at each restart. The command line therefore saves the plant's
counters, its batteries' state of charge and its clock to a file (at stop and
once a minute) and restores them at the next start:

* Saved at most ``MAX_GAP`` before the new start: the plant is put back as it
  was when saved and runs on, with the same physics, to the start time, as if
  it had gone on while the simulator was stopped: every counter, lifetime and
  daily, goes on from where it was.
* Saved longer ago, or later than the start (a simulator run faster than real
  time, or an earlier ``--start-time``): the lifetime counters continue from
  the saved ones plus the day's energy until the start; the day's counters and
  the state of charge are the start day's own.

Either way no lifetime counter is ever lower than it was saved. A file of
another plant (seed, inverters, AC charger) is not used. Only the command
line uses a state file; the Python API (``PlantSimulator``, the tests) starts
from the seed, deterministically.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
from dataclasses import fields
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .model import PlantCounters, PlantModel

if TYPE_CHECKING:
    from collections.abc import Mapping

_LOGGER = logging.getLogger(__name__)

VERSION = 1
MAX_GAP = 7 * 86400.0
"""Longest stop (simulated seconds) that is bridged by running the physics through it."""

INVERTER_FIELDS = (
    "soc",
    "pv_total",
    "charge_total",
    "discharge_total",
    "pv_daily",
    "charge_daily",
    "discharge_daily",
)
INVERTER_LIFETIME = ("pv_total", "charge_total", "discharge_total")
COUNTER_FIELDS = tuple(f.name for f in fields(PlantCounters) if f.name != "new_interface_offset")
"""The plant counters saved; the new interface's offsets follow from the seed."""
PLANT_LIFETIME = tuple(f for f in COUNTER_FIELDS if f.endswith("_total") and f != "smart_total")


def signature(model: PlantModel) -> dict[str, Any]:
    """What makes a plant this plant: a state file of another one is not used."""
    return {
        "seed": model.seed,
        "serials": [i.spec.serial for i in model.inverters],
        "ac_charger": model.ac_charger is not None,
    }


def default_path(*, seed: int, inverters: int, ac_charger: bool) -> Path:
    """``$XDG_STATE_HOME/sigenergy-simulator/`` (else ``~/.local/state/``), one file a plant."""
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    name = f"plant-seed{seed}-inverters{inverters}{'-ac-charger' if ac_charger else ''}.json"
    return Path(base) / "sigenergy-simulator" / name


def snapshot(model: PlantModel) -> dict[str, Any]:
    """The plant's state now, as the state file holds it."""
    counters = model.counters
    return {
        "version": VERSION,
        "plant": signature(model),
        "time": model.time,
        "saved": datetime.fromtimestamp(model.time, model.tz).isoformat(timespec="seconds"),
        "inverters": [{f: getattr(i, f) for f in INVERTER_FIELDS} for i in model.inverters],
        "counters": {
            f: list(getattr(counters, f)) if f == "smart_total" else getattr(counters, f)
            for f in COUNTER_FIELDS
        },
        "ac_charger": None if model.ac_charger is None else model.ac_charger.energy_total,
    }


def restore(model: PlantModel, data: Mapping[str, Any]) -> str:
    """Put a saved state into a freshly built plant (at its start time); what was done.

    The model must be just built, its clock at its start time.
    """
    if data.get("version") != VERSION or data.get("plant") != signature(model):
        return "not used: it is another plant's"
    start = model.time
    saved = float(data["time"])
    if saved <= start <= saved + MAX_GAP:
        _put_back(model, data)
        model.time = saved
        model.advance(start - saved)
        return f"continued from {data.get('saved', saved)}"
    _continue_counters(model, data)
    return f"lifetime counters continued from {data.get('saved', saved)}"


def _put_back(model: PlantModel, data: Mapping[str, Any]) -> None:
    for inverter, saved in zip(model.inverters, data["inverters"], strict=True):
        for name in INVERTER_FIELDS:
            setattr(inverter, name, float(saved[name]))
    for name in COUNTER_FIELDS:
        value = data["counters"][name]
        setattr(
            model.counters,
            name,
            [float(v) for v in value] if name == "smart_total" else float(value),
        )
    if model.ac_charger is not None and data.get("ac_charger") is not None:
        model.ac_charger.energy_total = float(data["ac_charger"])


def _continue_counters(model: PlantModel, data: Mapping[str, Any]) -> None:
    """Lifetime counters: the saved ones plus the start day's energy until the start."""
    cold = PlantModel(
        inverters=len(model.inverters),
        ac_charger=model.ac_charger is not None,
        seed=model.seed,
        start_time=model.time,
        tz=model.tz,
        warm_up=False,
    )
    for inverter, before, saved in zip(
        model.inverters, cold.inverters, data["inverters"], strict=True
    ):
        for name in INVERTER_LIFETIME:
            today = getattr(inverter, name) - getattr(before, name)
            setattr(inverter, name, float(saved[name]) + today)
    counters, seeded = model.counters, cold.counters
    for name in PLANT_LIFETIME:
        today = getattr(counters, name) - getattr(seeded, name)
        setattr(counters, name, float(data["counters"][name]) + today)
    counters.smart_total = [
        float(saved) + now - then
        for saved, now, then in zip(
            data["counters"]["smart_total"], counters.smart_total, seeded.smart_total, strict=True
        )
    ]
    if model.ac_charger is not None and cold.ac_charger is not None and data.get("ac_charger"):
        today = model.ac_charger.energy_total - cold.ac_charger.energy_total
        model.ac_charger.energy_total = float(data["ac_charger"]) + today
    model.refresh()


def load(path: Path) -> dict[str, Any] | None:
    """A state file's content, or None when there is none (or it cannot be read)."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except OSError as err:
        _LOGGER.warning("Cannot read the state file %s: %s", path, err)
        return None
    try:
        data = json.loads(text)
    except ValueError as err:
        _LOGGER.warning("The state file %s is not JSON (%s); starting from the seed", path, err)
        return None
    return data if isinstance(data, dict) else None


def save(path: Path, data: Mapping[str, Any]) -> None:
    """Write a state file at once or not at all (a new file renamed over the old one)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.{os.getpid()}")
    try:
        partial.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
        partial.replace(path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            partial.unlink()
