"""What one ``parcelsms serve`` process runs, by role: everything, the API, or the pipeline.

A process started by the supervisor (:mod:`.supervisor`) reports readiness as one JSON line
on the pipe ``--ready-fd`` and dies with its supervisor (``PR_SET_PDEATHSIG``): a supervisor
killed with ``kill -9`` takes its workers with it, as one crash, and the next start recovers
exactly as after a crash of a single process. A process started alone prints where it runs.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import gc
import json
import logging
import os
import signal
import socket
import sys
from typing import Any

import click
import uvicorn

from parcelsms.adapters.process.thread_scheduling import run_as_batch
from parcelsms.bootstrap import Role, build_platform
from parcelsms.bootstrap.running_platform import Platform
from parcelsms.cli.serve_announcement import Announcement, existing_accounts
from parcelsms.cli.uvicorn_settings import uvicorn_config
from parcelsms.config import Settings
from parcelsms.pipeline.demo_seed import seed_demo

_log = logging.getLogger("parcelsms.serve")

_PR_SET_PDEATHSIG = 1


def die_with_parent() -> None:
    """Ask Linux to SIGKILL this process when the process that started it exits."""
    if not sys.platform.startswith("linux"):
        return
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


WRITER_SWITCH_INTERVAL = 0.0005
"""Seconds a thread may keep the GIL while another waits for it (Python's default: 0.005).

The storage writer thread holds the machine-wide write lock while it runs its transaction;
each time it waits for the GIL, held by this process's event loop, every process's writer
waits too. A shorter interval hands the GIL back sooner, so the lock is held for about the
transaction's own work rather than for the event loop's time slices."""


def favour_the_writer() -> None:
    """Shorten the GIL switch interval for processes that write (see above), and run this
    thread — the event loop's — as ``SCHED_BATCH``, so that a waking event loop does not take
    the core from the database writer (:mod:`parcelsms.adapters.process.thread_scheduling`)."""
    sys.setswitchinterval(WRITER_SWITCH_INTERVAL)
    run_as_batch()


GC_THRESHOLDS = (7_000, 20, 100)
"""The garbage collector's generation thresholds once a process has started (Python's: 700,
10, 10). Nearly everything a request or a message allocates is freed by reference counting;
collections find little, yet at the default rate the API and pipeline processes ran several
hundred a run, and full ones that walked the whole heap, some 150,000 objects, stalled the
event loop for tens of milliseconds: a request's tail latency."""


