"""Config flow: every path identifies the plant with visible progress; every error recovers."""

from __future__ import annotations

import asyncio
import socket
from typing import TYPE_CHECKING, Any
from unittest.mock import patch

import pytest
from homeassistant.config_entries import SOURCE_DHCP, SOURCE_USER
from homeassistant.const import CONF_HOST, CONF_PORT
from homeassistant.core import callback
from homeassistant.data_entry_flow import EVENT_DATA_ENTRY_FLOW_PROGRESS_UPDATE, FlowResultType
from homeassistant.helpers.service_info.dhcp import DhcpServiceInfo
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.sigenergy_modbus import config_flow
from custom_components.sigenergy_modbus.const import CONF_READ_ONLY, CONF_SWEEP_FROM, DOMAIN
from custom_components.sigenergy_modbus.protocol.identity import MAX_UNITS
from custom_components.sigenergy_modbus.protocol.models import AC_CHARGERS as CONF_AC_CHARGERS
from custom_components.sigenergy_modbus.protocol.models import INVERTERS as CONF_INVERTERS
from tests.conftest import start_simulator
from tests.helpers import through_progress

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Iterator

    from homeassistant.config_entries import ConfigFlowResult
    from homeassistant.core import Event, HomeAssistant

    from simulator import PlantSimulator

GATEWAY_NO_RESPONSE = 0x0B


@pytest.fixture(autouse=True)
def _no_setup() -> Iterator[None]:
    """The flows only: an entry they create is not set up (tests/integration/test_units.py is)."""
    with patch("custom_components.sigenergy_modbus.async_setup_entry", return_value=True):
        yield


async def _manual(hass: HomeAssistant) -> str:
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    assert result["type"] is FlowResultType.MENU
    assert result["menu_options"] == ["search", "manual"]
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "manual"}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "manual"
    assert result["description_placeholders"] == {"max_units": str(MAX_UNITS)}
    return result["flow_id"]


async def _submit(
    hass: HomeAssistant, flow_id: str, host: str, port: int, **more: Any
) -> ConfigFlowResult:
    """Enter an address; identification shows progress (unless it fails at once), then on."""
    result = await hass.config_entries.flow.async_configure(
        flow_id, {CONF_HOST: host, CONF_PORT: port, **more}
    )
    if result["type"] is FlowResultType.SHOW_PROGRESS:
        assert result["step_id"] == "identify"
    return await through_progress(hass, result)


async def test_manual_creates_entry(hass: HomeAssistant, simulator: PlantSimulator) -> None:
    """A host and port typed in identify the plant and create the entry, in six requests.

    The plant probe, the inverter at unit 1 (identity, counts, DC charger),
    and units 2 and 3, which are absent: the first pass stops there and
    leaves 4-246 to the background sweep.
    """
    flow_id = await _manual(hass)
    result = await hass.config_entries.flow.async_configure(
        flow_id, {CONF_HOST: simulator.host, CONF_PORT: simulator.port}
    )
    assert result["type"] is FlowResultType.SHOW_PROGRESS
    assert result["step_id"] == "identify"
    result = await through_progress(hass, result)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "Sigenergy"
    assert result["result"].unique_id == simulator.serial(1)
    data = result["data"]
    assert data[CONF_HOST] == simulator.host
    assert data[CONF_PORT] == simulator.port
    (inverter,) = data[CONF_INVERTERS]
    assert inverter["unit_id"] == 1
    assert inverter["serial"] == simulator.serial(1)
    assert inverter["pv_string_count"] == 3
    assert inverter["pack_count"] == 3
    assert data[CONF_SWEEP_FROM] == 4
    assert simulator.stats.requests == 1 + 3 + 2
    assert simulator.stats.exceptions == {GATEWAY_NO_RESPONSE: 2}


@pytest.mark.parametrize(
    "missing_ids", ["exception", "illegal_address", "silent"], ids=["0x0B", "0x02", "silent"]
)
@pytest.mark.parametrize("inverters", [1, 3, 16])
async def test_first_pass_finds_a_contiguous_plant(
    hass: HomeAssistant, loopback: None, inverters: int, missing_ids: str
) -> None:
    """Whatever absent ids answer, the entry has every inverter of a plant numbered 1..N."""
    sim = await start_simulator(inverters=inverters, missing_ids=missing_ids)
    try:
        flow_id = await _manual(hass)
        result = await _submit(hass, flow_id, sim.host, sim.port)
    finally:
        await sim.stop()
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert [i["unit_id"] for i in result["data"][CONF_INVERTERS]] == list(range(1, inverters + 1))
    assert result["data"][CONF_SWEEP_FROM] == inverters + 3
    # 3 requests an inverter; two absent ids, twice that where 0x02 asks for a charger too
    absent = {"exception": 2, "illegal_address": 4, "silent": 2}[missing_ids]
    assert sim.stats.requests == 1 + 3 * inverters + absent


