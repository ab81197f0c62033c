"""Signals between processes on PostgreSQL travel by LISTEN/NOTIFY through the server."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator

import pytest

from parcelsms.adapters.process.postgres_notify import (
    NotifiedChanges,
    NotifyListener,
    NotifySender,
)
from parcelsms.adapters.storage.engine.postgres_engine import libpq_conninfo

pytestmark = pytest.mark.postgres


@pytest.fixture
def conninfo(postgres_database_url: str) -> str:
    return libpq_conninfo(postgres_database_url)


@pytest.fixture
def changes(conninfo: str) -> Iterator[tuple[NotifiedChanges, NotifiedChanges]]:
    """Two processes' change epochs on one database, both listening."""
    first, second = NotifiedChanges(conninfo), NotifiedChanges(conninfo)
    try:
        assert first.wait_listening(10)
        assert second.wait_listening(10)
        yield first, second
    finally:
        first.close()
        second.close()


async def test_a_ring_sent_by_an_api_process_wakes_the_pipeline(conninfo: str) -> None:
    rung = asyncio.Event()
    listener = NotifyListener(conninfo, rung.set)
    sender = NotifySender(conninfo)
    await listener.start()
    try:
        await asyncio.wait_for(listener.listening.wait(), 10)
        rung.clear()  # the listener rings once itself when it starts listening
        sender.ring()
        await asyncio.wait_for(rung.wait(), 10)
    finally:
        sender.close()
        listener.close()
        await listener.wait_closed()


async def test_several_pipelines_on_one_database_all_listen_and_all_hear_a_ring(
    conninfo: str,
) -> None:
    rungs = [asyncio.Event(), asyncio.Event()]
    listeners = [NotifyListener(conninfo, rung.set) for rung in rungs]
    sender = NotifySender(conninfo)
    for listener in listeners:
        await listener.start()  # the second is not refused: channels are leased instead
    try:
        for listener in listeners:
            await asyncio.wait_for(listener.listening.wait(), 10)
        for rung in rungs:
            rung.clear()
        sender.ring()
        for rung in rungs:
            await asyncio.wait_for(rung.wait(), 10)
    finally:
        sender.close()
        for listener in listeners:
            listener.close()
            await listener.wait_closed()


async def test_a_change_announced_by_one_process_moves_the_epoch_of_another_at_once(
    changes: tuple[NotifiedChanges, NotifiedChanges],
) -> None:
    announcer, watcher = changes
    before = watcher.current()
    started = time.monotonic()
    announcer.announce()
    while watcher.current() == before:
        assert time.monotonic() - started < 5, "the change never arrived"
        await asyncio.sleep(0.005)
    # A revoked key must be refused everywhere within 100 ms; this machine is shared, so
    # the bound checked here is looser.
    assert time.monotonic() - started < 1.0


def test_an_announcing_command_that_never_listens_still_reaches_the_listeners(
    conninfo: str, changes: tuple[NotifiedChanges, NotifiedChanges]
) -> None:
    _, watcher = changes
    before = watcher.current()
    command = NotifiedChanges(conninfo)
    command.announce()
    command.close()  # sends what was announced before returning
    deadline = time.monotonic() + 5
    while watcher.current() == before:
        assert time.monotonic() < deadline, "the change never arrived"
        time.sleep(0.005)
