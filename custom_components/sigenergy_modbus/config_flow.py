"""Config flow of the Sigenergy integration.

Three ways in, all ending in the same identification of the plant (unit 247
and every inverter behind it) before an entry is made: a search of the local
IPv4 subnets, a host typed in, or a DHCP discovery. The entry's unique id is
the plant's identity (the serial of its first inverter), never its address.
"""

from __future__ import annotations

import re
import sys
from ipaddress import IPv4Address, IPv4Interface, ip_address
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING and sys.version_info >= (3, 14):
    # Home Assistant 2026.10 and later type their flows with probatio, and
    # alias the module voluptuous to it at run time; 2026.2 has voluptuous.
    import probatio as vol
else:
    import voluptuous as vol
from homeassistant.components import network
from homeassistant.config_entries import ConfigFlow, ConfigFlowResult, OptionsFlowWithReload
from homeassistant.const import CONF_HOST, CONF_PORT
from homeassistant.core import callback
from homeassistant.helpers.selector import (
    SelectOptionDict,
    SelectSelector,
    SelectSelectorConfig,
)

from .const import CONF_READ_ONLY, DOMAIN, LOGGER
from .protocol.client import DEFAULT_PORT, SigenergyClient
from .protocol.discovery import NotASigenergyPlantError, identify_plant, scan_hosts
from .protocol.exceptions import SigenergyConnectionError

if TYPE_CHECKING:
    from collections.abc import Iterable

    from homeassistant.helpers.service_info.dhcp import DhcpServiceInfo

    from .coordinator import SigenergyConfigEntry
    from .protocol.models import PlantInfo

CONF_PLANT = "plant"
SCAN_PORT = DEFAULT_PORT
"""The port the network search probes: Modbus TCP (protocol 3.2)."""
SCAN_PREFIX = 24
"""A subnet larger than a /24 is searched only in the /24 around our address."""

_HOSTNAME = re.compile(
    r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$",
    re.IGNORECASE,
)


class InvalidHostError(ValueError):
    """The host is not an IPv4 address or a host name."""


def _clean_host(raw: object) -> str:
    host = str(raw or "").strip()
    if not host:
        raise InvalidHostError
    try:
        address = ip_address(host)
    except ValueError:
        if host.replace(".", "").isdigit() or not _HOSTNAME.match(host):
            raise InvalidHostError from None
        return host
    if not isinstance(address, IPv4Address):
        raise InvalidHostError  # the inverter's Modbus TCP server is IPv4 only
    return host


DEFAULT_NAME = "Sigenergy"


def entry_title(plant: PlantInfo, taken: Iterable[str] = ()) -> str:
    """The entry's title, which also names the plant's devices (and so its entity ids).

    "Sigenergy" for the first plant; a second plant gets the end of its
    serial number, so that two plants never share device names. The owner
    can rename both afterwards.
    """
    if DEFAULT_NAME not in set(taken):
        return DEFAULT_NAME
    return f"{DEFAULT_NAME} {plant.serial[-4:]}"


async def identify(host: str, port: int) -> PlantInfo:
    """Identify the plant at host:port; raise the reason a user can act on."""
    client = SigenergyClient(host, port)
    try:
        await client.connect()
        try:
            plant = await identify_plant(client)
        except SigenergyConnectionError as err:
            # The port is open, but no Modbus answer for the plant: not a
            # Sigenergy plant, or Modbus TCP is disabled in mySigen.
            raise NotASigenergyPlantError(str(err)) from err
    finally:
        await client.close()
    if not plant.inverters:
        msg = "no inverter answers behind the plant"
        raise NotASigenergyPlantError(msg)
    return plant


