"""WAL checkpoints off the write path.

In WAL mode, SQLite copies the log back into the database file (a *checkpoint*) from inside
whichever commit finds the log longer than ``wal_autocheckpoint`` pages: that commit, and with
it every writer waiting for the write lock, pays for copying a thousand pages. With a
:class:`Checkpointer`, one thread of the pipeline process runs
``PRAGMA wal_checkpoint(PASSIVE)`` every ``interval`` seconds (:data:`CHECKPOINT_INTERVAL`) on a
connection of its own. A passive checkpoint takes no write lock — writers keep appending while
it copies — and SQLite releases Python's GIL while it works, so the copying moves to another
core. The writers' own threshold is raised (:data:`BACKGROUND_AUTOCHECKPOINT_PAGES`) and stays
as a safety net should this thread stop: in every process of the platform
(``SqliteSettings.checkpointed_elsewhere``), not only in the pipeline. Until 2026-12 the API and
webhook processes kept SQLite's 1,000 pages; under the single-message load an API commit
checkpointed (and synced) about three times a second, holding the machine-wide write lock while
it did (strace: 10–11 ``fdatasync`` calls in 3 s per API process before, 2–3 after).
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from pathlib import Path

_log = logging.getLogger(__name__)

BACKGROUND_AUTOCHECKPOINT_PAGES = 20_000
"""Writers checkpoint themselves only past this many pages (80 MB of 4 KiB pages)."""

CHECKPOINT_INTERVAL = 1.0
"""Seconds between checkpoints. A checkpoint copies each page changed since the last one once,
however often it changed, and syncs the log and the database file: the pages every message
touches (the right edges of the id indexes, the account row, the report journal) are copied
once a second instead of four times. On the batch benchmark (20,000 messages, seven
interleaved pairs, 2026-12-06) 1 s instead of 0.25 s lowered the pipeline's CPU per message
by 7-54 µs and the whole platform's by 2-17 % in every pair. The log file grew no larger: with
either interval it reached 83 MB over that run, about the writers' own threshold above."""


class Checkpointer:
    """A daemon thread checkpointing ``database`` every ``interval`` seconds (see the module)."""

    def __init__(
        self,
        database: Path,
        interval: float = CHECKPOINT_INTERVAL,
        busy_timeout_ms: int = 10_000,
    ):
        self._database = database
        self._interval = interval
        self._busy_timeout_ms = busy_timeout_ms
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._run, name="parcelsms-checkpointer", daemon=True
        )
        self.checkpoints = 0

    def start(self) -> None:
        self._thread.start()

    def _run(self) -> None:
        connection = sqlite3.connect(self._database, isolation_level=None, check_same_thread=False)
        try:
            connection.execute(f"PRAGMA busy_timeout={int(self._busy_timeout_ms)}")
            while not self._stop.wait(self._interval):
                try:
                    connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
                    self.checkpoints += 1
                except sqlite3.Error as problem:  # busy or locked: the next round retries
                    _log.debug("checkpoint skipped", extra={"error": str(problem)})
        finally:
            connection.close()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()
