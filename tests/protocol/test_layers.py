"""The protocol package is pure Python: nothing in it imports Home Assistant."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

PROTOCOL_DIR = (
    Path(__file__).resolve().parents[2] / "custom_components" / "sigenergy_modbus" / "protocol"
)
MODULES = sorted(PROTOCOL_DIR.rglob("*.py"))


def test_protocol_modules_found() -> None:
    names = {m.stem for m in MODULES}
    assert {
        "__init__",
        "registers",
        "enums",
        "codec",
        "planner",
        "exceptions",
        "indicators",
        "contacts",
        "discovery",
        "client",
    } <= names


def _imported_modules(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level == 0 and node.module:
                names.append(node.module)
            elif node.level > 1:
                # "from .. import x" would leave the package.
                names.append("." * node.level + (node.module or ""))
    return names


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.name)
def test_no_homeassistant_import_static(path: Path) -> None:
    for name in _imported_modules(path):
        assert not name.startswith(("homeassistant", "custom_components", "..")), (
            f"{path.name} imports {name}"
        )


_PROBE = """
import importlib
import importlib.util
import json
import pkgutil
import sys

directory = sys.argv[1]
name = "sigenergy_protocol"
spec = importlib.util.spec_from_file_location(
    name, directory + "/__init__.py", submodule_search_locations=[directory]
)
package = importlib.util.module_from_spec(spec)
sys.modules[name] = package
spec.loader.exec_module(package)
loaded = []
for info in pkgutil.iter_modules(package.__path__):
    importlib.import_module(f"{name}.{info.name}")
    loaded.append(info.name)
print(json.dumps({
    "loaded": sorted(loaded),
    "homeassistant": sorted(m for m in sys.modules if m.split(".")[0] == "homeassistant"),
    "custom_components": sorted(m for m in sys.modules if m.startswith("custom_components")),
}))
"""


def test_no_homeassistant_import_dynamic(tmp_path: Path) -> None:
    """Load the directory as a standalone package in a fresh interpreter."""
    result = subprocess.run(  # noqa: S603 - our own interpreter and script
        [sys.executable, "-I", "-c", _PROBE, str(PROTOCOL_DIR)],
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert set(report["loaded"]) == {m.stem for m in MODULES if m.stem != "__init__"}
    assert report["homeassistant"] == []
    assert report["custom_components"] == []
