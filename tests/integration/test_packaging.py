"""manifest.json, hacs.json and quality_scale.yaml, checked as hassfest and HACS would.

The manifest's requirements are also checked as Home Assistant installs them:
under its package_constraints.txt, which pins pymodbus. A pin of ours that the
constraint contradicts is what Home Assistant 2026.11 refused
(RequirementsNotFound); pytest-homeassistant-custom-component never installs
anything, so only these tests and scripts/release-check can see it.
"""

from __future__ import annotations

import importlib.util
import json
import logging
import re
from importlib.metadata import version
from pathlib import Path
from typing import TYPE_CHECKING, Any

import homeassistant
import pytest
import yaml
from awesomeversion import AwesomeVersion
from homeassistant.const import __version__ as ha_version
from homeassistant.loader import async_get_integration
from homeassistant.requirements import async_process_requirements
from homeassistant.util import package as pkg_util
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from custom_components.sigenergy_modbus.const import DOMAIN

if TYPE_CHECKING:
    from collections.abc import Iterable

    from homeassistant.core import HomeAssistant

ROOT = Path(__file__).parents[2]
INTEGRATION = ROOT / "custom_components" / "sigenergy_modbus"


def _manifest() -> dict[str, object]:
    return json.loads((INTEGRATION / "manifest.json").read_text())


def _requirements() -> list[Requirement]:
    return [Requirement(r) for r in _manifest()["requirements"]]  # type: ignore[attr-defined]


def test_manifest_keys_sorted_and_required() -> None:
    """domain, name, then the rest alphabetically, with every key hassfest wants."""
    keys = list(_manifest())
    assert keys[:2] == ["domain", "name"]
    assert keys[2:] == sorted(keys[2:])
    required = {
        "codeowners",
        "config_flow",
        "dependencies",
        "documentation",
        "integration_type",
        "iot_class",
        "issue_tracker",
        "requirements",
        "version",
    }
    assert required <= set(keys)


def test_manifest_values() -> None:
    """Hub, local polling, network dependency, pymodbus (its range: see below)."""
    manifest = _manifest()
    assert manifest["domain"] == "sigenergy_modbus"
    assert manifest["integration_type"] == "hub"
    assert manifest["iot_class"] == "local_polling"
    assert "network" in manifest["dependencies"]  # type: ignore[operator]
    assert re.fullmatch(r"\d+\.\d+\.\d+", str(manifest["version"]))
    assert {canonicalize_name(r.name) for r in _requirements()} == {"pymodbus"}


# --- requirements under Home Assistant's package constraints -----------------------

CONSTRAINTS = Path(homeassistant.__file__).parent / "package_constraints.txt"


def _constraints(text: str) -> list[Requirement]:
    """The requirements of a constraints file (comments and blank lines left out)."""
    lines = (line.split("#", 1)[0].strip() for line in text.splitlines())
    return [Requirement(line) for line in lines if line]


def _applying(requirement: Requirement, constraints: Iterable[Requirement]) -> list[Requirement]:
    """The constraints on ``requirement``'s package that apply here (markers evaluated)."""
    name = canonicalize_name(requirement.name)
    return [
        c
        for c in constraints
        if canonicalize_name(c.name) == name and (c.marker is None or c.marker.evaluate())
    ]


def satisfiable(
    requirement: Requirement, constraints: Iterable[Requirement], also: Iterable[str] = ()
) -> Version | None:
    """A version that satisfies ``requirement`` and every constraint on it, or None.

    A pin (``==X``, no wildcard) decides: X is the only candidate, so a pin of
    Home Assistant's must lie in our range, and a pin of ours in its ranges.
    Without a pin the ranges must overlap; the witness is looked for among the
    versions ``also`` names (the installed one), 0 (below every upper bound),
    each version a specifier names and one just above it (``X.1``, inside an
    exclusive lower bound). A constraint by URL names no version: None.
    """
    applying = _applying(requirement, constraints)
    if any(c.url for c in applying):
        return None
    specifiers: list[SpecifierSet] = [requirement.specifier, *(c.specifier for c in applying)]
    named = [s for spec in specifiers for s in spec]
    pins = [
        s.version for s in named if s.operator in {"==", "==="} and not s.version.endswith(".*")
    ]
    if pins:
        texts = pins
    else:
        bounds = [s.version.removesuffix(".*") for s in named]
        texts = [*also, "0", *bounds, *(f"{b}.1" for b in bounds)]
    for text in texts:
        try:
            candidate = Version(text)
        except InvalidVersion:
            continue
        if all(spec.contains(candidate, prereleases=True) for spec in specifiers):
            return candidate
    return None


def test_requirements_satisfiable_under_home_assistants_constraints() -> None:
    """Each requirement of ours can be installed under this Home Assistant's constraints."""
    constraints = _constraints(CONSTRAINTS.read_text())
    for requirement in _requirements():
        applying = _applying(requirement, constraints)
        witness = satisfiable(requirement, constraints, also=[version(requirement.name)])
        assert witness is not None, (
            f"{requirement} cannot be installed under Home Assistant {ha_version}'s "
            f"{', '.join(map(str, applying))}: it would refuse the integration"
        )


