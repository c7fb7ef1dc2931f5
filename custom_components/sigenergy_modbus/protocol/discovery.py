"""Identify a Sigenergy plant and the devices behind it.

The plant (unit 247) and each device (inverters and AC chargers, unit ids
1-246, set by the installer in the app) answer on one connection, one
request at a time. What each step costs:

* ``probe_plant``: one read of 30000-30051 at unit 247, accepted only when
  the registers are those of a Sigenergy plant (``identity.plant_problems``).
* ``probe_unit``: one read of an inverter's identity block (30500-30553). A
  consistent inverter (``identity.inverter_problems``) costs two more reads:
  its output type, pack, PV string and MPPT counts (31004-31026) and its DC
  charger rating (31523). A unit that refuses the block with 0x02 is asked once for an AC
  charger (32000-32006).
* ``check_plant``: what a DHCP discovery may spend before the owner confirms,
  two requests: the plant probe and unit 1's identity block (its serial is
  the plant's identity, the serial of its lowest inverter).
* ``identify_plant``: the plant probe, then the unit ids in order. With a
  ``gap`` it stops once at least one inverter answered and ``gap`` ids in a
  row then did not: inverters almost always sit at 1..N with an AC charger
  next to them, so a setup does not wait for 240 absent ids. Ids beyond are
  left for a sweep in the background (``Identification.next_unit_id``); ids
  set far apart are found there, completely.

Absent ids cost what the device answers for them: one round trip where it
answers 0x0B (gateway target failed to respond), two where it answers 0x02
(the AC charger probe), or a probe timeout where it stays silent. The probe
timeout adapts to the plant: four times the slowest reply seen in the same
identification, at least ``PROBE_TIMEOUT``, at most the client's timeout.

Error messages never name the plant's address: they end up in logs.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .codec import decode
from .exceptions import (
    SigenergyDeviceError,
    SigenergyError,
    SigenergyTimeoutError,
)
from .identity import MAX_UNITS, ac_charger_problems, inverter_problems, plant_problems
from .keys import Key
from .models import AcChargerInfo, InverterInfo, PlantInfo
from .registers import BY_KEY, DEVICE_UNIT_IDS, PLANT_UNIT_ID
from .values import code, number, text

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Mapping

    from .client import SigenergyClient
    from .codec import Value
    from .registers import Register

_LOGGER = logging.getLogger(__name__)

PROBE_TIMEOUT = 0.25
"""Least seconds to wait for a unit id during identification."""

PROBE_TIMEOUT_FACTOR = 4.0
"""The probe timeout is this many times the slowest reply seen so far."""

FIRST_PASS_GAP = 2
"""Absent ids in a row, after the last unit found, that end a first pass."""

FIRST_INVERTER_ID = 1
"""Where a plant's first inverter almost always is: the id a DHCP check reads."""

PLANT_PROBE = tuple(
    BY_KEY[k]
    for k in (
        Key.SYSTEM_TIME,
        Key.SYSTEM_TIME_ZONE,
        Key.EMS_WORK_MODE,
        Key.GRID_SENSOR_STATUS,
        Key.GRID_STATUS,
        Key.PLANT_MAX_ACTIVE_POWER,
        Key.PLANT_ESS_SOC,
        Key.PLANT_RUNNING_STATE,
    )
)
INVERTER_IDENTITY = tuple(
    BY_KEY[k]
    for k in (
        Key.MODEL_TYPE,
        Key.SERIAL_NUMBER,
        Key.FIRMWARE_VERSION,
        Key.RATED_ACTIVE_POWER,
        Key.MAX_APPARENT_POWER,
        Key.MAX_ACTIVE_POWER,
        Key.MAX_ABSORPTION_POWER,
        Key.RATED_BATTERY_CAPACITY,
        Key.ESS_RATED_CHARGE_POWER,
        Key.ESS_RATED_DISCHARGE_POWER,
    )
)
INVERTER_COUNTS = tuple(
    BY_KEY[k] for k in (Key.OUTPUT_TYPE, Key.PACK_COUNT, Key.PV_STRING_COUNT, Key.MPPT_COUNT)
)
"""The inverter's topology: output type (31004) to MPPT count (31026), one request."""
DC_CHARGER_RATING = (BY_KEY[Key.DC_CHARGER_RATED_CHARGING_POWER],)
AC_CHARGER_IDENTITY = tuple(
    BY_KEY[k] for k in (Key.AC_CHARGER_SYSTEM_STATE, Key.AC_CHARGER_RATED_POWER)
)

