"""Which signals the processes of one platform use, chosen by the database URL.

SQLite: every process is on one machine, and finds the others through the database file — a
mapped change epoch beside it and an abstract unix socket named after it. PostgreSQL: the
processes may be on several machines, and the database server carries both signals
(``LISTEN/NOTIFY``). See :mod:`parcelsms.adapters.process`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from parcelsms.adapters.process.shared_changes import SharedChangeFile
from parcelsms.adapters.process.signal_shapes import Doorbell, DoorbellListener, SharedChanges
from parcelsms.adapters.process.wake_socket import WakeListener, WakeSender, wake_address
from parcelsms.adapters.storage.engine.postgres_engine import is_postgres_url, libpq_conninfo
from parcelsms.adapters.storage.engine.sqlite_engine import database_file
from parcelsms.config import Settings

ListenerFactory = Callable[[Callable[[], None]], DoorbellListener]


@dataclass(frozen=True, slots=True)
class CrossProcessSignals:
    """The change epoch (open), and how to make the doorbell and its listener."""

    changes: SharedChanges
    doorbell: Callable[[], Doorbell]
    listener: ListenerFactory


def cross_process_signals(settings: Settings) -> CrossProcessSignals:
    """The signals for the configured database (see the module)."""
    url = settings.database.url
    if is_postgres_url(url):
        # Imported here: psycopg is the optional ``postgres`` extra, absent on SQLite installs.
        from parcelsms.adapters.process.postgres_notify import (
            NotifiedChanges,
            NotifyListener,
            NotifySender,
        )

        conninfo = libpq_conninfo(url)
        return CrossProcessSignals(
            changes=NotifiedChanges(conninfo),
            doorbell=lambda: NotifySender(conninfo),
            listener=lambda on_ring: NotifyListener(conninfo, on_ring),
        )
    path = database_file(url)
    address = wake_address(path)
    return CrossProcessSignals(
        changes=SharedChangeFile(path),
        doorbell=lambda: WakeSender(address),
        listener=lambda on_ring: WakeListener(address, on_ring),
    )


def announce_change(settings: Settings) -> None:
    """Tell the running platform's processes that something they may cache has changed
    (a CLI command wrote to the database), so their caches read it again at once."""
    changes = cross_process_signals(settings).changes
    changes.announce()
    changes.close()
