"""The database writer takes a core first: event loops run as ``SCHED_BATCH``, the writer
thread under the normal policy (adapters/process/thread_scheduling.py). Linux only: elsewhere
the functions change nothing, and a test of that would only restate it."""

from __future__ import annotations

import asyncio
import os
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import pytest

from parcelsms.adapters.process.thread_scheduling import run_as_batch, run_as_normal
from parcelsms.adapters.storage.engine.backends import open_database

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="scheduling policies are Linux's"
)

T = TypeVar("T")


def _in_new_thread(work: Callable[[], T]) -> T:
    """Run ``work`` in a fresh thread (the test runner's own threads keep their policy)."""
    results: list[T] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            results.append(work())
        except BaseException as problem:  # handed to the test
            errors.append(problem)

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    if errors:
        raise errors[0]
    return results[0]


def test_a_thread_moves_to_batch_and_back_once_each() -> None:
    def moves() -> list[object]:
        return [
            os.sched_getscheduler(0),
            run_as_batch(),
            os.sched_getscheduler(0),
            run_as_batch(),  # already batch: nothing to do
            run_as_normal(),
            os.sched_getscheduler(0),
            run_as_normal(),  # already normal
        ]

    assert _in_new_thread(moves) == [
        os.SCHED_OTHER,
        True,
        os.SCHED_BATCH,
        False,
        True,
        os.SCHED_OTHER,
        False,
    ]


def test_threads_started_by_a_batch_thread_are_batch_too() -> None:
    def child_policy() -> int:
        run_as_batch()
        return _in_new_thread(lambda: os.sched_getscheduler(0))

    assert _in_new_thread(child_policy) == os.SCHED_BATCH


def test_a_policy_chosen_by_the_operator_is_left_alone() -> None:
    def idle_thread() -> list[object]:
        os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))
        return [run_as_batch(), run_as_normal(), os.sched_getscheduler(0)]

    assert _in_new_thread(idle_thread) == [False, False, os.SCHED_IDLE]


def test_the_writer_thread_runs_normal_under_a_batch_event_loop(tmp_path: Path) -> None:
    async def policies() -> tuple[int, int]:
        database = open_database(f"sqlite:///{tmp_path / 'parcelsms.db'}")
        try:
            written = await database.write(lambda connection: os.sched_getscheduler(0))
            read = await database.read(lambda connection: os.sched_getscheduler(0))
        finally:
            await database.close()
        return written, read

    def event_loop_as_serve_runs_it() -> tuple[int, int]:
        run_as_batch()
        return asyncio.run(policies())

    # The reader threads inherit the event loop's batch policy; only the writer switches back.
    assert _in_new_thread(event_loop_as_serve_runs_it) == (os.SCHED_OTHER, os.SCHED_BATCH)
