"""The carrier simulator in a process of its own (``parcelsms simulate-carrier``), for tests
that need a carrier outliving, or beside, the platform under test."""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


async def start_simulator_process(
    scenario: Path, *options: str
) -> tuple[asyncio.subprocess.Process, int]:
    """Start the simulator on a free port with ``scenario`` (and ``options``, e.g.
    ``--stats``); the process and its port. Its stdout is left for the caller to read."""
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
        *options,
        stdout=asyncio.subprocess.PIPE,
    )
    assert process.stdout is not None
    line = (await asyncio.wait_for(process.stdout.readline(), 30)).decode()
    assert "listening on" in line, line
    return process, int(line.rsplit(":", 1)[1])


@dataclass
class WatchedSimulator:
    """A simulator process whose stats lines are followed as they come (one a second) and
    whose submits are read back when it stops (``--stats --submit-log``)."""

    process: asyncio.subprocess.Process
    port: int
    submit_log: Path
    stats: list[tuple[float, dict[str, Any]]] = field(default_factory=list)
    """``(time.monotonic() when read, the stats line)``, oldest first."""
    _grew: asyncio.Event = field(default_factory=asyncio.Event)
    _reader: asyncio.Task[None] | None = None

    @property
    def binds(self) -> int:
        """Binds accepted so far, as of the latest stats line."""
        return int(self.stats[-1][1]["binds"]) if self.stats else 0

    async def wait_for_binds(self, count: int, timeout: float) -> float:
        """The ``time.monotonic()`` of the first stats line counting ``count`` binds."""

        async def find() -> float:
            while True:
                self._grew.clear()
                for read_at, line in self.stats:
                    if line["binds"] >= count:
                        return read_at
                await self._grew.wait()

        return await asyncio.wait_for(find(), timeout)

    async def _follow(self) -> None:
        assert self.process.stdout is not None
        async for raw in self.process.stdout:
            with contextlib.suppress(ValueError):
                self.stats.append((time.monotonic(), json.loads(raw)))
                self._grew.set()

    async def stop(self) -> list[dict[str, Any]]:
        """SIGTERM; the submits it received, oldest first (see ``--submit-log``)."""
        with contextlib.suppress(ProcessLookupError):
            self.process.terminate()
        await self.process.wait()
        if self._reader is not None:
            await self._reader
        if not self.submit_log.exists():
            return []
        return [json.loads(line) for line in self.submit_log.read_text().splitlines()]


async def start_watched_simulator(scenario: Path, submit_log: Path) -> WatchedSimulator:
    """Start a :class:`WatchedSimulator` with ``scenario``, writing its submits to
    ``submit_log`` when it stops."""
    process, port = await start_simulator_process(
        scenario, "--stats", "--submit-log", str(submit_log)
    )
    watched = WatchedSimulator(process, port, submit_log)
    watched._reader = asyncio.create_task(watched._follow())
    return watched