def test_installed_requirements_satisfy_manifest_and_constraints() -> None:
    """What is installed here is what Home Assistant would install for us (or keep)."""
    constraints = _constraints(CONSTRAINTS.read_text())
    for requirement in _requirements():
        installed = version(requirement.name)
        assert requirement.specifier.contains(installed, prereleases=True), (requirement, installed)
        for constraint in _applying(requirement, constraints):
            assert constraint.specifier.contains(installed, prereleases=True), (
                constraint,
                installed,
            )


def test_the_old_pin_is_refused() -> None:
    """pymodbus==3.11.2 under Home Assistant 2026.11's pymodbus==3.13.1: what broke."""
    constraints = _constraints("# pymodbus does not follow SemVer\npymodbus==3.13.1\n")
    assert satisfiable(Requirement("pymodbus==3.11.2"), constraints) is None
    assert satisfiable(Requirement("pymodbus>=3.11.2"), constraints) == Version("3.13.1")


@pytest.mark.parametrize(
    ("requirement", "constraints", "witness"),
    [
        ("pymodbus>=3.11.2,<3.13", ["pymodbus==3.13.1"], None),
        ("pymodbus==3.13.*", ["pymodbus==3.13.1"], "3.13.1"),
        ("pymodbus==3.11.*", ["pymodbus==3.13.1"], None),
        ("pymodbus==3.13.1", ["pymodbus>=3.12,<4"], "3.13.1"),
        ("pymodbus==3.11.2", ["pymodbus!=3.11.2"], None),
        ("PyModbus==3.11.2", ["pymodbus==3.13.1"], None),
        ("pymodbus>=3.11.2", [], "3.11.2"),
        ("pymodbus>=3.11.2", ["pymodbus<3.11"], None),
        ("pymodbus>=3.11.2", ["pymodbus!=3.11.2"], "3.11.2.1"),
        ("pymodbus>3.11", ["pymodbus<3.12"], "3.11.1"),
        ("pymodbus<3.12", ["pymodbus<3.11"], "0"),
        ("pymodbus~=3.11.2", ["pymodbus>=3.12"], None),
        ("pymodbus==3.11.2", ["aiohttp==3.13.1"], "3.11.2"),
        ("pymodbus==3.11.2", ['pymodbus==3.13.1; python_version < "3"'], "3.11.2"),
        ("pymodbus>=3.11.2", ["pymodbus @ https://example.invalid/pymodbus.whl"], None),
    ],
)
def test_satisfiable(requirement: str, constraints: list[str], witness: str | None) -> None:
    """Pins decide; ranges must overlap; other packages and other platforms do not count."""
    found = satisfiable(Requirement(requirement), [Requirement(c) for c in constraints])
    assert found == (None if witness is None else Version(witness))


async def test_home_assistant_processes_our_requirements(
    hass: HomeAssistant, enable_custom_integrations: None, caplog: pytest.LogCaptureFixture
) -> None:
    """Home Assistant's own requirement handling accepts ours, without --skip-pip.

    async_process_requirements is what the integration loader runs for a
    manifest's requirements. It installs only what is missing, so every
    requirement is asserted installed first: this test never installs or
    downgrades anything. (async_get_integration_with_requirements would also
    process the dhcp integration's requirements, as our manifest has dhcp
    matchers, and those are not installed here.)
    """
    integration = await async_get_integration(hass, DOMAIN)
    assert integration.requirements == _manifest()["requirements"]
    for requirement in integration.requirements:
        assert pkg_util.is_installed(requirement), (
            f"{requirement} is not installed: Home Assistant would install it"
        )
    before = {r: version(Requirement(r).name) for r in integration.requirements}
    hass.config.skip_pip = False
    caplog.set_level(logging.INFO, logger="homeassistant.util.package")

    await async_process_requirements(
        hass, integration.domain, integration.requirements, integration.is_built_in
    )

    assert not integration.is_built_in
    assert "Attempting install" not in caplog.text
    assert {r: version(Requirement(r).name) for r in integration.requirements} == before


def test_dhcp_matchers() -> None:
    """MAC prefixes in the form hassfest accepts: upper-case hex, then one '*'."""
    matchers = _manifest()["dhcp"]
    assert {m["macaddress"] for m in matchers} == {"0C47A99*", "BC3198D*"}  # type: ignore[index,union-attr]
    for matcher in matchers:  # type: ignore[union-attr]
        assert re.fullmatch(r"[0-9A-F]{1,12}\*", matcher["macaddress"])


# The keys HACS's validation accepts in hacs.json; it refuses any other.
HACS_KEYS = {
    "content_in_root",
    "country",
    "filename",
    "hacs",
    "hide_default_branch",
    "homeassistant",
    "persistent_directory",
    "render_readme",
    "zip_release",
    "name",
}


