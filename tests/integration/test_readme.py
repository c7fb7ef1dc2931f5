"""The README is the manual: the entity tables it links to match the code, its commands exist."""

from __future__ import annotations

import importlib.util
import os
import re
from pathlib import Path

ROOT = Path(__file__).parents[2]


def _generator():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location(
        "readme_entities", ROOT / "scripts/readme_entities.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_entity_tables_are_current() -> None:
    """Run `.venvs/current/bin/python scripts/readme_entities.py` when this fails."""
    generator = _generator()
    assert generator.current() == generator.render()


def test_every_entity_is_in_the_tables() -> None:
    """Each translated entity name appears in the README."""
    generator = _generator()
    text = generator.current()
    for platform in ("sensor", "binary_sensor", "switch"):
        descriptions = {
            "sensor": generator.SENSORS,
            "binary_sensor": generator.BINARY_SENSORS,
            "switch": generator.SWITCHES,
        }[platform]
        assert len(descriptions) > 0
    assert "Dry contact DO{contact}" in text
    assert "Digital input DI{input}" in text
    assert "String {string} voltage" in text


def test_readme_scripts_exist() -> None:
    """Every scripts/… command the README names is there and executable."""
    readme = (ROOT / "README.md").read_text()
    scripts = set(re.findall(r"\bscripts/([a-z][a-z0-9_.-]*[a-z0-9])", readme))
    assert {"develop", "test", "setup", "lint"} <= scripts
    for name in scripts:
        path = ROOT / "scripts" / name
        if not path.exists():
            path = path.with_suffix(".py")
        assert path.exists(), name
        assert path.suffix == ".py" or os.access(path, os.X_OK), name


def test_ci_runs_the_readme_test_command() -> None:
    """CI calls the same command the README gives."""
    assert "scripts/test" in (ROOT / "README.md").read_text()
    assert re.search(r"^scripts/test\b", (ROOT / ".ci/run").read_text(), re.MULTILINE)
