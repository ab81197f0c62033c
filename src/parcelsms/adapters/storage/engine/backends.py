"""The database URL picks the engine: SQLite (a file, the default) or PostgreSQL.

Everything above the engine is the same on both: the rooms' Core statements, the batching
writer, the :class:`~.database.ThreadedDatabase`. What differs — connection set-up, how
writers take turns, where the change and wake-up signals travel — is chosen here and in
``bootstrap`` from the URL alone.
"""

from __future__ import annotations

from sqlalchemy.engine import URL, Engine

from parcelsms.adapters.storage.engine.database import Database
from parcelsms.adapters.storage.engine.postgres_engine import (
    PostgresSettings,
    create_postgres_engine,
    is_postgres_url,
    open_postgres_database,
    postgres_url,
)
from parcelsms.adapters.storage.engine.sqlite_engine import (
    DEFAULT_SQLITE_SETTINGS,
    SqliteSettings,
    create_sqlite_engine,
    open_sqlite_database,
    sqlite_url,
)

__all__ = ["is_postgres_url", "migration_engine", "normalised_url", "open_database"]


def normalised_url(url: str | URL) -> URL:
    """``url`` on the driver parcelsms uses for its engine (pysqlite or psycopg)."""
    return postgres_url(url) if is_postgres_url(url) else sqlite_url(url)


def open_database(url: str | URL, settings: SqliteSettings = DEFAULT_SQLITE_SETTINGS) -> Database:
    """The writer and reader pool for ``url`` (``settings.readers`` sizes either pool)."""
    if is_postgres_url(url):
        return open_postgres_database(url, PostgresSettings(readers=settings.readers))
    return open_sqlite_database(url, settings)


def migration_engine(url: str | URL, settings: SqliteSettings = DEFAULT_SQLITE_SETTINGS) -> Engine:
    """An engine whose transactions exclude every other writer (migrations run in one)."""
    if is_postgres_url(url):
        return create_postgres_engine(url, serialise_writers=True)
    return create_sqlite_engine(url, settings, begin="IMMEDIATE")
