"""The batching timer releases items in due order, in batches, and never early."""

from __future__ import annotations

import asyncio

from parcelsms.simulator.schedule import BatchSchedule


async def test_items_are_released_in_batches_not_before_they_are_due() -> None:
    loop = asyncio.get_running_loop()
    released: list[tuple[float, list[str]]] = []
    done = asyncio.Event()

    def on_due(items: list[str]) -> None:
        released.append((loop.time(), items))
        if sum(len(batch) for _, batch in released) == 5:
            done.set()

    schedule: BatchSchedule[str] = BatchSchedule(on_due, tick=0.01)
    start = loop.time()
    slot_start = (int(start / 0.01) + 3) * 0.01  # a, b and c fall in one 10 ms slot
    due = {"late": start + 0.08, "a": slot_start + 0.001, "b": slot_start + 0.002,
           "c": slot_start + 0.003}  # fmt: skip
    for name, when in due.items():
        schedule.add(when, name)
    schedule.add(start - 1.0, "past")
    assert len(schedule) == 5

    await asyncio.wait_for(done.wait(), 2.0)

    order = [item for _, batch in released for item in batch]
    assert order.index("past") < order.index("a") < order.index("late")
    assert any({"a", "b", "c"} <= set(batch) for _, batch in released)  # one batch
    for released_at, batch in released:
        for item in batch:
            if item != "past":
                assert released_at >= due[item] - 0.0011  # the loop's own timer slack
    assert len(schedule) == 0


async def test_closing_returns_what_was_waiting_and_releases_nothing_more() -> None:
    released: list[int] = []
    schedule: BatchSchedule[int] = BatchSchedule(released.extend, tick=0.005)
    now = asyncio.get_running_loop().time()
    schedule.add(now + 0.01, 1)
    schedule.add(now + 0.02, 2)

    left = schedule.close()
    schedule.add(now, 3)
    await asyncio.sleep(0.05)  # long enough for the closed timer to have fired

    assert left == [1, 2]
    assert released == []
