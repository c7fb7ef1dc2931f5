"""``python -m simulator`` serves until SIGTERM and then exits cleanly."""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import sys
import time
import urllib.request
from datetime import datetime
from pathlib import Path

from pymodbus.client import AsyncModbusTcpClient

ROOT = Path(__file__).resolve().parents[2]


async def test_command_line_serves_and_stops_on_sigterm() -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "simulator",
        "--port",
        "0",
        "--inverters",
        "2",
        "--ac-charger",
        "--latency",
        "0",
        "--scenario",
        "off-grid",
        "--no-state",
        "--no-control",
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        assert process.stdout is not None
        line = (await asyncio.wait_for(process.stdout.readline(), 20)).decode()
        match = re.search(r"on 127\.0\.0\.1:(\d+), unit ids 247, 1, 2, 3 \(off_grid", line)
        assert match, line
        client = AsyncModbusTcpClient(
            "127.0.0.1", port=int(match[1]), timeout=2, retries=0, reconnect_delay=0
        )
        assert await client.connect()
        try:
            reply = await client.read_input_registers(30009, count=1, device_id=247)
            assert reply.registers == [1]  # off grid
            reply = await client.read_input_registers(32005, count=2, device_id=3)
            assert reply.registers == [0, 11000]  # the AC charger: 11 kW
        finally:
            client.close()
        process.send_signal(signal.SIGTERM)
        out, err = await asyncio.wait_for(process.communicate(), 10)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    assert process.returncode == 0, err.decode()
    assert b"Simulator stopped." in out
    assert b"State file" not in out
    assert b"Control" not in out
    assert b"Traceback" not in err


async def _run(*args: str, env: dict[str, str]) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "simulator",
        "--port",
        "0",
        "--latency",
        "0",
        *args,
        cwd=ROOT,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


async def _lines(process: asyncio.subprocess.Process, count: int) -> list[str]:
    assert process.stdout is not None
    return [(await asyncio.wait_for(process.stdout.readline(), 20)).decode() for _ in range(count)]


async def _stop(process: asyncio.subprocess.Process) -> bytes:
    process.send_signal(signal.SIGTERM)
    out, err = await asyncio.wait_for(process.communicate(), 10)
    assert process.returncode == 0, err.decode()
    assert b"Traceback" not in err
    return out


async def _read_u64(port: int, address: int) -> int:
    client = AsyncModbusTcpClient("127.0.0.1", port=port, timeout=2, retries=0, reconnect_delay=0)
    assert await client.connect()
    try:
        words = (await client.read_input_registers(address, count=4, device_id=247)).registers
    finally:
        client.close()
    return int.from_bytes(b"".join(w.to_bytes(2, "big") for w in words), "big")


async def test_wall_clock_state_file_and_control(tmp_path: Path) -> None:
    """The defaults a demo runs with: now, 60 %, counters that go on, a control port."""
    env = {**os.environ, "XDG_STATE_HOME": str(tmp_path)}
    before = time.time()
    process = await _run(env=env)
    try:
        first, clock, control, state_line = await _lines(process, 4)
        port = int(re.search(r":(\d+), unit ids", first)[1])  # type: ignore[index]
        moment = datetime.fromisoformat(clock.split()[2].rstrip(","))
        assert before - 5 <= moment.timestamp() <= time.time() + 5  # the wall clock
        assert "battery 60.0 %" in clock
        assert "new: the plant starts from its seed" in state_line
        url = re.search(r"http://127\.0\.0\.1:\d+", control)[0]  # type: ignore[index]
        pv_energy = await _read_u64(port, 30088)
        answer = await asyncio.to_thread(_post, f"{url}/input", {"unit": 1, "input": 2, "on": True})
        assert answer["inverters"]["1"]["inputs"]["DI2"] is True
    finally:
        if process.returncode is None:
            await _stop(process)
    path = tmp_path / "sigenergy-simulator" / "plant-seed1-inverters1.json"
    assert path.is_file()

    again = await _run(env=env)
    try:
        first, _clock, _control, state_line = await _lines(again, 4)
        assert "continued from" in state_line
        port = int(re.search(r":(\d+), unit ids", first)[1])  # type: ignore[index]
        assert await _read_u64(port, 30088) >= pv_energy
    finally:
        if again.returncode is None:
            await _stop(again)


def _post(url: str, body: object) -> dict[str, object]:
    request = urllib.request.Request(  # noqa: S310 - http://127.0.0.1 only
        url, data=json.dumps(body).encode(), method="POST"
    )
    with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310
        answer: dict[str, object] = json.loads(response.read())
    return answer