async def test_progress_says_what_is_asked(hass: HomeAssistant, simulator: PlantSimulator) -> None:
    """The progress step says what is asked, and reports a rising share done.

    The device hangs right after it answered unit 1's identity, so the flow
    is caught while it asks unit 1 for its counts.
    """
    fractions: list[float] = []

    @callback  # on the event loop, in order: a plain function would run in the executor
    def on_update(event: Event) -> None:
        fractions.append(event.data["progress"])

    hass.bus.async_listen(EVENT_DATA_ENTRY_FLOW_PROGRESS_UPDATE, on_update)
    original = simulator._read_registers

    def stall_after_identity(unit_id: int, address: int, count: int) -> object:
        reply = original(unit_id, address, count)
        if unit_id == 1 and address == 30500:
            simulator.faults.stall(None)
        return reply

    simulator._read_registers = stall_after_identity  # type: ignore[method-assign]
    flow_id = await _manual(hass)
    result = await hass.config_entries.flow.async_configure(
        flow_id, {CONF_HOST: simulator.host, CONF_PORT: simulator.port}
    )
    assert result["type"] is FlowResultType.SHOW_PROGRESS
    assert result["progress_action"] == "identify"
    assert result["description_placeholders"] == {"host": simulator.host}
    for _ in range(200):
        if simulator.faults.stalled:
            break
        await asyncio.sleep(0.01)
    assert simulator.faults.stalled
    result = await hass.config_entries.flow.async_configure(flow_id)  # what the frontend reloads
    assert result["type"] is FlowResultType.SHOW_PROGRESS
    # The same description throughout (a changed one makes the frontend fetch the
    # flow again, racing the entry's creation); the bar moves by its own events.
    assert result["progress_action"] == "identify"
    assert fractions
    simulator._read_registers = original  # type: ignore[method-assign]
    simulator.faults.clear_stall()
    result = await through_progress(hass, result)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert fractions
    assert fractions == sorted(fractions)
    assert 0 <= fractions[0] < fractions[-1] <= 1


async def test_second_plant_gets_its_own_name(
    hass: HomeAssistant, simulator: PlantSimulator
) -> None:
    """With a plant "Sigenergy" set up, the next is named by the end of its serial number."""
    MockConfigEntry(domain=DOMAIN, title="Sigenergy", unique_id="OTHER-PLANT", data={}).add_to_hass(
        hass
    )
    flow_id = await _manual(hass)
    result = await _submit(hass, flow_id, simulator.host, simulator.port)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == f"Sigenergy {simulator.serial(1)[-4:]}"


@pytest.mark.parametrize(
    ("user_input", "field", "error"),
    [
        ({CONF_HOST: "", CONF_PORT: 502}, CONF_HOST, "invalid_host"),
        ({CONF_HOST: "   ", CONF_PORT: 502}, CONF_HOST, "invalid_host"),
        ({CONF_HOST: "999.1.1.1", CONF_PORT: 502}, CONF_HOST, "invalid_host"),
        ({CONF_HOST: "inverter..local", CONF_PORT: 502}, CONF_HOST, "invalid_host"),
        ({CONF_HOST: "fe80::1", CONF_PORT: 502}, CONF_HOST, "invalid_host"),
        ({CONF_HOST: "127.0.0.1", CONF_PORT: 0}, CONF_PORT, "invalid_port"),
        ({CONF_HOST: "127.0.0.1", CONF_PORT: 70000}, CONF_PORT, "invalid_port"),
    ],
)
async def test_manual_input_errors_recover(
    hass: HomeAssistant,
    simulator: PlantSimulator,
    user_input: dict[str, object],
    field: str,
    error: str,
) -> None:
    """Malformed input is a field error at once, and fixing it creates the entry."""
    flow_id = await _manual(hass)
    result = await hass.config_entries.flow.async_configure(flow_id, user_input)
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {field: error}
    assert simulator.stats.requests == 0
    result = await _submit(hass, flow_id, simulator.host, simulator.port)
    assert result["type"] is FlowResultType.CREATE_ENTRY


