"""Check hacs.json, manifest.json and the GitHub workflows offline (scripts/lint runs it).

    python scripts/check_packaging.py      # exit 1 and one line a problem

hassfest and HACS's validation run on GitHub only (.github/workflows/validate.yml);
this checks what they would refuse and can be seen without them: the keys HACS
accepts in hacs.json and a zip release it can find, the manifest's key order
and required keys, its code owners (a person or a team), loggers that are not
the integration's own, and workflows that run both validators and release the
zip hacs.json names. actionlint checks the workflows' syntax and expressions.
Standard library only, so that it runs in any environment.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DOMAIN = "sigenergy_modbus"
INTEGRATION = ROOT / "custom_components" / DOMAIN
WORKFLOWS = ROOT / ".github" / "workflows"

# HACS's HACS_MANIFEST_JSON_SCHEMA (custom_components/hacs/utils/validate.py):
# these keys and types only, any other key is refused.
HACS_KEYS: dict[str, type | tuple[type, ...]] = {
    "content_in_root": bool,
    "country": (str, list),
    "filename": str,
    "hacs": str,
    "hide_default_branch": bool,
    "homeassistant": str,
    "persistent_directory": str,
    "render_readme": bool,
    "zip_release": bool,
    "name": str,
}
VERSION = re.compile(r"\d+\.\d+\.\d+(?:(?:a|b|rc)\d+)?")
# A GitHub user (@name) or team (@organisation/team), as hassfest's CODEOWNERS wants.
CODEOWNER = re.compile(r"@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:/[A-Za-z0-9._-]+)?")
MANIFEST_REQUIRED = {
    "domain",
    "name",
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
IOT_CLASSES = {
    "assumed_state",
    "calculated",
    "cloud_polling",
    "cloud_push",
    "local_polling",
    "local_push",
}
INTEGRATION_TYPES = {"device", "entity", "hardware", "helper", "hub", "service", "system"}


def hacs_problems(hacs: dict[str, Any], manifest: dict[str, Any]) -> list[str]:
    """What HACS's validation would refuse in hacs.json."""
    problems = []
    for key, value in hacs.items():
        if key not in HACS_KEYS:
            problems.append(f"hacs.json: {key!r} is no key HACS accepts")
        elif not isinstance(value, HACS_KEYS[key]):
            problems.append(f"hacs.json: {key!r} has the wrong type")
    if hacs.get("name") != manifest.get("name"):
        problems.append("hacs.json: its name is not the manifest's")
    if not VERSION.fullmatch(str(hacs.get("homeassistant", ""))):
        problems.append("hacs.json: 'homeassistant' is no minimum version such as 2026.2.3")
    if hacs.get("content_in_root"):
        problems.append("hacs.json: the integration is in custom_components/, not the root")
    if hacs.get("zip_release") and hacs.get("filename") != f"{DOMAIN}.zip":
        problems.append(f"hacs.json: a zip release needs 'filename': '{DOMAIN}.zip'")
    if "filename" in hacs and not hacs.get("zip_release"):
        problems.append("hacs.json: 'filename' without 'zip_release' means nothing to HACS")
    return problems


def manifest_problems(manifest: dict[str, Any]) -> list[str]:
    """What hassfest (or common sense about a custom integration) would refuse."""
    problems = []
    keys = list(manifest)
    if keys[:2] != ["domain", "name"] or keys[2:] != sorted(keys[2:]):
        problems.append("manifest.json: keys are domain, name, then alphabetical")
    if missing := sorted(MANIFEST_REQUIRED - set(keys)):
        problems.append(f"manifest.json: missing {', '.join(missing)}")
    if manifest.get("domain") != DOMAIN:
        problems.append(f"manifest.json: domain is not {DOMAIN}")
    owners = manifest.get("codeowners")
    if not owners or not isinstance(owners, list):
        problems.append("manifest.json: codeowners names nobody")
    else:
        problems += [
            f"manifest.json: code owner {owner!r} is no @person or @organisation/team"
            for owner in owners
            if not (isinstance(owner, str) and CODEOWNER.fullmatch(owner))
        ]
    own = (f"custom_components.{DOMAIN}", f"homeassistant.components.{DOMAIN}")
    problems += [
        f"manifest.json: logger {logger!r} is the integration's own (Home Assistant adds it)"
        for logger in manifest.get("loggers", [])
        if logger in own or logger.startswith(tuple(f"{o}." for o in own))
    ]
    for key in ("documentation", "issue_tracker"):
        if not str(manifest.get(key, "")).startswith("https://"):
            problems.append(f"manifest.json: {key} is no https address")
    if not VERSION.fullmatch(str(manifest.get("version", ""))):
        problems.append("manifest.json: version is no version such as 1.2.3")
    if manifest.get("iot_class") not in IOT_CLASSES:
        problems.append("manifest.json: unknown iot_class")
    if manifest.get("integration_type") not in INTEGRATION_TYPES:
        problems.append("manifest.json: unknown integration_type")
    return problems


def workflow_problems(workflows: dict[str, str], hacs: dict[str, Any]) -> list[str]:
    """The validators run, and the release makes the zip hacs.json names."""
    problems = []
    validate = workflows.get("validate.yml", "")
    if "home-assistant/actions/hassfest@" not in validate:
        problems.append("validate.yml: hassfest does not run")
    if not re.search(r"hacs/action@\S+\s+with:\s+category: integration\b", validate):
        problems.append("validate.yml: HACS's validation does not run for an integration")
    release = workflows.get("release.yml", "")
    if not re.search(r"tags:\s*\[\s*\"v\*\"\s*\]", release):
        problems.append("release.yml: a tag v* does not make a release")
    # A zip release without a filename is hacs_problems' to report.
    zip_name = hacs.get("filename")
    made = f"$GITHUB_WORKSPACE/{zip_name}" in release and f"files: {zip_name}" in release
    if hacs.get("zip_release") and zip_name and not made:
        problems.append(f"release.yml: does not zip and attach {zip_name}")
    return problems


def problems(root: Path = ROOT) -> list[str]:
    """Everything this script checks, in the repository at root."""
    hacs = json.loads((root / "hacs.json").read_text(encoding="utf-8"))
    manifest_path = root / "custom_components" / DOMAIN / "manifest.json"
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    workflows = {
        path.name: path.read_text(encoding="utf-8")
        for path in sorted((root / ".github" / "workflows").glob("*.yml"))
    }
    return (
        hacs_problems(hacs, manifest)
        + manifest_problems(manifest)
        + workflow_problems(workflows, hacs)
    )


def main() -> int:
    """Print the problems; exit 1 if there are any."""
    found = problems()
    for problem in found:
        print(f"check_packaging: {problem}", file=sys.stderr)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