class SigenergyConfigFlow(ConfigFlow, domain=DOMAIN):
    """Add a Sigenergy plant."""

    VERSION = 1

    def __init__(self) -> None:
        """Start with nothing found."""
        self._found: dict[str, PlantInfo] = {}
        self._plant: PlantInfo | None = None

    @staticmethod
    @callback
    def async_get_options_flow(config_entry: SigenergyConfigEntry) -> SigenergyOptionsFlow:  # noqa: ARG004
        """Options: read-only mode."""
        return SigenergyOptionsFlow()

    def _title(self, plant: PlantInfo) -> str:
        return entry_title(plant, (e.title for e in self._async_current_entries()))

    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Search the network, or enter an address."""
        return self.async_show_menu(step_id="user", menu_options=["search", "manual"])

    async def async_step_search(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Search the local subnets for plants and let the user pick one."""
        if user_input is not None:
            return await self._async_create(self._found[user_input[CONF_PLANT]])
        self._found = {p.serial: p for p in await self._async_search() if p.serial}
        if not self._found:
            return self.async_show_form(
                step_id="manual",
                data_schema=self._manual_schema(),
                errors={"base": "no_plants_found"},
            )
        options = [
            SelectOptionDict(
                value=serial,
                label=f"{p.inverters[0].model} · {serial} · {p.host}",
            )
            for serial, p in self._found.items()
        ]
        return self.async_show_form(
            step_id="search",
            data_schema=vol.Schema(
                {vol.Required(CONF_PLANT): SelectSelector(SelectSelectorConfig(options=options))}
            ),
        )

    async def _async_search(self) -> list[PlantInfo]:
        hosts: list[str] = []
        for adapter in await network.async_get_adapters(self.hass):
            if not adapter["enabled"]:
                continue
            for ipv4 in adapter["ipv4"]:
                interface = IPv4Interface(
                    f"{ipv4['address']}/{max(ipv4['network_prefix'], SCAN_PREFIX)}"
                )
                hosts += [str(h) for h in interface.network.hosts() if str(h) not in hosts]
        configured = {e.unique_id for e in self._async_current_entries(include_ignore=False)}
        plants: list[PlantInfo] = []
        for host in await scan_hosts(hosts, SCAN_PORT):
            try:
                plant = await identify(host, SCAN_PORT)
            except (SigenergyConnectionError, NotASigenergyPlantError):
                LOGGER.debug("%s has port %s open but is not a Sigenergy plant", host, SCAN_PORT)
                continue
            if plant.serial not in configured:
                plants.append(plant)
        return plants

    @staticmethod
    def _manual_schema(host: str = "", port: int = DEFAULT_PORT) -> vol.Schema:
        return vol.Schema(
            {
                vol.Required(CONF_HOST, default=host): str,
                vol.Required(CONF_PORT, default=port): int,
            }
        )

    async def _async_validate(
        self, user_input: dict[str, Any]
    ) -> tuple[PlantInfo | None, dict[str, str]]:
        errors: dict[str, str] = {}
        try:
            host = _clean_host(user_input.get(CONF_HOST))
        except InvalidHostError:
            errors[CONF_HOST] = "invalid_host"
        port = user_input.get(CONF_PORT)
        if not isinstance(port, int) or not 1 <= port <= 65535:  # noqa: PLR2004 - TCP ports
            errors[CONF_PORT] = "invalid_port"
        if errors or not isinstance(port, int):
            return None, errors
        try:
            return await identify(host, port), {}
        except NotASigenergyPlantError:
            errors[CONF_HOST] = "not_a_sigenergy_plant"
        except SigenergyConnectionError:
            errors[CONF_HOST] = "cannot_connect"
        except Exception:  # noqa: BLE001 - the flow must answer, whatever happened
            LOGGER.exception("Unexpected error identifying the plant")
            errors["base"] = "unknown"
        return None, errors

    async def async_step_manual(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Identify the plant at an address the user enters."""
        errors: dict[str, str] = {}
        if user_input is not None:
            plant, errors = await self._async_validate(user_input)
            if plant is not None:
                return await self._async_create(plant)
        defaults = user_input or {}
        return self.async_show_form(
            step_id="manual",
            data_schema=self.add_suggested_values_to_schema(self._manual_schema(), defaults),
            errors=errors,
        )

    async def _async_create(self, plant: PlantInfo) -> ConfigFlowResult:
        await self.async_set_unique_id(plant.serial)
        self._abort_if_unique_id_configured(updates={CONF_HOST: plant.host, CONF_PORT: plant.port})
        return self.async_create_entry(title=self._title(plant), data=plant.as_data())

    async def async_step_dhcp(self, discovery_info: DhcpServiceInfo) -> ConfigFlowResult:
        """A device with a Sigenergy MAC prefix joined the network."""
        host = discovery_info.ip
        self._async_abort_entries_match({CONF_HOST: host})
        try:
            plant = await identify(host, DEFAULT_PORT)
        except NotASigenergyPlantError:
            return self.async_abort(reason="not_a_sigenergy_plant")
        except SigenergyConnectionError:
            return self.async_abort(reason="cannot_connect")
        await self.async_set_unique_id(plant.serial)
        self._abort_if_unique_id_configured(updates={CONF_HOST: host, CONF_PORT: DEFAULT_PORT})
        self._plant = plant
        self.context["title_placeholders"] = {"name": self._title(plant)}
        return await self.async_step_discovery_confirm()

    async def async_step_discovery_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask before adding a discovered plant."""
        assert self._plant is not None  # noqa: S101 - set by the discovery step
        if user_input is not None:
            return self.async_create_entry(
                title=self._title(self._plant), data=self._plant.as_data()
            )
        self._set_confirm_only()
        return self.async_show_form(
            step_id="discovery_confirm",
            description_placeholders={
                "model": self._plant.inverters[0].model,
                "host": self._plant.host,
                "inverters": str(len(self._plant.inverters)),
            },
        )

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Change the address, and find inverters added since setup."""
        entry = self._get_reconfigure_entry()
        errors: dict[str, str] = {}
        if user_input is not None:
            plant, errors = await self._async_validate(user_input)
            if plant is not None:
                await self.async_set_unique_id(plant.serial)
                self._abort_if_unique_id_mismatch(reason="wrong_plant")
                return self.async_update_reload_and_abort(entry, data_updates=plant.as_data())
        defaults = user_input or {
            CONF_HOST: entry.data[CONF_HOST],
            CONF_PORT: entry.data[CONF_PORT],
        }
        return self.async_show_form(
            step_id="reconfigure",
            data_schema=self.add_suggested_values_to_schema(self._manual_schema(), defaults),
            errors=errors,
        )


class SigenergyOptionsFlow(OptionsFlowWithReload):
    """Read-only mode: nothing is ever written to the plant."""

    async def async_step_init(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Show and save the options."""
        if user_input is not None:
            return self.async_create_entry(data=user_input)
        return self.async_show_form(
            step_id="init",
            data_schema=self.add_suggested_values_to_schema(
                vol.Schema({vol.Required(CONF_READ_ONLY, default=False): bool}),
                self.config_entry.options,
            ),
        )
