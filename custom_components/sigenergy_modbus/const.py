"""Constants of the Sigenergy integration."""

from __future__ import annotations

import logging
from datetime import timedelta
from enum import StrEnum
from typing import Final

DOMAIN: Final = "sigenergy_modbus"
LOGGER = logging.getLogger(__package__)

CONF_READ_ONLY: Final = "read_only"


class PollGroup(StrEnum):
    """Coordinators, split by how fast their data changes."""

    REALTIME = "realtime"
    DETAIL = "detail"
    ENERGY = "energy"
    SETTINGS = "settings"


POLL_INTERVALS: Final = {
    PollGroup.REALTIME: timedelta(seconds=5),
    PollGroup.DETAIL: timedelta(seconds=30),
    PollGroup.ENERGY: timedelta(seconds=60),
    PollGroup.SETTINGS: timedelta(minutes=5),
}

UNREACHABLE_REPAIR_AFTER: Final = timedelta(minutes=10)
"""How long a plant that answered before must stay silent before a repair issue."""

CONF_SWEEP_FROM: Final = "sweep_from"
"""Entry data: the first unit id the background sweep has yet to ask (None: all asked).

Entries without the key were identified over every id 1-246 before the sweep existed."""

CONF_SILENT_SINCE: Final = "silent_since"
"""Entry data: since when each silent unit has answered no poll (ISO times, by unit id)."""
