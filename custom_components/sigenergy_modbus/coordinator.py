"""Coordinators of the Sigenergy integration and the runtime data they share.

Four coordinators poll the plant at the pace of their data (``PollGroup``):
realtime power flows every 5 s, details every 30 s, energy counters every
60 s and settings every 5 minutes. Each one reads only the registers behind
entities that are enabled (``want``), with the planner's fewest reads. They
share one client, so requests never overlap on the wire.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from homeassistant.config_entries import ConfigEntry
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator, UpdateFailed
from homeassistant.util import dt as dt_util

from .const import (
    CONF_AC_CHARGERS,
    CONF_INVERTERS,
    DOMAIN,
    LOGGER,
    POLL_INTERVALS,
    UNREACHABLE_REPAIR_AFTER,
    PollGroup,
)
from .protocol.codec import Value
from .protocol.contacts import DIGITAL_INPUTS, DRY_CONTACTS, IoSupport
from .protocol.exceptions import (
    SigenergyConnectionError,
    SigenergyDeviceError,
    SigenergyError,
    SigenergyTimeoutError,
)
from .protocol.guard import RESETTING_ADDRESSES, CounterGuard
from .protocol.registers import BY_KEY, PLANT_UNIT_ID, Register

if TYPE_CHECKING:
    from datetime import datetime

    from homeassistant.core import HomeAssistant

    from .protocol.client import SigenergyClient

type UnitValues = dict[str, Value | None]
type PlantData = dict[int, UnitValues]
type SigenergyConfigEntry = ConfigEntry[SigenergyRuntimeData]

FIRMWARE = BY_KEY["firmware_version"]
FRESH_SHARE = 0.6
"""A value another poll read within this share of a poll's interval is fresh enough for it.

Below 1 so that a poll never takes its own previous reading for a new one."""


@dataclass(frozen=True, kw_only=True)
class InverterConfig:
    """An inverter as identified by the config flow and stored in the entry."""

    unit_id: int
    serial: str
    model: str
    firmware: str
    pv_string_count: int
    pack_count: int
    mppt_count: int = 0
    rated_power: float | None = None
    battery_capacity: float | None = None
    dc_charger: bool = False

    @property
    def has_battery(self) -> bool:
        """Whether battery packs are installed under this inverter."""
        return self.pack_count > 0 or bool(self.battery_capacity)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> InverterConfig:
        """Build from the entry's stored form."""
        return cls(**{k: data[k] for k in cls.__dataclass_fields__ if k in data})


@dataclass(frozen=True, kw_only=True)
class AcChargerConfig:
    """An AC charger as identified by the config flow."""

    unit_id: int
    rated_power: float | None = None


@dataclass(frozen=True, kw_only=True)
class PlantConfig:
    """The plant as stored in the config entry."""

    serial: str
    inverters: tuple[InverterConfig, ...]
    ac_chargers: tuple[AcChargerConfig, ...] = ()

    @classmethod
    def from_entry(cls, entry: ConfigEntry[Any]) -> PlantConfig:
        """Build from a config entry."""
        return cls(
            serial=str(entry.unique_id),
            inverters=tuple(InverterConfig.from_dict(i) for i in entry.data[CONF_INVERTERS]),
            ac_chargers=tuple(
                AcChargerConfig(unit_id=c["unit_id"], rated_power=c.get("rated_power"))
                for c in entry.data.get(CONF_AC_CHARGERS, [])
            ),
        )


def _plant_first(item: tuple[int, Any]) -> tuple[bool, int]:
    return item[0] != PLANT_UNIT_ID, item[0]


def coil_key(index: int) -> str:
    """Key of dry contact DO1/DO2 (coil 0/1) in a unit's values."""
    return f"do{index + 1}"


def input_key(index: int) -> str:
    """Key of digital input DI1-DI5 (discrete input 0-4) in a unit's values."""
    return f"di{index + 1}"


