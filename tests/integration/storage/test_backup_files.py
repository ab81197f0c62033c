"""The backup and restore of a SQLite database file: what they refuse, and what they leave
behind. (The whole round trip through a running platform: tests/e2e/test_backup_and_restore.py.)"""

from __future__ import annotations

import contextlib
import sqlite3
import stat
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from parcelsms.adapters.storage.engine.backups import (
    backup_sqlite,
    check_sqlite_copy,
    dump_postgres,
    restore_sqlite,
)
from parcelsms.adapters.storage.engine.migrate import head_revision, migrate_blocking
from parcelsms.cli.main import main
from parcelsms.errors import StorageError

NOW = datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC)


def _database(path: Path, note: str) -> str:
    """A migrated database at ``path`` holding ``note`` in a table of its own."""
    url = f"sqlite:///{path}"
    migrate_blocking(url)
    with contextlib.closing(sqlite3.connect(path)) as database:
        database.execute("CREATE TABLE note (text TEXT)")
        database.execute("INSERT INTO note VALUES (?)", (note,))
        database.commit()
    return url


def _note(path: Path) -> str:
    with contextlib.closing(sqlite3.connect(path)) as database:
        text: str = database.execute("SELECT text FROM note").fetchone()[0]
        return text


def test_a_backup_is_an_owner_only_checked_copy_with_the_schema_revision(tmp_path: Path) -> None:
    url = _database(tmp_path / "parcelsms.db", "live")

    summary = backup_sqlite(url, tmp_path / "copy.db")

    assert summary.revision == head_revision()
    assert stat.S_IMODE((tmp_path / "copy.db").stat().st_mode) == 0o600
    assert check_sqlite_copy(tmp_path / "copy.db").integrity == "ok"
    assert _note(tmp_path / "copy.db") == "live"


def test_a_backup_never_overwrites_a_file_and_leaves_no_partial_copy(tmp_path: Path) -> None:
    url = _database(tmp_path / "parcelsms.db", "live")
    (tmp_path / "copy.db").write_text("yesterday's")

    with pytest.raises(StorageError, match="exists"):
        backup_sqlite(url, tmp_path / "copy.db")

    assert (tmp_path / "copy.db").read_text() == "yesterday's"
    assert sorted(p.name for p in tmp_path.glob(".*partial")) == []


def test_a_backup_holds_commits_still_in_the_write_ahead_log(tmp_path: Path) -> None:
    path = tmp_path / "parcelsms.db"
    url = _database(path, "old")
    with contextlib.closing(sqlite3.connect(path)) as writer:
        writer.execute("PRAGMA journal_mode=WAL")
        writer.execute("PRAGMA wal_autocheckpoint=0")
        writer.execute("UPDATE note SET text = 'in the log'")
        writer.commit()
        assert (tmp_path / "parcelsms.db-wal").stat().st_size > 0

        backup_sqlite(url, tmp_path / "copy.db")

    assert _note(tmp_path / "copy.db") == "in the log"


def test_a_restore_moves_the_replaced_database_aside_with_its_log_files(tmp_path: Path) -> None:
    copy_url = _database(tmp_path / "source.db", "restored")
    backup_sqlite(copy_url, tmp_path / "copy.db")
    live = tmp_path / "live"
    live.mkdir()
    url = _database(live / "parcelsms.db", "replaced")
    (live / "parcelsms.db-wal").write_bytes(b"a stale log")
    (live / "parcelsms.db-shm").write_bytes(b"stale")

    aside = restore_sqlite(url, tmp_path / "copy.db", now=NOW)

    assert aside == live / "parcelsms.db.replaced-20300102T030405Z"
    assert _note(live / "parcelsms.db") == "restored"
    assert (live / "parcelsms.db.replaced-20300102T030405Z-wal").read_bytes() == b"a stale log"
    assert _note(aside) == "replaced"
    assert not (live / "parcelsms.db-wal").exists()
    assert not (live / "parcelsms.db-shm").exists()


def test_a_restore_refuses_a_damaged_copy_and_changes_nothing(tmp_path: Path) -> None:
    url = _database(tmp_path / "parcelsms.db", "live")
    damaged = tmp_path / "copy.db"
    damaged.write_bytes(b"SQLite format 3\0" + b"\xff" * 4000)

    with pytest.raises(StorageError):
        restore_sqlite(url, damaged)

    assert _note(tmp_path / "parcelsms.db") == "live"
    assert list(tmp_path.glob("*.replaced-*")) == []


def test_a_restore_refuses_a_copy_made_by_a_newer_version(tmp_path: Path) -> None:
    url = _database(tmp_path / "parcelsms.db", "live")
    newer_url = _database(tmp_path / "newer.db", "from the future")
    with contextlib.closing(sqlite3.connect(tmp_path / "newer.db")) as database:
        database.execute("UPDATE alembic_version SET version_num = '9999'")
        database.commit()
    backup_sqlite(newer_url, tmp_path / "copy.db")

    with pytest.raises(StorageError, match="unknown to this version"):
        restore_sqlite(url, tmp_path / "copy.db")

    assert _note(tmp_path / "parcelsms.db") == "live"


def test_a_restore_refuses_a_database_that_is_not_parcelsms(tmp_path: Path) -> None:
    url = _database(tmp_path / "parcelsms.db", "live")
    with contextlib.closing(sqlite3.connect(tmp_path / "other.db")) as other:
        other.execute("CREATE TABLE t (x)")
        other.commit()

    with pytest.raises(StorageError, match="no parcelsms database"):
        restore_sqlite(url, tmp_path / "other.db")


def test_a_dump_without_pg_dump_says_what_to_install(tmp_path: Path) -> None:
    with pytest.raises(StorageError, match="could not run"):
        dump_postgres(
            "postgresql://parcelsms@127.0.0.1:1/parcelsms",
            tmp_path / "dump",
            pg_dump=str(tmp_path / "no-pg_dump"),
        )

    assert list(tmp_path.iterdir()) == []


def test_migrate_brings_a_new_database_to_the_newest_revision_and_says_so(tmp_path: Path) -> None:
    config = tmp_path / "parcelsms.toml"
    config.write_text(f'[database]\nurl = "sqlite:///{tmp_path / "new.db"}"\n')

    result = CliRunner().invoke(main, ["migrate", "--config", str(config)])

    assert result.exit_code == 0, result.output
    assert f"revision {head_revision()} (the newest" in result.output
    assert check_sqlite_copy(tmp_path / "new.db").revision == head_revision()
