"""The control interface: every input of the plant drivable over HTTP/JSON on loopback."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from simulator.control import CONTROL_HOST, SCENARIOS, Control

from .conftest import connect

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from simulator import PlantSimulator


@pytest.fixture
async def control(sim: PlantSimulator) -> AsyncIterator[Control]:
    """The simulator's control interface on a free port of 127.0.0.1."""
    interface = Control(sim)
    await interface.start(0)
    yield interface
    await interface.stop()


async def http(
    control: Control, method: str, path: str, body: object = None, *, raw: bytes | None = None
) -> tuple[int, dict[str, Any]]:
    """One request; the status and the JSON answer."""
    reader, writer = await asyncio.open_connection(CONTROL_HOST, control.port)
    payload = raw if raw is not None else (b"" if body is None else json.dumps(body).encode())
    writer.write(
        f"{method} {path} HTTP/1.1\r\nHost: localhost\r\n"
        f"Content-Length: {len(payload)}\r\n\r\n".encode()
        + payload
    )
    await writer.drain()
    answer = await reader.read()
    writer.close()
    head, _, text = answer.partition(b"\r\n\r\n")
    return int(head.split()[1]), json.loads(text)


async def test_listens_on_loopback_only(control: Control) -> None:
    assert control.url == f"http://127.0.0.1:{control.port}"
    status, state = await http(control, "GET", "/")
    assert status == 200
    assert state["scenarios"] == SCENARIOS
    assert state["inverters"]["1"]["inputs"] == {f"DI{n}": False for n in range(1, 6)}


@pytest.mark.parametrize("number", [1, 2, 3, 4, 5])
async def test_each_digital_input(control: Control, sim: PlantSimulator, number: int) -> None:
    """DI1-DI5 while it runs: read back over Modbus (discrete inputs 0-4) as a client does."""
    client = await connect(sim)
    try:
        status, state = await http(
            control, "POST", "/input", {"unit": 1, "input": number, "on": True}
        )
        assert status == 200
        assert state["inverters"]["1"]["inputs"][f"DI{number}"] is True
        bits = (await client.read_discrete_inputs(0, count=5, device_id=1)).bits[:5]
        assert bits == [n == number - 1 for n in range(5)]
        await http(control, "POST", "/input", {"unit": 1, "input": number, "on": False})
        bits = (await client.read_discrete_inputs(0, count=5, device_id=1)).bits[:5]
        assert bits == [False] * 5
    finally:
        client.close()


async def test_contact_scenario_value_firmware_time(control: Control, sim: PlantSimulator) -> None:
    status, state = await http(control, "POST", "/contact", {"unit": 1, "contact": 2, "on": True})
    assert (status, state["inverters"]["1"]["contacts"]) == (200, {"DO1": False, "DO2": True})
    assert sim.coil(1, 1)

    status, state = await http(control, "POST", "/scenario", {"scenario": "off-grid"})
    assert (status, state["scenario"]) == (200, "off-grid")
    assert sim.value(247, "grid_status") == 1
    await http(control, "POST", "/scenario", {"scenario": "battery_fault", "unit": 1})
    assert sim.scenario == "battery_fault"

    status, _ = await http(
        control, "POST", "/value", {"unit": 247, "key": "grid_sensor_active_power", "value": 2.5}
    )
    assert status == 200
    assert sim.value(247, "grid_sensor_active_power") == 2.5
    await http(control, "POST", "/value", {"unit": 247, "key": "plant_ess_soc", "value": None})
    assert sim.value(247, "plant_ess_soc") is None  # "no reading"
    await http(control, "POST", "/clear", {"unit": 247, "key": "plant_ess_soc"})
    assert sim.value(247, "plant_ess_soc") is not None
    await http(control, "POST", "/clear", {})
    assert sim.value(247, "grid_sensor_active_power") != 2.5

    await http(control, "POST", "/firmware", {"unit": 1, "firmware": "V100R001C00SPC200B001"})
    assert sim.value(1, "firmware_version") == "V100R001C00SPC200B001"

    before = sim.time
    status, state = await http(control, "POST", "/advance", {"seconds": 3600})
    assert status == 200
    assert sim.time == before + 3600


async def test_faults(control: Control, sim: PlantSimulator) -> None:
    await http(control, "POST", "/latency", {"seconds": 0.25})
    assert sim.faults.latency == 0.25
    status, state = await http(control, "POST", "/stall", {"seconds": None})
    assert (status, state["stalled"]) == (200, True)
    status, state = await http(control, "POST", "/unstall", {})
    assert (status, state["stalled"]) == (200, False)


@pytest.mark.parametrize(
    ("path", "body", "says"),
    [
        ("/input", {"unit": 9, "input": 1, "on": True}, "no inverter at unit 9"),
        ("/input", {"unit": 1, "input": 6, "on": True}, "'input' must be a whole number 1-5"),
        ("/input", {"unit": 1, "input": 1, "on": "yes"}, "'on' must be true or false"),
        ("/scenario", {"scenario": "storm"}, "'scenario' must be one of normal, off-grid"),
        ("/value", {"unit": 247, "key": "nope", "value": 1}, "unit 247 has no register 'nope'"),
        ("/value", {"unit": 247, "key": "grid_sensor_active_power"}, "'value' is missing"),
        ("/value", {"unit": 1, "key": "plant_ess_soc", "value": 1}, "has no register"),
        ("/advance", {"seconds": -1}, "'seconds' must be a number"),
        ("/nothing", {}, "no such request '/nothing'"),
    ],
)
async def test_refusals_say_why(control: Control, path: str, body: object, says: str) -> None:
    status, answer = await http(control, "POST", path, body)
    assert status == 400
    assert says in answer["error"]


async def test_not_json_not_post(control: Control) -> None:
    assert (await http(control, "POST", "/input", raw=b"[1, 2]"))[0] == 400
    assert (await http(control, "POST", "/input", raw=b"{nope"))[0] == 400
    assert (await http(control, "PUT", "/"))[0] == 405
    assert (await http(control, "GET", "/input"))[0] == 405


async def test_readme_lists_every_scenario_and_request(control: Control) -> None:
    """The README's simulator section names each scenario and each request."""
    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    for scenario in SCENARIOS:
        assert f"| `{scenario}` |" in readme, scenario
    for path in control.requests:
        assert f"`{path}`" in readme, path
