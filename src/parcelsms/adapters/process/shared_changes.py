"""A change epoch shared by every process on one SQLite database: an 8-byte mapped file.

Implements :class:`~parcelsms.pipeline.ttl_cache.ChangeSignal`. The file lives beside the
database (``<database>.changes``, mode 0600). Reading the epoch is a read of mapped memory
(no system call), which is what lets every cache lookup check it. Announcing writes eight
random bytes: two processes announcing at once leave one of their values, and either differs
from what the readers saw before, so no lock is needed and no change is missed.

Why a mapped file and not the database: SQLite's ``PRAGMA data_version`` moves on every commit
of any other connection — under load that is hundreds of times a second — and a table read
per lookup would cost a query per request. PostgreSQL deployments use ``LISTEN/NOTIFY``
instead (the same :class:`ChangeSignal` port).
"""

from __future__ import annotations

import mmap
import os
from pathlib import Path

_SIZE = 8


class SharedChangeFile:
    """The change epoch of the database at ``database_path`` (see the module)."""

    def __init__(self, database_path: Path) -> None:
        self.path = Path(f"{database_path}.changes")
        descriptor = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            if os.fstat(descriptor).st_size < _SIZE:
                os.pwrite(descriptor, os.urandom(_SIZE), 0)
            self._map = mmap.mmap(descriptor, _SIZE)
        finally:
            os.close(descriptor)  # the mapping keeps the file open
        # The epoch as one 8-byte integer of the mapping: reading it makes no bytes object
        # (every cache lookup reads it: 0.45 µs sliced and converted, 0.1 µs this way).
        self._epoch = memoryview(self._map).cast("Q")

    def current(self) -> int:
        return int(self._epoch[0])

    def announce(self) -> None:
        self._map[:_SIZE] = os.urandom(_SIZE)

    def close(self) -> None:
        self._epoch.release()  # a mapping with a view on it cannot close
        self._map.close()
