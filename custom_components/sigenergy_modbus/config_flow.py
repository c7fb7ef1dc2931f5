"""Config flow of the Sigenergy integration.

Three ways in: a search of the local IPv4 subnets, a host typed in, or a
DHCP discovery. Each identifies the plant before an entry is made, with a
progress display that says what is being asked: unit 247 must answer as a
Sigenergy plant, then the unit ids where inverters almost always are (1, 2,
… until two in a row are absent) are asked for inverters and AC chargers.
The rest of the ids 1-246 are swept after setup, in the background
(``units.py``), so a plant is added in seconds however its absent ids behave.

What each way costs the device before the owner has said anything:

* DHCP: two requests (``check_plant``: is it a plant, and the serial of the
  inverter at unit 1, its identity). A known plant only gets its new host.
* Search: the same two requests per host with port 502 open, each plant
  listed as soon as it answers; the full first pass only for the plant picked.

The entry's unique id is the plant's identity (the serial of its first
inverter), never its address. The owner's own flow always wins over a
pending discovery of the same plant (``raise_on_progress=False``).
"""

from __future__ import annotations

import asyncio
import re
import sys
from dataclasses import dataclass, field
from enum import StrEnum
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
from homeassistant.data_entry_flow import UnknownFlow
from homeassistant.helpers.selector import (
    SelectOptionDict,
    SelectSelector,
    SelectSelectorConfig,
)

from .const import CONF_READ_ONLY, CONF_SWEEP_FROM, DOMAIN, LOGGER
from .protocol.client import DEFAULT_PORT, SigenergyClient
from .protocol.discovery import (
    FIRST_PASS_GAP,
    Identification,
    IdentifyProgress,
    NotASigenergyPlantError,
    PlantCheck,
    TooManyUnitsError,
    check_plant,
    identify_plant,
    scan_hosts,
)
from .protocol.exceptions import SigenergyConnectionError, SigenergyError
from .protocol.identity import MAX_UNITS
from .protocol.models import INVERTERS, PlantInfo

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from homeassistant.config_entries import ConfigEntry
    from homeassistant.helpers.service_info.dhcp import DhcpServiceInfo

    from .coordinator import SigenergyConfigEntry

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


async def identify_first_pass(
    host: str, port: int, on_progress: Callable[[IdentifyProgress], None] | None = None
) -> Identification:
    """Identify the plant at host:port and the devices at its usual ids.

    Raises the reason a user can act on: ``SigenergyConnectionError`` when
    nothing can be connected, ``NotASigenergyPlantError`` when something
    answers but not as a plant with an inverter, ``TooManyUnitsError``.
    """
    client = SigenergyClient(host, port)
    try:
        await client.connect()
        try:
            found = await identify_plant(client, on_progress=on_progress, gap=FIRST_PASS_GAP)
        except SigenergyConnectionError as err:
            # The port is open, but no Modbus answer for the plant: not a
            # Sigenergy plant, or Modbus TCP is disabled in mySigen.
            raise NotASigenergyPlantError(str(err)) from err
    finally:
        await client.close()
    if not found.plant.inverters:
        msg = "no inverter answers behind the plant"
        raise NotASigenergyPlantError(msg)
    return found


async def identify(host: str, port: int) -> PlantInfo:
    """The plant at host:port with the devices a first pass finds (see ``identify_first_pass``)."""
    return (await identify_first_pass(host, port)).plant


async def _check(host: str, port: int) -> PlantCheck:
    """Two requests: is it a Sigenergy plant, and which (``check_plant``)."""
    client = SigenergyClient(host, port)
    try:
        await client.connect()
        try:
            return await check_plant(client)
        except SigenergyConnectionError as err:
            raise NotASigenergyPlantError(str(err)) from err
    finally:
        await client.close()


_ERRORS: tuple[tuple[type[SigenergyError], str], ...] = (
    (TooManyUnitsError, "too_many_units"),
    (NotASigenergyPlantError, "not_a_sigenergy_plant"),
    (SigenergyConnectionError, "cannot_connect"),
)
IDENTIFICATION_ERRORS = (*(key for _, key in _ERRORS), "unknown")
"""What identification can end with: a form's error, or a discovery's abort reason."""


