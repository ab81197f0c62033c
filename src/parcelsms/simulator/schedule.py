"""A batching timer: items due at a time, released in groups by one event-loop timer.

At thousands of receipts per second, one ``call_later`` per receipt costs a heap entry
and a callback each; here items fall into slots of ``tick`` seconds and a single timer,
armed for the earliest slot, hands every item that is due to ``on_due`` in one call.
An item is never released before its due time by more than the loop's own timer slack.
"""

from __future__ import annotations

import asyncio
import heapq
from collections.abc import Callable
from typing import Generic, TypeVar

__all__ = ["BatchSchedule"]

T = TypeVar("T")

# asyncio itself runs a timer up to its clock resolution early; accept the same slack so
# a timer that fires a hair early does not re-arm for the very same slot.
_SLACK = 0.001


class BatchSchedule(Generic[T]):
    """Release items at (or just after) their due time, in batches."""

    def __init__(
        self,
        on_due: Callable[[list[T]], None],
        *,
        tick: float = 0.005,
        loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        self._on_due = on_due
        self._tick = tick
        self._loop = loop or asyncio.get_running_loop()
        self._buckets: dict[int, list[T]] = {}
        self._slots: list[int] = []  # heap of the keys of _buckets
        self._timer: asyncio.TimerHandle | None = None
        self._armed_slot: int | None = None
        self._count = 0
        self._closed = False

    def __len__(self) -> int:
        """Items waiting."""
        return self._count

    def add(self, due: float, item: T) -> None:
        """Release ``item`` at loop time ``due`` (at once if it is already past)."""
        if self._closed:
            return
        slot = int(due / self._tick) + 1  # the first slot boundary not before ``due``
        bucket = self._buckets.get(slot)
        self._count += 1
        if bucket is not None:
            bucket.append(item)
            return
        self._buckets[slot] = [item]
        heapq.heappush(self._slots, slot)
        if self._armed_slot is None or slot < self._armed_slot:
            self._arm(slot)

    def close(self) -> list[T]:
        """Stop the timer; returns the items that were still waiting."""
        self._closed = True
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        left = [item for slot in sorted(self._buckets) for item in self._buckets[slot]]
        self._buckets.clear()
        self._slots.clear()
        self._count = 0
        return left

    def _arm(self, slot: int) -> None:
        if self._timer is not None:
            self._timer.cancel()
        self._armed_slot = slot
        self._timer = self._loop.call_at(slot * self._tick, self._fire)

    def _fire(self) -> None:
        self._timer = None
        self._armed_slot = None
        limit = self._loop.time() + _SLACK
        tick = self._tick
        slots = self._slots
        due: list[T] = []
        while slots and slots[0] * tick <= limit:
            due.extend(self._buckets.pop(heapq.heappop(slots)))
        self._count -= len(due)
        if slots:
            self._arm(slots[0])
        if due:
            self._on_due(due)