async def test_manual_cannot_connect_recovers(
    hass: HomeAssistant, simulator: PlantSimulator
) -> None:
    """A closed port is cannot_connect; the right port then works."""
    flow_id = await _manual(hass)
    await simulator.stop()
    result = await _submit(hass, flow_id, simulator.host, simulator.port)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "manual"
    assert result["errors"] == {CONF_HOST: "cannot_connect"}
    await simulator.restart()
    result = await _submit(hass, flow_id, simulator.host, simulator.port)
    assert result["type"] is FlowResultType.CREATE_ENTRY


async def test_manual_not_sigenergy_recovers(
    hass: HomeAssistant, simulator: PlantSimulator
) -> None:
    """A port that accepts TCP but never answers Modbus is not a Sigenergy plant."""

    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read(1024)

    server = await asyncio.start_server(silent, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    flow_id = await _manual(hass)
    with patch.object(
        config_flow.SigenergyClient,
        "__init__",
        _short_timeout(config_flow.SigenergyClient.__init__),
    ):
        result = await _submit(hass, flow_id, "127.0.0.1", port)
    server.close()
    assert result["errors"] == {CONF_HOST: "not_a_sigenergy_plant"}
    result = await _submit(hass, flow_id, simulator.host, simulator.port)
    assert result["type"] is FlowResultType.CREATE_ENTRY


def _short_timeout(init):  # type: ignore[no-untyped-def]
    def wrapped(self, host, port=502, **kwargs):  # type: ignore[no-untyped-def]
        kwargs["timeout"] = 0.2
        init(self, host, port, **kwargs)

    return wrapped


async def test_manual_plant_registers_refused(
    hass: HomeAssistant, simulator: PlantSimulator
) -> None:
    """A Modbus device that refuses the plant registers is not a Sigenergy plant."""
    simulator.faults.exceptions[(247, 30000)] = 0x02
    flow_id = await _manual(hass)
    result = await _submit(hass, flow_id, simulator.host, simulator.port)
    assert result["errors"] == {CONF_HOST: "not_a_sigenergy_plant"}
    assert simulator.stats.requests == 1
    simulator.faults.exceptions.clear()
    result = await _submit(hass, flow_id, simulator.host, simulator.port)
    assert result["type"] is FlowResultType.CREATE_ENTRY


async def test_manual_unknown_error_recovers(
    hass: HomeAssistant, simulator: PlantSimulator, caplog: pytest.LogCaptureFixture
) -> None:
    """An unexpected exception is the catch-all 'unknown' error, with its traceback logged."""
    flow_id = await _manual(hass)
    with patch.object(config_flow, "identify_first_pass", side_effect=RuntimeError("boom")):
        result = await _submit(hass, flow_id, simulator.host, simulator.port)
    assert result["errors"] == {"base": "unknown"}
    assert "Unexpected error identifying the plant" in caplog.text
    result = await _submit(hass, flow_id, simulator.host, simulator.port)
    assert result["type"] is FlowResultType.CREATE_ENTRY


async def test_duplicate_aborts(hass: HomeAssistant, simulator: PlantSimulator) -> None:
    """The same plant twice aborts, and updates the stored address."""
    MockConfigEntry(
        domain=DOMAIN,
        unique_id=simulator.serial(1),
        data={CONF_HOST: "10.0.0.9", CONF_PORT: 502, CONF_INVERTERS: []},
    ).add_to_hass(hass)
    flow_id = await _manual(hass)
    result = await _submit(hass, flow_id, simulator.host, simulator.port)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    entry = hass.config_entries.async_entries(DOMAIN)[0]
    assert entry.data[CONF_HOST] == simulator.host
    assert entry.data[CONF_PORT] == simulator.port


async def test_too_many_units(hass: HomeAssistant, loopback: None) -> None:
    """A plant with more units than the integration reads is refused with the limit."""
    sim = await start_simulator(inverters=MAX_UNITS + 1)
    try:
        flow_id = await _manual(hass)
        result = await _submit(hass, flow_id, sim.host, sim.port)
    finally:
        await sim.stop()
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {CONF_HOST: "too_many_units"}
    assert result["description_placeholders"] == {"max_units": str(MAX_UNITS)}
    assert hass.config_entries.async_entries(DOMAIN) == []


async def test_first_pass_leaves_distant_ids_to_the_sweep(
    hass: HomeAssistant, loopback: None
) -> None:
    """Inverters at 1, 2, 7 and 30, an AC charger at 12: the entry has 1 and 2 at once.

    Units 3 and 4 are absent, so the first pass stops and stores where the
    background sweep goes on (tests/integration/test_units.py follows it).
    """
    sim = await start_simulator(unit_ids=[1, 2, 7, 30], ac_charger_id=12)
    try:
        flow_id = await _manual(hass)
        result = await _submit(hass, flow_id, sim.host, sim.port)
    finally:
        await sim.stop()
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert [i["unit_id"] for i in result["data"][CONF_INVERTERS]] == [1, 2]
    assert result["data"][CONF_AC_CHARGERS] == []
    assert result["data"][CONF_SWEEP_FROM] == 5


# -- search -------------------------------------------------------------------------------------


@pytest.fixture
async def plants_on_loopback(loopback: None) -> AsyncIterator[list[PlantSimulator]]:
    """Two plants on 127.0.0.2 and 127.0.0.3, on the same port."""
    first = await start_simulator("127.0.0.2", seed=1)
    second = await start_simulator("127.0.0.3", port=first.port, seed=2, inverters=2)
    yield [first, second]
    await first.stop()
    await second.stop()


def _adapters(prefix: int = 29) -> list[dict[str, object]]:
    return [
        {
            "name": "lo",
            "index": 1,
            "enabled": True,
            "auto": True,
            "default": True,
            "ipv4": [{"address": "127.0.0.1", "network_prefix": prefix}],
            "ipv6": [],
        },
        {
            "name": "eth9",
            "index": 2,
            "enabled": False,
            "auto": False,
            "default": False,
            "ipv4": [{"address": "127.0.0.4", "network_prefix": 30}],
            "ipv6": [],
        },
    ]


async def _search(hass: HomeAssistant, port: int) -> ConfigFlowResult:
    with (
        patch.object(config_flow, "SCAN_PORT", port),
        patch.object(config_flow.network, "async_get_adapters", return_value=_adapters()),
    ):
        result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {"next_step_id": "search"}
        )
        assert result["type"] is FlowResultType.SHOW_PROGRESS
        assert result["progress_action"] == "search"
        assert result["description_placeholders"]["hosts"] == "6"  # a /29 without the ends
        await hass.async_block_till_done()
        return await hass.config_entries.flow.async_configure(result["flow_id"])


