"""``python -m simulator`` serves until SIGTERM and then exits cleanly."""

from __future__ import annotations

import asyncio
import re
import signal
import sys
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
    assert b"Traceback" not in err