class SigenergyCoordinator(DataUpdateCoordinator[PlantData]):
    """Polls one group of registers of every unit of the plant."""

    config_entry: SigenergyConfigEntry

    def __init__(
        self,
        hass: HomeAssistant,
        entry: SigenergyConfigEntry,
        client: SigenergyClient,
        group: PollGroup,
    ) -> None:
        """Prepare a coordinator; ``want`` says what it reads."""
        super().__init__(
            hass,
            LOGGER,
            config_entry=entry,
            name=f"{DOMAIN} {group}",
            update_interval=POLL_INTERVALS[group],
            always_update=False,
        )
        self.client = client
        self.group = group
        self.wanted: dict[int, set[Register]] = {}
        self.io_units: dict[int, IoSupport] = {}
        self.guarded: set[str] = set()
        self.slower: list[SigenergyCoordinator] = []
        """Coordinators whose registers may ride along in this one's reads."""
        self.guard = CounterGuard()
        self.last_error: str | None = None
        self._guard_notes: set[tuple[int, str]] = set()
        self._silent_units: set[int] = set()

    def want(self, unit_id: int, keys: tuple[str, ...]) -> None:
        """Add registers to what this coordinator reads for a unit."""
        self.wanted.setdefault(unit_id, set()).update(BY_KEY[k] for k in keys if k in BY_KEY)

    async def _async_update_data(self) -> PlantData:
        try:
            data = await self._read()
        except SigenergyError as err:
            self.last_error = str(err)
            self._on_failure(err)
            raise UpdateFailed(
                translation_domain=DOMAIN,
                translation_key="update_failed",
                translation_placeholders={"error": str(err)},
            ) from err
        self.last_error = None
        self._on_success()
        return data

    async def _read(self) -> PlantData:
        """Read every wanted unit; one inverter that does not answer fails only itself.

        The plant (unit 247) is read first: when it does not answer the poll
        fails at once. An inverter or charger that answers with an exception
        or not at all, while the plant answers, is left out of the data, so
        that only its entities become unavailable.
        """
        data: PlantData = {}
        failed: dict[int, SigenergyError] = {}
        interval = self.update_interval.total_seconds() if self.update_interval else 0.0
        for unit_id, registers in sorted(self.wanted.items(), key=_plant_first):
            optional = {r for c in self.slower for r in c.wanted.get(unit_id, ())}
            try:
                data[unit_id] = await self.client.read(
                    unit_id, registers, optional=optional, max_age=FRESH_SHARE * interval
                )
            except (SigenergyDeviceError, SigenergyTimeoutError) as err:
                if unit_id == PLANT_UNIT_ID:
                    raise
                failed[unit_id] = err
        for unit_id, support in sorted(self.io_units.items()):
            if unit_id in failed:
                continue
            values = data.setdefault(unit_id, {})
            try:
                if support.dry_contacts:
                    bits = await self.client.read_coils(unit_id, 0, DRY_CONTACTS)
                    values.update({coil_key(i): b for i, b in enumerate(bits)})
                if support.digital_inputs:
                    bits = await self.client.read_discrete_inputs(unit_id, 0, DIGITAL_INPUTS)
                    values.update({input_key(i): b for i, b in enumerate(bits)})
            except (SigenergyDeviceError, SigenergyTimeoutError) as err:
                failed[unit_id] = err
        if failed and not data:
            raise next(iter(failed.values()))
        self._note_silent_units(failed)
        self._apply_guard(data)
        return data

    def _note_silent_units(self, failed: dict[int, SigenergyError]) -> None:
        """Log once when a unit stops answering this poll, and once when it is back."""
        for unit_id, err in failed.items():
            if unit_id not in self._silent_units:
                self._silent_units.add(unit_id)
                LOGGER.warning(
                    "Unit %s does not answer the %s poll; its entities are unavailable: %s",
                    unit_id,
                    self.group,
                    err,
                )
        for unit_id in self._silent_units - failed.keys():
            self._silent_units.discard(unit_id)
            LOGGER.info("Unit %s answers the %s poll again", unit_id, self.group)

    def _apply_guard(self, data: PlantData) -> None:
        now = time.monotonic()
        for unit_id, values in data.items():
            for key in self.guarded & values.keys():
                raw = values[key]
                reading = float(raw) if isinstance(raw, int | float) else None
                verdict = self.guard.check(
                    (unit_id, key),
                    reading,
                    now,
                    resettable=key in BY_KEY and BY_KEY[key].address in RESETTING_ADDRESSES,
                )
                values[key] = verdict.value
                note = (unit_id, key)
                if verdict.reason and verdict.value is None and note not in self._guard_notes:
                    self._guard_notes.add(note)
                    LOGGER.warning("Ignoring %s of unit %s: %s", key, unit_id, verdict.reason)
                elif verdict.value is not None and note in self._guard_notes:
                    self._guard_notes.discard(note)
                    LOGGER.info("%s of unit %s is plausible again", key, unit_id)

    def set_unit_value(self, unit_id: int, key: str, value: Value) -> None:
        """Publish a value confirmed by a write's read-back, without polling."""
        data = {unit: dict(values) for unit, values in (self.data or {}).items()}
        data.setdefault(unit_id, {})[key] = value
        self.async_set_updated_data(data)

    def _on_failure(self, err: SigenergyError) -> None:
        """Hook for the realtime coordinator's repair issue."""

    def _on_success(self) -> None:
        """Hook for the realtime coordinator's repair issue."""


