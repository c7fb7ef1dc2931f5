"""Dry contacts DO1/DO2 and digital inputs DI1-DI5 of an inverter's COM terminal.

Protocol V2.9 documents no register for them. They are modelled the way the
Modbus data model does it (see DESIGN.md): coils 0 and 1 are DO1 and DO2
(read 0x01, write 0x05), discrete inputs 0-4 are DI1-DI5 (read 0x02), on
each inverter's own unit id. Firmware that lacks them answers exception 0x01
(illegal function) or 0x02 (illegal address); ``probe_io`` turns that into
"not supported" with the reason, and never writes anything.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from .exceptions import SigenergyUnsupportedError

if TYPE_CHECKING:
    from .client import SigenergyClient

DRY_CONTACTS = 2
"""DO1 and DO2: coils 0 and 1."""

DIGITAL_INPUTS = 5
"""DI1-DI5: discrete inputs 0-4."""


@dataclass(frozen=True, slots=True, kw_only=True)
class IoSupport:
    """Which of the COM terminal's contacts a unit exposes over Modbus."""

    dry_contacts: bool
    digital_inputs: bool
    dry_contacts_reason: str | None = None
    digital_inputs_reason: str | None = None


def _reason(err: SigenergyUnsupportedError) -> str:
    kind = "illegal function" if err.code == err.ILLEGAL_FUNCTION else "illegal data address"
    return f"exception 0x{err.code:02X} ({kind})"


async def probe_io(client: SigenergyClient, unit_id: int) -> IoSupport:
    """Find out, by reading only, whether a unit has the coils and inputs.

    Connection errors and other exception replies propagate: they say
    nothing about support and the probe should be repeated later.
    """
    dry_reason = di_reason = None
    try:
        await client.read_coils(unit_id, 0, DRY_CONTACTS)
    except SigenergyUnsupportedError as err:
        dry_reason = _reason(err)
    try:
        await client.read_discrete_inputs(unit_id, 0, DIGITAL_INPUTS)
    except SigenergyUnsupportedError as err:
        di_reason = _reason(err)
    return IoSupport(
        dry_contacts=dry_reason is None,
        digital_inputs=di_reason is None,
        dry_contacts_reason=dry_reason,
        digital_inputs_reason=di_reason,
    )