async def test_search_lists_plants_and_creates(
    hass: HomeAssistant, plants_on_loopback: list[PlantSimulator]
) -> None:
    """The search scans the adapters' subnets, two requests a plant, and lists each."""
    first, second = plants_on_loopback
    result = await _search(hass, first.port)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "search_result"
    options = result["data_schema"].schema[config_flow.CONF_PLANT].config["options"]
    labels = {o["value"]: o["label"] for o in options}
    assert set(labels) == {"127.0.0.2", "127.0.0.3"}
    model = second.value(1, "model_type")
    assert labels["127.0.0.3"] == f"{model} · {second.serial(1)} · 127.0.0.3"
    # Listing costs each plant two requests: is it a plant, and its first inverter.
    assert first.stats.requests == second.stats.requests == 2
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {config_flow.CONF_PLANT: "127.0.0.3"}
    )
    assert result["type"] is FlowResultType.SHOW_PROGRESS
    result = await through_progress(hass, result)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"][CONF_HOST] == "127.0.0.3"
    assert result["result"].unique_id == second.serial(1)
    assert len(result["data"][CONF_INVERTERS]) == 2
    assert first.stats.requests == 2  # the plant not picked was asked nothing more


async def test_search_progress_lists_each_plant_found(
    hass: HomeAssistant, plants_on_loopback: list[PlantSimulator]
) -> None:
    """While the search runs, its progress lists the plants that answered so far."""
    first, second = plants_on_loopback
    second.faults.stall(None)  # one plant answers, the other not yet
    with (
        patch.object(config_flow, "SCAN_PORT", first.port),
        patch.object(config_flow.network, "async_get_adapters", return_value=_adapters()),
    ):
        result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {"next_step_id": "search"}
        )
        flow_id = result["flow_id"]
        for _ in range(300):
            result = await hass.config_entries.flow.async_configure(flow_id)
            if result["description_placeholders"]["found"] == "1":
                break
            await asyncio.sleep(0.01)
        assert result["type"] is FlowResultType.SHOW_PROGRESS
        assert result["description_placeholders"]["found"] == "1"
        assert result["description_placeholders"]["plants"] == (
            f"- SigenStor EC 12.0 TP · {first.serial(1)} · 127.0.0.2"
        )
        second.faults.clear_stall()
        await hass.async_block_till_done()
        result = await hass.config_entries.flow.async_configure(flow_id)
    options = result["data_schema"].schema[config_flow.CONF_PLANT].config["options"]
    assert {o["value"] for o in options} == {"127.0.0.2", "127.0.0.3"}