class RealtimeCoordinator(SigenergyCoordinator):
    """The 5 s coordinator; it also raises a repair issue when the plant goes silent."""

    def __init__(
        self, hass: HomeAssistant, entry: SigenergyConfigEntry, client: SigenergyClient
    ) -> None:
        """Prepare the realtime coordinator."""
        super().__init__(hass, entry, client, PollGroup.REALTIME)
        self._answered = False
        self._silent_since: datetime | None = None

    @property
    def _issue_id(self) -> str:
        return f"unreachable_{self.config_entry.entry_id}"

    def _on_failure(self, err: SigenergyError) -> None:
        if not self._answered or not isinstance(err, SigenergyConnectionError):
            return
        now = dt_util.utcnow()
        if self._silent_since is None:
            self._silent_since = now
        if now - self._silent_since >= UNREACHABLE_REPAIR_AFTER:
            ir.async_create_issue(
                self.hass,
                DOMAIN,
                self._issue_id,
                is_fixable=False,
                severity=ir.IssueSeverity.ERROR,
                translation_key="plant_unreachable",
                translation_placeholders={
                    "title": self.config_entry.title,
                    "minutes": str(int(UNREACHABLE_REPAIR_AFTER.total_seconds() // 60)),
                },
            )

    def _on_success(self) -> None:
        self._answered = True
        if self._silent_since is not None:
            self._silent_since = None
            ir.async_delete_issue(self.hass, DOMAIN, self._issue_id)


class SettingsCoordinator(SigenergyCoordinator):
    """The 5 min coordinator; it also watches inverter firmware versions."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry: SigenergyConfigEntry,
        client: SigenergyClient,
        plant: PlantConfig,
    ) -> None:
        """Prepare the settings coordinator."""
        super().__init__(hass, entry, client, PollGroup.SETTINGS)
        self.firmware = {i.unit_id: i.firmware for i in plant.inverters}
        self.serials = {i.unit_id: i.serial for i in plant.inverters}
        for unit_id in self.firmware:
            self.want(unit_id, (FIRMWARE.key,))

    async def _read(self) -> PlantData:
        data = await super()._read()
        for unit_id, old in self.firmware.items():
            new = data.get(unit_id, {}).get(FIRMWARE.key)
            if isinstance(new, str) and new and new != old:
                self._firmware_changed(unit_id, old, new)
        return data

    def _firmware_changed(self, unit_id: int, old: str, new: str) -> None:
        LOGGER.info("Inverter %s firmware changed from %s to %s", unit_id, old, new)
        self.firmware[unit_id] = new
        # New firmware may support registers the old one refused, or not.
        self.client.forget(unit_id)
        registry = dr.async_get(self.hass)
        device = registry.async_get_device(identifiers={(DOMAIN, self.serials[unit_id])})
        if device is not None:
            registry.async_update_device(device.id, sw_version=new)


@dataclass(frozen=True, kw_only=True)
class SigenergyRuntimeData:
    """What a loaded entry holds: the client, the plant and its coordinators."""

    client: SigenergyClient
    plant: PlantConfig
    coordinators: dict[PollGroup, SigenergyCoordinator]
    io_support: dict[int, IoSupport] = field(default_factory=dict)
