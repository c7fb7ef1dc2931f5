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
