"""What Home Assistant already holds for each energy counter: the guard's seed.

The guard of every counter is seeded with the last value the owner's
statistics hold for it, so that the first reading after any setup (a
restart, a reload, an options change, a reconfigure) is judged against it:
a counter read as 0, or as garbage, is then a failed read instead of a new
start that Home Assistant would count as energy.

Only what Home Assistant offers integrations is read (``__init__`` lists
what the integration uses beyond that, and why), best first:

1. The restore data of the counter's own sensor
   (``RestoreEntity.async_get_last_extra_data``: ``SigenergyCounterEntity``
   stores the guard's last good value and when it was read). Home Assistant
   writes it at every stop, every 15 minutes and when an entry unloads. Only
   the entity can ask for it, as it is added, after the first poll: so the
   counters whose sensor is registered *await their seed* (``await_seeds``),
   their readings kept unpublished until the entity hands the seed over,
   before it writes its first state.
2. The recorder's statistics of the sensor (its last short-term, then
   hourly, ``state``), through the functions core integrations read them
   with: for counters without restore data, e.g. the first start after an
   update to a version that stores it.

A counter that gets neither starts as one never seen: its first reading is
published once a second one agrees.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from homeassistant.const import Platform, UnitOfEnergy
from homeassistant.helpers import entity_registry as er
from homeassistant.util.unit_conversion import EnergyConverter

from .const import DOMAIN, LOGGER

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from homeassistant.core import HomeAssistant
    from homeassistant.helpers.restore_state import RestoreEntity

    from .protocol.guard import CounterGuard

type Seed = tuple[float, float]
"""A counter's last good value (kWh) and when it was read (epoch seconds)."""

type CounterKey = tuple[int, str]
"""A counter as the guard knows it: unit id and register key."""


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


def await_seeds(
    hass: HomeAssistant, guard: CounterGuard[CounterKey], counters: Iterable[tuple[str, CounterKey]]
) -> dict[CounterKey, str]:
    """Have each counter whose sensor is registered and enabled await its seed.

    ``counters``: each counter sensor's unique id with its counter. Returns
    the entity ids of those that await, by counter. A new sensor has nothing
    to restore; a disabled one is never added (nor its register read).
    """
    registry = er.async_get(hass)
    waiting: dict[CounterKey, str] = {}
    for unique_id, key in counters:
        entity_id = registry.async_get_entity_id(Platform.SENSOR, DOMAIN, unique_id)
        entry = registry.async_get(entity_id) if entity_id is not None else None
        if entry is None or entry.disabled:
            continue
        guard.await_seed(key)
        waiting[key] = entry.entity_id
    return waiting


async def async_restored_seed(entity: RestoreEntity) -> Seed | None:
    """The seed in an entity's own restore data (the entity asks, as it is added)."""
    stored = await entity.async_get_last_extra_data()
    if stored is None:
        return None
    extra = stored.as_dict()
    value = _kwh(extra.get("native_value"), extra.get("native_unit_of_measurement"))
    if value is None:
        return None
    at = extra.get("good_at")
    if isinstance(at, int | float) and not isinstance(at, bool):
        return value, float(at)
    # Stored before the time was: the state's, written no earlier than the value was read.
    state = await entity.async_get_last_state()
    return None if state is None else (value, state.last_updated.timestamp())


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


async def async_recorded_seeds(hass: HomeAssistant, entity_ids: Iterable[str]) -> dict[str, Seed]:
    """The seeds in the recorder's statistics, by entity id; none without a recorder.

    The recorder is set up (``hass.config.components``) only once its
    database is ready; the integration sets up after it (``after_dependencies``).
    """
    wanted = list(entity_ids)
    if not wanted or "recorder" not in hass.config.components:
        return {}
    from homeassistant.components.recorder import get_instance  # noqa: PLC0415 - only with a recorder

    def query() -> dict[str, Seed]:
        return {e: seed for e in wanted if (seed := _recorded(hass, e)) is not None}

    return await get_instance(hass).async_add_executor_job(query)


async def async_seed_the_rest(
    hass: HomeAssistant, guard: CounterGuard[CounterKey], waiting: Mapping[CounterKey, str]
) -> int:
    """After the platforms: seed the counters whose entity did not, then say how many are.

    A counter still awaiting its seed has no entity that was added (its
    platform not set up, or the entity failed): the recorder's statistics
    seed it, or it starts as one never seen, so that it never waits for
    ever. Returns how many of the awaited counters have a seed.
    """
    rest = {key: waiting[key] for key in guard.awaiting() if key in waiting}
    recorded = await async_recorded_seeds(hass, rest.values())
    for key, entity_id in rest.items():
        if (seed := recorded.get(entity_id)) is not None:
            guard.seed(key, *seed)
        else:
            guard.unseeded(key)
    seeded = sum(guard.last(key) is not None for key in waiting)
    LOGGER.debug("Seeded %s of %s energy counters from Home Assistant", seeded, len(waiting))
    return seeded
