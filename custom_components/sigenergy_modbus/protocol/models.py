"""The plant and the devices behind it, as identification finds them.

One model for both sides: identification (``discovery``) builds it, the
integration stores it in its config entry (``as_data`` / ``from_data``) and
reads it back at every start, so that restarts do not probe again.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace
from typing import TYPE_CHECKING, Any, Self

if TYPE_CHECKING:
    from collections.abc import Mapping

HOST = "host"
PORT = "port"
INVERTERS = "inverters"
AC_CHARGERS = "ac_chargers"
MAX_ACTIVE_POWER = "max_active_power"


_PHASES = {0: 1, 1: 3, 2: 3, 3: 2}
"""Phases by output type (31004)."""


def _from_dict[T](cls: type[T], data: Mapping[str, Any]) -> T:
    """Build a dataclass from its stored form; unknown keys are ignored, missing ones default."""
    names = {f.name for f in fields(cls)}  # type: ignore[arg-type]
    return cls(**{k: v for k, v in data.items() if k in names})


@dataclass(frozen=True, slots=True, kw_only=True)
class InverterInfo:
    """An inverter found on the plant."""

    unit_id: int
    serial: str
    model: str = ""
    firmware: str = ""
    rated_power: float | None = None
    """Rated active power, kW (30540)."""
    battery_capacity: float | None = None
    """Rated battery capacity, kWh (30548)."""
    pack_count: int = 0
    pv_string_count: int = 0
    mppt_count: int = 0
    output_type: int | None = None
    """Output type (31004): 0 L/N, 1 L1/L2/L3, 2 L1/L2/L3/N, 3 L1/L2/N (None: not read)."""
    dc_charger: bool = False
    """A DC charger module reports a rated charging power (31523)."""

    @property
    def phases(self) -> int | None:
        """The AC phases the inverter has (output type 31004), or None when unknown."""
        return _PHASES.get(self.output_type) if self.output_type is not None else None

    @property
    def has_battery(self) -> bool:
        """Whether battery packs are installed under this inverter."""
        return self.pack_count > 0 or bool(self.battery_capacity)

    @property
    def has_pv(self) -> bool:
        """Whether the inverter has PV string inputs."""
        return self.pv_string_count > 0

    def as_data(self) -> dict[str, Any]:
        """The form stored in the config entry."""
        return asdict(self)

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> Self:
        """Read the stored form back."""
        return _from_dict(cls, data)


@dataclass(frozen=True, slots=True, kw_only=True)
class AcChargerInfo:
    """An AC charger (EVAC) found on the plant."""

    unit_id: int
    rated_power: float | None = None

    def as_data(self) -> dict[str, Any]:
        """The form stored in the config entry."""
        return asdict(self)

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> Self:
        """Read the stored form back."""
        return _from_dict(cls, data)


@dataclass(frozen=True, slots=True, kw_only=True)
class PlantInfo:
    """A plant and the devices behind it.

    ``serial`` is the plant's identity: the serial of the inverter with the
    lowest unit id when the plant was first identified, never its address.
    """

    serial: str
    host: str
    port: int
    max_active_power: float | None = None
    inverters: tuple[InverterInfo, ...] = ()
    ac_chargers: tuple[AcChargerInfo, ...] = ()

    def inverter(self, unit_id: int) -> InverterInfo | None:
        """The inverter at a unit id, if the plant has one there."""
        return next((i for i in self.inverters if i.unit_id == unit_id), None)

    def with_inverter(self, inverter: InverterInfo) -> PlantInfo:
        """This plant with an inverter replaced (same unit id) or added."""
        others = [i for i in self.inverters if i.unit_id != inverter.unit_id]
        ordered = tuple(sorted([*others, inverter], key=lambda i: i.unit_id))
        return replace(self, inverters=ordered)

    def as_data(self) -> dict[str, Any]:
        """The config entry's data."""
        return {
            HOST: self.host,
            PORT: self.port,
            MAX_ACTIVE_POWER: self.max_active_power,
            INVERTERS: [i.as_data() for i in self.inverters],
            AC_CHARGERS: [c.as_data() for c in self.ac_chargers],
        }

    @classmethod
    def from_data(cls, serial: str, data: Mapping[str, Any]) -> Self:
        """Read a config entry's data back (``serial``: the entry's unique id)."""
        return cls(
            serial=serial,
            host=data[HOST],
            port=data[PORT],
            max_active_power=data.get(MAX_ACTIVE_POWER),
            inverters=tuple(InverterInfo.from_data(i) for i in data.get(INVERTERS, [])),
            ac_chargers=tuple(AcChargerInfo.from_data(c) for c in data.get(AC_CHARGERS, [])),
        )