async def test_search_finds_only_configured_plants(
    hass: HomeAssistant, plants_on_loopback: list[PlantSimulator]
) -> None:
    """Plants set up already are not offered; the form says they were found."""
    first, second = plants_on_loopback
    for sim in (first, second):
        MockConfigEntry(domain=DOMAIN, unique_id=sim.serial(1), data={}).add_to_hass(hass)
    result = await _search(hass, first.port)
    assert result["step_id"] == "manual"
    assert result["errors"] == {"base": "configured_plant_found"}
    plants = result["description_placeholders"]["plants"]
    assert f"{first.serial(1)} · 127.0.0.2" in plants
    assert f"{second.serial(1)} · 127.0.0.3" in plants
    # The frontend fetches the flow again after a late progress event: same form.
    again = await hass.config_entries.flow.async_configure(result["flow_id"])
    assert again["step_id"] == "manual"
    assert again["errors"] == {"base": "configured_plant_found"}
    assert again["description_placeholders"]["plants"] == plants
    # Submitting an address clears it.
    typed = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_HOST: "", CONF_PORT: 502}
    )
    assert typed["errors"] == {CONF_HOST: "invalid_host"}


async def test_search_finds_nothing(hass: HomeAssistant, loopback: None) -> None:
    """No plant at all: the manual form says the search found none."""
    result = await _search(hass, 1)  # nothing listens on port 1
    assert result["step_id"] == "manual"
    assert result["errors"] == {"base": "no_plants_found"}


async def test_search_ignores_non_sigenergy_modbus(
    hass: HomeAssistant, plants_on_loopback: list[PlantSimulator]
) -> None:
    """A host with the port open that is no plant is left out of the list."""
    first, second = plants_on_loopback
    second.faults.exceptions[(247, 30000)] = 0x01
    result = await _search(hass, first.port)
    options = result["data_schema"].schema[config_flow.CONF_PLANT].config["options"]
    assert [o["value"] for o in options] == ["127.0.0.2"]


# -- DHCP ---------------------------------------------------------------------------------------


def _dhcp(ip: str) -> DhcpServiceInfo:
    return DhcpServiceInfo(ip=ip, hostname="sigenstor", macaddress="0c47a9912345")


async def _discover(hass: HomeAssistant, simulator: PlantSimulator) -> ConfigFlowResult:
    with patch.object(config_flow, "DEFAULT_PORT", simulator.port):
        return await hass.config_entries.flow.async_init(
            DOMAIN, context={"source": SOURCE_DHCP}, data=_dhcp(simulator.host)
        )


async def test_dhcp_of_a_new_plant_confirms_then_creates(
    hass: HomeAssistant, simulator: PlantSimulator
) -> None:
    """A discovered plant costs two requests before the owner confirms it."""
    result = await _discover(hass, simulator)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "discovery_confirm"
    assert result["description_placeholders"] == {
        "model": "SigenStor EC 12.0 TP",
        "host": simulator.host,
    }
    assert simulator.stats.requests == 2
    (flow,) = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert flow["context"]["unique_id"] == simulator.serial(1)
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    assert result["type"] is FlowResultType.SHOW_PROGRESS
    result = await through_progress(hass, result)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["result"].unique_id == simulator.serial(1)
    assert result["data"][CONF_PORT] == simulator.port