type Unit = InverterInfo | AcChargerInfo


class NotASigenergyPlantError(SigenergyError):
    """The host answers, but not as a Sigenergy plant."""


class TooManyUnitsError(SigenergyError):
    """The plant has more inverters and AC chargers than ``MAX_UNITS``."""

    def __init__(self, limit: int) -> None:
        """Record the limit that was passed."""
        super().__init__(f"the plant has more than {limit} inverters and AC chargers")
        self.limit = limit


@dataclass(frozen=True, slots=True)
class IdentifyProgress:
    """Where an identification is, for a progress display."""

    unit_id: int
    """The unit id being asked now (247: the plant)."""
    probed: int
    """Unit ids asked so far, not counting the plant."""
    expected: int
    """Unit ids it expects to ask in all, as far as it can tell now.

    All of them without a ``gap``; with one, the ids up to the last unit
    found plus the gap, which grows while units keep answering."""
    inverters: int
    ac_chargers: int

    @property
    def fraction(self) -> float:
        """Share done, 0-1."""
        return min(1.0, self.probed / self.expected) if self.expected else 1.0


@dataclass(frozen=True, slots=True)
class Identification:
    """What an identification found, and where it stopped."""

    plant: PlantInfo
    next_unit_id: int | None
    """The first unit id it did not ask (a first pass stops early); None: it asked all."""


@dataclass(frozen=True, slots=True)
class PlantCheck:
    """What two requests tell about a host: it is a plant, and its first inverter."""

    model: str | None
    """Model of the inverter at unit 1, if one answers there."""
    serial: str | None
    """Serial number of the inverter at unit 1: the plant's identity."""


def _count(values: Mapping[str, Value | None], key: Key) -> int:
    return code(values, key) or 0


async def read_group(
    client: SigenergyClient,
    unit_id: int,
    registers: tuple[Register, ...],
    timeout: float | None = None,
) -> dict[str, Value | None]:
    """Read a group of registers in exactly one request, and decode them.

    Unlike ``SigenergyClient.read`` this never splits the read: a probe wants
    one question and one answer, and an exception reply as an exception.
    """
    start = registers[0].address
    words = await client.read_words(
        unit_id, registers[0].kind, start, registers[-1].end - start, timeout=timeout
    )
    return {r.key: decode(r, words[r.address - start : r.end - start]) for r in registers}


async def probe_plant(
    client: SigenergyClient, timeout: float | None = None
) -> dict[str, Value | None]:
    """Read the plant registers and check that they are a Sigenergy plant's."""
    try:
        values = await read_group(client, PLANT_UNIT_ID, PLANT_PROBE, timeout)
    except SigenergyDeviceError as err:
        msg = f"unit {PLANT_UNIT_ID} does not answer as a Sigenergy plant: {err}"
        raise NotASigenergyPlantError(msg) from err
    if problems := plant_problems(values):
        msg = f"unit {PLANT_UNIT_ID} is no Sigenergy plant: {'; '.join(problems)}"
        raise NotASigenergyPlantError(msg)
    return values


async def _identity(
    client: SigenergyClient, unit_id: int, timeout: float | None
) -> dict[str, Value | None] | None:
    """An inverter's identity block when it is a consistent one, else None."""
    identity = await read_group(client, unit_id, INVERTER_IDENTITY, timeout)
    if problems := inverter_problems(identity):
        _LOGGER.debug("Unit %s is no Sigenergy inverter: %s", unit_id, "; ".join(problems))
        return None
    return identity


