"""The machine-wide turn to write a SQLite database, handed over at once.

SQLite lets one connection write at a time; the others wait in its busy handler, which polls
with growing sleeps (1, 2, 5, 10 … 100 ms). With several parcelsms processes writing the same
database (API workers and the pipeline, each with its own batching writer), such sleeps would
add milliseconds to many commits and let one writer starve another. So each writer first
takes an exclusive ``flock`` on ``<database>.lock``: waiting writers sleep in the kernel and the
next one runs the moment the lock is released, in arrival order. SQLite's own locking stays
underneath (``BEGIN IMMEDIATE``, busy timeout) for writers that do not take this lock — a CLI
command, an older process.

The lock is released when its process dies, however it dies.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path
from types import TracebackType


class ProcessWriteLock:
    """A reentrant-free exclusive lock on ``<database>.lock`` (see the module)."""

    def __init__(self, database_path: Path) -> None:
        self.path = Path(f"{database_path}.lock")
        self._descriptor = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)

    def __enter__(self) -> None:
        fcntl.flock(self._descriptor, fcntl.LOCK_EX)

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        fcntl.flock(self._descriptor, fcntl.LOCK_UN)

    def close(self) -> None:
        if self._descriptor >= 0:
            os.close(self._descriptor)
            self._descriptor = -1
