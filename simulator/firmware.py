"""Firmware profiles: how real Sigenergy firmware differs from the protocol.

The simulator serves the protocol V2.9 as written by default (``v2.9``,
with the demo's dry contacts on coils 0/1). Real devices do not always follow
it; what owners and other projects' maintainers have reported publicly is
collected here as profiles, so that the integration can be tested against
what it will meet (``python -m simulator --firmware NAME``):

* ``spc116``: all ones in plant alarm 7 (30281); all ones for values the
  unit does not have (30279, the highest/lowest cell voltages 30622/30623,
  and on a single-phase unit its absent phases and line voltages); -1 in the
  signed channels it lacks (phase B/C currents of a single-phase unit, PV
  strings beyond its count) where the protocol would give nothing; 40032/40034
  read max-int ("not set") until written; 40053 reads 20.0, beyond the
  protocol's 0-10.0.
* ``early-2025``: refuses (0x02) the plant's battery capacity, cut-offs and
  SOH (30083-30087) and the inverter's cell temperature and voltage
  extremes (30620-30623); also 30279, 30281 and 40049, which another plant
  refuses.
* ``spc109``: refuses the adjustment feedbacks 30613-30618 (fine from SPC110).
* ``v2.8``: refuses the DC charger registers V2.9 added (31500-31525 but
  the PV energy 31509/31511, and 41000-41004), and applies the ESS and PV
  limits (40032/40034/40036) only in the command modes of remote EMS, as
  firmware before V2.9 does (V2.9: "take effect globally regardless of the
  EMS operating mode").

Every real-firmware profile has no coils and no discrete inputs (0x01: no
protocol from V1.7 to V2.9 documents them) and refuses what SigenStor
firmware refuses whatever its version: 40157/40158 and the ESS preheating
table 50000-50183 (Sigen PV M1-HYA/HYB only). A refused register answers
0x02 to any read or write that covers it, so a read spanning it fails as a
whole, as on the devices.

The version strings are illustrative: the reports name the versions, not
every build number.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING

from custom_components.sigenergy_modbus.protocol.registers import BY_KEY, REGISTERS, DeviceKind

from .model import ControlOptions

if TYPE_CHECKING:
    from collections.abc import Mapping

    from custom_components.sigenergy_modbus.protocol.codec import Value


@dataclass(frozen=True, slots=True, kw_only=True)
class FirmwareProfile:
    """How one firmware answers, where it differs from the protocol V2.9."""

    name: str
    version: str
    """What the inverters report as their firmware (30525)."""
    summary: str
    coils: bool = False
    """Coils 0/1 and discrete inputs 0-4 (the demo's dry contacts and inputs)."""
    refused: frozenset[str] = frozenset()
    """Register keys answered with exception 0x02."""
    all_ones: frozenset[str] = frozenset()
    """Registers that read all ones: the firmware has no value for them."""
    absent_as_sentinels: bool = False
    """Channels a unit lacks read all ones (unsigned) or -1 (signed), not 0."""
    unset: frozenset[str] = frozenset()
    """Settings that read all ones ("not set") until written."""
    settings: Mapping[str, Value] = field(default_factory=dict)
    """Plant settings the firmware starts with where the model's defaults differ."""
    control: ControlOptions = field(default_factory=ControlOptions)
    """How it treats control writes (a copy is the model's, unless the caller gives its own)."""

    def refuses(self, kind: DeviceKind) -> frozenset[int]:
        """The addresses a unit of this kind answers 0x02 for."""
        return frozenset(
            address
            for key in self.refused
            if (register := BY_KEY[key]).device is kind
            for address in range(register.address, register.end)
        )

    def absent_words(self, key: str) -> list[int] | None:
        """What a channel the unit lacks reads, or None: what the model says (0).

        All ones: the unsigned maximum, and -1 in a signed register.
        """
        return [0xFFFF] * BY_KEY[key].count if self.absent_as_sentinels else None


DEFAULT_FIRMWARE = "V100R001C00SPC112B011"
"""What the ``v2.9`` profile's inverters report."""

_SIGENSTOR_REFUSED = frozenset(
    {
        "pcc_power_factor_import",
        "pcc_power_factor_export",
        *(r.key for r in REGISTERS if 50000 <= r.address <= 50183),
    }
)
_DC_CHARGER = frozenset(
    r.key for r in REGISTERS if r.key.startswith("dc_charger_") and r.device is DeviceKind.INVERTER
)

PROFILES: Mapping[str, FirmwareProfile] = MappingProxyType(
    {
        profile.name: profile
        for profile in (
            FirmwareProfile(
                name="v2.9",
                version=DEFAULT_FIRMWARE,
                summary="the protocol V2.9 as written, with the demo's dry contacts on coils 0/1",
                coils=True,
            ),
            FirmwareProfile(
                name="spc116",
                version="V100R001C00SPC116B006",
                summary="all ones in alarm 7 and for absent values, -1 on absent channels, "
                "40053 = 20.0",
                refused=_SIGENSTOR_REFUSED | _DC_CHARGER,
                all_ones=frozenset(
                    {
                        "plant_alarm_7",
                        "current_control_command_value",
                        "ess_max_cell_voltage",
                        "ess_min_cell_voltage",
                    }
                ),
                absent_as_sentinels=True,
                unset=frozenset({"ess_max_charging_limit", "ess_max_discharging_limit"}),
                settings={"lvrt_negative_sequence_factor": 20.0},
            ),
            FirmwareProfile(
                name="early-2025",
                version="V100R001C00SPC105B045",
                summary="refuses 30083-30087, 30620-30623, 30279, 30281 and 40049",
                refused=_SIGENSTOR_REFUSED
                | {
                    "plant_ess_rated_energy_capacity",
                    "plant_ess_charge_cut_off_soc",
                    "plant_ess_discharge_cut_off_soc",
                    "plant_ess_soh",
                    "ess_max_cell_temperature",
                    "ess_min_cell_temperature",
                    "ess_max_cell_voltage",
                    "ess_min_cell_voltage",
                    "current_control_command_value",
                    "plant_alarm_7",
                    "active_power_regulation_gradient",
                },
            ),
            FirmwareProfile(
                name="spc109",
                version="V100R001C00SPC109B020",
                summary="refuses the adjustment feedbacks 30613-30618",
                refused=_SIGENSTOR_REFUSED
                | {
                    "active_power_fixed_feedback",
                    "reactive_power_fixed_feedback",
                    "active_power_percentage_feedback",
                    "qs_ratio_feedback",
                },
            ),
            FirmwareProfile(
                name="v2.8",
                version="V100R001C00SPC101B030",
                summary="refuses the DC charger registers V2.9 added; ESS/PV limits only in "
                "the command modes of remote EMS",
                refused=_SIGENSTOR_REFUSED | _DC_CHARGER,
                control=ControlOptions(limits_in_command_modes_only=True),
            ),
        )
    }
)
"""Every profile by name; ``v2.9`` is the default."""
