"""What the control tests share: all platforms, instant pacing, a clock for plant and HA."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

from homeassistant.helpers import device_registry as dr
from pytest_homeassistant_custom_component.common import async_fire_time_changed

from custom_components.sigenergy_modbus.const import DOMAIN
from tests.clock import settle
from tests.helpers import device_by_identifier

if TYPE_CHECKING:
    from freezegun.api import FrozenDateTimeFactory
    from homeassistant.core import HomeAssistant
    from pytest_homeassistant_custom_component.common import MockConfigEntry

    from simulator import PlantSimulator

WRITE_REGISTER, WRITE_REGISTERS = 0x06, 0x10

ORIGINAL = {
    "remote_ems_enable": 0,
    "remote_ems_control_mode": 2,
    "ess_max_charging_limit": 12.0,
    "ess_max_discharging_limit": 12.0,
}
"""What the simulated plant holds before any action (self consumption, limits at 12 kW)."""

ACTION = "sensor.sigenergy_plant_control_action"
ACTION_END = "sensor.sigenergy_plant_control_action_end"
EMS_MODE = "sensor.sigenergy_plant_ems_work_mode"
CHARGE_LIMIT = "number.sigenergy_plant_battery_charge_limit"
DISCHARGE_LIMIT = "number.sigenergy_plant_battery_discharge_limit"
EXPORT_LIMIT = "number.sigenergy_plant_grid_export_limit"
CUT_OFF = "number.sigenergy_plant_discharge_cut_off_state_of_charge"


def plant_device(hass: HomeAssistant, entry: MockConfigEntry) -> str:
    """The registry id of the plant's device, the usual target of an action."""
    device = device_by_identifier(
        dr.async_get(hass), (DOMAIN, f"{entry.unique_id}_plant"), entry.entry_id
    )
    assert device is not None
    return device.id


async def act(hass: HomeAssistant, entry: MockConfigEntry, service: str, **data: Any) -> None:
    """Call one of the integration's actions on the plant of an entry."""
    await hass.services.async_call(
        DOMAIN, service, {"device_id": plant_device(hass, entry), **data}, blocking=True
    )


async def run(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: PlantSimulator,
    seconds: float,
    step: float = 5,
) -> None:
    """Move Home Assistant and the plant on together, ``step`` seconds at a time."""
    remaining = seconds
    while remaining > 1e-9:
        delta = min(step, remaining)
        freezer.tick(timedelta(seconds=delta))
        simulator.advance(delta)
        async_fire_time_changed(hass)
        # a poll or a revert waiting for a short timer (a failed connection's pause) runs
        # it out here; block_till_done alone would wait for the frozen clock for ever
        await settle(hass, freezer)
        await hass.async_block_till_done(wait_background_tasks=True)
        remaining -= delta


def plant_writes(simulator: PlantSimulator, since: int = 0) -> list[tuple[int, list[int]]]:
    """The register writes the plant received since a count: (address, words)."""
    return [(address, values) for _unit, _fc, address, values in simulator.stats.writes[since:]]


def set_soc(simulator: PlantSimulator, soc: float) -> None:
    """Put every battery of the plant at a state of charge."""
    for inverter in simulator.model.inverters:
        inverter.soc = soc
    simulator.model.refresh()


def held(simulator: PlantSimulator) -> dict[str, Any]:
    """What the plant holds in the registers the actions change."""
    return {key: simulator.value(247, key) for key in ORIGINAL}


def stored(hass_storage: dict[str, Any], entry: MockConfigEntry) -> dict[str, Any] | None:
    """The pending action in the integration's store, if any."""
    data = hass_storage.get(f"{DOMAIN}.control.{entry.entry_id}")
    return None if data is None else data["data"]["action"]
