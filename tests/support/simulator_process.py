"""The carrier simulator in a process of its own (``parcelsms simulate-carrier``), for tests
that need a carrier outliving, or beside, the platform under test."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path


async def start_simulator_process(scenario: Path) -> tuple[asyncio.subprocess.Process, int]:
    """Start the simulator on a free port with ``scenario``; the process and its port."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "parcelsms.cli.main",
        "simulate-carrier",
        "--host",
        "127.0.0.1",
        "--port",
        "0",
        "--scenario",
        str(scenario),
        stdout=asyncio.subprocess.PIPE,
    )
    assert process.stdout is not None
    line = (await asyncio.wait_for(process.stdout.readline(), 30)).decode()
    assert "listening on" in line, line
    return process, int(line.rsplit(":", 1)[1])