def test_hacs_json() -> None:
    """HACS's keys only; the name of the manifest; the minimum Home Assistant the tests run."""
    hacs = json.loads((ROOT / "hacs.json").read_text())
    assert set(hacs) <= HACS_KEYS
    assert hacs["name"] == _manifest()["name"]
    minimum = (ROOT / "requirements" / "minimum.txt").read_text()
    assert f"Home Assistant {hacs['homeassistant']}" in minimum
    assert AwesomeVersion(ha_version) >= AwesomeVersion(hacs["homeassistant"])
    readme = (ROOT / "README.md").read_text()
    assert f"**{hacs['homeassistant']}**" in readme  # the README says what is tested


def test_one_integration_for_hacs() -> None:
    """HACS installs the single integration under custom_components/, with its licence."""
    assert [p.name for p in (ROOT / "custom_components").iterdir() if p.is_dir()] == [
        INTEGRATION.name
    ]
    assert "MIT License" in (ROOT / "LICENSE").read_text()


def test_quality_scale_is_honest() -> None:
    """Each rule is done, todo or exempt; exempt and todo say why."""
    rules = yaml.safe_load((INTEGRATION / "quality_scale.yaml").read_text())["rules"]
    assert len(rules) >= 40
    for name, rule in rules.items():
        if isinstance(rule, str):
            assert rule == "done", name
        else:
            assert rule["status"] in {"todo", "exempt"}, name
            assert rule["comment"], name


def test_brand_icon() -> None:
    """An original icon (not the vendor's trademark) at the sizes brands use."""
    from PIL import Image  # noqa: PLC0415

    for name, size in (("icon.png", 256), ("icon@2x.png", 512)):
        with Image.open(INTEGRATION / "brand" / name) as image:
            assert image.format == "PNG"
            assert image.size == (size, size)
            assert image.mode == "RGBA"


# --- scripts/check_packaging.py (run by scripts/lint) -----------------------------


def _checker():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location(
        "check_packaging", ROOT / "scripts" / "check_packaging.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _packaging() -> tuple[dict[str, Any], dict[str, Any], dict[str, str]]:
    workflows = {p.name: p.read_text() for p in (ROOT / ".github" / "workflows").glob("*.yml")}
    return json.loads((ROOT / "hacs.json").read_text()), dict(_manifest()), workflows


def test_packaging_check_passes() -> None:
    """hacs.json, manifest.json and the workflows pass the offline check scripts/lint runs."""
    assert _checker().problems() == []
    hacs, manifest, _ = _packaging()
    assert hacs["zip_release"] is True
    assert hacs["filename"] == "sigenergy_modbus.zip"
    assert manifest["loggers"] == ["pymodbus"]


def _own_logger(hacs: dict[str, Any], manifest: dict[str, Any], flows: dict[str, str]) -> None:
    manifest["loggers"] = ["custom_components.sigenergy_modbus", "pymodbus"]


def _organisation_owner(
    hacs: dict[str, Any], manifest: dict[str, Any], flows: dict[str, str]
) -> None:
    manifest["codeowners"] = ["sigenergy-ha"]


def _unsorted(hacs: dict[str, Any], manifest: dict[str, Any], flows: dict[str, str]) -> None:
    manifest["after_dependencies"] = manifest.pop("after_dependencies")


def _unknown_hacs_key(
    hacs: dict[str, Any], manifest: dict[str, Any], flows: dict[str, str]
) -> None:
    hacs["domains"] = ["sensor"]


def _zip_without_filename(
    hacs: dict[str, Any], manifest: dict[str, Any], flows: dict[str, str]
) -> None:
    del hacs["filename"]


def _no_hacs_validation(
    hacs: dict[str, Any], manifest: dict[str, Any], flows: dict[str, str]
) -> None:
    flows["validate.yml"] = flows["validate.yml"].replace("hacs/action@", "hacs/other@")


def _release_without_zip(
    hacs: dict[str, Any], manifest: dict[str, Any], flows: dict[str, str]
) -> None:
    flows["release.yml"] = flows["release.yml"].replace("files: sigenergy_modbus.zip", "")


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (_own_logger, "is the integration's own"),
        (_organisation_owner, "is no @person or @organisation/team"),
        (_unsorted, "keys are domain, name, then alphabetical"),
        (_unknown_hacs_key, "'domains' is no key HACS accepts"),
        (_zip_without_filename, "a zip release needs 'filename'"),
        (_no_hacs_validation, "HACS's validation does not run"),
        (_release_without_zip, "does not zip and attach sigenergy_modbus.zip"),
    ],
)
def test_packaging_check_refuses(change: Any, problem: str) -> None:
    """Each rule of the check fails on the mistake it is there for."""
    checker = _checker()
    hacs, manifest, flows = _packaging()
    change(hacs, manifest, flows)
    found = (
        checker.hacs_problems(hacs, manifest)
        + checker.manifest_problems(manifest)
        + checker.workflow_problems(flows, hacs)
    )
    assert len(found) == 1, found
    assert problem in found[0]
