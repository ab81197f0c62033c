"""No garbage collection inside a write transaction; the collector is back on after it."""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator

import pytest
from sqlalchemy.engine import Connection

from parcelsms.adapters.storage.engine.collection_pause import collections_held_back
from parcelsms.adapters.storage.sql_storage import SqlStorage


@pytest.fixture(autouse=True)
def collector_on() -> Iterator[None]:
    """Each test starts with the collector on; the next test finds it as this one did."""
    was_on = gc.isenabled()
    gc.enable()
    yield
    if was_on:
        gc.enable()  # a test may have switched it off: every later test would run without it
    else:
        gc.disable()


def test_the_collector_is_off_inside_the_span_and_on_after_it() -> None:
    with collections_held_back():
        assert not gc.isenabled()
    assert gc.isenabled()


def test_the_collector_is_on_again_after_a_span_that_raised() -> None:
    with pytest.raises(RuntimeError), collections_held_back():
        raise RuntimeError("the transaction failed")
    assert gc.isenabled()


def test_a_collector_switched_off_before_stays_off() -> None:
    gc.disable()
    with collections_held_back():
        assert not gc.isenabled()
    assert not gc.isenabled()


def test_overlapping_spans_of_two_threads_switch_it_on_when_the_last_ends() -> None:
    other_inside = threading.Event()
    first_done = threading.Event()
    seen_after_first: list[bool] = []

    def other_writer() -> None:
        with collections_held_back():
            other_inside.set()
            first_done.wait(timeout=5)
            seen_after_first.append(gc.isenabled())

    with collections_held_back():
        thread = threading.Thread(target=other_writer)
        thread.start()
        assert other_inside.wait(timeout=5)
    first_done.set()  # this thread's span ended; the other's has not
    thread.join(timeout=5)
    assert seen_after_first == [False]
    assert gc.isenabled()


def _collector_state(connection: Connection, items: list[int]) -> list[bool]:
    return [gc.isenabled() for _ in items]


async def test_a_storage_write_runs_without_the_collector(storage: SqlStorage) -> None:
    inside = await storage.writer.run(_collector_state, 1)
    assert inside is False
    assert gc.isenabled()
