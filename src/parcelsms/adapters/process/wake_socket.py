"""The pipeline's doorbell: API processes ring it after committing new messages.

A Unix datagram socket in Linux's abstract namespace, named after the database file, so it
needs no file, no cleanup and no configuration: every process of one platform on one machine
finds the same address from the database URL alone. A ring is one empty datagram sent without
blocking; when the socket's queue is full (the pipeline has plenty of rings to read) or no
pipeline listens, the ring is dropped — the pipeline also polls its queue (``idle_poll_seconds``)
so a lost ring delays a message by at most one poll, never loses it.

Binding the address doubles as a guard: only one pipeline process may run on a SQLite
database, and a second one finds the address taken (:class:`PipelineAlreadyRunning`).
On PostgreSQL, ``LISTEN/NOTIFY`` takes this role (the same two calls: ring, listen).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import socket
import sys
from collections.abc import Callable
from pathlib import Path


class PipelineAlreadyRunning(RuntimeError):
    """Another pipeline process holds this database's wake-up address."""


def wake_address(database_path: Path) -> str | None:
    """The abstract socket name for ``database_path``; ``None`` where there is no such thing."""
    if not sys.platform.startswith("linux"):
        return None  # no abstract namespace: the pipeline's poll alone finds new messages
    digest = hashlib.blake2b(str(database_path.resolve()).encode(), digest_size=12).hexdigest()
    return f"\0parcelsms-wake-{digest}"


class WakeSender:
    """Rings the pipeline's doorbell (see the module). Never blocks, never raises.

    Rings asked for during one turn of the event loop go out as one datagram, at the start
    of the next turn: a group commit answers many requests at once, and each of them rang
    (a system call each, about 20 µs on 2 cores, and as many wake-ups of the pipeline's
    loop) where one ring says all there is to say — new messages are committed. Outside a
    running event loop a ring goes out at once.
    """

    def __init__(self, address: str | None) -> None:
        self._address = address
        self._socket: socket.socket | None = None
        self._due = False  # a ring is scheduled for the next turn of the loop
        if address is not None:
            self._socket = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
            self._socket.setblocking(False)

    def ring(self) -> None:
        if self._socket is None or self._due:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            self._send()
            return
        self._due = True
        loop.call_soon(self._send)

    def _send(self) -> None:
        self._due = False
        if self._socket is None or self._address is None:
            return
        with contextlib.suppress(OSError):  # nobody listens, or the queue is full
            self._socket.sendto(b"", self._address)

    def close(self) -> None:
        if self._due:
            self._send()  # the last commits' ring goes out before the socket closes
        if self._socket is not None:
            self._socket.close()
            self._socket = None


class _Doorbell(asyncio.DatagramProtocol):
    def __init__(self, on_ring: Callable[[], None]) -> None:
        self._on_ring = on_ring

    def datagram_received(self, data: bytes, addr: object) -> None:
        self._on_ring()


class WakeListener:
    """Calls ``on_ring`` for every ring received; :meth:`start` binds the address."""

    def __init__(self, address: str | None, on_ring: Callable[[], None]) -> None:
        self._address = address
        self._on_ring = on_ring
        self._transport: asyncio.DatagramTransport | None = None

    async def start(self) -> None:
        if self._address is None:
            return
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        try:
            sock.bind(self._address)
        except OSError as exc:
            sock.close()
            raise PipelineAlreadyRunning(
                "another parcelsms pipeline process is already running on this database"
            ) from exc
        sock.setblocking(False)
        loop = asyncio.get_running_loop()
        on_ring = self._on_ring
        transport, _ = await loop.create_datagram_endpoint(lambda: _Doorbell(on_ring), sock=sock)
        self._transport = transport

    def close(self) -> None:
        if self._transport is not None:
            self._transport.close()
            self._transport = None
