"""Buffer items produced one by one and hand them to storage in lists.

Workers finish their items one at a time (a submit answered, a webhook sent), but storage is
fast per list and slow per call. A :class:`ListRecorder` collects finished items and keeps
one recording task running while the buffer is not empty: each storage call takes
everything buffered since the previous call, so under load the lists grow by themselves
and when idle an item is recorded at once.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

T = TypeVar("T")
_log = logging.getLogger(__name__)


class ListRecorder(Generic[T]):
    """Records items in lists with ``record``; calls ``done`` for each list afterwards.

    A failing ``record`` is logged (``failure`` says what it means for the items) and the
    items are still passed to ``done``: the caller's recovery (claims, leases) handles them.
    """

    def __init__(
        self,
        record: Callable[[list[T]], Awaitable[object]],
        done: Callable[[list[T]], None],
        failure: str,
    ) -> None:
        self._record = record
        self._done = done
        self._failure = failure
        self._buffer: list[T] = []
        self._task: asyncio.Task[None] | None = None

    def add(self, item: T) -> None:
        self._buffer.append(item)
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._run())

    async def drain(self, timeout: float) -> None:
        """Wait (at most ``timeout`` seconds) for what is buffered to be recorded."""
        task = self._task
        if task is not None and not task.done():
            await asyncio.wait({task}, timeout=max(0.0, timeout))

    async def _run(self) -> None:
        while self._buffer:
            items, self._buffer = self._buffer, []
            try:
                await self._record(items)
            except Exception:
                _log.exception("recording %d items failed: %s", len(items), self._failure)
            finally:
                self._done(items)
