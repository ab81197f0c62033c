"""Where storage code runs: one writer connection and a pool of readers, off the event loop.

Storage operations are plain synchronous SQLAlchemy Core functions of a ``Connection``. A
:class:`Database` runs such a function and awaits its result. :class:`ThreadedDatabase` runs
the whole function in a dedicated thread on a ``sqlite3`` connection: one hand-over between
the event loop and the thread per call, however many statements the function issues.
Measured here, a single-message accept commits in about a third of the time it takes through
aiosqlite, where every statement is 3–4 hand-overs (cursor, execute, fetch, close).

The writer connection is used by one caller at a time (the batching writer); reads run in
their own transactions on the reader pool and, under WAL, never wait for the writer. With a
``write_lock`` (:mod:`.write_lock`), each write call holds it, so that the writers of several
processes on one database take turns without polling. No garbage collection runs while a
write call holds the turn (:mod:`.collection_pause`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import nullcontext
from typing import Protocol, TypeVar

from sqlalchemy.engine import Connection, Engine

from parcelsms.adapters.process.thread_scheduling import run_as_normal
from parcelsms.adapters.storage.engine.checkpointer import Checkpointer
from parcelsms.adapters.storage.engine.collection_pause import collections_held_back
from parcelsms.adapters.storage.engine.write_lock import ProcessWriteLock

T = TypeVar("T")


class Database(Protocol):
    """Runs synchronous Core functions on the writer connection or a reader connection."""

    async def write(self, work: Callable[[Connection], T]) -> T:
        """Run ``work`` on THE writer connection; ``work`` manages its own transactions.

        Callers MUST NOT overlap calls (the batching writer is the only caller).
        """
        ...

    async def read(self, work: Callable[[Connection], T]) -> T:
        """Run ``work`` inside a read transaction on a reader connection."""
        ...

    async def close(self) -> None:
        """Release connections and threads; pending calls finish first."""
        ...


def _in_transaction(connection: Connection, work: Callable[[Connection], T]) -> T:
    with connection.begin():
        return work(connection)


class ThreadedDatabase:
    """Synchronous engines driven from dedicated threads: one writer, ``readers`` readers."""

    def __init__(
        self,
        writer: Engine,
        reader: Engine,
        readers: int,
        write_lock: ProcessWriteLock | None = None,
        checkpointer: Checkpointer | None = None,
    ) -> None:
        self._checkpointer = checkpointer
        self._write_lock = write_lock
        self._writer_engine = writer
        self._reader_engine = reader
        self._writer_connection: Connection | None = None
        # The writer thread runs under the normal scheduling policy even when the event loop
        # that starts it runs as batch: it holds the machine-wide write turn, so it should be
        # the thread that takes a core first (adapters/process/thread_scheduling.py).
        self._write_thread = ThreadPoolExecutor(
            1, thread_name_prefix="parcelsms-db-writer", initializer=run_as_normal
        )
        self._read_threads = ThreadPoolExecutor(
            max(1, readers), thread_name_prefix="parcelsms-db-reader"
        )

    async def write(self, work: Callable[[Connection], T]) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._write_thread, self._write, work)

    def _write(self, work: Callable[[Connection], T]) -> T:
        connection = self._writer_connection
        if connection is None or connection.closed:
            connection = self._writer_connection = self._writer_engine.connect()
        with self._write_lock or nullcontext(), collections_held_back():
            return work(connection)

    async def read(self, work: Callable[[Connection], T]) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._read_threads, self._read, work)

    def _read(self, work: Callable[[Connection], T]) -> T:
        with self._reader_engine.connect() as connection:
            return _in_transaction(connection, work)

    async def close(self) -> None:
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(self._write_thread, self._close_writer)
        # shutdown(wait=True) blocks until queued work ends: do that off the event loop.
        await loop.run_in_executor(None, self._write_thread.shutdown)
        await loop.run_in_executor(None, self._read_threads.shutdown)
        self._reader_engine.dispose()

    def _close_writer(self) -> None:
        if self._checkpointer is not None:
            self._checkpointer.stop()
        if self._writer_connection is not None:
            self._writer_connection.close()
            self._writer_connection = None
        self._writer_engine.dispose()
        if self._write_lock is not None:
            self._write_lock.close()
