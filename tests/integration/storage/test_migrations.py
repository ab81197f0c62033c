"""Migrations create exactly the schema the code declares, once, with SQLite's pragmas."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from parcelsms.adapters.storage.engine.database import ThreadedDatabase
from parcelsms.adapters.storage.engine.migrate import head_revision, migrate
from parcelsms.adapters.storage.engine.schema.all_tables import declared_metadata
from parcelsms.adapters.storage.engine.sqlite_engine import (
    create_sqlite_engine,
    open_sqlite_database,
)
from parcelsms.errors import ConfigError, StorageError


async def test_migrating_an_empty_file_reaches_the_head_revision(database_url: str) -> None:
    assert await migrate(database_url) == head_revision()


async def test_migrated_schema_matches_the_declared_tables(database_url: str) -> None:
    await migrate(database_url)
    engine = create_sqlite_engine(database_url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(
                connection, opts={"compare_type": True, "render_as_batch": True}
            )
            differences = compare_metadata(context, declared_metadata())
    finally:
        engine.dispose()
    assert differences == []


async def test_migrating_twice_changes_nothing(database_url: str, tmp_path: Path) -> None:
    await migrate(database_url)
    before = _schema(tmp_path / "parcelsms.db")
    assert await migrate(database_url) == head_revision()
    assert _schema(tmp_path / "parcelsms.db") == before


async def test_database_is_in_wal_mode_after_migrating(database_url: str, tmp_path: Path) -> None:
    await migrate(database_url)
    with sqlite3.connect(tmp_path / "parcelsms.db") as connection:
        (mode,) = connection.execute("PRAGMA journal_mode").fetchone()
    assert mode == "wal"


@pytest.mark.parametrize("url", ["sqlite://", "sqlite:///:memory:", "postgresql://h/db"])
async def test_unusable_urls_are_configuration_errors(url: str) -> None:
    with pytest.raises(ConfigError) as caught:
        await migrate(url)
    assert caught.value.key == "database.url"


async def test_unreadable_database_is_a_storage_error(tmp_path: Path) -> None:
    (tmp_path / "not-a-db").write_bytes(b"this is not an SQLite file" * 100)
    with pytest.raises(StorageError):
        await migrate(f"sqlite:///{tmp_path / 'not-a-db'}")


def _schema(path: Path) -> list[tuple[str, str]]:
    with sqlite3.connect(path) as connection:
        return connection.execute(
            "SELECT name, sql FROM sqlite_master WHERE sql IS NOT NULL ORDER BY name"
        ).fetchall()


async def test_an_aiosqlite_url_opens_the_same_file_through_the_threaded_executor(
    tmp_path: Path,
) -> None:
    path = tmp_path / "older-config.db"
    assert await migrate(f"sqlite+aiosqlite:///{path}") == head_revision()
    database = open_sqlite_database(f"sqlite+aiosqlite:///{path}")
    try:
        assert isinstance(database, ThreadedDatabase)
        revision = await database.read(
            lambda connection: connection.exec_driver_sql(
                "SELECT version_num FROM alembic_version"
            ).scalar_one()
        )
        assert revision == head_revision()
    finally:
        await database.close()
