"""Identify a Sigenergy plant and the devices behind it.

Strategy (runs in the config flow and on a user's rescan, never at every
start; the result is stored):

1. Read a few plant registers at unit 247 (30000-30010). A Sigenergy plant
   answers them; anything else (timeout, exception, closed port) means this
   is not a Sigenergy plant with Modbus TCP enabled.
2. Probe every unit id 1-246 in order, serially on the one connection, and
   never stop at a gap: unit ids are set by the installer in the app and need
   not be contiguous. One request per id reads the identity block of an
   inverter (model, serial, firmware and ratings, 30500-30553). An id that
   answers exception 0x02 to the
   inverter block is probed once for an AC charger (32000-32010).
   An inverter then gets two more requests: its output type, pack, PV
   string and MPPT counts (31004-31026), and its DC charger rating (31523),
   which tells whether a DC charger module is installed.
3. Inverters are deduplicated by serial (a device answering on two ids is
   one device: the lowest id is kept).

Cost: 1 + 246 + 2 x (inverters) + (0x02 answers) requests. An absent id that the
device answers with an exception costs one round trip (about 250 ms over
all ids at a 1 ms round trip, 4 s at 15 ms). Worst case, a device that
stays silent for absent ids: each costs the probe timeout (default 0.25 s)
plus a reconnect, about 90 s for all 246 ids. ``on_progress`` reports each
id so that a user interface can show it.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import TYPE_CHECKING

from .codec import decode
from .exceptions import SigenergyConnectionError, SigenergyDeviceError, SigenergyError
from .keys import Key
from .models import AcChargerInfo, InverterInfo, PlantInfo
from .registers import BY_KEY, DEVICE_UNIT_IDS, PLANT_UNIT_ID
from .values import code, number, text

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Mapping

    from .client import SigenergyClient
    from .codec import Value
    from .registers import Register

PROBE_TIMEOUT = 0.25
"""Seconds to wait for an unknown unit id during the scan."""

PLANT_PROBE = tuple(
    BY_KEY[k]
    for k in (
        Key.SYSTEM_TIME,
        Key.SYSTEM_TIME_ZONE,
        Key.EMS_WORK_MODE,
        Key.GRID_SENSOR_STATUS,
        Key.GRID_SENSOR_ACTIVE_POWER,
        Key.GRID_SENSOR_REACTIVE_POWER,
        Key.GRID_STATUS,
        Key.PLANT_MAX_ACTIVE_POWER,
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


class NotASigenergyPlantError(SigenergyError):
    """The host answers, but not as a Sigenergy plant (unit 247)."""


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
    """Read the plant registers that prove a Sigenergy plant answers."""
    try:
        values = await read_group(client, PLANT_UNIT_ID, PLANT_PROBE, timeout)
    except SigenergyDeviceError as err:
        msg = f"unit {PLANT_UNIT_ID} of {client.host} does not answer as a Sigenergy plant"
        raise NotASigenergyPlantError(msg) from err
    if code(values, Key.SYSTEM_TIME) is None:
        msg = f"unit {PLANT_UNIT_ID} of {client.host} has no plant registers"
        raise NotASigenergyPlantError(msg)
    return values


async def probe_inverter(
    client: SigenergyClient, unit_id: int, timeout: float | None = None
) -> InverterInfo | None:
    """Read an inverter's identity, or None when the unit is not an inverter."""
    identity = await read_group(client, unit_id, INVERTER_IDENTITY, timeout)
    serial = (text(identity, Key.SERIAL_NUMBER) or "").strip()
    if not serial:
        return None
    counts = await read_group(client, unit_id, INVERTER_COUNTS, timeout)
    try:
        dc_charger = await read_group(client, unit_id, DC_CHARGER_RATING, timeout)
    except SigenergyDeviceError:  # firmware or model without DC charger registers
        dc_charger = {}
    return InverterInfo(
        unit_id=unit_id,
        model=(text(identity, Key.MODEL_TYPE) or "").strip(),
        serial=serial,
        firmware=(text(identity, Key.FIRMWARE_VERSION) or "").strip(),
        rated_power=number(identity, Key.RATED_ACTIVE_POWER),
        battery_capacity=number(identity, Key.RATED_BATTERY_CAPACITY),
        pack_count=_count(counts, Key.PACK_COUNT),
        pv_string_count=_count(counts, Key.PV_STRING_COUNT),
        mppt_count=_count(counts, Key.MPPT_COUNT),
        output_type=code(counts, Key.OUTPUT_TYPE),
        dc_charger=bool(number(dc_charger, Key.DC_CHARGER_RATED_CHARGING_POWER)),
    )


async def identify_plant(
    client: SigenergyClient,
    unit_ids: Iterable[int] = DEVICE_UNIT_IDS,
    on_progress: Callable[[int], None] | None = None,
    probe_timeout: float = PROBE_TIMEOUT,
) -> PlantInfo:
    """Identify the plant behind a client and every inverter and AC charger."""
    plant = await probe_plant(client)
    inverters: dict[str, InverterInfo] = {}
    chargers: list[AcChargerInfo] = []
    for unit_id in unit_ids:
        if on_progress is not None:
            on_progress(unit_id)
        try:
            inverter = await probe_inverter(client, unit_id, probe_timeout)
        except SigenergyDeviceError as err:
            if err.code == SigenergyDeviceError.ILLEGAL_DATA_ADDRESS:
                charger = await _probe_ac_charger(client, unit_id, probe_timeout)
                if charger is not None:
                    chargers.append(charger)
            continue
        except SigenergyConnectionError:
            # A silent unit id: the device times out for ids it does not have.
            continue
        if inverter is None:
            continue
        known = inverters.get(inverter.serial)
        if known is None or inverter.unit_id < known.unit_id:  # ids may come in any order
            inverters[inverter.serial] = inverter
    found = tuple(sorted(inverters.values(), key=lambda i: i.unit_id))
    return PlantInfo(
        serial=found[0].serial if found else "",
        host=client.host,
        port=client.port,
        max_active_power=number(plant, Key.PLANT_MAX_ACTIVE_POWER),
        inverters=found,
        ac_chargers=tuple(sorted(chargers, key=lambda c: c.unit_id)),
    )


async def _probe_ac_charger(
    client: SigenergyClient, unit_id: int, timeout: float
) -> AcChargerInfo | None:
    try:
        values = await read_group(client, unit_id, AC_CHARGER_IDENTITY, timeout)
    except (SigenergyDeviceError, SigenergyConnectionError):
        return None
    return AcChargerInfo(unit_id=unit_id, rated_power=number(values, Key.AC_CHARGER_RATED_POWER))


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
    hosts: Iterable[str], port: int, *, concurrency: int = 64, timeout: float = 1.0
) -> list[str]:
    """Return the hosts with the TCP port open, probing ``concurrency`` at a time.

    A /24 takes about ``254 / concurrency * timeout`` seconds at worst (4 s
    with the defaults), far less where hosts refuse at once.
    """
    semaphore = asyncio.Semaphore(concurrency)

    async def probe(host: str) -> str | None:
        async with semaphore:
            return host if await port_open(host, port, timeout) else None

    found = await asyncio.gather(*(probe(h) for h in hosts))
    return [h for h in found if h is not None]
