"""The protocol's own tables (tests/data), read independently of the package.

``registers.csv`` and ``appendices.json`` are copies of the validated extraction
of Sigenergy Modbus Protocol V2.9 (tables 5-1 to 5-10, appendices 1-21). The
tests compare the package's register map and enumerations with them, and the
planner tests derive from them, not from the package, which addresses a read may
bridge.
"""

from __future__ import annotations

import csv
import json
from functools import cache
from pathlib import Path
from typing import Any

DATA_DIR = Path(__file__).parent.parent / "data"

SCOPE_TABLES = ("5-1", "5-2-1", "5-2-2", "5-2-3", "5-2-4", "5-3", "5-4", "5-5", "5-6")
"""Tables of the plant, hybrid inverter and AC charger (PSS/PID are out of scope)."""

NOT_APPLICABLE = frozenset({"N/A", "NA"})


@cache
def csv_rows() -> tuple[dict[str, str], ...]:
    """Every in-scope row of registers.csv, Reserved rows included."""
    with (DATA_DIR / "registers.csv").open(encoding="utf-8", newline="") as handle:
        return tuple(row for row in csv.DictReader(handle) if row["table"] in SCOPE_TABLES)


def register_rows() -> tuple[dict[str, str], ...]:
    """The in-scope rows that are registers (not Reserved)."""
    return tuple(row for row in csv_rows() if row["name"] != "Reserved")


def reserved_rows() -> tuple[dict[str, str], ...]:
    """The in-scope Reserved rows."""
    return tuple(row for row in csv_rows() if row["name"] == "Reserved")


def gain(row: dict[str, str]) -> int:
    """The printed gain, N/A read as 1."""
    return 1 if row["gain"] in NOT_APPLICABLE else int(row["gain"])


def unit(row: dict[str, str]) -> str | None:
    """The printed unit, N/A read as None."""
    return None if row["unit"] in NOT_APPLICABLE else row["unit"]


def readable(row: dict[str, str]) -> bool:
    """Whether the row's access allows reading."""
    return row["access"] != "WO"


@cache
def table_addresses() -> frozenset[int]:
    """Every address a readable in-scope row (register or Reserved) occupies."""
    return frozenset(
        address
        for row in csv_rows()
        if readable(row)
        for address in range(int(row["address"]), int(row["address"]) + int(row["count"]))
    )


@cache
def appendices() -> dict[str, Any]:
    """appendices.json, keyed ``appendix_N``."""
    with (DATA_DIR / "appendices.json").open(encoding="utf-8") as handle:
        return json.load(handle)


def appendix(number: int) -> dict[str, Any]:
    """One appendix."""
    return appendices()[f"appendix_{number}"]