async def test_dhcp_of_a_known_plant_updates_only_the_host(
    hass: HomeAssistant, simulator: PlantSimulator
) -> None:
    """A known plant seen at a new address gets the new address, and no second entry."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        unique_id=simulator.serial(1),
        data={CONF_HOST: "10.0.0.9", CONF_PORT: 1502, CONF_INVERTERS: []},
    )
    entry.add_to_hass(hass)
    result = await _discover(hass, simulator)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    assert entry.data[CONF_HOST] == simulator.host
    assert entry.data[CONF_PORT] == 1502
    assert simulator.stats.requests == 2


async def test_dhcp_of_a_known_plant_by_another_inverter(
    hass: HomeAssistant, simulator: PlantSimulator
) -> None:
    """The inverter at unit 1 is one of a known plant's, not its first: still that plant."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        unique_id="FIRST-INVERTER-1",
        data={
            CONF_HOST: "10.0.0.9",
            CONF_PORT: simulator.port,
            CONF_INVERTERS: [{"unit_id": 2, "serial": simulator.serial(1)}],
        },
    )
    entry.add_to_hass(hass)
    result = await _discover(hass, simulator)
    await hass.async_block_till_done()
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    assert entry.data[CONF_HOST] == simulator.host
    assert len(hass.config_entries.async_entries(DOMAIN)) == 1


async def test_dhcp_same_host_aborts_without_traffic(
    hass: HomeAssistant, simulator: PlantSimulator
) -> None:
    """A DHCP renewal of a configured address aborts before any request."""
    MockConfigEntry(
        domain=DOMAIN, unique_id="x", data={CONF_HOST: simulator.host, CONF_PORT: 502}
    ).add_to_hass(hass)
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_DHCP}, data=_dhcp(simulator.host)
    )
    assert result["reason"] == "already_configured"
    assert simulator.stats.requests == 0


async def test_dhcp_not_reachable_or_not_sigenergy(
    hass: HomeAssistant, simulator: PlantSimulator
) -> None:
    """Discovery of something unreachable or foreign aborts with the reason."""
    simulator.faults.exceptions[(247, 30000)] = 0x02
    result = await _discover(hass, simulator)
    assert result["reason"] == "not_a_sigenergy_plant"
    assert simulator.stats.requests == 1
    await simulator.stop()
    result = await _discover(hass, simulator)
    assert result["reason"] == "cannot_connect"


async def test_dhcp_of_a_plant_without_inverter_1(hass: HomeAssistant, loopback: None) -> None:
    """No inverter at unit 1: the confirm step comes without a model; the plant is then found."""
    sim = await start_simulator(unit_ids=[3, 4])
    try:
        result = await _discover(hass, sim)
        assert result["step_id"] == "discovery_confirm"
        assert result["description_placeholders"]["model"] == "Sigenergy"
        assert sim.stats.requests == 2
        result = await through_progress(
            hass, await hass.config_entries.flow.async_configure(result["flow_id"], {})
        )
    finally:
        await sim.stop()
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["result"].unique_id == sim.serial(3)
    assert [i["unit_id"] for i in result["data"][CONF_INVERTERS]] == [3, 4]


async def test_manual_wins_over_a_pending_discovery(
    hass: HomeAssistant, simulator: PlantSimulator
) -> None:
    """The owner adds the plant by hand while its DHCP discovery waits: the owner's flow wins."""
    discovered = await _discover(hass, simulator)
    assert discovered["step_id"] == "discovery_confirm"
    flow_id = await _manual(hass)
    result = await _submit(hass, flow_id, simulator.host, simulator.port)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["result"].unique_id == simulator.serial(1)
    assert hass.config_entries.flow.async_progress_by_handler(DOMAIN) == []


# -- reconfigure, options -----------------------------------------------------------------------


