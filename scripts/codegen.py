"""Files generated from the code: the register keys and the English translation.

    python scripts/codegen.py          # rewrite them
    python scripts/codegen.py --check  # exit 1 when one is out of date

* ``protocol/keys.py``: one ``Key`` member a register of the map
  (``protocol/registers.py``), so that a misspelt key is a type error.
* ``translations/en.json``: a copy of ``strings.json``. Home Assistant builds it
  for core integrations; a custom integration must ship it.

``scripts/generate`` runs this, the entity tables (docs/ENTITIES.md) and the snapshots
in one go; tests/integration/test_codegen.py fails when a file is stale.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from custom_components.sigenergy_modbus.protocol.registers import REGISTERS  # noqa: E402

INTEGRATION = ROOT / "custom_components" / "sigenergy_modbus"
KEYS = INTEGRATION / "protocol" / "keys.py"
STRINGS = INTEGRATION / "strings.json"
EN = INTEGRATION / "translations" / "en.json"

_HEADER = '''"""Register keys as typed constants: one member a register of the map.

Generated from ``registers.py`` by ``scripts/codegen.py``; do not edit. A
``Key`` is the register's ``key`` string (``Key.PLANT_ESS_SOC ==
"plant_ess_soc"``), so it indexes everything keyed by register key.
"""

from __future__ import annotations

from enum import StrEnum


class Key(StrEnum):
    """The key of a register of the Sigenergy Modbus protocol V2.9 map."""

'''


def keys_source() -> str:
    """The source of protocol/keys.py."""
    lines = [f'    {r.key.upper()} = "{r.key}"' for r in REGISTERS]
    return _HEADER + "\n".join(lines) + "\n"


def en_json() -> str:
    """translations/en.json: strings.json as Home Assistant would build it."""
    return (
        json.dumps(json.loads(STRINGS.read_text(encoding="utf-8")), indent=2, ensure_ascii=False)
        + "\n"
    )


def outputs() -> dict[Path, str]:
    """Each generated file and what it should contain."""
    return {KEYS: keys_source(), EN: en_json()}


def main() -> int:
    """Rewrite the files, or with --check list the stale ones."""
    stale = [p for p, text in outputs().items() if not p.exists() or p.read_text() != text]
    if "--check" in sys.argv:
        for path in stale:
            print(f"{path.relative_to(ROOT)} is out of date: run scripts/generate")
        return 1 if stale else 0
    for path in stale:
        path.write_text(outputs()[path])
        print(f"wrote {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
