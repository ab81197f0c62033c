"""Counting what a process writes, for benchmarks: statements by kind and rows changed.

Off unless ``PARCELSMS_WRITE_STATS`` names a directory. Then every writer connection of the
process reports each statement SQLite runs (``sqlite3``'s trace callback: an ``executemany``
of 100 rows counts as 100 executions, which is what SQLite does) and, when the process
exits, writes ``<pid>.json`` there: ``statements`` (all but BEGIN/COMMIT), ``insert``,
``update``, ``delete``, ``select``, ``commit`` (transactions), ``rows`` (rows inserted,
updated or deleted: SQLite's ``total_changes``), and ``lock_wait_us`` / ``lock_held_us``:
time spent waiting for and holding the machine-wide write lock (:mod:`.write_lock`), and of
the held time ``lock_held_cpu_us`` (the writer thread on a core) and ``lock_held_runnable_us``
(the writer thread ready to run, waiting for a core; Linux), ``lock_held_max_us`` (the
longest hold) and ``lock_holds_over_10ms``. ``rows:<table>`` splits the rows
by the table the statement wrote (the change count read at the next statement, so an
``executemany`` row is charged to its own table). ``writer_us:<part>`` and
``writer_items:<part>`` split the time of the batching writer's transactions
(:mod:`.batching_writer`) by what ran in them: each bulk operation under its name
(:func:`operation_name`), then ``deferred rows`` (the rows the operations left for the end
of the transaction: events, webhook outbox, report rollups) and ``commit``.
``bench/throughput.py`` sums the files of all processes and divides by the messages it sent.
The trace costs about a microsecond per statement, so it is for measuring what is written,
not how fast.
"""

from __future__ import annotations

import atexit
import json
import os
import re
import sqlite3
import threading
from collections import Counter
from pathlib import Path
from typing import Any

_VERBS = ("insert", "update", "delete", "select")
# The table a writing statement names first: INSERT [OR …] INTO t, UPDATE t, DELETE FROM t.
_WRITTEN_TABLE = re.compile(
    r"^\s*(?:insert(?:\s+or\s+\w+)?\s+into|update(?:\s+or\s+\w+)?|delete\s+from)\s+\"?(\w+)",
    re.IGNORECASE,
)


class WriteStatistics:
    """The counts of one process (see the module)."""

    def __init__(self, directory: Path) -> None:
        self._directory = directory
        self._counts: Counter[str] = Counter()
        self._connections: list[sqlite3.Connection] = []
        self._rows_of_closed = 0
        self._lock = threading.Lock()
        atexit.register(self.dump)

    def watch(self, connection: sqlite3.Connection) -> None:
        counts = self._counts
        # The table the previous statement wrote, and the change count before it ran.
        previous: list[Any] = [None, connection.total_changes]

        def trace(statement: str) -> None:
            changes = connection.total_changes
            if previous[0] is not None:
                counts["rows:" + previous[0]] += changes - previous[1]
            previous[1] = changes
            verb = statement.lstrip()[:6].lower()
            written = _WRITTEN_TABLE.match(statement) if verb in _VERBS else None
            previous[0] = None if written is None else written.group(1).lower()
            if verb in _VERBS:
                counts["statements"] += 1
                counts[verb] += 1
            elif verb == "commit":
                counts["commit"] += 1

        connection.set_trace_callback(trace)
        with self._lock:
            self._connections.append(connection)

    def count(self, name: str, amount: int) -> None:
        """Add ``amount`` to the counter ``name`` (times: microseconds)."""
        self._counts[name] += amount

    def time_part(self, part: str, seconds: float, items: int) -> None:
        """Count ``seconds`` spent on ``part`` of a writer's transaction, for ``items`` items."""
        self._counts["writer_us:" + part] += int(seconds * 1e6)
        self._counts["writer_items:" + part] += items

    def longest(self, name: str, amount: int) -> None:
        """Keep ``amount`` in ``name`` when it is the largest so far."""
        if amount > self._counts[name]:
            self._counts[name] = amount

    def closing(self, connection: sqlite3.Connection) -> None:
        """Keep the row count of a connection about to close."""
        with self._lock:
            if connection in self._connections:
                self._connections.remove(connection)
                self._rows_of_closed += connection.total_changes

    def dump(self) -> None:
        rows = self._rows_of_closed
        with self._lock:
            for connection in self._connections:
                try:
                    rows += connection.total_changes
                except sqlite3.ProgrammingError:
                    continue  # closed: its changes were not kept
        counts = dict(self._counts)
        counts["rows"] = rows
        path = self._directory / f"{os.getpid()}.json"
        path.write_text(json.dumps(counts))


def operation_name(operation: object) -> str:
    """The name a writer's bulk operation is counted under: a function's qualified name
    (``PriceOperations.seed``), else the class of a callable object (``ReceiptOperation``).
    A wrapper that runs another operation names it as its ``operation`` attribute."""
    inner = getattr(operation, "operation", None)
    if inner is not None:
        return operation_name(inner)
    name = getattr(operation, "__qualname__", None)
    return name if isinstance(name, str) else type(operation).__qualname__


_statistics: WriteStatistics | None = None


def write_statistics() -> WriteStatistics | None:
    """This process's counter when ``PARCELSMS_WRITE_STATS`` is set, else ``None``."""
    global _statistics  # one per process, created on first use
    directory = os.environ.get("PARCELSMS_WRITE_STATS")
    if not directory:
        return None
    if _statistics is None:
        _statistics = WriteStatistics(Path(directory))
    return _statistics