async def test_reconfigure_same_plant(hass: HomeAssistant, simulator: PlantSimulator) -> None:
    """Reconfigure moves the plant to a new address and looks for its devices again."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        unique_id=simulator.serial(1),
        data={CONF_HOST: "10.0.0.9", CONF_PORT: 502, CONF_INVERTERS: []},
    )
    entry.add_to_hass(hass)
    result = await entry.start_reconfigure_flow(hass)
    assert result["step_id"] == "reconfigure"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_HOST: "", CONF_PORT: 502}
    )
    assert result["errors"] == {CONF_HOST: "invalid_host"}
    result = await _submit(hass, result["flow_id"], simulator.host, simulator.port)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert entry.data[CONF_HOST] == simulator.host
    assert len(entry.data[CONF_INVERTERS]) == 1
    assert entry.data[CONF_SWEEP_FROM] == 4  # the sweep runs again


async def test_reconfigure_keeps_devices_beyond_the_first_pass(
    hass: HomeAssistant, loopback: None
) -> None:
    """Units known before and not met by the first pass are kept (the sweep confirms them)."""
    sim = await start_simulator(unit_ids=[1, 7])
    seven = {"unit_id": 7, "serial": sim.serial(7), "model": "SigenStor EC 12.0 TP"}
    entry = MockConfigEntry(
        domain=DOMAIN,
        unique_id=sim.serial(1),
        data={CONF_HOST: "10.0.0.9", CONF_PORT: 502, CONF_INVERTERS: [seven]},
    )
    entry.add_to_hass(hass)
    try:
        result = await entry.start_reconfigure_flow(hass)
        result = await _submit(hass, result["flow_id"], sim.host, sim.port)
    finally:
        await sim.stop()
    assert result["reason"] == "reconfigure_successful"
    assert [i["unit_id"] for i in entry.data[CONF_INVERTERS]] == [1, 7]


async def test_reconfigure_other_plant_refused(
    hass: HomeAssistant, simulator: PlantSimulator
) -> None:
    """Reconfigure refuses an address where a different plant answers."""
    entry = MockConfigEntry(
        domain=DOMAIN, unique_id="another-plant", data={CONF_HOST: "10.0.0.9", CONF_PORT: 502}
    )
    entry.add_to_hass(hass)
    result = await entry.start_reconfigure_flow(hass)
    result = await _submit(hass, result["flow_id"], simulator.host, simulator.port)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "wrong_plant"
    assert entry.data[CONF_HOST] == "10.0.0.9"


async def test_reconfigure_error_recovers(hass: HomeAssistant, simulator: PlantSimulator) -> None:
    """A reconfigure to an address that does not answer shows the error on its own form."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        unique_id=simulator.serial(1),
        data={CONF_HOST: simulator.host, CONF_PORT: simulator.port},
    )
    entry.add_to_hass(hass)
    result = await entry.start_reconfigure_flow(hass)
    result = await _submit(hass, result["flow_id"], simulator.host, 1)
    assert result["step_id"] == "reconfigure"
    assert result["errors"] == {CONF_HOST: "cannot_connect"}


async def test_options_read_only(hass: HomeAssistant) -> None:
    """The options hold read-only mode and nothing else."""
    entry = MockConfigEntry(
        domain=DOMAIN, unique_id="p", data={CONF_HOST: "10.0.0.9", CONF_PORT: 502}
    )
    entry.add_to_hass(hass)
    result = await hass.config_entries.options.async_init(entry.entry_id)
    assert result["type"] is FlowResultType.FORM
    assert set(result["data_schema"].schema) == {CONF_READ_ONLY}
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {CONF_READ_ONLY: True}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert entry.options == {CONF_READ_ONLY: True}


async def test_manual_unresolvable_host_recovers(
    hass: HomeAssistant, simulator: PlantSimulator
) -> None:
    """A host name that does not resolve is cannot_connect.

    The tests may not resolve names (the harness blocks DNS), so the resolver
    answers as it does for a name that does not exist.
    """
    real = socket.getaddrinfo

    def resolve(host: object, *args: object, **kwargs: object) -> object:
        if host == "no-such-inverter.invalid":
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return real(host, *args, **kwargs)  # type: ignore[arg-type]

    flow_id = await _manual(hass)
    with patch("socket.getaddrinfo", resolve):
        result = await _submit(hass, flow_id, "no-such-inverter.invalid", simulator.port)
    assert result["errors"] == {CONF_HOST: "cannot_connect"}
    result = await _submit(hass, flow_id, simulator.host, simulator.port)
    assert result["type"] is FlowResultType.CREATE_ENTRY


async def test_manual_plant_without_inverters(
    hass: HomeAssistant, simulator: PlantSimulator
) -> None:
    """A plant whose unit ids hold no inverter is not a usable Sigenergy plant."""
    simulator.faults.exceptions[(1, 30500)] = 0x02
    flow_id = await _manual(hass)
    result = await _submit(hass, flow_id, simulator.host, simulator.port)
    assert result["errors"] == {CONF_HOST: "not_a_sigenergy_plant"}
