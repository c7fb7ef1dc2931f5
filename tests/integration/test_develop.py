"""scripts/develop keeps what Home Assistant writes out of git.

Only config/configuration.yaml is tracked; every file it includes
(automations.yaml, which the automation editor rewrites) is made by
scripts/develop when missing and is git-ignored, like .storage/.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).parents[2]
CONFIGURATION = (ROOT / "config" / "configuration.yaml").read_text(encoding="utf-8")
INCLUDES = re.findall(r"!include\s+(\S+)", CONFIGURATION)


def _git(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - git, with our own arguments
        ["git", *args],  # noqa: S607 - git from PATH, as a developer runs it
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )


def test_only_the_configuration_is_tracked() -> None:
    tracked = _git("ls-files", "config").stdout.split()
    assert tracked == ["config/configuration.yaml"]


def test_included_files_are_made_and_ignored() -> None:
    assert "automations.yaml" in INCLUDES
    develop = (ROOT / "scripts" / "develop").read_text(encoding="utf-8")
    for name in INCLUDES:
        assert f"[[ -f config/{name} ]] ||" in develop, name
        assert _git("check-ignore", "-q", f"config/{name}").returncode == 0, name
    for runtime in (".storage/core.config_entries", "home-assistant_v2.db", "home-assistant.log"):
        assert _git("check-ignore", "-q", f"config/{runtime}").returncode == 0, runtime
