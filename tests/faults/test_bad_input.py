"""Bad input: odd addresses, things that are not a plant, refused writes, random data.

What tests/integration/test_config_flow.py already covers (empty, malformed,
IPv6 link-local, unresolvable hosts; ports 0 and 70000; a silent port; a
plant that refuses its registers) is not repeated here. Every bad input must
end in a field error or a translated error, never in an exception or a
traceback, and must not send a write.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import math
import random
from typing import TYPE_CHECKING, Any
from unittest.mock import patch

import pytest
from homeassistant.components.switch import DOMAIN as SWITCH_DOMAIN
from homeassistant.config_entries import SOURCE_USER, ConfigEntryState
from homeassistant.const import ATTR_ENTITY_ID, CONF_HOST, CONF_PORT, SERVICE_TURN_ON
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.sigenergy_modbus import config_flow
from custom_components.sigenergy_modbus.const import CONF_READ_ONLY, DOMAIN
from custom_components.sigenergy_modbus.protocol.client import SigenergyClient
from custom_components.sigenergy_modbus.protocol.codec import Value
from custom_components.sigenergy_modbus.protocol.exceptions import (
    SigenergyConnectionError,
    SigenergyDeviceError,
    SigenergyError,
    SigenergyProtocolError,
    SigenergyReadOnlyError,
    SigenergyTimeoutError,
    SigenergyUnsupportedError,
    SigenergyValueError,
)
from custom_components.sigenergy_modbus.protocol.planner import (
    TABLE_ADDRESSES,
    ReadBlock,
    ReadPlanner,
)
from custom_components.sigenergy_modbus.protocol.registers import (
    BY_KEY,
    MAX_READ_REGISTERS,
    PLANT_UNIT_ID,
    REGISTERS,
    DeviceKind,
    Register,
    RegisterKind,
    registers_for,
)
from simulator import modbus
from tests.helpers import through_progress

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Iterator

    from homeassistant.core import HomeAssistant

    from simulator import PlantSimulator


@pytest.fixture(autouse=True)
def _quiet() -> Iterator[None]:
    """pymodbus' frame dumps at DEBUG would only slow the tests down."""
    logger = logging.getLogger("pymodbus")
    level = logger.level
    logger.setLevel(logging.WARNING)
    yield
    logger.setLevel(level)


def _no_traceback(caplog: pytest.LogCaptureFixture) -> None:
    for record in caplog.records:
        assert record.exc_info is None, record.getMessage()
        assert "Traceback" not in record.getMessage()


async def _manual(hass: HomeAssistant, user_input: dict[str, Any]) -> dict[str, Any]:
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "manual"}
    )
    result = await hass.config_entries.flow.async_configure(result["flow_id"], user_input)
    return dict(await through_progress(hass, result))


def _short_timeout() -> Any:
    """Identification against something that never answers: 0.2 s a request, not 1 s."""
    init = SigenergyClient.__init__

    def wrapped(self: SigenergyClient, host: str, port: int = 502, **kwargs: Any) -> None:
        kwargs["timeout"] = 0.2
        init(self, host, port, **kwargs)

    return patch.object(config_flow.SigenergyClient, "__init__", wrapped)


# ---------------------------------------------------------------- addresses


@pytest.mark.parametrize(
    ("host", "port", "errors"),
    [
        ("127.0.0.1", 65536, {CONF_PORT: "invalid_port"}),
        ("127.0.0.1", -1, {CONF_PORT: "invalid_port"}),
        ("::1", 502, {CONF_HOST: "invalid_host"}),
        ("[::1]", 502, {CONF_HOST: "invalid_host"}),
        ("::ffff:127.0.0.1", 502, {CONF_HOST: "invalid_host"}),
        ("2001:db8::1", 0, {CONF_HOST: "invalid_host", CONF_PORT: "invalid_port"}),
        ("127.0.0.1:502", 502, {CONF_HOST: "invalid_host"}),
        ("modbus://127.0.0.1", 502, {CONF_HOST: "invalid_host"}),
        ("127.0.0 .1", 502, {CONF_HOST: "invalid_host"}),
        ("wechselrichter-ü.local", 502, {CONF_HOST: "invalid_host"}),
        ("逆变器.local", 502, {CONF_HOST: "invalid_host"}),
        ("١٢٧.٠.٠.١", 502, {CONF_HOST: "invalid_host"}),  # noqa: RUF001 - Arabic-Indic digits
        ("inverter\u200b.local", 502, {CONF_HOST: "invalid_host"}),  # zero-width space
        ("a" * 64 + ".local", 502, {CONF_HOST: "invalid_host"}),  # label over 63
        ("a." * 127 + "a", 502, {CONF_HOST: "invalid_host"}),  # name over 253
        ("-inverter.local", 502, {CONF_HOST: "invalid_host"}),
    ],
)
async def test_malformed_addresses(  # noqa: PLR0917 - fixtures and parameters
    hass: HomeAssistant,
    simulator: PlantSimulator,
    caplog: pytest.LogCaptureFixture,
    host: str,
    port: int,
    errors: dict[str, str],
) -> None:
    """Each is a field error before anything is sent."""
    result = await _manual(hass, {CONF_HOST: host, CONF_PORT: port})
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == errors
    assert simulator.stats.connections == 0
    _no_traceback(caplog)


