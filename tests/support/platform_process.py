"""Helpers to run ``parcelsms serve`` as a real process in end-to-end tests."""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import signal
import sys
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
import phonenumbers

_LISTENING = re.compile(r"parcelsms API listening on (http://[\d.]+:\d+)")
_PIPELINE_RUNNING = re.compile(r"parcelsms pipeline running")
_KEY = re.compile(r"Demo API key \(shown once\): (\S+)")


@dataclass
class ServeProcess:
    """A running ``parcelsms serve`` with its stdout/stderr collected."""

    process: asyncio.subprocess.Process
    base_url: str = ""
    api_key: str | None = None
    stdout_lines: list[str] = field(default_factory=list)
    stderr_lines: list[str] = field(default_factory=list)
    _readers: list[asyncio.Task[None]] = field(default_factory=list)
    _stderr_grew: asyncio.Event = field(default_factory=asyncio.Event)

    async def wait_for_log(self, pattern: str, timeout: float = 15.0) -> re.Match[str]:
        """The first stderr line matching ``pattern`` (waits for it, up to ``timeout`` s)."""
        compiled = re.compile(pattern)

        async def find() -> re.Match[str]:
            while True:
                self._stderr_grew.clear()
                for line in self.stderr_lines:
                    if match := compiled.search(line):
                        return match
                await self._stderr_grew.wait()

        return await asyncio.wait_for(find(), timeout)

    def error_lines(self) -> list[str]:
        """Log lines at ERROR or CRITICAL (JSON logs: "level": "error")."""
        return [
            line
            for line in self.stderr_lines
            if '"level": "error"' in line or '"level": "critical"' in line or "Traceback" in line
        ]

    async def stop(self) -> int:
        if self.process.returncode is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(self.process.wait(), 30)
            except TimeoutError:
                self.process.kill()
                await self.process.wait()
        for reader in self._readers:
            await reader
        return self.process.returncode or 0

    async def kill(self) -> None:
        """SIGKILL: a crash, no cleanup of any kind."""
        self.process.kill()
        await self.process.wait()
        for reader in self._readers:
            await reader


async def start_serve(
    config: Path,
    *args: str,
    demo: bool = False,
    timeout: float = 60.0,
    ready: re.Pattern[str] = _LISTENING,
) -> ServeProcess:
    """Start ``parcelsms serve --config CONFIG [--demo] ARGS``; returns once a stdout line
    matched ``ready`` (default: the API announced itself; ``api_key`` holds the demo key when
    this start created it)."""
    env = dict(os.environ)
    env.pop("PARCELSMS_CONFIG", None)
    process = await asyncio.create_subprocess_exec(
        *serve_command(config, *args, demo=demo),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        cwd=config.parent,
        env=env,
    )
    serve = ServeProcess(process)
    started: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    async def read_stdout() -> None:
        assert process.stdout is not None
        async for raw in process.stdout:
            line = raw.decode("utf-8", "replace").rstrip("\n")
            serve.stdout_lines.append(line)
            if match := _LISTENING.search(line):
                serve.base_url = match.group(1)
            if match := _KEY.search(line):
                serve.api_key = match.group(1)
            if ready.search(line) and not started.done():
                started.set_result(None)
        if not started.done():
            started.set_exception(RuntimeError("serve exited before it was ready"))

    async def read_stderr() -> None:
        assert process.stderr is not None
        async for raw in process.stderr:
            serve.stderr_lines.append(raw.decode("utf-8", "replace").rstrip("\n"))
            serve._stderr_grew.set()

    serve._readers = [asyncio.create_task(read_stdout()), asyncio.create_task(read_stderr())]
    try:
        await asyncio.wait_for(started, timeout)
    except BaseException:
        process.kill()
        await process.wait()
        raise RuntimeError("serve did not start:\n" + "\n".join(serve.stderr_lines[-30:])) from None
    # The announcement is printed in one write; give the reader a moment to take every line.
    await asyncio.sleep(0.2)
    return serve


async def start_role(config: Path, role: str, *args: str, timeout: float = 60.0) -> ServeProcess:
    """Start one ``parcelsms serve --role ROLE`` process on its own (no supervisor), as a node
    of a platform whose processes run on several machines would be; returns once it said it
    runs (an API process: ``base_url`` is its own port)."""
    ready = _PIPELINE_RUNNING if role == "pipeline" else _LISTENING
    return await start_serve(config, "--role", role, *args, ready=ready, timeout=timeout)


async def start_pipeline(config: Path, *args: str, timeout: float = 60.0) -> ServeProcess:
    """:func:`start_role` for a pipeline: one more pipeline node on a PostgreSQL database;
    returns once it runs (it has joined and bound its share)."""
    return await start_role(config, "pipeline", *args, timeout=timeout)


def serve_command(config: Path, *args: str, demo: bool = False) -> list[str]:
    """The command line of ``parcelsms serve`` run by this interpreter."""
    command = [sys.executable, "-m", "parcelsms.cli.main", "serve", "--config", str(config)]
    return [*command, *(["--demo"] if demo else []), *args]


@contextlib.contextmanager
def serve_in_background(
    config: Path, *, arguments: Sequence[str] = (), demo: bool = False
) -> Iterator[ServeProcess]:
    """:func:`start_serve` for synchronous tests (schemathesis, subprocess clients): the
    process and its output readers live on an event loop in a background thread; the process
    is stopped on exit."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="serve-loop", daemon=True)
    thread.start()
    try:
        serve = asyncio.run_coroutine_threadsafe(
            start_serve(config, *arguments, demo=demo), loop
        ).result()
        try:
            yield serve
        finally:
            asyncio.run_coroutine_threadsafe(serve.stop(), loop).result()
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join()
        loop.close()


async def message_statuses(session: aiohttp.ClientSession, serve: ServeProcess) -> dict[str, str]:
    """Every message of the demo key's account and its status, read page by page."""
    headers = {"Authorization": f"Bearer {serve.api_key}"}
    statuses: dict[str, str] = {}
    cursor: str | None = None
    while True:
        params = {"limit": "200"} | ({"cursor": cursor} if cursor else {})
        async with session.get(
            f"{serve.base_url}/v1/messages", params=params, headers=headers
        ) as response:
            assert response.status == 200, await response.text()
            page = await response.json()
        statuses.update({m["id"]: m["status"] for m in page["data"]})
        cursor = page["next_cursor"]
        if not cursor:
            return statuses


def mobile_numbers(region: str, count: int) -> list[str]:
    """``count`` distinct valid mobile numbers of ``region`` in E.164, derived from
    libphonenumber's example number (an independent source of valid numbers)."""
    example = phonenumbers.example_number_for_type(region, phonenumbers.PhoneNumberType.MOBILE)
    assert example is not None
    base = phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.E164)
    numbers: list[str] = []
    suffix = 0
    while len(numbers) < count and suffix < 100_000:
        candidate = base[:-4] + f"{(int(base[-4:]) + suffix) % 10000:04d}"
        suffix += 1
        parsed = phonenumbers.parse(candidate)
        if phonenumbers.is_valid_number(parsed) and phonenumbers.number_type(parsed) in (
            phonenumbers.PhoneNumberType.MOBILE,
            phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
        ):
            numbers.append(candidate)
    assert len(numbers) == count, f"only {len(numbers)} numbers for {region}"
    return numbers