async def probe_inverter(
    client: SigenergyClient, unit_id: int, timeout: float | None = None
) -> InverterInfo | None:
    """Read an inverter's identity, or None when the unit is not an inverter.

    A Modbus exception to the identity block propagates (the caller may ask
    for an AC charger); one to the counts or the DC charger rating only
    leaves those unknown.
    """
    identity = await _identity(client, unit_id, timeout)
    if identity is None:
        return None
    try:
        counts = await read_group(client, unit_id, INVERTER_COUNTS, timeout)
    except SigenergyDeviceError:
        counts = {}
    try:
        dc_charger = await read_group(client, unit_id, DC_CHARGER_RATING, timeout)
    except SigenergyDeviceError:  # firmware or model without DC charger registers
        dc_charger = {}
    return InverterInfo(
        unit_id=unit_id,
        model=text(identity, Key.MODEL_TYPE) or "",
        serial=text(identity, Key.SERIAL_NUMBER) or "",
        firmware=text(identity, Key.FIRMWARE_VERSION) or "",
        rated_power=number(identity, Key.RATED_ACTIVE_POWER),
        battery_capacity=number(identity, Key.RATED_BATTERY_CAPACITY),
        pack_count=_count(counts, Key.PACK_COUNT),
        pv_string_count=_count(counts, Key.PV_STRING_COUNT),
        mppt_count=_count(counts, Key.MPPT_COUNT),
        output_type=code(counts, Key.OUTPUT_TYPE),
        dc_charger=bool(number(dc_charger, Key.DC_CHARGER_RATED_CHARGING_POWER)),
    )


async def probe_ac_charger(
    client: SigenergyClient, unit_id: int, timeout: float | None = None
) -> AcChargerInfo | None:
    """An AC charger at a unit id, or None (any exception reply, or no consistent answer)."""
    try:
        values = await read_group(client, unit_id, AC_CHARGER_IDENTITY, timeout)
    except SigenergyDeviceError:
        return None
    if problems := ac_charger_problems(values):
        _LOGGER.debug("Unit %s is no Sigenergy AC charger: %s", unit_id, "; ".join(problems))
        return None
    return AcChargerInfo(unit_id=unit_id, rated_power=number(values, Key.AC_CHARGER_RATED_POWER))


async def probe_unit(
    client: SigenergyClient, unit_id: int, timeout: float | None = None
) -> Unit | None:
    """The inverter or AC charger at a unit id, or None when there is neither.

    A unit that stays silent raises ``SigenergyTimeoutError``: whether it is
    absent or only slow, only asking again later can tell.
    """
    try:
        return await probe_inverter(client, unit_id, timeout)
    except SigenergyDeviceError as err:
        if err.code != SigenergyDeviceError.ILLEGAL_DATA_ADDRESS:
            return None  # 0x0B: nothing behind the gateway at this id; others: no answer
    return await probe_ac_charger(client, unit_id, timeout)


async def check_plant(client: SigenergyClient) -> PlantCheck:
    """Whether a host is a Sigenergy plant, and its first inverter, in two requests."""
    await probe_plant(client)
    try:
        identity = await _identity(client, FIRST_INVERTER_ID, PROBE_TIMEOUT)
    except (SigenergyDeviceError, SigenergyTimeoutError):
        identity = None
    if identity is None:
        return PlantCheck(model=None, serial=None)
    return PlantCheck(
        model=text(identity, Key.MODEL_TYPE), serial=text(identity, Key.SERIAL_NUMBER)
    )


class _ProbeTimer:
    """The probe timeout: a multiple of the slowest reply seen, within bounds."""

    def __init__(self, client: SigenergyClient, least: float) -> None:
        self._client = client
        self._least = least
        self._slowest = 0.0

    @property
    def timeout(self) -> float:
        ceiling = max(self._least, self._client.timeout)
        return min(ceiling, max(self._least, PROBE_TIMEOUT_FACTOR * self._slowest))

    def answered(self, seconds: float, requests: int) -> None:
        self._slowest = max(self._slowest, seconds / max(requests, 1))


