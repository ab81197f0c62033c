"""Only the pipeline checkpoints the write-ahead log: the other processes' commits leave it to
its checkpointer thread. A commit that checkpoints copies the log back into the database and
syncs it while its process holds the machine-wide write lock, and every other writer of the
platform waits for it."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.engine import Connection

from parcelsms.adapters.storage.engine.checkpointer import BACKGROUND_AUTOCHECKPOINT_PAGES
from parcelsms.adapters.storage.sql_storage import SqlStorage
from parcelsms.bootstrap import open_platform_storage
from parcelsms.config import load_config

DEFAULT_AUTOCHECKPOINT_PAGES = 1000  # SQLite's own


def _write_pages(connection: Connection, items: list[int]) -> list[int]:
    """Write about 1,500 pages (6 MB) in one transaction; the log's length after it."""
    connection.exec_driver_sql("CREATE TABLE IF NOT EXISTS scratch (data BLOB)")
    connection.exec_driver_sql(
        "INSERT INTO scratch (data) SELECT zeroblob(4000) FROM "
        "(WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1500) "
        "SELECT i FROM n)"
    )
    limit = connection.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar()
    return [int(limit or 0) for _ in items]


def _log_frames(storage_path: Path) -> int:
    wal = Path(f"{storage_path}-wal")
    return wal.stat().st_size // 4096 if wal.exists() else 0


async def _open(tmp_path: Path, *, checkpoints: bool) -> SqlStorage:
    config = tmp_path / "parcelsms.toml"
    config.write_text(
        f'[database]\nurl = "sqlite:///{tmp_path / "parcelsms.db"}"\n'
        '[security]\npepper = "checkpoint-test-pepper-0123456789"\n'
    )
    return await open_platform_storage(load_config(config, {}), {}, checkpoints=checkpoints)


async def test_an_api_process_commits_without_checkpointing(tmp_path: Path) -> None:
    storage = await _open(tmp_path, checkpoints=False)
    try:
        (limit,) = await storage.writer.run_many(_write_pages, [0])
        await storage.writer.run_many(_write_pages, [0])
        frames = _log_frames(tmp_path / "parcelsms.db")  # (closing checkpoints)
    finally:
        await storage.close()
    # Two commits of 1,500 pages each, and no checkpoint from either: the log holds both.
    assert frames > 2 * DEFAULT_AUTOCHECKPOINT_PAGES
    assert limit == BACKGROUND_AUTOCHECKPOINT_PAGES


async def test_the_pipeline_process_checkpoints_in_the_background(tmp_path: Path) -> None:
    storage = await _open(tmp_path, checkpoints=True)
    try:
        (limit,) = await storage.writer.run_many(_write_pages, [0])
    finally:
        await storage.close()
    assert limit == BACKGROUND_AUTOCHECKPOINT_PAGES