async def test_closed_port_65535(hass: HomeAssistant, loopback: None) -> None:
    """The highest port is valid; nothing listening there is cannot_connect."""
    result = await _manual(hass, {CONF_HOST: "127.0.0.1", CONF_PORT: 65535})
    assert result["errors"] == {CONF_HOST: "cannot_connect"}


# ---------------------------------------------------------------- not a plant


async def _tcp_server(
    handler: Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]],
) -> AsyncIterator[int]:
    server = await asyncio.start_server(handler, "127.0.0.1", 0)
    yield int(server.sockets[0].getsockname()[1])
    server.close()
    server.close_clients()
    await server.wait_closed()


async def _http(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """A web server: answers every request with an HTTP error."""
    while await reader.read(1024):
        writer.write(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
    writer.close()


async def _bad_function(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """A Modbus TCP header, then a PDU that is no Modbus function."""
    while data := await reader.read(1024):
        writer.write(data[:4] + b"\x00\x04" + data[6:7] + b"\x5a\x5a\x5a")
    writer.close()


async def _hang_up(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Accepts the connection and closes it at once."""
    writer.close()


@pytest.mark.parametrize(
    "handler", [_http, _bad_function, _hang_up], ids=["http", "bad-function", "hang-up"]
)
async def test_host_that_answers_garbage(
    hass: HomeAssistant,
    loopback: None,
    caplog: pytest.LogCaptureFixture,
    handler: Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]],
) -> None:
    """A port that answers, but not Modbus, is not a Sigenergy plant; no traceback."""
    async for port in _tcp_server(handler):
        with _short_timeout():
            result = await _manual(hass, {CONF_HOST: "127.0.0.1", CONF_PORT: port})
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {CONF_HOST: "not_a_sigenergy_plant"}
    _no_traceback(caplog)


type Answer = Callable[[modbus.Request, int], list[int] | None]
"""What a generic device reads for a request (to a unit id); None: exception 0x02."""


class _GenericDevice:
    """A plain Modbus TCP device, framed by the simulator's own codec, counting requests.

    Every read of 0x03/0x04 on every unit id is answered by ``answer``; any
    other function with 0x01.
    """

    def __init__(self, answer: Answer) -> None:
        self.answer = answer
        self.requests = 0

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        buffer = bytearray()
        while data := await reader.read(1024):
            buffer += data
            while (frame := modbus.take_frame(buffer)) is not None:
                self.requests += 1
                pdu = self._reply(frame)
                writer.write(modbus.encode_frame(frame.transaction_id, frame.unit_id, pdu))
        writer.close()

    def _reply(self, frame: modbus.Frame) -> bytes:
        try:
            request = modbus.decode_request(frame.pdu)
        except modbus.RequestError as err:
            return modbus.exception_reply(frame.function, err.code)
        if request.function not in modbus.REGISTER_READS:
            return modbus.exception_reply(frame.function, modbus.ExceptionCode.ILLEGAL_FUNCTION)
        words = self.answer(request, frame.unit_id)
        if words is None:
            return modbus.exception_reply(frame.function, modbus.ExceptionCode.ILLEGAL_ADDRESS)
        return modbus.registers_reply(frame.function, words)


def _zeros(size: int) -> Answer:
    """Registers 0 to size - 1, all zero; beyond them 0x02."""

    def answer(request: modbus.Request, unit_id: int) -> list[int] | None:
        if request.address + request.count > size:
            return None
        return [0] * request.count

    return answer


def _random(seed: int) -> Answer:
    """Random words for any address on any unit id: a broken bridge, or a fuzzer."""
    rng = random.Random(seed)

    def answer(request: modbus.Request, unit_id: int) -> list[int] | None:
        return [rng.randrange(0x10000) for _ in range(request.count)]

    return answer


@pytest.mark.parametrize(
    ("answer", "what"),
    [
        (_zeros(100), "exception 0x02 on unit 247"),
        (_zeros(40000), "zeros on every unit"),
        (_random(1), "random words"),
        (_random(2), "other random words"),
    ],
    ids=["small-datastore", "zeros", "random", "random-2"],
)
async def test_modbus_device_that_is_not_sigenergy(
    hass: HomeAssistant, loopback: None, caplog: pytest.LogCaptureFixture, answer: Answer, what: str
) -> None:
    """A generic Modbus device is not a Sigenergy plant: one request tells, nothing is made.

    With 100 registers it refuses the plant's registers with 0x02; zeros and
    random words are answered, but are not mutually consistent plant
    registers (no system time zone, no rating, codes outside their tables).
    """
    device = _GenericDevice(answer)
    async for port in _tcp_server(device.serve):
        result = await _manual(hass, {CONF_HOST: "127.0.0.1", CONF_PORT: port})
    assert result["errors"] == {CONF_HOST: "not_a_sigenergy_plant"}, what
    assert device.requests == 1, what
    assert hass.config_entries.async_entries(DOMAIN) == []
    _no_traceback(caplog)


def _plant_then_random(plant: PlantSimulator) -> Answer:
    """A real plant's registers at unit 247, random words at every other unit id."""
    rng = random.Random(3)

    def answer(request: modbus.Request, unit_id: int) -> list[int] | None:
        if unit_id == PLANT_UNIT_ID:
            words = plant._read_registers(unit_id, request.address, request.count)
            return None if isinstance(words, modbus.ExceptionCode) else list(words)
        return [rng.randrange(0x10000) for _ in range(request.count)]

    return answer


async def test_plant_with_random_inverters_is_not_a_plant(
    hass: HomeAssistant,
    simulator: PlantSimulator,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Consistent plant registers, but random words on every inverter id: nothing is made.

    Each of the 246 ids costs one request (random words are no inverter
    identity, and no exception asks for an AC charger): one pass, nothing kept.
    """
    device = _GenericDevice(_plant_then_random(simulator))
    async for port in _tcp_server(device.serve):
        result = await _manual(hass, {CONF_HOST: "127.0.0.1", CONF_PORT: port})
    assert result["errors"] == {CONF_HOST: "not_a_sigenergy_plant"}
    assert device.requests == 1 + 246
    assert hass.config_entries.async_entries(DOMAIN) == []
    assert "firmware changed" not in caplog.text
    ours = [r for r in caplog.records if r.name.startswith("custom_components.sigenergy_modbus")]
    assert [r.getMessage() for r in ours if r.levelno >= logging.INFO] == []  # no flood
    _no_traceback(caplog)


async def test_reconfigure_to_garbage_is_a_field_error(
    hass: HomeAssistant, loopback: None, caplog: pytest.LogCaptureFixture
) -> None:
    """Reconfigure to an address that answers garbage keeps the entry as it was."""
    entry = MockConfigEntry(
        domain=DOMAIN, unique_id="plant", data={CONF_HOST: "10.0.0.9", CONF_PORT: 502}
    )
    entry.add_to_hass(hass)
    result = await entry.start_reconfigure_flow(hass)
    async for port in _tcp_server(_bad_function):
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {CONF_HOST: "127.0.0.1", CONF_PORT: port}
        )
        result = await through_progress(hass, result)
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {CONF_HOST: "not_a_sigenergy_plant"}
    assert entry.data[CONF_HOST] == "10.0.0.9"
    _no_traceback(caplog)


# ---------------------------------------------------------------- options and writes

DO1 = "switch.sigenergy_inverter_1_dry_contact_do1"


async def _turn_on(hass: HomeAssistant, entity_id: str) -> None:
    await hass.services.async_call(
        SWITCH_DOMAIN, SERVICE_TURN_ON, {ATTR_ENTITY_ID: entity_id}, blocking=True
    )


async def test_read_only_through_the_options(
    hass: HomeAssistant, loaded: MockConfigEntry, simulator: PlantSimulator
) -> None:
    """Read-only set in the options reloads the entry; a switch then refuses, sends nothing."""
    result = await hass.config_entries.options.async_init(loaded.entry_id)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {CONF_READ_ONLY: True}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    assert loaded.state is ConfigEntryState.LOADED
    with pytest.raises(ServiceValidationError) as err:
        await _turn_on(hass, DO1)
    assert err.value.translation_domain == DOMAIN
    assert err.value.translation_key == "read_only"
    assert simulator.stats.writes == []
    assert simulator.coil(1, 0) is False


async def test_options_while_the_plant_is_down(
    hass: HomeAssistant, loaded: MockConfigEntry, simulator: PlantSimulator
) -> None:
    """Saving the options while the plant is down: saved, the entry retries, no exception."""
    await simulator.stop()
    result = await hass.config_entries.options.async_init(loaded.entry_id)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {CONF_READ_ONLY: True}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    assert loaded.options == {CONF_READ_ONLY: True}
    assert loaded.state is ConfigEntryState.SETUP_RETRY


async def test_switch_while_the_plant_is_down(
    hass: HomeAssistant, loaded: MockConfigEntry, simulator: PlantSimulator
) -> None:
    """A switch with the plant down raises a translated error, and nothing is sent."""
    await simulator.stop()
    with pytest.raises(HomeAssistantError) as err:
        await _turn_on(hass, DO1)
    assert err.value.translation_domain == DOMAIN
    assert err.value.translation_key == "write_failed"
    assert err.value.translation_placeholders["contact"] == "DO1"
    await simulator.start(simulator.host, simulator.port)
    assert simulator.stats.writes == []
    assert simulator.coil(1, 0) is False


# ---------------------------------------------------------------- writes at the protocol level


def _invalid_values() -> list[tuple[str, Value]]:
    """Values each writable register must refuse before anything is sent."""
    cases: list[tuple[str, Value]] = []
    for register in REGISTERS:
        if not register.access.writable:
            continue
        if register.minimum is not None:
            cases.append((register.key, register.minimum - 1))
        if register.maximum is not None:
            cases.append((register.key, register.maximum + 1))
        if register.allowed is not None:
            cases.append((register.key, max(register.allowed) + 1))
    cases += [
        ("ess_backup_soc", "50"),
        ("ess_backup_soc", True),
        ("ess_backup_soc", math.nan),
        ("ess_backup_soc", math.inf),
        ("ess_backup_soc", 20.05),  # not a multiple of the gain's step
        ("pcs_max_export_limit", -0.001),
        ("running_state", 1),  # read-only register
        ("serial_number", "X"),  # read-only register
    ]
    return cases


@pytest.mark.parametrize(("key", "value"), _invalid_values())
async def test_write_refused_before_sending(
    simulator: PlantSimulator, key: str, value: Value
) -> None:
    """A value outside the register's range or allowed set raises; the plant sees nothing."""
    register = BY_KEY[key]
    unit = PLANT_UNIT_ID if register.device is DeviceKind.PLANT else 1
    client = SigenergyClient(simulator.host, simulator.port)
    await client.read(PLANT_UNIT_ID, [BY_KEY["system_time"]])  # connected and talking
    requests = simulator.stats.requests
    with pytest.raises(SigenergyValueError):
        await client.write(unit, register, value)
    assert simulator.stats.requests == requests
    assert simulator.stats.writes == []
    assert client.stats.writes == 0
    await client.close()


async def test_read_only_client_sends_nothing(simulator: PlantSimulator) -> None:
    """A read-only client refuses valid writes and coils alike."""
    client = SigenergyClient(simulator.host, simulator.port, read_only=True)
    await client.read(PLANT_UNIT_ID, [BY_KEY["system_time"]])
    requests = simulator.stats.requests
    with pytest.raises(SigenergyReadOnlyError):
        await client.write(PLANT_UNIT_ID, BY_KEY["ess_backup_soc"], 20)
    with pytest.raises(SigenergyReadOnlyError):
        await client.write_coil(1, 0, True)
    assert simulator.stats.requests == requests
    assert simulator.stats.writes == []
    await client.close()


# ---------------------------------------------------------------- random plans and replies

FUZZ = settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
UNITS = (PLANT_UNIT_ID, 1, 2)


def _pool(unit_id: int) -> list[Register]:
    kind = DeviceKind.PLANT if unit_id == PLANT_UNIT_ID else DeviceKind.INVERTER
    return sorted(registers_for(kind), key=lambda r: (r.kind, r.address))


@st.composite
def _marked_planner(draw: st.DrawFn) -> ReadPlanner:
    """A planner that learned random refusals: unsupported registers and refused gaps."""
    planner = ReadPlanner()
    for unit_id in UNITS:
        pool = [r for r in _pool(unit_id) if r.access.readable]
        for register in draw(st.lists(st.sampled_from(pool), max_size=8)):
            planner.mark_unsupported(unit_id, register)
        for address in draw(st.lists(st.sampled_from(sorted(TABLE_ADDRESSES)), max_size=8)):
            kind = RegisterKind.INPUT if address < 40000 else RegisterKind.HOLDING
            left = ReadBlock(unit_id, kind, address - 1, 1, ())
            right = ReadBlock(unit_id, kind, address, 1, ())
            planner.mark_unbridgeable(unit_id, left, right)  # refuses exactly ``address``
    return planner


@FUZZ
@given(planner=_marked_planner(), data=st.data())
def test_planner_with_random_refusals(planner: ReadPlanner, data: st.DataObject) -> None:
    """Whatever was learned, a plan is valid reads of exactly the wanted supported registers."""
    unit_id = data.draw(st.sampled_from(UNITS))
    pool = _pool(unit_id)
    required = data.draw(st.lists(st.sampled_from(pool), max_size=60, unique=True))
    optional = data.draw(st.lists(st.sampled_from(pool), max_size=60, unique=True))
    unsupported = planner.unsupported(unit_id)
    alone = planner.plan(unit_id, required)
    blocks = planner.plan(unit_id, required, optional)
    assert len(blocks) == len(alone)  # riding along never adds a read
    planned: list[Register] = []
    for block in blocks:
        assert block.unit_id == unit_id
        assert 1 <= block.count <= MAX_READ_REGISTERS
        assert block.address == block.registers[0].address
        assert block.end == block.registers[-1].end
        refused = planner.unbridgeable(unit_id, block.kind)
        for left, right in zip(block.registers, block.registers[1:], strict=False):
            assert left.end <= right.address  # sorted, no overlap
            gap = range(left.end, right.address)
            assert all(a in TABLE_ADDRESSES for a in gap)
            assert not any(a in refused for a in (gap or (left.end,)))
        for register in block.registers:
            assert register.kind is block.kind
            assert register.access.readable
            assert register.key not in unsupported
        planned.extend(block.registers)
    assert len(planned) == len(set(planned))
    wanted = {r for r in required if r.access.readable and r.key not in unsupported}
    assert wanted <= set(planned) <= wanted | set(optional)
    spans = sorted((b.kind, b.address, b.end) for b in blocks)
    for (kind_a, _, end_a), (kind_b, start_b, _) in itertools.pairwise(spans):
        assert kind_a is not kind_b or end_a <= start_b  # reads never overlap


_ERRORS: list[Callable[[int, int, int], SigenergyError]] = [
    lambda u, f, a: SigenergyUnsupportedError(0x01, u, f, a),
    lambda u, f, a: SigenergyUnsupportedError(0x02, u, f, a),
    *(
        (lambda u, f, a, code=code: SigenergyDeviceError(code, u, f, a))
        for code in (0x03, 0x04, 0x06, 0x0A, 0x0B)
    ),
    lambda u, f, a: SigenergyTimeoutError(f"no reply from unit {u}"),
    lambda u, f, a: SigenergyProtocolError("garbage"),
    lambda u, f, a: SigenergyConnectionError("lost"),
]


def _run[T](coro: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine that never waits (the fake device answers at once)."""
    try:
        coro.send(None)
    except StopIteration as done:
        return done.value  # type: ignore[no-any-return]
    coro.close()
    msg = "the read waited for something"
    raise AssertionError(msg)


@FUZZ
@given(data=st.data())
def test_read_decodes_random_replies(data: st.DataObject) -> None:
    """Random words and random exception replies: values or None, or a SigenergyError."""
    unit_id = data.draw(st.sampled_from(UNITS))
    pool = _pool(unit_id)
    required = data.draw(st.lists(st.sampled_from(pool), min_size=1, max_size=60, unique=True))
    optional = data.draw(st.lists(st.sampled_from(pool), max_size=30, unique=True))
    error_rate = data.draw(st.sampled_from([0.0, 0.1, 0.5]))
    client = SigenergyClient("192.0.2.1")
    requests: list[tuple[int, int]] = []

    async def read_words(
        unit: int, kind: RegisterKind, address: int, count: int, *, timeout: float | None = None
    ) -> list[int]:
        requests.append((address, count))
        assert unit == unit_id
        assert 1 <= count <= MAX_READ_REGISTERS
        if data.draw(st.floats(0, 1)) < error_rate:
            raise data.draw(st.sampled_from(_ERRORS))(unit, kind.value, address)
        return data.draw(st.lists(st.integers(0, 0xFFFF), min_size=count, max_size=count))

    client.read_words = read_words  # type: ignore[method-assign]
    for _ in range(2):  # the second read plans with what the first learned
        try:
            values = _run(client.read(unit_id, required, optional=optional))
        except SigenergyError:
            continue
        assert set(values) <= {r.key for r in required}
        for key, value in values.items():
            assert value is None or isinstance(value, int | float | str), (key, value)
            if isinstance(value, float):
                assert math.isfinite(value)
    assert len(requests) <= 4 * (len(required) + len(optional))  # bisection is bounded