def _error_key(err: BaseException) -> str:
    """The translated error (and abort reason) for what identification raised."""
    return next((key for kind, key in _ERRORS if isinstance(err, kind)), "unknown")


def _known_serials(entry: ConfigEntry) -> set[str]:
    """Every serial that identifies an entry's plant: its unique id and its inverters'."""
    serials = {str(entry.unique_id)} if entry.unique_id else set()
    for inverter in entry.data.get(INVERTERS, []):
        if isinstance(inverter, dict) and inverter.get("serial"):
            serials.add(str(inverter["serial"]))
    return serials


class Origin(StrEnum):
    """How the flow got to identifying a plant: where an error goes back to."""

    MANUAL = "manual"
    SEARCH = "search"
    DHCP = "dhcp"
    RECONFIGURE = "reconfigure"


@dataclass(slots=True)
class _Candidate:
    """A plant the search found: where, and what two requests told."""

    host: str
    port: int
    check: PlantCheck

    @property
    def label(self) -> str:
        model = self.check.model or "Sigenergy plant"
        if self.check.serial:
            return f"{model} · {self.check.serial} · {self.host}"
        return f"{model} · {self.host}"


@dataclass(slots=True)
class _Search:
    """A search in progress."""

    hosts: int = 0
    checked: int = 0
    found: dict[str, _Candidate] = field(default_factory=dict)
    """New plants, by host."""
    configured: list[_Candidate] = field(default_factory=list)
    """Plants that are set up already."""


@dataclass(slots=True)
class _Outcome:
    """What the identification task ended with: a plant, or the error to show."""

    found: Identification | None = None
    error: str | None = None


