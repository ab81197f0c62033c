"""``parcelsms migrate``, ``parcelsms backup FILE`` and ``parcelsms restore FILE``.

Every process migrates the database at its start; ``migrate`` does it alone (an upgrade step
run once before the processes start). Backups: the work is in
:mod:`parcelsms.adapters.storage.engine.backups`; these commands pick the engine from
``[database] url``, refuse a restore while the platform runs, and remind the operator of what
a database copy does not hold: the pepper.
"""

from __future__ import annotations

import asyncio
import os
import socket
from pathlib import Path

import click

from parcelsms.adapters.process.wake_socket import wake_address
from parcelsms.adapters.storage.engine.backends import is_postgres_url
from parcelsms.adapters.storage.engine.backups import (
    BackupSummary,
    backup_sqlite,
    dump_postgres,
    restore_sqlite,
)
from parcelsms.adapters.storage.engine.migrate import head_revision
from parcelsms.adapters.storage.engine.migrate import migrate as migrate_database
from parcelsms.adapters.storage.engine.sqlite_engine import database_file
from parcelsms.bootstrap import pepper_source
from parcelsms.cli.settings_loader import config_option, load_settings
from parcelsms.errors import ConfigError, StorageError

_FILE = click.Path(dir_okay=False, path_type=Path)


@click.command("migrate")
@config_option
def migrate(config_path: str | None) -> None:
    """Bring the database to this version's schema, then stop (every process also does it at
    its start; run this once before starting the processes of an upgrade)."""
    settings = load_settings(config_path)
    try:
        revision = asyncio.run(migrate_database(settings.database.url))
    except (StorageError, ConfigError) as problem:
        raise click.ClickException(f"migration failed: {problem}") from None
    newest = "the newest" if revision == head_revision() else f"not {head_revision()}"
    click.echo(f"database schema at revision {revision} ({newest} this version knows)")


@click.command("backup")
@config_option
@click.option(
    "--pg-dump",
    "pg_dump",
    default=None,
    help="The pg_dump program to run on PostgreSQL (default: pg_dump on PATH).",
)
@click.argument("target", type=_FILE)
def backup(config_path: str | None, pg_dump: str | None, target: Path) -> None:
    """Write a consistent copy of the database to TARGET (a new file, mode 0600) while the
    platform runs.

    SQLite: an online copy (VACUUM INTO), checked with PRAGMA integrity_check before it
    takes TARGET's name. PostgreSQL: pg_dump --format=custom, restored with pg_restore.
    The pepper is not in the copy: keep it apart (the output says where it is).
    """
    settings = load_settings(config_path)
    url = settings.database.url
    try:
        if is_postgres_url(url):
            summary = dump_postgres(url, target, pg_dump=pg_dump)
        else:
            summary = backup_sqlite(url, target)
    except (StorageError, ConfigError) as problem:
        raise click.ClickException(str(problem)) from None
    click.echo(_described(summary))
    click.echo(
        f"Not in the copy: the pepper, from {pepper_source(settings, os.environ)}. Keep it "
        "apart from the backups; without it no API key works after a restore."
    )


@click.command("restore")
@config_option
@click.argument("copy", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def restore(config_path: str | None, copy: Path) -> None:
    """Put the SQLite backup COPY in place of the database; stop the platform first.

    COPY is checked first (PRAGMA integrity_check, a schema revision this version knows);
    the database it replaces is moved aside with its -wal/-shm files, never deleted. The next
    start migrates it as usual. PostgreSQL: restore a dump with pg_restore (the error says how).
    """
    settings = load_settings(config_path)
    url = settings.database.url
    if is_postgres_url(url):
        raise click.ClickException(
            "on PostgreSQL, restore a dump with pg_restore into an empty database: "
            f"createdb NAME && pg_restore --no-owner --dbname NAME {copy} "
            "(docs/deployment.md, Backups)"
        )
    try:
        database = database_file(url)
        if _pipeline_running(database):
            raise click.ClickException(
                "a parcelsms pipeline process is running on this database: stop the platform "
                "(every process) before a restore"
            )
        aside = restore_sqlite(url, copy)
    except (StorageError, ConfigError) as problem:
        raise click.ClickException(str(problem)) from None
    click.echo(f"restored {copy} to {database}")
    if aside is not None:
        click.echo(f"the database it replaced is kept as {aside}")
    click.echo(
        f"The API keys work with the pepper they were made under (this configuration: "
        f"{pepper_source(settings, os.environ)})."
    )


def _pipeline_running(database: Path) -> bool:
    """Whether a pipeline holds the database's wake-up address (see ``wake_socket``)."""
    address = wake_address(database)
    if address is None:
        return False
    probe = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    try:
        probe.bind(address)
    except OSError:
        return True
    finally:
        probe.close()
    return False


def _described(summary: BackupSummary) -> str:
    size = f"{summary.size / 1_000_000:.1f} MB"
    revision = f", schema revision {summary.revision}" if summary.revision else ""
    return f"backed up to {summary.path} ({size}{revision}, checked) in {summary.seconds:.1f} s"
