"""Bring a database to the newest schema; called at every start.

Migrations run in one transaction that excludes every other writer (``BEGIN IMMEDIATE`` on
SQLite, the writers' advisory lock on PostgreSQL): two processes starting at once are
serialised, and the second finds the schema current. A failed migration leaves the database
as it was (DDL is transactional on both engines).

Every ``serve`` process migrates as it starts, and all but the first find the schema
current. They learn that from the ``alembic_version`` row alone (:data:`HEAD_REVISION`):
Alembic and the migration scripts are imported only when there is something to do, which
keeps about 10 MB out of each API, pipeline and webhook process.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING, Final

from sqlalchemy.engine import URL, Connection, Engine
from sqlalchemy.exc import DBAPIError

from parcelsms.adapters.storage.engine.backends import migration_engine, normalised_url
from parcelsms.adapters.storage.engine.batching_writer import translate_exception
from parcelsms.adapters.storage.engine.sqlite_engine import (
    DEFAULT_SQLITE_SETTINGS,
    SqliteSettings,
)

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).with_name("migrations")

HEAD_REVISION: Final = "0023"
"""The newest revision in ``migrations/versions``: bump it with every new migration (a test
compares it with Alembic's head)."""


def alembic_config(url: str | URL | None = None) -> Config:
    """An Alembic configuration pointing at the packaged migrations."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    if url is not None:
        rendered = normalised_url(url).render_as_string(hide_password=False)
        config.set_main_option("sqlalchemy.url", rendered.replace("%", "%%"))
    return config


def head_revision() -> str:
    """The newest revision shipped with this version."""
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    if head is None:
        raise RuntimeError("no migrations are packaged")
    return head


async def migrate(url: str | URL, settings: SqliteSettings = DEFAULT_SQLITE_SETTINGS) -> str:
    """Upgrade the database at ``url`` to the newest revision; returns that revision.

    Raises ``StorageError`` when the database cannot be opened or migrated, ``ConfigError``
    for a URL that is neither a file SQLite database nor a PostgreSQL one.
    """
    try:
        return await asyncio.to_thread(migrate_blocking, url, settings)
    except Exception as exc:
        raise translate_exception(exc) from exc


def migrate_blocking(url: str | URL, settings: SqliteSettings = DEFAULT_SQLITE_SETTINGS) -> str:
    """:func:`migrate` for code without an event loop (it blocks)."""
    engine = migration_engine(url, settings)
    try:
        if _recorded_revision(engine) == HEAD_REVISION:
            return HEAD_REVISION
        from alembic import command

        config = alembic_config(url)
        with engine.connect() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
            connection.commit()
            revision = _current_revision(connection)
    finally:
        engine.dispose()
    if revision is None:
        raise RuntimeError("the database has no revision after migrating")
    return revision


def _current_revision(connection: Connection) -> str | None:
    from alembic.runtime.migration import MigrationContext

    return MigrationContext.configure(connection).get_current_revision()


def _recorded_revision(engine: Engine) -> str | None:
    """The revision the database records, read without Alembic; ``None`` when it records
    none (a new database) or cannot be read — then Alembic looks for itself."""
    try:
        with engine.connect() as connection:
            rows = connection.exec_driver_sql("SELECT version_num FROM alembic_version").all()
    except DBAPIError:
        return None
    return str(rows[0][0]) if len(rows) == 1 else None