def settle_the_heap() -> None:
    """Set aside what start-up made (modules, settings, caches: it lives as long as the
    process) so that no collection walks it again, and collect the young less often."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)


def report_ready(ready_fd: int | None, **facts: Any) -> None:
    """Tell the supervisor this process is ready (one JSON line, then the pipe closes).

    Every role calls it once it has started, so it is also where the start-up heap is set
    aside from the garbage collector (:func:`settle_the_heap`)."""
    settle_the_heap()
    if ready_fd is None:
        return
    with os.fdopen(ready_fd, "w") as pipe:
        pipe.write(json.dumps(facts) + "\n")


def _stop_event() -> asyncio.Event:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    return stop


async def _start_http(
    app: Any, settings: Settings, listener: socket.socket
) -> tuple[uvicorn.Server, asyncio.Task[None]]:
    server = uvicorn.Server(uvicorn_config(app, settings))
    serving = asyncio.create_task(server.serve(sockets=[listener]))
    while not server.started:
        if serving.done():
            serving.result()
            raise click.ClickException("the API server did not start")
        await asyncio.sleep(0.01)
    return server, serving


async def _until_stopped(stop: asyncio.Event, serving: asyncio.Task[None] | None) -> None:
    stopped = asyncio.create_task(stop.wait())
    waiting: set[asyncio.Task[Any]] = {stopped} if serving is None else {stopped, serving}
    await asyncio.wait(waiting, return_when=asyncio.FIRST_COMPLETED)
    stopped.cancel()
    _log.info("shutting down")


async def _stop_http(server: uvicorn.Server, serving: asyncio.Task[None]) -> None:
    server.should_exit = True
    with contextlib.suppress(Exception):
        await serving


async def serve_all(
    settings: Settings, listener: socket.socket, *, demo: bool, config_path: str | None
) -> None:
    """Every part in this one process (``--role all``)."""
    try:
        platform = await build_platform(settings, os.environ, Role.ALL)
    except BaseException:
        listener.close()
        raise
    await platform.start_workers()
    # uvicorn captures SIGINT/SIGTERM while it serves and re-raises them once it stopped;
    # our handlers receive them then, so the platform is closed before the process exits.
    stop = _stop_event()
    try:
        server, serving = await _start_http(platform.app, settings, listener)
    except BaseException:
        await platform.close()
        raise
    port = listener.getsockname()[1]
    # Only now, with the port listening, is a demo key created: it is printed right below.
    seed = await seed_demo(platform.storage.accounts, platform.storage.content) if demo else None
    accounts = await existing_accounts(platform.storage.accounts)
    await platform.wait_channels_bound(5.0)
    settle_the_heap()
    announcement = Announcement(
        settings,
        port,
        seed,
        accounts,
        config_path,
        channels=platform.pipeline.channel_states() if platform.pipeline else {},
        embedded_simulator=platform.simulator is not None,
    )
    print(announcement.text(), flush=True)
    await _until_stopped(stop, serving)
    await _stop_http(server, serving)
    await platform.close()


async def serve_api(settings: Settings, listener: socket.socket, ready_fd: int | None) -> None:
    """The HTTP API alone (``--role api``): accepts and queues; the pipeline sends."""
    try:
        platform = await build_platform(settings, os.environ, Role.API)
    except BaseException:
        listener.close()
        raise
    stop = _stop_event()
    try:
        server, serving = await _start_http(platform.app, settings, listener)
    except BaseException:
        await platform.close()
        raise
    port = listener.getsockname()[1]
    if ready_fd is None:
        print(f"parcelsms API listening on http://{settings.server.host}:{port}", flush=True)
    report_ready(ready_fd, role="api", pid=os.getpid())
    await _until_stopped(stop, serving)
    # In-flight requests finish (and commit) before the storage drains and closes.
    await _stop_http(server, serving)
    await platform.close()


async def serve_pipeline(
    settings: Settings, ready_fd: int | None, *, webhooks_apart: bool = False
) -> None:
    """The pipeline alone (``--role pipeline``): channels, dispatcher, receipts, and the
    webhooks unless ``webhooks_apart`` (a ``webhooks`` process delivers them)."""
    platform = await build_platform(
        settings, os.environ, Role.PIPELINE, webhooks_apart=webhooks_apart
    )
    stop = _stop_event()
    try:
        await platform.start_workers()
    except BaseException:
        await platform.close()
        raise
    await platform.wait_channels_bound(5.0)
    states = _pipeline_states(platform)
    if ready_fd is None:
        bound = ", ".join(
            f"{name}: {'bound' if up else 'NOT bound'}" for name, up in states.items()
        )
        print(f"parcelsms pipeline running ({bound or 'no channels'})", flush=True)
    report_ready(
        ready_fd,
        role="pipeline",
        pid=os.getpid(),
        channels=states,
        embedded_simulator=platform.simulator is not None,
    )
    await _until_stopped(stop, None)
    await platform.close()


async def serve_webhooks(settings: Settings, ready_fd: int | None) -> None:
    """The webhook worker alone (``--role webhooks``): claims the outbox rows the pipeline
    writes and delivers them, on a core of its own. Several may run on one database (claims
    are leased), one per pipeline is what ``serve`` starts."""
    platform = await build_platform(settings, os.environ, Role.WEBHOOKS)
    stop = _stop_event()
    try:
        await platform.start_workers()
    except BaseException:
        await platform.close()
        raise
    if ready_fd is None:
        print("parcelsms webhook worker running", flush=True)
    report_ready(ready_fd, role="webhooks", pid=os.getpid())
    await _until_stopped(stop, None)
    await platform.close()


def _pipeline_states(platform: Platform) -> dict[str, bool]:
    return platform.pipeline.channel_states() if platform.pipeline is not None else {}
