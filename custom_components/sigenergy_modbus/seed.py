"""What Home Assistant already holds for each energy counter, before the first poll.

The guard of every counter is seeded with the last value the owner's
statistics hold for it, so that the first reading after any setup (a
restart, a reload, an options change, a reconfigure) is judged against it:
a counter read as 0, or as garbage, is then a failed read instead of a new
start that Home Assistant would count as energy.

Where the value comes from, best first:

1. The restore state of the counter's own sensor (``SigenergyCounterEntity``
   stores the guard's last good value and when it was read). Home Assistant
   writes it at every stop and every 15 minutes, and when an entry unloads.
2. The recorder's statistics of the sensor (its last short-term, then
   hourly, ``state``): for counters without a restore state yet, e.g. the
   first start after an update to this version.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from homeassistant.const import Platform, UnitOfEnergy
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers import restore_state
from homeassistant.util.unit_conversion import EnergyConverter

from .const import DOMAIN, LOGGER
from .entity import unique_id_for, unit_id_of
from .sensor import counter_targets

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant

    from .coordinator import PlantFeatures
    from .protocol.guard import CounterGuard
    from .protocol.models import PlantInfo

type Seed = tuple[float, float]
"""A counter's last good value (kWh) and when it was read (epoch seconds)."""


def _kwh(value: object, unit: object) -> float | None:
    """A stored energy value in kWh, or None when it is none or in no energy unit."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        number = float(value)
    except ValueError:
        return None
    if unit in (None, UnitOfEnergy.KILO_WATT_HOUR):
        return number
    if unit not in EnergyConverter.VALID_UNITS:
        return None
    return float(EnergyConverter.convert(number, str(unit), UnitOfEnergy.KILO_WATT_HOUR))


def _restored(hass: HomeAssistant, entity_id: str) -> Seed | None:
    stored = restore_state.async_get(hass).last_states.get(entity_id)
    if stored is None or stored.extra_data is None:
        return None
    extra = stored.extra_data.as_dict()
    value = _kwh(extra.get("native_value"), extra.get("native_unit_of_measurement"))
    if value is None:
        return None
    at = extra.get("good_at")
    if not isinstance(at, int | float):
        at = stored.state.last_updated.timestamp()
    return value, float(at)


def _recorded(hass: HomeAssistant, entity_id: str) -> Seed | None:
    """The sensor's last state in the recorder's statistics (runs in the recorder's executor)."""
    from homeassistant.components.recorder import statistics  # noqa: PLC0415 - only with a recorder

    metadata = statistics.get_metadata(hass, statistic_ids={entity_id})
    if entity_id not in metadata:
        return None
    unit = metadata[entity_id][1].get("unit_of_measurement")
    for last in (statistics.get_last_short_term_statistics, statistics.get_last_statistics):
        rows: list[Any] = last(hass, 1, entity_id, False, {"state"}).get(entity_id, [])  # noqa: FBT003 - the recorder's positional flag
        if rows and (value := _kwh(rows[0].get("state"), unit)) is not None:
            return value, float(rows[0]["start"])
    return None


async def _from_recorder(hass: HomeAssistant, entity_ids: list[str]) -> dict[str, Seed]:
    if "recorder" not in hass.config.components:
        return {}
    from homeassistant.components.recorder import get_instance  # noqa: PLC0415 - only with a recorder

    instance = get_instance(hass)
    if not instance.async_db_ready.done() or not instance.async_db_ready.result():
        LOGGER.debug("The recorder is not ready; counters without a restore state start unseeded")
        return {}

    def query() -> dict[str, Seed]:
        found = {}
        for entity_id in entity_ids:
            if (seed := _recorded(hass, entity_id)) is not None:
                found[entity_id] = seed
        return found

    return await instance.async_add_executor_job(query)


async def async_seed_counters(
    hass: HomeAssistant,
    plant: PlantInfo,
    features: PlantFeatures,
    guard: CounterGuard[tuple[int, str]],
) -> int:
    """Seed the guard of every counter Home Assistant knows; how many it seeded."""
    registry = er.async_get(hass)
    keys: dict[str, tuple[int, str]] = {}
    for description, unit in counter_targets(plant, features):
        unique_id = unique_id_for(plant, unit, description.key)
        entity_id = registry.async_get_entity_id(Platform.SENSOR, DOMAIN, unique_id)
        if entity_id is not None:
            keys[entity_id] = (unit_id_of(unit), str(description.registers[0]))
    seeds = {e: seed for e in keys if (seed := _restored(hass, e)) is not None}
    if missing := [e for e in keys if e not in seeds]:
        seeds |= await _from_recorder(hass, missing)
    for entity_id, (value, at) in seeds.items():
        guard.seed(keys[entity_id], value, at)
    LOGGER.debug("Seeded %s of %s energy counters from Home Assistant", len(seeds), len(keys))
    return len(seeds)
