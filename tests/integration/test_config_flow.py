"""Config flow: every path identifies the plant; every error recovers."""

from __future__ import annotations

import socket
from typing import TYPE_CHECKING
from unittest.mock import patch

import pytest
from homeassistant.config_entries import SOURCE_DHCP, SOURCE_USER
from homeassistant.const import CONF_HOST, CONF_PORT
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers.service_info.dhcp import DhcpServiceInfo
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.sigenergy_modbus import config_flow
from custom_components.sigenergy_modbus.const import CONF_READ_ONLY, DOMAIN
from custom_components.sigenergy_modbus.protocol.models import INVERTERS as CONF_INVERTERS
from tests.conftest import start_simulator

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from homeassistant.core import HomeAssistant

    from simulator import PlantSimulator


async def _manual(hass: HomeAssistant) -> str:
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    assert result["type"] is FlowResultType.MENU
    assert result["menu_options"] == ["search", "manual"]
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "manual"}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "manual"
    return result["flow_id"]


async def test_manual_creates_entry(hass: HomeAssistant, simulator: PlantSimulator) -> None:
    """A host and port typed in identify the plant and create the entry."""
    flow_id = await _manual(hass)
    result = await hass.config_entries.flow.async_configure(
        flow_id, {CONF_HOST: simulator.host, CONF_PORT: simulator.port}
    )
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