class SigenergyConfigFlow(ConfigFlow, domain=DOMAIN):
    """Add a Sigenergy plant."""

    VERSION = 1

    def __init__(self) -> None:
        """Start with nothing found."""
        self._origin = Origin.MANUAL
        self._host = ""
        self._port = DEFAULT_PORT
        self._check: PlantCheck | None = None
        self._task: asyncio.Task[_Outcome] | None = None
        self._progress: IdentifyProgress | None = None
        self._fraction = 0.0
        self._search = _Search()
        self._search_task: asyncio.Task[None] | None = None
        self._removed = asyncio.Event()
        self._manual_shown: tuple[dict[str, str], dict[str, str]] | None = None
        """Errors and placeholders the search left on the address form."""

    @callback
    def async_remove(self) -> None:
        """The flow is finished or aborted: a call waiting for that may end."""
        self._removed.set()

    @staticmethod
    @callback
    def async_get_options_flow(config_entry: SigenergyConfigEntry) -> SigenergyOptionsFlow:  # noqa: ARG004
        """Options: read-only mode."""
        return SigenergyOptionsFlow()

    def _title(self, plant: PlantInfo) -> str:
        return entry_title(plant, (e.title for e in self._async_current_entries()))

    def _entry_with(self, serial: str) -> ConfigEntry | None:
        """The entry whose plant has an inverter with this serial."""
        return next(
            (
                e
                for e in self._async_current_entries(include_ignore=False)
                if serial in _known_serials(e)
            ),
            None,
        )

    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Search the network, or enter an address."""
        return self.async_show_menu(step_id="user", menu_options=["search", "manual"])

    # -- search -------------------------------------------------------------------------------

    async def async_step_search(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Search the local subnets, listing each plant as it answers."""
        if self._search_task is None:
            self._search = _Search()
            self._search_task = self.hass.async_create_task(self._async_search())
        if not self._search_task.done():
            return self.async_show_progress(
                step_id="search",
                progress_action="search",
                progress_task=self._search_task,
                description_placeholders=self._search_placeholders(),
            )
        self._search_task = None
        return self.async_show_progress_done(next_step_id="search_result")

    def _search_placeholders(self) -> dict[str, str]:
        search = self._search
        listed = [*search.found.values(), *search.configured]
        return {
            "hosts": str(search.hosts),
            "checked": str(search.checked),
            "found": str(len(listed)),
            "plants": "\n".join(f"- {c.label}" for c in listed),
        }

    def _search_changed(self) -> None:
        if self._search.hosts:
            self.async_update_progress(self._search.checked / self._search.hosts)
        self.async_notify_flow_changed()

    async def _search_hosts(self) -> list[str]:
        hosts: list[str] = []
        for adapter in await network.async_get_adapters(self.hass):
            if not adapter["enabled"]:
                continue
            for ipv4 in adapter["ipv4"]:
                interface = IPv4Interface(
                    f"{ipv4['address']}/{max(ipv4['network_prefix'], SCAN_PREFIX)}"
                )
                hosts += [str(h) for h in interface.network.hosts() if str(h) not in hosts]
        return hosts

    async def _async_search(self) -> None:
        hosts = await self._search_hosts()
        self._search.hosts = len(hosts)
        checks: list[asyncio.Task[None]] = []

        def on_result(host: str, is_open: bool) -> None:  # noqa: FBT001 - scan_hosts' callback
            self._search.checked += 1
            if is_open:
                checks.append(self.hass.async_create_task(self._async_check(host)))
            self._search_changed()

        await scan_hosts(hosts, SCAN_PORT, on_result=on_result)
        if checks:
            await asyncio.gather(*checks)

    async def _async_check(self, host: str) -> None:
        try:
            check = await _check(host, SCAN_PORT)
        except SigenergyError:
            LOGGER.debug("A host has port %s open but is not a Sigenergy plant", SCAN_PORT)
            return
        candidate = _Candidate(host, SCAN_PORT, check)
        known = self._search.found.values()
        if check.serial and any(c.check.serial == check.serial for c in known):
            return  # the same plant answering at a second address
        if check.serial and self._entry_with(check.serial) is not None:
            self._search.configured.append(candidate)
        else:
            self._search.found[host] = candidate
        self._search_changed()

    async def async_step_search_result(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Let the user pick a plant the search found."""
        found = self._search.found
        if user_input is not None and user_input.get(CONF_PLANT) in found:
            picked = found[user_input[CONF_PLANT]]
            self._origin, self._host, self._port = Origin.SEARCH, picked.host, picked.port
            return await self.async_step_identify()
        if not found:
            configured = self._search.configured
            errors = {"base": "no_plants_found"}
            if configured:
                errors = {"base": "configured_plant_found"}
            self._manual_shown = (errors, {"plants": ", ".join(c.label for c in configured)})
            return self._manual_form(None, {})
        options = [SelectOptionDict(value=host, label=c.label) for host, c in found.items()]
        return self.async_show_form(
            step_id="search_result",
            data_schema=vol.Schema(
                {vol.Required(CONF_PLANT): SelectSelector(SelectSelectorConfig(options=options))}
            ),
        )

    # -- an address typed in ------------------------------------------------------------------

    @staticmethod
    def _manual_schema(host: str = "", port: int = DEFAULT_PORT) -> vol.Schema:
        return vol.Schema(
            {
                vol.Required(CONF_HOST, default=host): str,
                vol.Required(CONF_PORT, default=port): int,
            }
        )

    @staticmethod
    def _manual_placeholders() -> dict[str, str]:
        return {"max_units": str(MAX_UNITS)}

    @staticmethod
    def _parse(user_input: dict[str, Any]) -> tuple[str, int, dict[str, str]]:
        """The host and port typed in, or the fields' errors (nothing is sent)."""
        errors: dict[str, str] = {}
        host = ""
        try:
            host = _clean_host(user_input.get(CONF_HOST))
        except InvalidHostError:
            errors[CONF_HOST] = "invalid_host"
        port = user_input.get(CONF_PORT)
        if not isinstance(port, int) or not 1 <= port <= 65535:  # noqa: PLR2004 - TCP ports
            errors[CONF_PORT] = "invalid_port"
            port = DEFAULT_PORT
        return host, port, errors

    async def async_step_manual(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Identify the plant at an address the user enters."""
        errors: dict[str, str] = {}
        if user_input is not None:
            self._manual_shown = None
            host, port, errors = self._parse(user_input)
            if not errors:
                self._origin, self._host, self._port = Origin.MANUAL, host, port
                return await self.async_step_identify()
        return self._manual_form(user_input, errors)

    def _manual_form(
        self, user_input: dict[str, Any] | None, errors: dict[str, str]
    ) -> ConfigFlowResult:
        """The address form; what the search said stays on it until the user submits.

        The frontend fetches a flow again when told it changed (the search's
        progress does): that runs this step without input, which must show
        the same errors, not a blank form.
        """
        placeholders = self._manual_placeholders()
        if self._manual_shown is not None and not errors:
            errors, extra = self._manual_shown
            placeholders = {**placeholders, **extra}
        return self.async_show_form(
            step_id="manual",
            data_schema=self.add_suggested_values_to_schema(
                self._manual_schema(), user_input or {}
            ),
            errors=errors,
            description_placeholders=placeholders,
        )

    # -- identification, with progress --------------------------------------------------------

    async def async_step_identify(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Identify the plant at the chosen address, showing what is asked."""
        if self._task is None:
            self._progress, self._fraction = None, 0.0
            self._task = self.hass.async_create_task(self._async_identify())
        if not self._task.done():
            # One description for the whole identification: a description that
            # changed would make the frontend fetch the flow again, and a fetch
            # that lands after the task ended runs the next step a second time
            # while the first is still setting the entry up. The bar moves.
            return self.async_show_progress(
                step_id="identify",
                progress_action="identify",
                progress_task=self._task,
                description_placeholders={"host": self._host},
            )
        return self.async_show_progress_done(next_step_id="identified")

    def _on_progress(self, progress: IdentifyProgress) -> None:
        self._progress = progress
        self._fraction = max(self._fraction, progress.fraction)
        self.async_update_progress(self._fraction)

    async def _async_identify(self) -> _Outcome:
        try:
            found = await identify_first_pass(self._host, self._port, self._on_progress)
        except Exception as err:  # noqa: BLE001 - the flow must answer, whatever happened
            if not isinstance(err, SigenergyError):
                LOGGER.exception("Unexpected error identifying the plant")
            return _Outcome(error=_error_key(err))
        return _Outcome(found=found)

    async def async_step_identified(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Create (or update) the entry, or go back to where the address came from."""
        if self._task is None:
            # Called again while the first call's entry is being set up: the
            # frontend refetched the flow on a late progress event. Only the
            # first call may finish the flow; this one ends as a fetch of a
            # finished flow does.
            await self._removed.wait()
            raise UnknownFlow
        outcome, self._task = self._task.result(), None
        if outcome.found is None:
            return self._identification_failed(outcome.error or "unknown")
        plant = outcome.found.plant
        if self._origin is Origin.RECONFIGURE:
            return self._update_reconfigured(outcome.found)
        # The owner acted: this flow wins over a discovery of the same plant in progress.
        await self.async_set_unique_id(plant.serial, raise_on_progress=False)
        updates: dict[str, Any] = {CONF_HOST: plant.host}
        if self._origin is not Origin.DHCP:
            updates[CONF_PORT] = plant.port
        self._abort_if_unique_id_configured(updates=updates)
        return self.async_create_entry(
            title=self._title(plant),
            data={**plant.as_data(), CONF_SWEEP_FROM: outcome.found.next_unit_id},
        )

    def _identification_failed(self, error: str) -> ConfigFlowResult:
        if self._origin is Origin.DHCP:
            return self.async_abort(reason=error)
        errors = {CONF_HOST: error} if error != "unknown" else {"base": error}
        defaults = {CONF_HOST: self._host, CONF_PORT: self._port}
        if self._origin is Origin.RECONFIGURE:
            return self._reconfigure_form(defaults, errors)
        return self._manual_form(defaults, errors)

    # -- DHCP ---------------------------------------------------------------------------------

    async def async_step_dhcp(self, discovery_info: DhcpServiceInfo) -> ConfigFlowResult:
        """A device with a Sigenergy MAC prefix joined the network: two requests, at most."""
        host = discovery_info.ip
        self._async_abort_entries_match({CONF_HOST: host})
        try:
            check = await _check(host, DEFAULT_PORT)
        except NotASigenergyPlantError:
            return self.async_abort(reason="not_a_sigenergy_plant")
        except SigenergyConnectionError:
            return self.async_abort(reason="cannot_connect")
        if check.serial:
            known = self._entry_with(check.serial)
            if known is not None and known.unique_id != check.serial:
                # One of its inverters, but not the one the plant is known by.
                return self.async_update_reload_and_abort(
                    known,
                    data_updates={CONF_HOST: host},
                    reason="already_configured",
                    reload_even_if_entry_is_unchanged=False,
                )
            await self.async_set_unique_id(check.serial)
            self._abort_if_unique_id_configured(updates={CONF_HOST: host})
        self._origin, self._host, self._port, self._check = Origin.DHCP, host, DEFAULT_PORT, check
        self.context["title_placeholders"] = {"name": check.model or DEFAULT_NAME}
        return await self.async_step_discovery_confirm()

    async def async_step_discovery_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask before adding a discovered plant."""
        if user_input is not None:
            return await self.async_step_identify()
        self._set_confirm_only()
        return self.async_show_form(
            step_id="discovery_confirm",
            description_placeholders={
                "model": (self._check.model if self._check else None) or DEFAULT_NAME,
                "host": self._host,
            },
        )

    # -- reconfigure --------------------------------------------------------------------------

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Change the address, and look for devices again."""
        entry = self._get_reconfigure_entry()
        errors: dict[str, str] = {}
        if user_input is not None:
            host, port, errors = self._parse(user_input)
            if not errors:
                self._origin, self._host, self._port = Origin.RECONFIGURE, host, port
                return await self.async_step_identify()
        defaults = user_input or {
            CONF_HOST: entry.data[CONF_HOST],
            CONF_PORT: entry.data[CONF_PORT],
        }
        return self._reconfigure_form(defaults, errors)

    def _reconfigure_form(
        self, defaults: dict[str, Any], errors: dict[str, str]
    ) -> ConfigFlowResult:
        return self.async_show_form(
            step_id="reconfigure",
            data_schema=self.add_suggested_values_to_schema(self._manual_schema(), defaults),
            errors=errors,
            description_placeholders=self._manual_placeholders(),
        )

    def _update_reconfigured(self, found: Identification) -> ConfigFlowResult:
        """The same plant (it shares an inverter) at its new address, its devices merged.

        Devices known before and not found by this first pass are kept: they
        may sit beyond it (the background sweep, run again, confirms them) or
        be silent for now (the owner can delete a device that stays silent).
        """
        entry = self._get_reconfigure_entry()
        plant = found.plant
        if not {i.serial for i in plant.inverters} & _known_serials(entry):
            return self.async_abort(reason="wrong_plant")
        known = PlantInfo.from_data(str(entry.unique_id), entry.data)
        found_ids = {i.unit_id for i in plant.inverters} | {c.unit_id for c in plant.ac_chargers}
        inverters = [*plant.inverters, *(i for i in known.inverters if i.unit_id not in found_ids)]
        chargers = [
            *plant.ac_chargers,
            *(c for c in known.ac_chargers if c.unit_id not in found_ids),
        ]
        merged = PlantInfo(
            serial=known.serial,
            host=plant.host,
            port=plant.port,
            max_active_power=plant.max_active_power,
            inverters=tuple(sorted(inverters, key=lambda i: i.unit_id)),
            ac_chargers=tuple(sorted(chargers, key=lambda c: c.unit_id)),
        )
        return self.async_update_reload_and_abort(
            entry, data_updates={**merged.as_data(), CONF_SWEEP_FROM: found.next_unit_id}
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
