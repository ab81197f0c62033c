"""PostgreSQL connections (psycopg 3): the writer, the readers and their transactions.

The storage code is the same as on SQLite — synchronous Core functions run by a
:class:`~.database.ThreadedDatabase` — so the writer is one pooled connection driven by the
writer thread and the readers a small pool.

Writers take turns. On SQLite the database lets one writer in at a time (``BEGIN IMMEDIATE``
and the machine-wide :mod:`.write_lock`), and the rooms' read-then-write operations (reserve a
balance, count a recipient's daily messages, settle a receipt) rely on it. On PostgreSQL each
writer transaction takes the transaction-scoped advisory lock :data:`WRITER_LOCK_KEY` first,
so that guarantee holds unchanged across the processes — and machines — sharing the
database; the lock goes with the commit or rollback, and with a dead connection. Claims of
queued work additionally use ``FOR UPDATE SKIP LOCKED`` (see :mod:`.dialects`), so they stay
correct where a writer does not serialise. Readers run ``READ COMMITTED`` and never wait for
the writer.

Connections speak UTC (``timezone=UTC``), so times come back in the zone they went in as.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import msgspec
from sqlalchemy import create_engine, event
from sqlalchemy.engine import URL, Connection, Engine, make_url

from parcelsms.adapters.storage.engine.database import Database, ThreadedDatabase
from parcelsms.errors import ConfigError

WRITER_LOCK_KEY = 0x70617263  # "parc": the one advisory lock writers take turns on


@dataclass(frozen=True, slots=True)
class PostgresSettings:
    """Tuning of the PostgreSQL connections: ``readers`` is the read pool's size,
    ``connect_timeout_s`` how long a connection attempt may take."""

    readers: int = 4
    connect_timeout_s: int = 10


DEFAULT_POSTGRES_SETTINGS = PostgresSettings()


def is_postgres_url(url: str | URL) -> bool:
    """Whether ``url`` names a PostgreSQL database (any driver, or ``postgres://``)."""
    text = url if isinstance(url, str) else url.drivername
    return text.startswith(("postgresql", "postgres:", "postgres+"))


def postgres_url(url: str | URL) -> URL:
    """``url`` on the psycopg 3 driver; ``postgres://`` and other drivers are read the same.

    Raises ``ConfigError`` (key ``database.url``) for a URL that is not PostgreSQL's or names
    no database.
    """
    if isinstance(url, str) and url.startswith("postgres:"):
        url = "postgresql:" + url.removeprefix("postgres:")
    parsed = make_url(url)
    if parsed.get_backend_name() != "postgresql":
        raise ConfigError(f"not a PostgreSQL URL: {parsed.render_as_string()}", key="database.url")
    if not parsed.database:
        raise ConfigError("the PostgreSQL URL names no database", key="database.url")
    return parsed.set(drivername="postgresql+psycopg")


def _json_serializer(value: Any) -> str:
    return msgspec.json.encode(value).decode("utf-8")


def _json_deserializer(text: str | bytes) -> Any:
    return msgspec.json.decode(text)


def create_postgres_engine(
    url: str | URL,
    settings: PostgresSettings = DEFAULT_POSTGRES_SETTINGS,
    *,
    pool_size: int = 1,
    serialise_writers: bool = False,
) -> Engine:
    """A synchronous (psycopg 3) engine; with ``serialise_writers`` every transaction first
    takes the writers' advisory lock (see the module)."""
    engine = create_engine(
        postgres_url(url),
        pool_size=pool_size,
        max_overflow=0,
        pool_pre_ping=True,
        json_serializer=_json_serializer,
        json_deserializer=_json_deserializer,
        connect_args={
            "connect_timeout": settings.connect_timeout_s,
            "options": "-c timezone=UTC",
            "application_name": "parcelsms",
        },
    )
    if serialise_writers:
        _serialise_transactions(engine)
    return engine


def _serialise_transactions(engine: Engine) -> None:
    lock = f"SELECT pg_advisory_xact_lock({WRITER_LOCK_KEY})"

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        connection.exec_driver_sql(lock)


def open_postgres_database(
    url: str | URL, settings: PostgresSettings = DEFAULT_POSTGRES_SETTINGS
) -> Database:
    """The writer (one connection, serialised with other writers) and reader pool."""
    readers = max(1, settings.readers)
    return ThreadedDatabase(
        writer=create_postgres_engine(url, settings, pool_size=1, serialise_writers=True),
        reader=create_postgres_engine(url, settings, pool_size=readers),
        readers=readers,
    )


def libpq_conninfo(url: str | URL) -> str:
    """``url`` as libpq reads it (``postgresql://…``), for connections outside SQLAlchemy."""
    return postgres_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
