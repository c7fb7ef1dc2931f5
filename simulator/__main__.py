"""Command line: serve a simulated SigenStor plant until Ctrl-C or SIGTERM."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
import sys
from dataclasses import fields
from datetime import datetime

from .firmware import PROFILES
from .model import ControlOptions, Scenario
from .server import PlantSimulator

_SCENARIOS = [s.value.replace("_", "-") for s in Scenario if s is not Scenario.NORMAL]


_CONTROL = {f.name.replace("_", "-"): f.name for f in fields(ControlOptions)}


def control_options(text: str) -> ControlOptions:
    """``--control``: comma-separated options, ``name`` for on, ``name=SECONDS`` for a time."""
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


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m simulator",
        description="Serve a simulated Sigenergy SigenStor plant over Modbus TCP.",
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
        help="simulated start, ISO 8601 (default: today 12:00)",
    )
    parser.add_argument(
        "--silent-missing-ids", action="store_true", help="never answer unknown unit ids"
    )
    parser.add_argument(
        "--control",
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


async def _serve(args: argparse.Namespace) -> None:
    start: datetime | None = args.start_time
    if start is not None and start.tzinfo is None:
        start = start.astimezone()
    sim = PlantSimulator(
        inverters=args.inverters,
        ac_charger=args.ac_charger,
        coils=not args.no_coils,
        latency=args.latency,
        speed=args.speed,
        start_time=start,
        seed=args.seed,
        missing_ids="silent" if args.silent_missing_ids else "exception",
        firmware=args.firmware,
        phases=args.phases,
        control=args.control,
    )
    if args.scenario:
        sim.set_scenario(args.scenario)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(signum, stop.set)
    await sim.start(args.host, args.port)
    units = ", ".join(str(u) for u in sim.unit_ids)
    sys.stdout.write(
        f"Sigenergy plant simulator on {sim.host}:{sim.port}, unit ids {units}"
        f" ({sim.scenario}, firmware {sim.firmware.name}, speed {sim.speed:g}). Ctrl-C to stop.\n"
    )
    sys.stdout.flush()
    try:
        await stop.wait()
    finally:
        await sim.stop()
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
