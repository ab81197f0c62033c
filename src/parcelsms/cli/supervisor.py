"""``parcelsms serve`` as cooperating processes: one pipeline, N API workers and a webhook
worker.

The supervisor binds the API's port (once, before anything is written), migrates the database
and seeds the demo account, then starts the role processes (``serve --role pipeline``,
``serve --role api`` and, unless ``--webhook-workers 0``, ``serve --role webhooks``) with the
same configuration. The webhook worker delivers the outbox the pipeline writes on a core of
its own; it finds new rows by polling (0.2 s when idle, at once while busy). The API workers
share the listening socket it hands them (the kernel spreads connections across them); all of
them share the SQLite database in WAL mode, each through its own batching writer, taking
turns by a file lock (:mod:`parcelsms.adapters.storage.engine.write_lock`). API workers ring
the pipeline's doorbell after every commit of new messages
(:mod:`parcelsms.adapters.process.wake_socket`) and every process's caches watch a shared
change epoch
(:mod:`parcelsms.adapters.process.shared_changes`).

It prints the announcement when every process reported ready, restarts a process that dies
(after 1 s, doubling to 30 s while it keeps dying within a minute of its start), and on
SIGTERM/SIGINT stops the API workers first — their in-flight requests finish and commit —
then the pipeline, which leaves unsent messages queued, then the webhook worker, which leaves
undelivered rows in the outbox. Nothing an API worker answered 2xx for
can be lost by any of these deaths: the answer is sent only after the commit.

Why not uvicorn's own ``--workers``: it forks copies of one app, while parcelsms runs two kinds
of process (the pipeline must be exactly one per SQLite database) and needs each restarted and
stopped in order.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import shutil
import signal
import socket
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from prometheus_client import multiprocess

from parcelsms.bootstrap import open_platform_storage
from parcelsms.cli.serve_announcement import Announcement, existing_accounts
from parcelsms.config import Settings
from parcelsms.pipeline.demo_seed import DemoSeed, seed_demo
from parcelsms.task_cancellation import cancel_and_wait

_log = logging.getLogger("parcelsms.serve")

READY_TIMEOUT = 120.0
API_STOP_TIMEOUT = 30.0
PIPELINE_STOP_TIMEOUT = 60.0
_FIRST_RESTART_DELAY = 1.0
_MAX_RESTART_DELAY = 30.0
_HEALTHY_AFTER = 60.0


@dataclass
class _Child:
    """One role process and what is needed to start it again."""

    role: str
    index: int
    arguments: list[str]
    pass_fds: tuple[int, ...] = ()
    process: asyncio.subprocess.Process | None = None
    started_at: float = 0.0
    restart_delay: float = _FIRST_RESTART_DELAY
    ready: dict[str, Any] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return f"{self.role}#{self.index}" if self.role == "api" else self.role


async def _read_ready(read_fd: int) -> dict[str, Any]:
    def read_all() -> bytes:
        chunks = []
        with os.fdopen(read_fd, "rb") as pipe:
            while chunk := pipe.read(4096):
                chunks.append(chunk)
        return b"".join(chunks)

    raw = await asyncio.get_running_loop().run_in_executor(None, read_all)
    if not raw.strip():
        raise RuntimeError("the process exited before it was ready")
    facts: dict[str, Any] = json.loads(raw)
    return facts


class Supervisor:
    """Starts, watches, restarts and stops the role processes (see the module)."""

    def __init__(
        self,
        settings: Settings,
        listener: socket.socket,
        *,
        api_workers: int,
        base_arguments: list[str],
        webhook_workers: int = 0,
    ) -> None:
        self._settings = settings
        self._listener = listener
        self._stopping = False
        fd = listener.fileno()
        apart = ["--webhooks-apart"] if webhook_workers else []
        self._pipeline = _Child("pipeline", 0, [*base_arguments, "--role", "pipeline", *apart])
        self._webhooks = [
            _Child("webhooks", index, [*base_arguments, "--role", "webhooks"])
            for index in range(webhook_workers)
        ]
        self._api = [
            _Child(
                "api",
                index,
                [*base_arguments, "--role", "api", "--listen-fd", str(fd)],
                pass_fds=(fd,),
            )
            for index in range(api_workers)
        ]

    def stopping(self) -> bool:
        return self._stopping

    @property
    def children(self) -> list[_Child]:
        return [self._pipeline, *self._webhooks, *self._api]

    async def _spawn(self, child: _Child) -> dict[str, Any]:
        read_fd, write_fd = os.pipe()
        try:
            child.process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "parcelsms.cli.main",
                "serve",
                *child.arguments,
                "--ready-fd",
                str(write_fd),
                pass_fds=(*child.pass_fds, write_fd),
            )
        finally:
            os.close(write_fd)
        child.started_at = time.monotonic()
        try:
            child.ready = await asyncio.wait_for(_read_ready(read_fd), READY_TIMEOUT)
        except (TimeoutError, RuntimeError, ValueError) as problem:
            raise RuntimeError(f"{child.name} did not start: {problem}") from None
        return child.ready

    async def start(self) -> None:
        """Start every process; returns when all reported ready (raises if one did not)."""
        try:
            await asyncio.gather(*(self._spawn(child) for child in self.children))
        except BaseException:
            await self.stop()
            raise

    def announcement(
        self, port: int, seed: DemoSeed | None, accounts: Any, config_path: str | None
    ) -> Announcement:
        ready = self._pipeline.ready
        return Announcement(
            self._settings,
            port,
            seed,
            accounts,
            config_path,
            channels=dict(ready.get("channels", {})),
            embedded_simulator=bool(ready.get("embedded_simulator")),
            processes=f"1 pipeline + {len(self._api)} API worker"
            + ("s" if len(self._api) != 1 else "")
            + (" + 1 webhook worker" if self._webhooks else ""),
        )

    async def watch(self, stop: asyncio.Event) -> None:
        """Restart processes that die until ``stop`` is set."""
        watchers = {asyncio.create_task(self._keep_running(child)) for child in self.children}
        await stop.wait()
        self._stopping = True
        for watcher in watchers:
            watcher.cancel()
        for watcher in watchers:
            await cancel_and_wait(watcher)

    async def _keep_running(self, child: _Child) -> None:
        while not self._stopping:
            try:
                await self._restart_when_dead(child)
            except asyncio.CancelledError:
                raise
            except Exception:  # a supervisor that stops watching would leave a dead role dead
                _log.exception("watching a parcelsms process failed", extra={"worker": child.name})
                await asyncio.sleep(_FIRST_RESTART_DELAY)

    async def _restart_when_dead(self, child: _Child) -> None:
        """Wait for ``child`` to exit; unless stopping, start it again after its delay."""
        assert child.process is not None
        code = await child.process.wait()
        if self.stopping():
            return
        if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            # Its live gauges must stop counting (prometheus-client's multiprocess mode).
            multiprocess.mark_process_dead(child.process.pid)  # type: ignore[no-untyped-call]
        lived = time.monotonic() - child.started_at
        if lived > _HEALTHY_AFTER:
            child.restart_delay = _FIRST_RESTART_DELAY
        _log.error(
            "a parcelsms process died; restarting it",
            extra={"worker": child.name, "exit_code": code, "restart_in": child.restart_delay},
        )
        await asyncio.sleep(child.restart_delay)
        child.restart_delay = min(child.restart_delay * 2, _MAX_RESTART_DELAY)
        try:
            await self._spawn(child)
        except RuntimeError as problem:
            _log.error("restart failed", extra={"worker": child.name, "error": str(problem)})

    async def stop(self) -> None:
        """API workers first (their requests finish), then the pipeline, then the webhook
        worker (it delivers what the pipeline's last receipts queued, as far as it can)."""
        self._stopping = True
        await asyncio.gather(*(_terminate(child, API_STOP_TIMEOUT) for child in self._api))
        await _terminate(self._pipeline, PIPELINE_STOP_TIMEOUT)
        await asyncio.gather(
            *(_terminate(child, PIPELINE_STOP_TIMEOUT) for child in self._webhooks)
        )


async def _terminate(child: _Child, timeout: float) -> None:
    process = child.process
    if process is None or process.returncode is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        process.send_signal(signal.SIGTERM)
    try:
        await asyncio.wait_for(process.wait(), timeout)
    except TimeoutError:
        _log.error(
            "a parcelsms process did not stop in time; killing it", extra={"worker": child.name}
        )
        with contextlib.suppress(ProcessLookupError):
            process.kill()
        await process.wait()


async def supervise(
    settings: Settings,
    listener: socket.socket,
    *,
    api_workers: int,
    base_arguments: list[str],
    demo: bool,
    config_path: str | None,
    webhook_workers: int = 0,
) -> None:
    """Run ``parcelsms serve`` as processes until SIGTERM/SIGINT (see the module)."""
    listener.listen(2048)
    metrics_directory = prepare_metrics_directory(settings)
    # Migrate here, once, before any role process opens the database.
    storage = await open_platform_storage(settings, os.environ)
    try:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        supervisor = Supervisor(
            settings,
            listener,
            api_workers=api_workers,
            webhook_workers=webhook_workers,
            base_arguments=base_arguments,
        )
        await supervisor.start()
        # Only now, with every process running, is a demo key created: it is printed below.
        seed = await seed_demo(storage.accounts, storage.content) if demo else None
        accounts = await existing_accounts(storage.accounts)
    finally:
        await storage.close()
    port = listener.getsockname()[1]
    print(supervisor.announcement(port, seed, accounts, config_path).text(), flush=True)
    await supervisor.watch(stop)
    _log.info("shutting down")
    await supervisor.stop()
    listener.close()
    if metrics_directory is not None:
        shutil.rmtree(metrics_directory, ignore_errors=True)


def prepare_metrics_directory(settings: Settings) -> Path | None:
    """Where every process writes its metrics (prometheus-client's multiprocess mode), so
    that any API process answers ``/metrics`` for all of them: ``$PROMETHEUS_MULTIPROC_DIR``
    (emptied, as the library asks) or a new private directory, removed at stop. ``None`` when
    metrics are off or the operator's directory is used."""
    if not settings.metrics.enabled:
        return None
    given = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if given:
        for stale in Path(given).glob("*.db"):
            stale.unlink(missing_ok=True)
        return None
    directory = Path(tempfile.mkdtemp(prefix="parcelsms-metrics-"))
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(directory)  # inherited by the processes
    return directory