async def test_second_plant_gets_its_own_name(
    hass: HomeAssistant, simulator: PlantSimulator
) -> None:
    """With a plant "Sigenergy" set up, the next is named by the end of its serial number."""
    MockConfigEntry(domain=DOMAIN, title="Sigenergy", unique_id="OTHER-PLANT", data={}).add_to_hass(
        hass
    )
    flow_id = await _manual(hass)
    result = await hass.config_entries.flow.async_configure(
        flow_id, {CONF_HOST: simulator.host, CONF_PORT: simulator.port}
    )
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
    """Malformed input is a field error, and fixing it creates the entry."""
    flow_id = await _manual(hass)
    result = await hass.config_entries.flow.async_configure(flow_id, user_input)
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {field: error}
    assert simulator.stats.requests == 0
    result = await hass.config_entries.flow.async_configure(
        flow_id, {CONF_HOST: simulator.host, CONF_PORT: simulator.port}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY


async def test_manual_cannot_connect_recovers(
    hass: HomeAssistant, simulator: PlantSimulator
) -> None:
    """A closed port is cannot_connect; the right port then works."""
    flow_id = await _manual(hass)
    await simulator.stop()
    result = await hass.config_entries.flow.async_configure(
        flow_id, {CONF_HOST: simulator.host, CONF_PORT: simulator.port}
    )
    assert result["errors"] == {CONF_HOST: "cannot_connect"}
    await simulator.restart()
    result = await hass.config_entries.flow.async_configure(
        flow_id, {CONF_HOST: simulator.host, CONF_PORT: simulator.port}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY


async def test_manual_not_sigenergy_recovers(
    hass: HomeAssistant, simulator: PlantSimulator
) -> None:
    """A port that accepts TCP but never answers Modbus is not a Sigenergy plant."""
    import asyncio  # noqa: PLC0415

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
        result = await hass.config_entries.flow.async_configure(
            flow_id, {CONF_HOST: "127.0.0.1", CONF_PORT: port}
        )
    server.close()
    assert result["errors"] == {CONF_HOST: "not_a_sigenergy_plant"}
    result = await hass.config_entries.flow.async_configure(
        flow_id, {CONF_HOST: simulator.host, CONF_PORT: simulator.port}
    )
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
    result = await hass.config_entries.flow.async_configure(
        flow_id, {CONF_HOST: simulator.host, CONF_PORT: simulator.port}
    )
    assert result["errors"] == {CONF_HOST: "not_a_sigenergy_plant"}
    simulator.faults.exceptions.clear()
    result = await hass.config_entries.flow.async_configure(
        flow_id, {CONF_HOST: simulator.host, CONF_PORT: simulator.port}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY


async def test_manual_unknown_error_recovers(
    hass: HomeAssistant, simulator: PlantSimulator
) -> None:
    """An unexpected exception is the catch-all 'unknown' error."""
    flow_id = await _manual(hass)
    with patch.object(config_flow, "identify", side_effect=RuntimeError("boom")):
        result = await hass.config_entries.flow.async_configure(
            flow_id, {CONF_HOST: simulator.host, CONF_PORT: simulator.port}
        )
    assert result["errors"] == {"base": "unknown"}
    result = await hass.config_entries.flow.async_configure(
        flow_id, {CONF_HOST: simulator.host, CONF_PORT: simulator.port}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY


async def test_duplicate_aborts(hass: HomeAssistant, simulator: PlantSimulator) -> None:
    """The same plant twice aborts, and updates the stored address."""
    MockConfigEntry(
        domain=DOMAIN,
        unique_id=simulator.serial(1),
        data={CONF_HOST: "10.0.0.9", CONF_PORT: 502, CONF_INVERTERS: []},
    ).add_to_hass(hass)
    flow_id = await _manual(hass)
    result = await hass.config_entries.flow.async_configure(
        flow_id, {CONF_HOST: simulator.host, CONF_PORT: simulator.port}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    entry = hass.config_entries.async_entries(DOMAIN)[0]
    assert entry.data[CONF_HOST] == simulator.host


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


async def test_search_lists_plants_and_creates(
    hass: HomeAssistant, plants_on_loopback: list[PlantSimulator]
) -> None:
    """The search scans the adapters' subnets and lists each plant found."""
    first, second = plants_on_loopback
    with (
        patch.object(config_flow, "SCAN_PORT", first.port),
        patch.object(config_flow.network, "async_get_adapters", return_value=_adapters()),
    ):
        result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {"next_step_id": "search"}
        )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "search"
    options = result["data_schema"].schema[config_flow.CONF_PLANT].config["options"]
    labels = {o["value"]: o["label"] for o in options}
    assert set(labels) == {first.serial(1), second.serial(1)}
    assert "127.0.0.3" in labels[second.serial(1)]
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {config_flow.CONF_PLANT: second.serial(1)}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"][CONF_HOST] == "127.0.0.3"
    assert len(result["data"][CONF_INVERTERS]) == 2


async def test_search_skips_configured_and_finds_nothing(
    hass: HomeAssistant, plants_on_loopback: list[PlantSimulator]
) -> None:
    """Configured plants are not offered; with none left, the manual form says so."""
    first, second = plants_on_loopback
    for sim in (first, second):
        MockConfigEntry(domain=DOMAIN, unique_id=sim.serial(1), data={}).add_to_hass(hass)
    with (
        patch.object(config_flow, "SCAN_PORT", first.port),
        patch.object(config_flow.network, "async_get_adapters", return_value=_adapters()),
    ):
        result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {"next_step_id": "search"}
        )
    assert result["step_id"] == "manual"
    assert result["errors"] == {"base": "no_plants_found"}


async def test_search_ignores_non_sigenergy_modbus(
    hass: HomeAssistant, plants_on_loopback: list[PlantSimulator]
) -> None:
    """A host with the port open that is no plant is left out of the list."""
    first, second = plants_on_loopback
    second.faults.exceptions[(247, 30000)] = 0x01
    with (
        patch.object(config_flow, "SCAN_PORT", first.port),
        patch.object(config_flow.network, "async_get_adapters", return_value=_adapters()),
    ):
        result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {"next_step_id": "search"}
        )
    options = result["data_schema"].schema[config_flow.CONF_PLANT].config["options"]
    assert [o["value"] for o in options] == [first.serial(1)]


def _dhcp(ip: str) -> DhcpServiceInfo:
    return DhcpServiceInfo(ip=ip, hostname="sigenstor", macaddress="0c47a9912345")


async def test_dhcp_confirms_then_creates(hass: HomeAssistant, simulator: PlantSimulator) -> None:
    """A discovered plant is confirmed before it is added."""
    with patch.object(config_flow, "DEFAULT_PORT", simulator.port):
        result = await hass.config_entries.flow.async_init(
            DOMAIN, context={"source": SOURCE_DHCP}, data=_dhcp(simulator.host)
        )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "discovery_confirm"
    assert result["description_placeholders"]["inverters"] == "1"
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["result"].unique_id == simulator.serial(1)


async def test_dhcp_updates_known_plant_host(
    hass: HomeAssistant, simulator: PlantSimulator
) -> None:
    """A known plant seen at a new address gets the new address, and no second entry."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        unique_id=simulator.serial(1),
        data={CONF_HOST: "10.0.0.9", CONF_PORT: 502, CONF_INVERTERS: []},
    )
    entry.add_to_hass(hass)
    with patch.object(config_flow, "DEFAULT_PORT", simulator.port):
        result = await hass.config_entries.flow.async_init(
            DOMAIN, context={"source": SOURCE_DHCP}, data=_dhcp(simulator.host)
        )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    assert entry.data[CONF_HOST] == simulator.host
    assert entry.data[CONF_PORT] == simulator.port


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
    with patch.object(config_flow, "DEFAULT_PORT", simulator.port):
        simulator.faults.exceptions[(247, 30000)] = 0x02
        result = await hass.config_entries.flow.async_init(
            DOMAIN, context={"source": SOURCE_DHCP}, data=_dhcp(simulator.host)
        )
        assert result["reason"] == "not_a_sigenergy_plant"
        await simulator.stop()
        result = await hass.config_entries.flow.async_init(
            DOMAIN, context={"source": SOURCE_DHCP}, data=_dhcp(simulator.host)
        )
        assert result["reason"] == "cannot_connect"


async def test_reconfigure_same_plant(hass: HomeAssistant, simulator: PlantSimulator) -> None:
    """Reconfigure moves the plant to a new address and rescans its inverters."""
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
    with patch("custom_components.sigenergy_modbus.async_setup_entry", return_value=True):
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {CONF_HOST: simulator.host, CONF_PORT: simulator.port}
        )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert entry.data[CONF_HOST] == simulator.host
    assert len(entry.data[CONF_INVERTERS]) == 1


async def test_reconfigure_other_plant_refused(
    hass: HomeAssistant, simulator: PlantSimulator
) -> None:
    """Reconfigure refuses an address where a different plant answers."""
    entry = MockConfigEntry(
        domain=DOMAIN, unique_id="another-plant", data={CONF_HOST: "10.0.0.9", CONF_PORT: 502}
    )
    entry.add_to_hass(hass)
    result = await entry.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_HOST: simulator.host, CONF_PORT: simulator.port}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "wrong_plant"
    assert entry.data[CONF_HOST] == "10.0.0.9"


async def test_options_read_only(hass: HomeAssistant) -> None:
    """The options hold read-only mode and nothing else."""
    entry = MockConfigEntry(
        domain=DOMAIN, unique_id="p", data={CONF_HOST: "10.0.0.9", CONF_PORT: 502}
    )
    entry.add_to_hass(hass)
    result = await hass.config_entries.options.async_init(entry.entry_id)
    assert result["type"] is FlowResultType.FORM
    assert set(result["data_schema"].schema) == {CONF_READ_ONLY}
    with patch("custom_components.sigenergy_modbus.async_setup_entry", return_value=True):
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
        result = await hass.config_entries.flow.async_configure(
            flow_id, {CONF_HOST: "no-such-inverter.invalid", CONF_PORT: simulator.port}
        )
    assert result["errors"] == {CONF_HOST: "cannot_connect"}
    result = await hass.config_entries.flow.async_configure(
        flow_id, {CONF_HOST: simulator.host, CONF_PORT: simulator.port}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY


async def test_manual_plant_without_inverters(
    hass: HomeAssistant, simulator: PlantSimulator
) -> None:
    """A plant whose unit ids hold no inverter is not a usable Sigenergy plant."""
    simulator.faults.exceptions[(1, 30500)] = 0x02
    flow_id = await _manual(hass)
    result = await hass.config_entries.flow.async_configure(
        flow_id, {CONF_HOST: simulator.host, CONF_PORT: simulator.port}
    )
    assert result["errors"] == {CONF_HOST: "not_a_sigenergy_plant"}
