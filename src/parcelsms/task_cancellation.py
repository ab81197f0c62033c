"""Stop a background task and wait for its end, without losing the caller's own cancellation.

Closing a component means cancelling its background tasks and waiting until they have ended
(a supervisor loop, a lease renewal, a listener holding a connection). The usual idiom,
``task.cancel()`` and then ``await task`` inside ``contextlib.suppress(CancelledError)``,
suppresses two different things: the task's own ``CancelledError`` (expected: it was just
cancelled) and a ``CancelledError`` meant for the caller, when the caller itself is
cancelled while it waits — by a stop deadline (``asyncio.timeout``), a ``TaskGroup`` or a
second signal. Swallowing the second kind makes the caller carry on as if nothing happened:
a shutdown bounded by a deadline then outlives it.

:func:`cancel_and_wait` tells them apart with the caller's ``Task.cancelling()`` count
(Python 3.11): a ``CancelledError`` raised while the count rose belongs to the caller and is
raised again; one raised with the count unchanged is the task's own and ends the wait.
Written here because neither ``asyncio`` nor the project's dependencies have a public
function for it.

A shared leaf like :mod:`parcelsms.errors`: every layer may use it, and it imports nothing of
parcelsms.
"""

from __future__ import annotations

import asyncio
from typing import Any


async def cancel_and_wait(task: asyncio.Future[Any] | None) -> None:
    """Cancel ``task`` (unless a cancellation was already asked of it) and wait until it ends.

    Returns when the task has ended, cancelled or not. An exception the task ended with
    (other than its cancellation) is raised here, as ``await task`` would. If the caller is
    cancelled while it waits, ``CancelledError`` is raised once the task has ended, whatever
    the task did (asyncio passes the caller's cancellation on to the task it awaits).
    ``None`` does nothing.
    """
    if task is None:
        return
    if not _cancel_requested(task):
        task.cancel()
    caller = asyncio.current_task()
    cancels_before = caller.cancelling() if caller is not None else 0
    try:
        await task
    except asyncio.CancelledError:
        if _cancelled_since(caller, cancels_before):
            raise  # meant for the caller, not the task
    except Exception:
        if _cancelled_since(caller, cancels_before):
            raise asyncio.CancelledError from None
        raise
    else:
        # A task that ignored the cancellation and returned has taken the caller's
        # cancellation with it (asyncio hands the caller's cancel to the awaited task).
        if _cancelled_since(caller, cancels_before):
            raise asyncio.CancelledError


def _cancelled_since(caller: asyncio.Task[Any] | None, cancels_before: int) -> bool:
    return caller is not None and caller.cancelling() > cancels_before


def _cancel_requested(task: asyncio.Future[Any]) -> bool:
    """Whether the task was asked to stop already: asking again would interrupt the clean-up
    it is running (a second ``CancelledError`` at its next ``await``)."""
    if task.done():
        return True
    cancelling = getattr(task, "cancelling", None)  # tasks have it, plain futures not
    return bool(cancelling()) if cancelling is not None else False
