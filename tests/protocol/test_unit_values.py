"""UnitValues compare by their registers, coils and inputs together."""

from __future__ import annotations

from custom_components.sigenergy_modbus.protocol.values import UnitValues


def test_inputs_and_coils_count_in_equality() -> None:
    """A digital input or a coil that changed alone is a change (the coordinators publish it)."""
    values = {"ess_power": 1.5}
    assert UnitValues(values, inputs=(False,) * 5) == UnitValues(values, inputs=(False,) * 5)
    assert UnitValues(values, inputs=(True, False, False, False, False)) != UnitValues(
        values, inputs=(False,) * 5
    )
    assert UnitValues(values, coils=(True, False)) != UnitValues(values, coils=(False, False))
    assert UnitValues(values) != UnitValues({"ess_power": 2.0})
    assert UnitValues(values) == values  # against a plain mapping: its registers
