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
    lock.close()
    counts = _counts(statistics)
    assert counts["lock_held_us"] >= 100_000
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
