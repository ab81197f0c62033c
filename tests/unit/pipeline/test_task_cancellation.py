"""cancel_and_wait: the task stops, the caller's own cancellation is never swallowed."""

from __future__ import annotations

import asyncio

import pytest

from parcelsms.task_cancellation import cancel_and_wait


async def forever() -> None:
    await asyncio.Event().wait()


async def slow_to_stop(cleanup_started: asyncio.Event, cleanup_seconds: float) -> None:
    """Runs until cancelled, then takes a while to clean up (a connection to release)."""
    try:
        await asyncio.Event().wait()
    finally:
        cleanup_started.set()
        await asyncio.shield(asyncio.sleep(cleanup_seconds))


async def test_the_task_is_cancelled_and_the_caller_goes_on() -> None:
    task = asyncio.create_task(forever())
    await asyncio.sleep(0)
    await cancel_and_wait(task)
    assert task.cancelled()


async def test_a_task_that_ended_already_or_none_is_fine() -> None:
    task = asyncio.create_task(asyncio.sleep(0, "done"))
    await task
    await cancel_and_wait(task)
    await cancel_and_wait(None)
    assert task.result() == "done"


async def test_the_error_a_task_ended_with_reaches_the_caller() -> None:
    async def broken() -> None:
        raise RuntimeError("lost its connection")

    task = asyncio.create_task(broken())
    await asyncio.sleep(0)
    with pytest.raises(RuntimeError, match="lost its connection"):
        await cancel_and_wait(task)


async def test_a_task_asked_to_stop_already_is_not_interrupted_in_its_clean_up() -> None:
    started = asyncio.Event()
    cleaned = asyncio.Event()

    async def tidy() -> None:
        try:
            await asyncio.Event().wait()
        finally:
            started.set()
            await asyncio.sleep(0.01)  # not shielded: a second cancel would cut it short
            cleaned.set()

    task = asyncio.create_task(tidy())
    await asyncio.sleep(0)
    task.cancel()
    await started.wait()
    await cancel_and_wait(task)
    assert cleaned.is_set()


async def test_the_callers_cancellation_while_it_waits_reaches_the_caller() -> None:
    cleanup_started = asyncio.Event()
    task = asyncio.create_task(slow_to_stop(cleanup_started, 0.2))
    await asyncio.sleep(0)
    stopper = asyncio.create_task(cancel_and_wait(task))
    await cleanup_started.wait()
    stopper.cancel()
    with pytest.raises(asyncio.CancelledError):
        await stopper
    assert stopper.cancelled()


async def test_a_stop_deadline_ends_the_wait_with_a_timeout() -> None:
    """The case the helper is for: ``asyncio.timeout`` sees its own cancellation again."""
    cleanup_started = asyncio.Event()
    task = asyncio.create_task(slow_to_stop(cleanup_started, 5.0))
    await asyncio.sleep(0)
    loop = asyncio.get_running_loop()
    began = loop.time()
    with pytest.raises(TimeoutError):
        async with asyncio.timeout(0.05):
            await cancel_and_wait(task)
    assert loop.time() - began < 4.0
    task.cancel()


async def test_a_task_that_ignores_its_cancellation_still_leaves_the_caller_cancelled() -> None:
    release = asyncio.Event()

    async def stubborn() -> str:
        while True:
            try:
                await release.wait()
                return "finished anyway"
            except asyncio.CancelledError:
                continue

    task = asyncio.create_task(stubborn())
    await asyncio.sleep(0)
    stopper = asyncio.create_task(cancel_and_wait(task))
    await asyncio.sleep(0.01)
    stopper.cancel()
    await asyncio.sleep(0.01)
    release.set()
    with pytest.raises(asyncio.CancelledError):
        await stopper
    assert task.result() == "finished anyway"
