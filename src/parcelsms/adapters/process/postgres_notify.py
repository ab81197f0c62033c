"""The signals between processes on PostgreSQL: ``LISTEN/NOTIFY`` instead of files and sockets.

On SQLite the processes of one platform share a machine, and find each other through the
database file: a mapped change epoch (:mod:`.shared_changes`) and an abstract unix socket
(:mod:`.wake_socket`). On PostgreSQL they may run on several machines, so both signals travel
through the database server, with the same shapes:

- :class:`NotifiedChanges` is the change epoch (``current``/``announce``): a thread listens on
  :data:`CHANGES_CHANNEL` and moves the epoch on every notification, so ``current()`` stays a
  read of an attribute — no query per cache lookup.
- :class:`NotifySender` rings the pipeline's doorbell (:data:`WAKE_CHANNEL`) and
  :class:`NotifyListener` hears it.

Sending never blocks the caller and never raises: a :class:`_Publisher` thread sends on its own
connection, and rings that come while it sends are folded into one. A lost notification
(the server restarting) costs what a lost datagram costs on SQLite: the pipeline's poll, the
caches' time-to-live. Listeners reconnect by themselves and, having been deaf meanwhile, move
the epoch once more when they are back.

Every pipeline process listens: on PostgreSQL any number of them may run on one database,
each binding the channels it holds a lease on (:mod:`parcelsms.pipeline.channel_leases`), so
none is refused (on SQLite a second pipeline still is).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import threading
from collections.abc import Callable
from typing import Any

import psycopg

from parcelsms.task_cancellation import cancel_and_wait

WAKE_CHANNEL = "parcelsms_wake"
CHANGES_CHANNEL = "parcelsms_changes"
_RECONNECT_SECONDS = 1.0

_log = logging.getLogger(__name__)


class _Publisher:
    """A daemon thread sending ``NOTIFY channel`` once per burst of :meth:`send` calls."""

    def __init__(self, conninfo: str, channel: str) -> None:
        self._conninfo = conninfo
        self._channel = channel
        self._wanted = threading.Event()
        self._closing = False
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def send(self) -> None:
        with self._lock:
            if self._closing:
                return
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name=f"parcelsms-notify-{self._channel}", daemon=True
                )
                self._thread.start()
        self._wanted.set()

    def _run(self) -> None:
        connection: psycopg.Connection[Any] | None = None
        while True:
            self._wanted.wait()
            self._wanted.clear()
            closing = self._closing
            try:
                if connection is None or connection.closed:
                    connection = psycopg.connect(self._conninfo, autocommit=True)
                connection.execute("SELECT pg_notify(%s, '')", (self._channel,))
            except psycopg.Error as problem:  # the poll and the caches' TTL are the backstop
                _log.warning("notify %s not sent: %s", self._channel, problem)
                connection = None
            if closing:
                break
        if connection is not None:
            connection.close()

    def close(self, timeout: float = 5.0) -> None:
        """Send what was asked for, then stop (waits at most ``timeout`` seconds)."""
        with self._lock:
            self._closing = True
            thread = self._thread
        if thread is not None:
            self._wanted.set()
            thread.join(timeout)


class NotifySender:
    """Rings the pipeline's doorbell through ``NOTIFY`` (see the module)."""

    def __init__(self, conninfo: str) -> None:
        self._publisher = _Publisher(conninfo, WAKE_CHANNEL)

    def ring(self) -> None:
        self._publisher.send()

    def close(self) -> None:
        self._publisher.close()


class NotifiedChanges:
    """The change epoch of one PostgreSQL database, moved by ``NOTIFY`` (see the module).

    Implements :class:`~parcelsms.pipeline.ttl_cache.ChangeSignal`. The listening thread starts
    with the first :meth:`current`, so a command that only announces never listens.
    """

    def __init__(self, conninfo: str) -> None:
        self._conninfo = conninfo
        self._publisher = _Publisher(conninfo, CHANGES_CHANNEL)
        self._epoch = int.from_bytes(os.urandom(4), "little")
        self._stop = threading.Event()
        self._listening = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def current(self) -> int:
        if self._thread is None:
            self._start_listening()
        return self._epoch

    def announce(self) -> None:
        self._epoch += 1  # this process's own caches need no round trip
        self._publisher.send()

    def wait_listening(self, timeout: float) -> bool:
        """Whether the listener is connected (within ``timeout`` seconds); for tests."""
        self.current()
        return self._listening.wait(timeout)

    def _start_listening(self) -> None:
        with self._lock:
            if self._thread is not None:
                return
            self._thread = threading.Thread(
                target=self._listen, name="parcelsms-changes-listener", daemon=True
            )
            self._thread.start()

    def _listen(self) -> None:
        while not self._stop.is_set():
            try:
                with psycopg.connect(self._conninfo, autocommit=True) as connection:
                    connection.execute(f"LISTEN {CHANGES_CHANNEL}")
                    self._epoch += 1  # whatever was announced while we were not listening
                    self._listening.set()
                    while not self._stop.is_set():
                        for _ in connection.notifies(timeout=0.5):
                            self._epoch += 1
            except psycopg.Error as problem:
                self._listening.clear()
                _log.warning("change notifications interrupted: %s", problem)
                self._stop.wait(_RECONNECT_SECONDS)

    def close(self) -> None:
        self._publisher.close()
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5.0)


class NotifyListener:
    """Calls ``on_ring`` for every ring heard (any number of pipelines may listen)."""

    def __init__(self, conninfo: str, on_ring: Callable[[], None]) -> None:
        self._conninfo = conninfo
        self._on_ring = on_ring
        self._task: asyncio.Task[None] | None = None
        self.listening = asyncio.Event()

    async def start(self) -> None:
        # The task connects itself, so that a close() right after start() always finds it
        # running and its ``finally`` releases the connection.
        ready: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._task = asyncio.create_task(self._run(ready), name="parcelsms-wake-listener")
        await ready

    async def _connect(self) -> psycopg.AsyncConnection[Any]:
        connection = await psycopg.AsyncConnection.connect(self._conninfo, autocommit=True)
        try:
            await connection.execute(f"LISTEN {WAKE_CHANNEL}")
        except BaseException:
            await connection.close()
            raise
        return connection

    async def _run(self, ready: asyncio.Future[None]) -> None:
        try:
            connection = await self._connect()
        except asyncio.CancelledError:
            ready.cancel()
            raise
        except Exception as problem:
            ready.set_exception(problem)
            return
        ready.set_result(None)
        while True:
            try:
                self.listening.set()
                self._on_ring()  # a ring may have been missed while (re)connecting
                async for _ in connection.notifies():
                    self._on_ring()
            except psycopg.Error as problem:
                _log.warning("wake-up notifications interrupted: %s", problem)
            finally:
                self.listening.clear()
                with contextlib.suppress(psycopg.Error):
                    await connection.close()
            connection = await self._reconnect()

    async def _reconnect(self) -> psycopg.AsyncConnection[Any]:
        while True:
            await asyncio.sleep(_RECONNECT_SECONDS)
            try:
                return await self._connect()
            except psycopg.Error as problem:
                _log.warning("wake-up listener not reconnected: %s", problem)

    def close(self) -> None:
        """Stop listening; the connection goes at the loop's next turn (:meth:`wait_closed`)."""
        if self._task is not None:
            self._task.cancel()

    async def wait_closed(self) -> None:
        """Return once a closed listener has released its connection."""
        if self._task is not None:
            await cancel_and_wait(self._task)
            self._task = None
