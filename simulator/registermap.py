"""Which addresses each kind of unit serves, and how values become register words.

Built from the project's register map (``protocol.registers``): a unit serves
the registers and the Reserved rows of its own tables (plant: 5-1 and 5-2-x;
inverter: 5-3 and 5-4; AC charger: 5-5 and 5-6), each at the address exactly
as it is sent on the wire.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING

from custom_components.sigenergy_modbus.protocol import codec
from custom_components.sigenergy_modbus.protocol.registers import (
    REGISTERS,
    RESERVED,
    DataType,
    DeviceKind,
    Register,
    Reserved,
)

if TYPE_CHECKING:
    from collections.abc import Mapping

    from custom_components.sigenergy_modbus.protocol.codec import Value

_TABLE_KIND = {
    "5-1": DeviceKind.PLANT,
    "5-2": DeviceKind.PLANT,
    "5-3": DeviceKind.INVERTER,
    "5-4": DeviceKind.INVERTER,
    "5-5": DeviceKind.AC_CHARGER,
    "5-6": DeviceKind.AC_CHARGER,
}


def _reserved_kind(reserved: Reserved) -> DeviceKind:
    return _TABLE_KIND[reserved.table[:3]]


@dataclass(frozen=True, slots=True)
class UnitMap:
    """The addresses one kind of unit serves."""

    kind: DeviceKind
    registers: Mapping[str, Register]
    """The unit's registers by key."""
    starts: Mapping[int, Register]
    """The unit's registers by start address."""
    owners: Mapping[int, Register | Reserved]
    """What occupies each address: a register or a Reserved row."""

    def owner(self, address: int) -> Register | Reserved | None:
        """The register or Reserved row at an address, or None when unmapped."""
        return self.owners.get(address)


@cache
def unit_map(kind: DeviceKind) -> UnitMap:
    """Return the address map of a kind of unit."""
    registers = {r.key: r for r in REGISTERS if r.device is kind}
    owners: dict[int, Register | Reserved] = {}
    items: list[Register | Reserved] = [*registers.values()]
    items += [r for r in RESERVED if _reserved_kind(r) is kind]
    for item in items:
        for address in range(item.address, item.end):
            if address in owners:  # pragma: no cover - the map has no overlaps
                msg = f"address {address} is claimed twice"
                raise ValueError(msg)
            owners[address] = item
    starts = {r.address: r for r in registers.values()}
    return UnitMap(kind=kind, registers=registers, starts=starts, owners=owners)


def encode_register(register: Register, value: Value | None) -> list[int]:
    """Encode a model value into a register's words, rounding to its resolution.

    ``None`` gives the type's 'no reading / not valid' pattern. Numbers are
    rounded to the register's gain and clamped to the type's range, so the
    model never has to care about resolution.
    """
    if register.data_type is DataType.STRING:
        text = "" if value is None else str(value)
        return codec.encode_string(text[: 2 * register.count], register.count)
    if value is None:
        raw = codec.SENTINELS.get(register.data_type, 0xFFFF)
        return codec.int_to_words(register.data_type, raw)
    if isinstance(value, str):
        msg = f"{register.key} takes a number, not {value!r}"
        raise TypeError(msg)
    scaled = float(value) * register.gain
    raw = round(scaled) if math.isfinite(scaled) else 0
    low, high = codec.raw_range(register.data_type)
    return codec.int_to_words(register.data_type, max(low, min(high, raw)))
