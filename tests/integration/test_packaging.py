"""manifest.json, hacs.json and quality_scale.yaml, checked as hassfest and HACS would."""

from __future__ import annotations

import json
import re
from pathlib import Path

import yaml
from homeassistant.const import __version__ as ha_version

ROOT = Path(__file__).parents[2]
INTEGRATION = ROOT / "custom_components" / "sigenergy_modbus"


def _manifest() -> dict[str, object]:
    return json.loads((INTEGRATION / "manifest.json").read_text())


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
    """Hub, local polling, network dependency, pymodbus as Home Assistant pins it."""
    manifest = _manifest()
    assert manifest["domain"] == "sigenergy_modbus"
    assert manifest["integration_type"] == "hub"
    assert manifest["iot_class"] == "local_polling"
    assert "network" in manifest["dependencies"]  # type: ignore[operator]
    assert re.fullmatch(r"\d+\.\d+\.\d+", str(manifest["version"]))
    assert manifest["requirements"] == ["pymodbus>=3.11.2"]


def test_dhcp_matchers() -> None:
    """MAC prefixes in the form hassfest accepts: upper-case hex, then one '*'."""
    matchers = _manifest()["dhcp"]
    assert {m["macaddress"] for m in matchers} == {"0C47A99*", "BC3198D*"}  # type: ignore[index,union-attr]
    for matcher in matchers:  # type: ignore[union-attr]
        assert re.fullmatch(r"[0-9A-F]{1,12}\*", matcher["macaddress"])


def test_hacs_json() -> None:
    """HACS needs a name; the minimum Home Assistant is the one the tests run."""
    hacs = json.loads((ROOT / "hacs.json").read_text())
    assert hacs["name"] == "Sigenergy SigenStor (local Modbus)"
    assert hacs["homeassistant"] == ha_version


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
