"""Command line: serve a simulated SigenStor plant until Ctrl-C or SIGTERM.

A demo should tell the truth: by default the plant starts at the local wall
clock time with its batteries at 60 %, its lifetime counters go on from the
last run (a state file), and it can be driven while it runs (a control
interface on the loopback address, ``simulator.control``).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
import sys
import time
from dataclasses import fields
from datetime import datetime
from pathlib import Path

from . import state
from .control import SCENARIOS, Control
from .firmware import PROFILES
from .model import ControlOptions
from .server import MissingIds, PlantSimulator

_SCENARIOS = [s for s in SCENARIOS if s != "normal"]
DEFAULT_START_SOC = 60.0
SAVE_EVERY = 60.0
"""Seconds (real time) between saves of the state file, besides the one at stop."""


def _start_soc(text: str) -> float | None:
    if text == "physics":
        return None
    value = float(text)
    if not 0.0 <= value <= 100.0:
        msg = "a state of charge is 0-100 (or 'physics')"
        raise argparse.ArgumentTypeError(msg)
    return value


_CONTROL = {f.name.replace("_", "-"): f.name for f in fields(ControlOptions)}


def control_options(text: str) -> ControlOptions:
    """``--write-rules``: comma-separated options, ``name`` for on, ``name=SECONDS`` for a time."""
    options = ControlOptions()
    for item in filter(None, (part.strip() for part in text.split(","))):
        name, _, value = item.partition("=")
        attr = _CONTROL.get(name)
        if attr is None:
            msg = f"unknown control option {name!r} (one of {', '.join(_CONTROL)})"
            raise argparse.ArgumentTypeError(msg)
        timed = attr == "revert_grid_export_limit_after"
        if timed != bool(value):
            msg = f"{name} {'needs =SECONDS' if timed else 'takes no value'}"
            raise argparse.ArgumentTypeError(msg)
        try:
            setattr(options, attr, float(value) if timed else True)
        except ValueError as err:
            msg = f"{name}: {value!r} is not a number of seconds"
            raise argparse.ArgumentTypeError(msg) from err
    return options


def _unit_ids(text: str) -> list[int]:
    try:
        return [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        msg = f"not a comma-separated list of unit ids: {text!r}"
        raise argparse.ArgumentTypeError(msg) from None


_MISSING: dict[str, MissingIds] = {
    "gateway": "exception",
    "illegal-address": "illegal_address",
    "silent": "silent",
}


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m simulator",
        description="Serve a simulated Sigenergy SigenStor plant over Modbus TCP.",
        epilog=f"Scenarios: normal, {', '.join(_SCENARIOS)}.",
    )
    parser.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)"
    )
    parser.add_argument(
        "--port", type=int, default=5020, help="TCP port (default 5020; 0: any free port)"
    )
    parser.add_argument(
        "--inverters", type=int, default=1, help="number of inverters, unit ids 1..N"
    )
    parser.add_argument(
        "--ac-charger", action="store_true", help="add an AC charger at unit id N+1"
    )
    parser.add_argument(
        "--speed", type=float, default=1.0, help="simulated seconds per real second"
    )
    parser.add_argument(
        "--latency", type=float, default=0.015, help="seconds per request (default 0.015)"
    )
    parser.add_argument(
        "--no-coils",
        action="store_true",
        help="no coils/discrete inputs (answer 0x01), as real firmware has none",
    )
    parser.add_argument(
        "--firmware",
        choices=list(PROFILES),
        default="v2.9",
        help="how the firmware answers: "
        + "; ".join(f"{p.name}: {p.summary}" for p in PROFILES.values())
        + " (default v2.9; the others have no coils)",
    )
    parser.add_argument(
        "--phases",
        type=int,
        choices=[1, 3],
        default=3,
        help="AC phases of the inverters (1: single-phase models, L/N)",
    )
    parser.add_argument(
        "--seed", type=int, default=1, help="seed of the plant's hardware and day curves"
    )
    parser.add_argument("--scenario", choices=_SCENARIOS, help="start in a fault scenario")
    parser.add_argument(
        "--start-time",
        type=datetime.fromisoformat,
        help="simulated start, ISO 8601 (default: now, the local wall clock)",
    )
    parser.add_argument(
        "--start-soc",
        type=_start_soc,
        default=DEFAULT_START_SOC,
        metavar="PERCENT",
        help="the batteries' state of charge at the start when the plant starts afresh "
        f"(default {DEFAULT_START_SOC:g}; 'physics': what the seeded day since midnight gives)",
    )
    parser.add_argument(
        "--state-file",
        type=Path,
        help="where the plant keeps its lifetime counters across restarts (default: "
        "$XDG_STATE_HOME/sigenergy-simulator/, else ~/.local/state/, one file a plant)",
    )
    parser.add_argument(
        "--no-state",
        action="store_true",
        help="start from the seed and save nothing: counters start over at every start",
    )
    parser.add_argument(
        "--control-port",
        type=int,
        help="HTTP/JSON control interface on 127.0.0.1 (default: the Modbus port + 1, "
        "else a free port; 0: a free port)",
    )
    parser.add_argument("--no-control", action="store_true", help="no control interface")
    parser.add_argument(
        "--unit-ids",
        type=_unit_ids,
        help="the inverters' unit ids, e.g. 1,2,7 (any of 1-246; overrides --inverters)",
    )
    parser.add_argument(
        "--ac-charger-id", type=int, help="unit id of an AC charger (implies --ac-charger)"
    )
    parser.add_argument(
        "--missing-ids",
        choices=["gateway", "illegal-address", "silent"],
        default="gateway",
        help="what unit ids without a device answer: exception 0x0B (default), 0x02, or nothing",
    )
    parser.add_argument(
        "--silent-missing-ids", action="store_true", help="same as --missing-ids silent"
    )
    parser.add_argument(
        "--write-rules",
        dest="write_rules",
        type=control_options,
        metavar="OPTIONS",
        help="how the firmware treats control writes, comma-separated (default: the"
        " --firmware profile's; v2.8 applies the limits in the command modes only): "
        + ", ".join(
            n if n != "revert-grid-export-limit-after" else f"{n}=SECONDS" for n in _CONTROL
        )
        + "; e.g. limits-in-command-modes-only (firmware before V2.9),"
        " revert-grid-export-limit-after=600 (the plant puts 40038 back)",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    return parser


def _state_path(args: argparse.Namespace) -> Path | None:
    if args.no_state:
        return None
    if args.state_file is not None:
        return Path(args.state_file)
    return state.default_path(seed=args.seed, inverters=args.inverters, ac_charger=args.ac_charger)


def _simulator(args: argparse.Namespace, saved: dict[str, object] | None) -> PlantSimulator:
    start: datetime = args.start_time or datetime.now().astimezone()
    if start.tzinfo is None:
        start = start.astimezone()
    return PlantSimulator(
        inverters=args.inverters,
        ac_charger=args.ac_charger,
        coils=not args.no_coils,
        latency=args.latency,
        speed=args.speed,
        start_time=start,
        seed=args.seed,
        missing_ids="silent" if args.silent_missing_ids else _MISSING[args.missing_ids],
        unit_ids=args.unit_ids,
        ac_charger_id=args.ac_charger_id,
        firmware=args.firmware,
        phases=args.phases,
        # A plant that goes on from its state file keeps its own state of charge.
        start_soc=None if saved is not None else args.start_soc,
        control=args.write_rules,
    )


async def _start_control(sim: PlantSimulator, args: argparse.Namespace) -> Control | None:
    if args.no_control:
        return None
    control = Control(sim)
    if args.control_port is not None:
        await control.start(args.control_port)
        return control
    wanted = sim.port + 1 if args.port else 0
    try:
        await control.start(wanted)
    except OSError:  # taken: any free port, which the start line names
        await control.start(0)
    return control


def _save(sim: PlantSimulator, path: Path | None) -> None:
    if path is None:
        return
    _ = sim.time  # the plant's clock up to now
    try:
        state.save(path, state.snapshot(sim.model))
    except OSError as err:
        logging.getLogger(__name__).warning("Cannot save the state file %s: %s", path, err)


async def _serve(args: argparse.Namespace) -> None:
    path = _state_path(args)
    saved = state.load(path) if path is not None else None
    sim = _simulator(args, saved)
    restored = None if saved is None else state.restore(sim.model, saved)
    if args.scenario:
        sim.set_scenario(args.scenario)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(signum, stop.set)
    await sim.start(args.host, args.port)
    control = await _start_control(sim, args)
    units = ", ".join(str(u) for u in sim.unit_ids)
    moment = datetime.fromtimestamp(sim.time, sim.tz).isoformat(timespec="seconds")
    lines = [
        (
            f"Sigenergy plant simulator on {sim.host}:{sim.port}, unit ids {units}"
            f" ({sim.scenario}, firmware {sim.firmware.name}, speed {sim.speed:g})."
            " Ctrl-C to stop."
        ),
        f"Plant time {moment}, battery {sim.value(247, 'plant_ess_soc')} %.",
    ]
    if control is not None:
        lines.append(f"Control: {control.url} (GET / for the state; POST /input, /scenario, ...)")
    if path is not None:
        lines.append(f"State file: {path} ({restored or 'new: the plant starts from its seed'})")
    sys.stdout.write("\n".join(lines) + "\n")
    sys.stdout.flush()
    last_save = time.monotonic()
    try:
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), SAVE_EVERY)
            if time.monotonic() - last_save >= SAVE_EVERY:
                _save(sim, path)
                last_save = time.monotonic()
    finally:
        if control is not None:
            await control.stop()
        await sim.stop()
        _save(sim, path)
        sys.stdout.write("Simulator stopped.\n")


def main(argv: list[str] | None = None) -> int:
    """Run the command line."""
    args = _parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    asyncio.run(_serve(args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
