"""Migrations create exactly the schema the code declares, once, on SQLite (with its pragmas)
and on PostgreSQL; they go down to nothing and up again on both."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from parcelsms.adapters.storage.engine.backends import migration_engine
from parcelsms.adapters.storage.engine.database import ThreadedDatabase
from parcelsms.adapters.storage.engine.migrate import (
    HEAD_REVISION,
    alembic_config,
    head_revision,
    migrate,
)
from parcelsms.adapters.storage.engine.schema.all_tables import declared_metadata
from parcelsms.adapters.storage.engine.sqlite_engine import open_sqlite_database
from parcelsms.errors import ConfigError, StorageError


@pytest.fixture
def database_url(empty_database_url: str) -> str:
    """Migrations start from an empty database (the suite's own fixture gives migrated ones)."""
    return empty_database_url


async def test_migrating_an_empty_database_reaches_the_head_revision(database_url: str) -> None:
    assert await migrate(database_url) == head_revision()


async def test_migrated_schema_matches_the_declared_tables(database_url: str) -> None:
    await migrate(database_url)
    engine = migration_engine(database_url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(
                connection, opts={"compare_type": True, "render_as_batch": True}
            )
            differences = compare_metadata(context, declared_metadata())
    finally:
        engine.dispose()
    assert differences == []


async def test_migrating_twice_changes_nothing(database_url: str) -> None:
    await migrate(database_url)
    before = _schema(database_url)
    assert before  # the comparison below must compare something
    assert await migrate(database_url) == head_revision()
    assert _schema(database_url) == before


def _downgrade_to_base_and_upgrade_to_head(url: str) -> tuple[list[str], list[str]]:
    """Tables left after going down to ``base``, and tables after going up again."""
    engine = migration_engine(url)
    config = alembic_config(url)
    try:
        with engine.connect() as connection:
            config.attributes["connection"] = connection
            command.downgrade(config, "base")
            connection.commit()
            down = sorted(inspect(connection).get_table_names())
            command.upgrade(config, "head")
            connection.commit()
            up = sorted(inspect(connection).get_table_names())
    finally:
        engine.dispose()
    return down, up


async def test_every_migration_goes_down_to_base_and_up_again(database_url: str) -> None:
    await migrate(database_url)
    before = _schema(database_url)
    down, up = _downgrade_to_base_and_upgrade_to_head(database_url)
    assert down == ["alembic_version"]
    assert "messages" in up
    assert _schema(database_url) == before


async def test_database_is_in_wal_mode_after_migrating(database_url: str, tmp_path: Path) -> None:
    if database_url.startswith("postgresql"):
        pytest.skip("journal modes are SQLite's")
    await migrate(database_url)
    with closing(sqlite3.connect(tmp_path / "parcelsms.db")) as connection:
        (mode,) = connection.execute("PRAGMA journal_mode").fetchone()
    assert mode == "wal"


@pytest.mark.parametrize(
    "url", ["sqlite://", "sqlite:///:memory:", "postgresql://h", "mysql://h/db"]
)
async def test_unusable_urls_are_configuration_errors(url: str) -> None:
    with pytest.raises(ConfigError) as caught:
        await migrate(url)
    assert caught.value.key == "database.url"


async def test_unreadable_database_is_a_storage_error(tmp_path: Path) -> None:
    (tmp_path / "not-a-db").write_bytes(b"this is not an SQLite file" * 100)
    with pytest.raises(StorageError):
        await migrate(f"sqlite:///{tmp_path / 'not-a-db'}")


def _index_text(index: Any) -> str:
    """An index as text; a partial index's condition (a SQL clause object) by its SQL."""
    options = {key: str(value) for key, value in index.get("dialect_options", {}).items()}
    return repr({**index, "dialect_options": options})


def _schema(url: str) -> list[tuple[str, object]]:
    """Every table's columns, indexes, keys and checks, as the database reports them."""
    engine = migration_engine(url)
    try:
        with engine.connect() as connection:
            inspector = inspect(connection)
            return [
                (
                    table,
                    (
                        [
                            (c["name"], str(c["type"]), c["nullable"])
                            for c in inspector.get_columns(table)
                        ],
                        sorted(map(_index_text, inspector.get_indexes(table))),
                        sorted(map(repr, inspector.get_foreign_keys(table))),
                        sorted(map(repr, inspector.get_unique_constraints(table))),
                        sorted(map(repr, inspector.get_check_constraints(table))),
                        inspector.get_pk_constraint(table)["constrained_columns"],
                    ),
                )
                for table in sorted(inspector.get_table_names())
            ]
    finally:
        engine.dispose()


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


def test_the_head_revision_constant_is_alembics_head() -> None:
    assert head_revision() == HEAD_REVISION, "bump HEAD_REVISION with every new migration"


async def test_a_database_behind_the_head_is_migrated_to_it(database_url: str) -> None:
    """The revision read without Alembic only skips work when it is the head: a database
    left one revision behind is still brought up."""
    await migrate(database_url)
    engine = migration_engine(database_url)
    try:
        with engine.connect() as connection:
            command.downgrade(_with_connection(database_url, connection), "-1")
            connection.commit()
    finally:
        engine.dispose()
    assert _recorded(database_url) != HEAD_REVISION
    assert await migrate(database_url) == HEAD_REVISION
    assert _recorded(database_url) == HEAD_REVISION


def _with_connection(url: str, connection: Any) -> Any:
    config = alembic_config(url)
    config.attributes["connection"] = connection
    return config


def _recorded(url: str) -> str:
    engine = migration_engine(url)
    try:
        with engine.connect() as connection:
            return str(
                connection.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()
            )
    finally:
        engine.dispose()


def test_a_process_opening_a_current_database_does_not_import_alembic(tmp_path: Path) -> None:
    """Every serve process migrates at start; those that find the schema current leave
    Alembic and the migration scripts unimported (about 10 MB each)."""
    url = f"sqlite:///{tmp_path / 'current.db'}"
    program = (
        "import sys\n"
        "from parcelsms.adapters.storage.engine.migrate import migrate_blocking\n"
        f"print(migrate_blocking({url!r}))\n"
        "print('alembic' in sys.modules)\n"
    )
    first = subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True, check=True
    )
    assert first.stdout.split() == [HEAD_REVISION, "True"]  # a new database: Alembic ran
    again = subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True, check=True
    )
    assert again.stdout.split() == [HEAD_REVISION, "False"]
