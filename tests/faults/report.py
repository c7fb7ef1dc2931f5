"""The fault matrix's measurements, and docs/RELIABILITY.md written from them."""

from __future__ import annotations

import json
import platform
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path

MANIFEST = Path(__file__).parents[2] / "custom_components" / "sigenergy_modbus" / "manifest.json"


@dataclass(frozen=True, slots=True, kw_only=True)
class Measurement:
    """What one fault did, measured in simulated time."""

    order: float
    fault: str
    user_sees: str
    duration: float
    """Simulated seconds the fault lasted."""
    recovery: float | None
    """Seconds from the fault's end to every entity available again (None: not applicable)."""
    realtime: float | None
    """Seconds from the fault's end to the 5 s (plant power flow) entities available again."""
    connections: int
    """TCP connections the server (simulator or proxy) accepted during the fault."""
    attempts: int
    """Connection attempts the integration made during the fault (its client's counters)."""
    polls: int
    """Polls that came due during the fault, all coordinators together."""


MEASUREMENTS: list[Measurement] = []

HEADER = """\
# Reliability: the fault matrix

Written by `tests/faults/test_fault_matrix.py` when run with `RELIABILITY_REPORT=1`
(`RELIABILITY_REPORT=1 .venvs/current/bin/python -m pytest tests/faults`); a normal test run
checks the same things without writing this file. Do not edit by hand: run it again.

- Date: {date}
- Integration {integration}, Home Assistant {homeassistant}, pymodbus {pymodbus},
  Python {python}

Every fault runs the real integration (all platforms, the recorder on) against the plant
simulator over Modbus TCP, directly or through a fault-injecting TCP proxy
(`tests/faults/proxy.py`). Time is simulated: Home Assistant's clock moves in 5 s steps
(60 s steps through the middle of the hour-long outage) and the plant with it. Each
fault is checked for:

- the entities it concerns unavailable while it lasts, never a power or energy value of
  0 instead;
- every entity available before it available again within two poll intervals of its own
  poll (realtime 5 s, detail 30 s, energy 60 s, settings 5 min) after it ends;
- no lifetime energy sensor ever decreasing, in the state machine or in the recorder;
- no traceback or unhandled exception in the log; one error line per poll when it starts
  failing and one when it recovers;
- no connection storm: at most one connection attempt per 5 s step and per poll, and a
  back-off that grows while connecting keeps failing;
- nothing written to the plant (the one write test: the write is sent once, never
  repeated).

Columns: *lasted*, how long the fault was injected; *recovery*, seconds from the end of
the fault until every entity that was available before it is available again (mostly
the wait for the 60 s energy poll or the 5 min settings poll); *realtime*, the same for
the plant's power-flow entities (5 s poll); *connections*, TCP connections the server
accepted during the fault; *attempts*, connection attempts the integration made
(accepted or refused); *polls*, polls that came due during the fault, all four
coordinators together. A dash: nothing became unavailable there, or (0x02, firmware)
what became unavailable stays so by design.
"""


FOOTER = """
Notes:

- The integration logs one error per poll when it starts failing and one line when it
  recovers. What pymodbus, underneath, logs about the integration's connections (a
  warning with the address for every refused connection attempt, an error for every
  reply with a wrong transaction id) goes to the integration's debug log, the address
  redacted; an undecodable frame never reaches pymodbus. No traceback either way.
- At the back-off's 10 s cap a plant that stays down is tried once every 5-10 s in real
  time; the hour above moves the clock in 60 s steps after its first two minutes, so it
  counts about one attempt a minute there.
- An inverter that does not answer while the plant does costs its own entities only;
  one that times out costs a reconnect per poll that reads it (the connection is dropped
  after a timeout, so that a late reply can never be taken for a later request's).
- What identification accepts (tests/faults/test_bad_input.py): a plain Modbus server
  answering zeros or random words, or refusing unit 247, is "not a Sigenergy plant"
  after one request, with nothing created; one answering a real plant's registers at
  unit 247 but random words at every inverter id costs one pass (247 requests) and is
  refused the same way, without a log line above DEBUG. A plant of more than 32
  inverters and AC chargers is refused with its own error.
"""


def _seconds(value: float | None) -> str:
    return "—" if value is None else f"{value:g} s"


def write_report(path: Path, measurements: list[Measurement]) -> None:
    """Write the matrix as Markdown."""
    manifest = json.loads(MANIFEST.read_text())
    lines = [
        HEADER.format(
            date=datetime.now(UTC).date().isoformat(),
            integration=manifest["version"],
            homeassistant=version("homeassistant"),
            pymodbus=version("pymodbus"),
            python=platform.python_version(),
        ),
        (
            "| fault | what the user sees | lasted | recovery | realtime | connections "
            "| attempts | polls |"
        ),
        "|---|---|---|---|---|---|---|---|",
    ]
    lines.extend(
        f"| {m.fault} | {m.user_sees} | {_seconds(m.duration)} | {_seconds(m.recovery)} "
        f"| {_seconds(m.realtime)} | {m.connections} | {m.attempts} | {m.polls} |"
        for m in sorted(measurements, key=lambda m: m.order)
    )
    lines.append(FOOTER)
    path.write_text("\n".join(lines))
