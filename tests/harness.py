"""The test harness on a Home Assistant newer than the one it pins: loaded before any plugin.

``pyproject.toml`` loads this module with ``-p tests.harness``, which pytest
imports before the plugins that packages register (entry points). The
current environment is the newest pytest-homeassistant-custom-component with
the newest Home Assistant release laid over it (``scripts/setup``), and the
harness lags one release behind. Two shims, both no-ops where they are not
needed:

1. Home Assistant 2026.11 aliases ``httpx`` to ``httpx2`` when it is imported
   and refuses if ``httpx`` was imported first; respx's pytest plugin imports
   ``httpx``. Importing Home Assistant first lets the alias happen.
2. The harness imports ``_clear_logger_overwrites`` from
   ``homeassistant.components.logger``; Home Assistant 2026.11 keeps it in
   ``homeassistant.components.logger.helpers`` only.

Only the harness needs these: the integration itself uses neither.
"""

from __future__ import annotations

import homeassistant  # noqa: F401 - first, see 1.
from homeassistant.components import logger

if not hasattr(logger, "_clear_logger_overwrites"):  # 2.
    from homeassistant.components.logger import helpers

    logger._clear_logger_overwrites = helpers._clear_logger_overwrites  # type: ignore[attr-defined]
