"""Typed access to what a read returned for one unit.

A read gives each register's decoded value by key (``None`` where the device
reports no reading, or the reading was rejected). ``UnitValues`` holds them
with the unit's coils and discrete inputs, and answers by type: a number, a
code (an enumeration or a bit field) or a text, each ``None`` when there is
none, so that callers never test ``isinstance`` themselves. Keys are
``Key`` members: a misspelt key is a type error, not a value that is never
there.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .codec import Value
    from .keys import Key

POWER_DEADBAND_KW = 0.01
"""Battery and PV power within 10 W of zero is no flow: the charging,
discharging and running states, and the indicators, all use this one band."""


def number(values: Mapping[str, Value | None], key: Key) -> float | None:
    """A numeric value as a float, or None when there is none."""
    value = values.get(key)
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def code(values: Mapping[str, Value | None], key: Key) -> int | None:
    """An integer code (enumeration, count, bit field), or None when there is none."""
    value = values.get(key)
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    return value


def text(values: Mapping[str, Value | None], key: Key) -> str | None:
    """A text value, or None when there is none."""
    value = values.get(key)
    return value if isinstance(value, str) else None


class UnitValues(Mapping[str, "Value | None"]):
    """The values one poll read of one unit (read-only)."""

    __slots__ = ("_values", "coils", "inputs")

    def __init__(
        self,
        values: Mapping[str, Value | None] | None = None,
        *,
        coils: tuple[bool, ...] = (),
        inputs: tuple[bool, ...] = (),
    ) -> None:
        """Hold register values by key, the coils (DO1, DO2) and inputs (DI1-DI5)."""
        self._values: dict[str, Value | None] = dict(values or {})
        self.coils = coils
        """Coil states, index 0 is DO1; empty when the coils were not read."""
        self.inputs = inputs
        """Discrete input states, index 0 is DI1; empty when they were not read."""

    def __getitem__(self, key: str) -> Value | None:
        """The value of a register (KeyError when it was not read)."""
        return self._values[key]

    def __iter__(self) -> Iterator[str]:
        """The keys of the registers read."""
        return iter(self._values)

    def __len__(self) -> int:
        """How many registers were read."""
        return len(self._values)

    def __eq__(self, other: object) -> bool:
        """Equal registers, coils and inputs (a dict compares by its registers alone).

        The coordinators publish new data only when it differs from the last:
        a digital input that changed while every register stayed the same must
        count as a change.
        """
        if isinstance(other, UnitValues):
            return (self._values, self.coils, self.inputs) == (
                other._values,
                other.coils,
                other.inputs,
            )
        return super().__eq__(other)

    __hash__ = None  # type: ignore[assignment] # mutable-looking mapping, compared by value

    def __repr__(self) -> str:
        """Show the values."""
        return f"UnitValues({self._values!r}, coils={self.coils!r}, inputs={self.inputs!r})"

    def number(self, key: Key) -> float | None:
        """A numeric value, or None."""
        return number(self, key)

    def code(self, key: Key) -> int | None:
        """An integer code, or None."""
        return code(self, key)

    def text(self, key: Key) -> str | None:
        """A text value, or None."""
        return text(self, key)

    def coil(self, index: int) -> bool | None:
        """Dry contact DO1 (0) or DO2 (1), or None when not read."""
        return self.coils[index] if index < len(self.coils) else None

    def input(self, index: int) -> bool | None:
        """Digital input DI1 (0) to DI5 (4), or None when not read."""
        return self.inputs[index] if index < len(self.inputs) else None

    def merged(self, other: Mapping[str, Value | None]) -> UnitValues:
        """These values with another unit's added (register keys are unique across units)."""
        return UnitValues({**other, **self._values}, coils=self.coils, inputs=self.inputs)

    def replaced(
        self,
        values: Mapping[str, Value | None] | None = None,
        *,
        coils: tuple[bool, ...] | None = None,
    ) -> UnitValues:
        """A copy with some register values or the coils replaced."""
        return UnitValues(
            {**self._values, **(values or {})},
            coils=self.coils if coils is None else coils,
            inputs=self.inputs,
        )


EMPTY = UnitValues()
"""No values: a unit that was not read."""
