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


# --- links: HACS shows the README in Home Assistant, where only absolute links work

REPOSITORY = "https://github.com/sigenergy-ha/sigenergy-homeassistant/blob/main/"
LINK = re.compile(r"!?\[[^\]]*\]\(\s*<?([^)\s>]+)")
REFERENCE = re.compile(r"^\s*\[[^\]]+\]:\s*(\S+)", re.MULTILINE)
HTML = re.compile(r"""(?:href|src)\s*=\s*["']([^"']+)""")


def _links(text: str) -> list[str]:
    return LINK.findall(text) + REFERENCE.findall(text) + HTML.findall(text)


def _anchor(heading: str) -> str:
    """GitHub's anchor of a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"[`*_]", "", heading.strip().lower())
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def test_every_link_is_absolute() -> None:
    """No relative link or bare #anchor: HACS would resolve it against Home Assistant."""
    readme = (ROOT / "README.md").read_text()
    links = _links(readme)
    assert len(links) > 10
    assert [link for link in links if not link.startswith("https://")] == []


def test_links_into_the_repository_exist() -> None:
    """A link to a file of this repository names one that exists, and its anchor a heading."""
    readme = (ROOT / "README.md").read_text()
    ours = [link for link in _links(readme) if link.startswith(REPOSITORY)]
    assert any("#" in link for link in ours)
    for link in ours:
        path, _, anchor = link.removeprefix(REPOSITORY).partition("#")
        assert (ROOT / path).exists(), link
        if anchor:
            text = (ROOT / path).read_text()
            headings = re.findall(r"^#+ (.+)$", text, re.MULTILINE)
            assert anchor in {_anchor(h) for h in headings}, link


def test_link_check_sees_relative_links() -> None:
    """The checks above find the kinds of link HACS cannot follow."""
    text = (
        "[a](docs/X.md) ![b](img.png) [c](#two-plants) <a href='x.md'>d</a>\n[e]: CONTRIBUTING.md"
    )
    assert sorted(_links(text)) == sorted(
        ["docs/X.md", "img.png", "#two-plants", "x.md", "CONTRIBUTING.md"]
    )
    assert _anchor("Dry contacts DO1 / DO2: smart loads") == "dry-contacts-do1--do2-smart-loads"
    assert (
        _anchor("Switch on the inverter's Modbus TCP server")
        == "switch-on-the-inverters-modbus-tcp-server"
    )
