"""SQLite connections: pragmas, transactions, and the :class:`Database` that runs them.

Durability: the database runs in WAL mode with ``synchronous=NORMAL`` by default. A commit is
then safe against a crash of the process (``kill -9``) — the WAL is in the OS's hands — but the
last transactions before a power loss or kernel panic may be lost. ``synchronous="FULL"``
makes every commit survive power loss at the price of an fsync per commit (the batching writer
keeps that to one fsync per group).

SQLite allows one writer at a time. All writes go through the writer's one connection, which
opens its transactions with ``BEGIN IMMEDIATE`` so it takes the write lock up front instead of
failing half-way with ``SQLITE_BUSY`` when another process (a CLI command) wrote meanwhile.
Readers use their own connections (``BEGIN DEFERRED``): under WAL they never block the
writer nor wait for it.

Permissions: the database holds webhook secrets, phone numbers and message texts, so a new
database file is created owner-only (0600) and its directory 0700 when it is created too
(:func:`create_private_database_file`). SQLite gives the ``-wal``, ``-shm`` and ``-journal``
files it creates later the database file's permission bits, so they are 0600 as well.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import msgspec
from sqlalchemy import create_engine, event
from sqlalchemy.engine import URL, Connection, Engine, make_url

from parcelsms.adapters.storage.engine.checkpointer import (
    BACKGROUND_AUTOCHECKPOINT_PAGES,
    Checkpointer,
)
from parcelsms.adapters.storage.engine.database import Database, ThreadedDatabase
from parcelsms.adapters.storage.engine.driver_queries import execute_on_driver
from parcelsms.adapters.storage.engine.write_lock import ProcessWriteLock
from parcelsms.adapters.storage.engine.write_statistics import write_statistics
from parcelsms.errors import ConfigError

Synchronous = Literal["NORMAL", "FULL"]
Begin = Literal["IMMEDIATE", "DEFERRED"]


@dataclass(frozen=True, slots=True)
class SqliteSettings:
    """Tuning of the SQLite connections.

    ``busy_timeout_ms``: how long a connection waits for another process's write lock
    before failing. ``readers``: size of the read pool.
    """

    synchronous: Synchronous = "NORMAL"
    busy_timeout_ms: int = 10_000
    readers: int = 4
    cache_size_kib: int = 32_768
    background_checkpoint: bool = False
    """Checkpoint the WAL from a thread of this process, not from inside commits
    (:mod:`.checkpointer`); one process per database does (the pipeline)."""
    checkpointed_elsewhere: bool = False
    """Another process of the platform checkpoints this database (the pipeline): this one's
    commits leave the WAL to it, as the checkpointing process's own commits do."""


DEFAULT_SQLITE_SETTINGS = SqliteSettings()


def sqlite_url(url: str | URL, driver: str = "pysqlite") -> URL:
    """Normalise a SQLite URL to ``driver``; refuse in-memory databases.

    Any SQLite driver named in the URL is replaced: ``sqlite+aiosqlite:///x.db`` (the form
    older configurations use) opens the same file through the threaded executor.

    Raises ``ConfigError`` (key ``database.url``) for a non-SQLite or in-memory URL: the
    writer and the readers must share one database, which only a file gives them.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        raise ConfigError(f"not a SQLite URL: {parsed.render_as_string()}", key="database.url")
    database = parsed.database or ""
    if database in ("", ":memory:") or "mode=memory" in str(parsed):
        raise ConfigError("an in-memory SQLite database is not supported", key="database.url")
    return parsed.set(drivername=f"sqlite+{driver}")


def create_private_database_file(url: str | URL) -> None:
    """Create the SQLite file of ``url`` with mode 0600 (its directory 0700) when missing.

    An existing file keeps its mode: the operator may have chosen one (a backup group).
    Parent directories above the database's own are created with the default mode.
    """
    path = Path(sqlite_url(url).database or "")
    if path.exists():
        return
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return  # another process created it a moment ago
    os.close(descriptor)  # an empty file is an empty SQLite database


def _json_serializer(value: Any) -> str:
    return msgspec.json.encode(value).decode("utf-8")


def _json_deserializer(text: str | bytes) -> Any:
    return msgspec.json.decode(text)


def _install_listeners(engine: Engine, settings: SqliteSettings, begin: Begin) -> None:
    statistics = write_statistics() if begin == "IMMEDIATE" else None
    pragmas = (
        "PRAGMA journal_mode=WAL",
        f"PRAGMA synchronous={settings.synchronous}",
        f"PRAGMA busy_timeout={int(settings.busy_timeout_ms)}",
        "PRAGMA foreign_keys=ON",
        f"PRAGMA cache_size=-{int(settings.cache_size_kib)}",
        "PRAGMA temp_store=MEMORY",
        *(
            [f"PRAGMA wal_autocheckpoint={BACKGROUND_AUTOCHECKPOINT_PAGES}"]
            if settings.background_checkpoint or settings.checkpointed_elsewhere
            else []
        ),
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # sqlite3's own transaction handling begins transactions only before DML and
        # never for SELECT; we take over and emit BEGIN ourselves (SQLAlchemy's recipe).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        for pragma in pragmas:
            cursor.execute(pragma)
        cursor.close()
        if statistics is not None:
            statistics.watch(dbapi_connection)

    if statistics is not None:

        @event.listens_for(engine, "close")
        def _on_close(dbapi_connection: Any, _record: Any) -> None:
            statistics.closing(dbapi_connection)

    begin_statement = f"BEGIN {begin}"

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        # On the driver's connection: through exec_driver_sql (an execution context, a
        # cursor wrapper, a result) a transaction cost about 15 µs more, and the writer
        # begins hundreds a second. Errors are raised as SQLAlchemy's, as Core raises them.
        driver = connection.connection.driver_connection
        assert driver is not None  # a checked-out connection
        execute_on_driver(connection, driver, begin_statement)


def create_sqlite_engine(
    url: str | URL,
    settings: SqliteSettings = DEFAULT_SQLITE_SETTINGS,
    *,
    pool_size: int = 1,
    begin: Begin = "IMMEDIATE",
) -> Engine:
    """A synchronous (sqlite3) engine whose connections carry our pragmas."""
    create_private_database_file(url)
    engine = create_engine(
        sqlite_url(url, "pysqlite"),
        pool_size=pool_size,
        max_overflow=0,
        json_serializer=_json_serializer,
        json_deserializer=_json_deserializer,
        # Room for every statement text the writer repeats (multi-row statements add up to
        # nine per table) so SQLite parses each once per connection; sqlite3's default is 128.
        connect_args={"cached_statements": 512},
    )
    _install_listeners(engine, settings, begin)
    return engine


def open_sqlite_database(
    url: str | URL, settings: SqliteSettings = DEFAULT_SQLITE_SETTINGS
) -> Database:
    """The writer (``BEGIN IMMEDIATE``, one connection) and reader pool for ``url``."""
    readers = max(1, settings.readers)
    writer = create_sqlite_engine(url, settings, pool_size=1, begin="IMMEDIATE")
    checkpointer = None
    if settings.background_checkpoint:
        checkpointer = Checkpointer(database_file(url), busy_timeout_ms=settings.busy_timeout_ms)
        checkpointer.start()
    return ThreadedDatabase(
        writer=writer,
        reader=create_sqlite_engine(url, settings, pool_size=readers, begin="DEFERRED"),
        readers=readers,
        write_lock=ProcessWriteLock(database_file(url)),
        checkpointer=checkpointer,
    )


def database_file(url: str | URL) -> Path:
    """The absolute path of the SQLite file of ``url``."""
    return Path(sqlite_url(url).database or "").resolve()
