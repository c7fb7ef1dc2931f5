"""Typed values of one unit: equality covers the contacts and inputs too."""

from __future__ import annotations

from custom_components.sigenergy_modbus.protocol.values import UnitValues


def test_coils_and_inputs_take_part_in_equality() -> None:
    """A poll whose only news is a contact or an input is new data (coordinators compare)."""
    registers = {"pack_count": 3}
    assert UnitValues(registers) == UnitValues(dict(registers))
    assert UnitValues(registers, coils=(False, False)) != UnitValues(registers)
    assert UnitValues(registers, coils=(False, True)) != UnitValues(registers, coils=(False, False))
    assert UnitValues(registers, inputs=(True,) * 5) != UnitValues(registers, inputs=(False,) * 5)
    assert UnitValues(registers) == registers  # against a plain mapping: the registers
    assert UnitValues(registers) != {"pack_count": 4}
