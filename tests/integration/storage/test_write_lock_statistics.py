"""The write lock's statistics: how long it was awaited and held, and what the holder did."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from parcelsms.adapters.storage.engine import write_statistics as statistics_module
from parcelsms.adapters.storage.engine.write_lock import ProcessWriteLock


@pytest.fixture
def statistics(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    directory = tmp_path / "stats"
    directory.mkdir()
    monkeypatch.setenv("PARCELSMS_WRITE_STATS", str(directory))
    monkeypatch.setattr(statistics_module, "_statistics", None)
    return directory


def _counts(directory: Path) -> dict[str, int]:
    statistics = statistics_module.write_statistics()
    assert statistics is not None
    statistics.dump()
    counts: dict[str, int] = json.loads((directory / f"{os.getpid()}.json").read_text())
    return counts


def _spin(seconds: float) -> None:
    end = time.thread_time() + seconds
    while time.thread_time() < end:
        pass


def test_held_time_splits_into_cpu_and_waiting_for_a_core(statistics: Path, tmp_path: Path) -> None:
    lock = ProcessWriteLock(tmp_path / "db.sqlite")
    with lock:
        _spin(0.05)
        time.sleep(0.05)
    with lock:
        pass
    lock.close()
    counts = _counts(statistics)
    assert counts["lock_held_us"] >= 100_000
    # The long hold is the longest, and the only one over 10 ms.
    assert 100_000 <= counts["lock_held_max_us"] <= counts["lock_held_us"]
    assert counts["lock_holds_over_10ms"] == 1
    assert 50_000 <= counts["lock_held_cpu_us"] < counts["lock_held_us"]
    assert 0 <= counts["lock_held_runnable_us"] < counts["lock_held_us"]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="schedstat is Linux's")
def test_a_holder_that_shares_its_core_is_counted_as_runnable(
    statistics: Path, tmp_path: Path
) -> None:
    # This thread and a spinning process on one core: while the holder works, the rival
    # takes about half the core, and the holder waits for it as a runnable thread.
    core = min(os.sched_getaffinity(0))
    rival = subprocess.Popen(
        [sys.executable, "-c", f"import os\nos.sched_setaffinity(0, {{{core}}})\nwhile True: pass"]
    )
    before = os.sched_getaffinity(0)
    try:
        os.sched_setaffinity(0, {core})
        time.sleep(0.2)  # the rival is spinning
        lock = ProcessWriteLock(tmp_path / "db.sqlite")
        with lock:
            _spin(0.1)
        lock.close()
    finally:
        os.sched_setaffinity(0, before)
        rival.kill()
        rival.wait()
    counts = _counts(statistics)
    assert counts["lock_held_cpu_us"] >= 100_000
    assert counts["lock_held_runnable_us"] >= 30_000


def test_rows_are_split_by_the_table_each_statement_wrote(statistics: Path, tmp_path: Path) -> None:
    import sqlite3

    connection = sqlite3.connect(tmp_path / "db.sqlite", isolation_level=None)
    connection.execute("CREATE TABLE parcels (id INTEGER PRIMARY KEY, n INTEGER)")
    connection.execute("CREATE TABLE counts (k TEXT PRIMARY KEY, n INTEGER)")
    statistics_module.write_statistics().watch(connection)  # type: ignore[union-attr]
    connection.execute("BEGIN IMMEDIATE")
    connection.executemany("INSERT INTO parcels (n) VALUES (?)", [(1,), (2,), (3,)])
    connection.execute("UPDATE parcels SET n = n + 1 WHERE n >= 2")
    connection.execute(
        "INSERT INTO counts (k, n) VALUES ('a', 1) ON CONFLICT (k) DO UPDATE SET n = n + 1"
    )
    connection.execute("SELECT count(*) FROM parcels").fetchall()
    connection.execute('DELETE FROM "counts"')
    connection.execute("COMMIT")
    counts = _counts(statistics)
    connection.close()
    assert counts["rows:parcels"] == 5  # three inserted, two updated
    assert counts["rows:counts"] == 2  # one upserted, one deleted
    assert counts["rows"] == 7
