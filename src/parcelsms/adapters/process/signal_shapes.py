"""The shapes both kinds of cross-process signal share (unix socket and mapped file on SQLite,
``LISTEN/NOTIFY`` on PostgreSQL), so the composition root can pick either by database URL."""

from __future__ import annotations

from typing import Protocol


class Doorbell(Protocol):
    """Rings the pipeline: MUST NOT block, MUST NOT raise; a ring may be lost (the pipeline
    polls as well)."""

    def ring(self) -> None: ...

    def close(self) -> None: ...


class DoorbellListener(Protocol):
    """Hears rings for the pipeline; ``start`` raises ``PipelineAlreadyRunning`` when another
    pipeline process works on the database."""

    async def start(self) -> None: ...

    def close(self) -> None: ...


class SharedChanges(Protocol):
    """A :class:`~parcelsms.pipeline.ttl_cache.ChangeSignal` with resources to release."""

    def current(self) -> int: ...

    def announce(self) -> None: ...

    def close(self) -> None: ...