async def identify_plant(  # noqa: C901, PLR0913 - one loop over the unit ids; its settings
    client: SigenergyClient,
    unit_ids: Iterable[int] = DEVICE_UNIT_IDS,
    on_progress: Callable[[IdentifyProgress], None] | None = None,
    probe_timeout: float = PROBE_TIMEOUT,
    *,
    gap: int | None = None,
    limit: int = MAX_UNITS,
) -> Identification:
    """Identify the plant behind a client and its inverters and AC chargers.

    Every id of ``unit_ids`` is asked in order unless ``gap`` ends it early
    (see the module's docstring). Inverters are deduplicated by serial (a
    device answering on two ids is one device: the lowest id is kept). More
    than ``limit`` units raise ``TooManyUnitsError``; a connection that fails
    other than by a silent id raises ``SigenergyConnectionError``.
    """
    ids = list(unit_ids)
    inverters: dict[str, InverterInfo] = {}
    chargers: dict[int, AcChargerInfo] = {}
    timer = _ProbeTimer(client, probe_timeout)
    last_hit: int | None = None

    def progress(unit_id: int, probed: int) -> None:
        if on_progress is None:
            return
        expected = len(ids)
        if gap is not None:
            expected = min(expected, (probed if last_hit is None else last_hit) + 1 + gap)
        on_progress(IdentifyProgress(unit_id, probed, expected, len(inverters), len(chargers)))

    progress(PLANT_UNIT_ID, 0)
    started = time.monotonic()
    plant = await probe_plant(client)
    timer.answered(time.monotonic() - started, 1)
    misses = 0
    next_unit_id: int | None = None
    for probed, unit_id in enumerate(ids):
        if gap is not None and inverters and misses >= gap:
            next_unit_id = unit_id
            break
        progress(unit_id, probed)
        requests, started = client.stats.requests, time.monotonic()
        try:
            found = await probe_unit(client, unit_id, timer.timeout)
        except SigenergyTimeoutError:
            found = None  # a silent id: the device does not answer ids it does not have
        else:
            timer.answered(time.monotonic() - started, client.stats.requests - requests)
        if found is None:
            misses += 1
            continue
        misses, last_hit = 0, probed
        if isinstance(found, AcChargerInfo):
            chargers[found.unit_id] = found
        else:
            known = inverters.get(found.serial)
            if known is None or found.unit_id < known.unit_id:  # ids may come in any order
                inverters[found.serial] = found
        if len(inverters) + len(chargers) > limit:
            raise TooManyUnitsError(limit)
    else:
        progress(ids[-1] if ids else PLANT_UNIT_ID, len(ids))
    found_inverters = tuple(sorted(inverters.values(), key=lambda i: i.unit_id))
    return Identification(
        plant=PlantInfo(
            serial=found_inverters[0].serial if found_inverters else "",
            host=client.host,
            port=client.port,
            max_active_power=number(plant, Key.PLANT_MAX_ACTIVE_POWER),
            inverters=found_inverters,
            ac_chargers=tuple(sorted(chargers.values(), key=lambda c: c.unit_id)),
        ),
        next_unit_id=next_unit_id,
    )


async def port_open(host: str, port: int, timeout: float) -> bool:
    """Whether a TCP connection to host:port can be made (it is closed at once)."""
    try:
        _reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port), timeout)
    except (OSError, TimeoutError):
        return False
    writer.close()
    with contextlib.suppress(OSError):
        await writer.wait_closed()
    return True


async def scan_hosts(
    hosts: Iterable[str],
    port: int,
    *,
    concurrency: int = 64,
    timeout: float = 1.0,
    on_result: Callable[[str, bool], None] | None = None,
) -> list[str]:
    """Return the hosts with the TCP port open, probing ``concurrency`` at a time.

    A /24 takes about ``254 / concurrency * timeout`` seconds at worst (4 s
    with the defaults), far less where hosts refuse at once. ``on_result``
    hears of each host as soon as it is known, open or not.
    """
    semaphore = asyncio.Semaphore(concurrency)

    async def probe(host: str) -> str | None:
        async with semaphore:
            is_open = await port_open(host, port, timeout)
        if on_result is not None:
            on_result(host, is_open)
        return host if is_open else None

    found = await asyncio.gather(*(probe(h) for h in hosts))
    return [h for h in found if h is not None]
