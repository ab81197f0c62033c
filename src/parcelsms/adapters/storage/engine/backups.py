"""Copies of the database that can be restored: an online SQLite copy, a PostgreSQL dump.

SQLite: :func:`backup_sqlite` writes a consistent copy while the platform runs. ``VACUUM INTO``
reads the database in one read transaction — in WAL mode readers never block the writers, and
the copy is the database as of one commit, whatever commits follow while it is written. The
copy goes to a temporary file beside the target, created owner-only (0600: it holds webhook
secrets, numbers and texts), is synced, checked (``PRAGMA integrity_check`` and its schema
revision), and only then renamed to the target, so a target name never holds half a backup.

:func:`restore_sqlite` puts such a copy in place of a stopped platform's database: it checks
the copy first (integrity, a schema revision this version knows), moves the current database
and its ``-wal``/``-shm`` files aside (a WAL left beside a restored file would be replayed onto
it), and renames the copy in. The platform migrates it at the next start as usual.

PostgreSQL: :func:`dump_postgres` runs ``pg_dump --format=custom`` (the server's own tool knows
how to take a consistent snapshot of a live database) and checks the archive with
``pg_restore --list``. Restoring is ``pg_restore`` into an empty database (docs/deployment.md).

Every failure is a :class:`~parcelsms.errors.StorageError` saying what to do.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sqlite3
import subprocess
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.engine import URL

from parcelsms.adapters.storage.engine.migrate import alembic_config
from parcelsms.adapters.storage.engine.postgres_engine import postgres_url
from parcelsms.adapters.storage.engine.sqlite_engine import database_file
from parcelsms.errors import StorageError

_COMPANIONS = ("-wal", "-shm")


@dataclass(frozen=True, slots=True)
class BackupSummary:
    """What was written: the file, its size in bytes, the schema revision it holds (``None``
    when the dump format does not say), and how long it took in seconds."""

    path: Path
    size: int
    revision: str | None
    seconds: float


@dataclass(frozen=True, slots=True)
class CopyCheck:
    """A SQLite copy examined: ``integrity`` is ``"ok"`` or SQLite's first complaints;
    ``revision`` the schema revision stored in it (``None``: not a parcelsms database)."""

    integrity: str
    revision: str | None


def backup_sqlite(url: str | URL, target: Path) -> BackupSummary:
    """Write a consistent, checked copy of the SQLite database of ``url`` to ``target``.

    Safe while every process of the platform runs. Raises ``StorageError`` when ``target``
    exists, the database cannot be read, or the copy fails its check (nothing is left at
    ``target`` then).
    """
    source = database_file(url)
    if not source.exists():
        raise StorageError(f"no database at {source}")
    target = target.resolve()
    if target.exists():
        raise StorageError(f"{target} exists: name a new file (a date in the name helps)")
    started = time.monotonic()
    with _private_temporary(target) as temporary:
        try:
            connection = sqlite3.connect(source, isolation_level=None)
            try:
                connection.execute("PRAGMA busy_timeout=10000")
                connection.execute("VACUUM INTO ?", (str(temporary),))
            finally:
                connection.close()
        except sqlite3.Error as problem:
            raise StorageError(f"could not copy {source}: {problem}") from problem
        check = check_sqlite_copy(temporary)
        if check.integrity != "ok":
            raise StorageError(f"the copy failed its integrity check: {check.integrity}")
        _sync(temporary)
        os.replace(temporary, target)
    _sync_directory(target.parent)
    return BackupSummary(target, target.stat().st_size, check.revision, time.monotonic() - started)


def check_sqlite_copy(path: Path) -> CopyCheck:
    """``PRAGMA integrity_check`` and the schema revision of the SQLite file at ``path``,
    opened read-only. Raises ``StorageError`` when it is not a SQLite database at all."""
    try:
        connection = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        try:
            findings = [row[0] for row in connection.execute("PRAGMA integrity_check(20)")]
            has_version = connection.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'alembic_version'"
            ).fetchone()
            row = (
                connection.execute("SELECT version_num FROM alembic_version").fetchone()
                if has_version
                else None
            )
        finally:
            connection.close()
    except sqlite3.Error as problem:
        raise StorageError(f"{path} is not a readable SQLite database: {problem}") from problem
    return CopyCheck("; ".join(findings), row[0] if row else None)


def restore_sqlite(url: str | URL, copy: Path, *, now: datetime | None = None) -> Path | None:
    """Put the SQLite file ``copy`` in place of the database of ``url``; the platform must be
    stopped. Returns where the replaced database was moved (``None``: there was none).

    Raises ``StorageError`` — changing nothing — when the copy fails its integrity check,
    holds no parcelsms schema, or a schema revision this version does not know (a newer
    parcelsms made it).
    """
    copy = copy.resolve()
    if not copy.is_file():
        raise StorageError(f"no file at {copy}")
    check = check_sqlite_copy(copy)
    if check.integrity != "ok":
        raise StorageError(f"{copy} failed its integrity check: {check.integrity}")
    if check.revision is None:
        raise StorageError(f"{copy} holds no parcelsms database (no schema revision)")
    if not _known_revision(check.revision):
        raise StorageError(
            f"{copy} has schema revision {check.revision}, unknown to this version of "
            "parcelsms: restore it with the version that wrote it (or a newer one)"
        )
    target = database_file(url)
    target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    with _private_temporary(target) as temporary:
        shutil.copyfile(copy, temporary)
        _sync(temporary)
        aside = _move_aside(target, now or datetime.now(UTC))
        os.replace(temporary, target)
    _sync_directory(target.parent)
    return aside


def dump_postgres(
    url: str | URL,
    target: Path,
    *,
    pg_dump: str | None = None,
    environ: Mapping[str, str] | None = None,
) -> BackupSummary:
    """``pg_dump --format=custom`` of the PostgreSQL database of ``url`` into ``target``,
    checked with ``pg_restore --list``. ``pg_dump`` names the program (default: the one on
    ``PATH``). Raises ``StorageError`` when it is missing or fails (with its message)."""
    program = pg_dump or shutil.which("pg_dump")
    if program is None:
        raise StorageError(
            "pg_dump not found: install PostgreSQL's client programs (the server's major "
            "version or newer) or run `pg_dump --format=custom` yourself"
        )
    target = target.resolve()
    if target.exists():
        raise StorageError(f"{target} exists: name a new file (a date in the name helps)")
    parsed = postgres_url(url)
    # The password travels in the environment, never on a command line others can read.
    environment = dict(os.environ if environ is None else environ)
    if parsed.password is not None:
        environment["PGPASSWORD"] = str(parsed.password)
    conninfo = parsed.set(drivername="postgresql", password=None).render_as_string()
    restore_lister = str(Path(program).with_name("pg_restore"))
    if not Path(restore_lister).exists():
        restore_lister = shutil.which("pg_restore") or "pg_restore"
    started = time.monotonic()
    with _private_temporary(target) as temporary:
        _run(
            [program, "--format=custom", f"--file={temporary}", f"--dbname={conninfo}"], environment
        )
        listing = _run([restore_lister, "--list", str(temporary)], environment)
        if "alembic_version" not in listing:
            raise StorageError("the dump holds no parcelsms schema (no alembic_version table)")
        _sync(temporary)
        os.replace(temporary, target)
    _sync_directory(target.parent)
    return BackupSummary(target, target.stat().st_size, None, time.monotonic() - started)


def _run(command: list[str], environment: dict[str, str]) -> str:
    try:
        # The operator's own pg_dump/pg_restore with arguments built here, no shell.
        done = subprocess.run(  # noqa: S603
            command, env=environment, capture_output=True, text=True, check=False, umask=0o077
        )
    except OSError as problem:
        raise StorageError(f"could not run {command[0]}: {problem}") from problem
    if done.returncode != 0:
        raise StorageError(f"{Path(command[0]).name} failed: {done.stderr.strip()}")
    return done.stdout


def _known_revision(revision: str) -> bool:
    from alembic.script import ScriptDirectory

    scripts = ScriptDirectory.from_config(alembic_config())
    return any(script.revision == revision for script in scripts.walk_revisions())


@contextlib.contextmanager
def _private_temporary(target: Path) -> Iterator[Path]:
    """An empty owner-only file beside ``target``, removed unless renamed away."""
    temporary = target.with_name(f".{target.name}.{os.getpid()}.partial")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    os.close(descriptor)
    try:
        yield temporary
    finally:
        with contextlib.suppress(FileNotFoundError):
            temporary.unlink()


def _move_aside(database: Path, now: datetime) -> Path | None:
    """Rename ``database`` and its WAL files to ``<name>.replaced-<UTC time>``."""
    if not database.exists():
        for suffix in _COMPANIONS:
            with contextlib.suppress(FileNotFoundError):
                database.with_name(database.name + suffix).unlink()
        return None
    aside = database.with_name(f"{database.name}.replaced-{now:%Y%m%dT%H%M%SZ}")
    for suffix in _COMPANIONS:
        companion = database.with_name(database.name + suffix)
        if companion.exists():
            os.replace(companion, aside.with_name(aside.name + suffix))
    os.replace(database, aside)
    return aside


def _sync(path: Path) -> None:
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _sync_directory(directory: Path) -> None:
    with contextlib.suppress(OSError):  # not every file system syncs directories
        _sync(directory)
