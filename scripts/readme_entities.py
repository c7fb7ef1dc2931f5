"""Generate the entity tables of docs/ENTITIES.md from the entity descriptions.

    python scripts/readme_entities.py          # rewrite docs/ENTITIES.md (scripts/generate does)
    python scripts/readme_entities.py --check  # exit 1 when out of date

The tables sit between ``<!-- entities:start -->`` and ``<!-- entities:end -->``
(the README links to them); tests/integration/test_readme.py fails when they
no longer match the code.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from custom_components.sigenergy_modbus.binary_sensor import BINARY_SENSORS  # noqa: E402
from custom_components.sigenergy_modbus.button import BUTTONS  # noqa: E402
from custom_components.sigenergy_modbus.const import POLL_INTERVALS  # noqa: E402
from custom_components.sigenergy_modbus.number import NUMBERS  # noqa: E402
from custom_components.sigenergy_modbus.protocol.registers import BY_KEY, PLANT_UNIT_ID  # noqa: E402
from custom_components.sigenergy_modbus.select import SELECTS  # noqa: E402
from custom_components.sigenergy_modbus.sensor import SENSORS  # noqa: E402
from custom_components.sigenergy_modbus.switch import SWITCHES  # noqa: E402

TABLES = ROOT / "docs" / "ENTITIES.md"
_MINUTE = 60
START, END = "<!-- entities:start -->", "<!-- entities:end -->"
ROLE_TITLES = {
    "plant": "Plant (unit 247)",
    "inverter": "Inverter (its unit id)",
    "battery": "Battery (inverter's unit id)",
    "pv": "PV inputs (inverter's unit id)",
    "dc_charger": "DC charger (inverter's unit id)",
    "ac_charger": "AC charger (its unit id)",
}


def _interval(group: str) -> str:
    seconds = int(POLL_INTERVALS[group].total_seconds())  # type: ignore[index]
    minutes, rest = divmod(seconds, _MINUTE)
    return f"{minutes} min" if minutes > 1 and not rest else f"{seconds} s"


def _source(group: list[Any]) -> str:
    addresses = []
    for description in group:
        if description.capability is not None:
            index = getattr(description, "coil", None)
            if index is None:
                index = int(description.key[2:]) - 1
                addresses.append(f"discrete input {index}")
            else:
                addresses.append(f"coil {index}")
    addresses += [
        str(BY_KEY[k].address) for k in dict.fromkeys(k for d in group for k in d.registers)
    ]
    commands = {getattr(d, "command", None) for d in group} - {None}
    addresses += [f"{BY_KEY[k].address} (write only)" for k in sorted(commands)]
    plant = [
        str(BY_KEY[k].address) for k in dict.fromkeys(k for d in group for k in d.plant_registers)
    ]
    text = ", ".join(addresses) or "-"
    if len(addresses) > 4:  # noqa: PLR2004
        text = f"{addresses[0]} … {addresses[-1]} ({len(addresses)} registers)"
    return f"{text} + plant {', '.join(plant)}" if plant else text


def _rows(
    platform: str, descriptions: tuple[Any, ...], names: dict[str, Any]
) -> list[tuple[str, list[str]]]:
    grouped: dict[tuple[str, str], list[Any]] = {}
    for description in descriptions:
        grouped.setdefault((description.role, description.translation_key), []).append(description)
    rows = []
    for (role, key), group in grouped.items():
        first = group[0]
        name = names[platform][key]["name"]
        unit = getattr(first, "native_unit_of_measurement", None) or ""
        if getattr(first, "options", None):
            unit = " / ".join(f"`{o}`" for o in first.options)
        enabled = "yes" if first.entity_registry_enabled_default else "no"
        category = first.entity_category.value if first.entity_category else ""
        count = f" (x{len(group)})" if len(group) > 1 else ""
        if first.smart_load is not None:
            count = f" (x{len(group)}, the loads in use)"
        rows.append(
            (
                role,
                [
                    f"{name}{count}",
                    platform.replace("_", " "),
                    _source(group),
                    unit,
                    "-" if getattr(first, "command", None) else _interval(first.group),
                    enabled,
                    category,
                ],
            )
        )
    return rows


def render() -> str:
    """The Markdown tables, one per device."""
    names = json.loads((ROOT / "custom_components/sigenergy_modbus/strings.json").read_text())[
        "entity"
    ]
    rows = [
        *_rows("sensor", SENSORS, names),
        *_rows("binary_sensor", BINARY_SENSORS, names),
        *_rows("switch", SWITCHES, names),
        *_rows("number", NUMBERS, names),
        *_rows("select", SELECTS, names),
        *_rows("button", BUTTONS, names),
    ]
    out = [
        "Generated from the entity descriptions by `scripts/readme_entities.py`;",
        f"registers are Modbus addresses on the unit shown (the plant is unit {PLANT_UNIT_ID}).",
        "*Enabled* says whether an entity is enabled by default. `{placeholders}` stand for",
        "the string, smart load, alarm, input or contact number.",
        "",
    ]
    for role, title in ROLE_TITLES.items():
        mine = [r for rl, r in rows if rl == role]
        out += [
            f"**{title}**",
            "",
            "| entity | platform | registers | unit / states | every | enabled | category |",
            "|---|---|---|---|---|---|---|",
            *("| " + " | ".join(cells) + " |" for cells in mine),
            "",
        ]
    return "\n".join(out).rstrip() + "\n"


def current() -> str:
    """The tables as they stand in docs/ENTITIES.md."""
    text = TABLES.read_text()
    return text[text.index(START) + len(START) : text.index(END)].strip("\n") + "\n"


def main() -> int:
    """Rewrite docs/ENTITIES.md, or with --check say whether it is current."""
    fresh = render()
    if "--check" in sys.argv:
        return 0 if current() == fresh else 1
    text = TABLES.read_text()
    head, rest = text.split(START, 1)
    _old, tail = rest.split(END, 1)
    TABLES.write_text(f"{head}{START}\n{fresh}{END}{tail}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
