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
import time
from pathlib import Path
from types import TracebackType

from parcelsms.adapters.storage.engine.write_statistics import write_statistics


def _run_queue_ns() -> int:
    """Nanoseconds the calling thread has spent runnable but not running (0 off Linux)."""
    try:
        with open("/proc/thread-self/schedstat", "rb") as schedstat:
            return int(schedstat.read().split()[1])
    except (OSError, IndexError, ValueError):
        return 0


class ProcessWriteLock:
    """A reentrant-free exclusive lock on ``<database>.lock`` (see the module)."""

    def __init__(self, database_path: Path) -> None:
        self.path = Path(f"{database_path}.lock")
        self._descriptor = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        self._statistics = write_statistics()
        self._taken_at = 0.0
        self._taken_cpu = 0.0
        self._taken_waiting_ns = 0

    def __enter__(self) -> None:
        if self._statistics is None:
            fcntl.flock(self._descriptor, fcntl.LOCK_EX)
            return
        asked = time.perf_counter()
        fcntl.flock(self._descriptor, fcntl.LOCK_EX)
        self._taken_at = time.perf_counter()
        self._taken_cpu = time.thread_time()
        self._taken_waiting_ns = _run_queue_ns()
        self._statistics.count("lock_wait_us", int(1e6 * (self._taken_at - asked)))

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._statistics is not None:
            held_us = int(1e6 * (time.perf_counter() - self._taken_at))
            self._statistics.count("lock_held_us", held_us)
            self._statistics.longest("lock_held_max_us", held_us)
            if held_us > 10_000:  # long enough to show in a request's p99
                self._statistics.count("lock_holds_over_10ms", 1)
            # The writer thread's own CPU while holding it, and its time ready to run but
            # waiting for a core (Linux only); the rest of the held time is spent waiting for
            # the GIL or the disk.
            self._statistics.count(
                "lock_held_cpu_us", int(1e6 * (time.thread_time() - self._taken_cpu))
            )
            self._statistics.count(
                "lock_held_runnable_us", (_run_queue_ns() - self._taken_waiting_ns) // 1000
            )
        fcntl.flock(self._descriptor, fcntl.LOCK_UN)

    def close(self) -> None:
        if self._descriptor >= 0:
            os.close(self._descriptor)
            self._descriptor = -1
