"""The in-process cache with a time to live, on a clock the tests move."""

from __future__ import annotations

import asyncio

from parcelsms.pipeline.ttl_cache import TtlCache


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_value_is_fresh_until_its_time_to_live_has_passed() -> None:
    clock = Clock()
    cache: TtlCache[str, int] = TtlCache(5.0, clock=clock)
    cache.put("acc_1", 7)
    clock.now = 104.9
    assert cache.get("acc_1") == 7
    clock.now = 105.0
    assert cache.get("acc_1") is None


def test_a_missing_key_gives_the_default() -> None:
    cache: TtlCache[str, int | None] = TtlCache(5.0)
    marker = object()
    assert cache.get("acc_1", marker) is marker
    cache.put("acc_1", None)  # None is a value like any other
    assert cache.get("acc_1", marker) is None


def test_last_gives_the_value_even_after_it_aged_out() -> None:
    clock = Clock()
    cache: TtlCache[str, int] = TtlCache(5.0, clock=clock)
    cache.put("acc_1", 7)
    clock.now = 200.0
    assert (cache.get("acc_1"), cache.last("acc_1")) == (None, 7)


def test_forget_drops_a_key_at_once() -> None:
    cache: TtlCache[str, int] = TtlCache(5.0)
    cache.put("acc_1", 7)
    cache.forget("acc_1")
    cache.forget("acc_2")  # forgetting what is not there is fine
    assert cache.get("acc_1") is None
    assert cache.last("acc_1") is None


def test_forget_where_drops_the_matching_entries_only() -> None:
    cache: TtlCache[tuple[str, str], int] = TtlCache(5.0)
    cache.put(("acc_1", "a"), 1)
    cache.put(("acc_1", "b"), 2)
    cache.put(("acc_2", "a"), 3)
    cache.forget_where(lambda key, value: key[0] == "acc_1" or value == 99)
    assert len(cache) == 1
    assert cache.get(("acc_2", "a")) == 3


def test_a_time_to_live_of_zero_caches_nothing() -> None:
    cache: TtlCache[str, int] = TtlCache(0.0)
    cache.put("acc_1", 7)
    assert (cache.get("acc_1"), len(cache)) == (None, 0)


def test_a_full_cache_starts_over_instead_of_growing() -> None:
    cache: TtlCache[int, int] = TtlCache(5.0, max_entries=3)
    for key in range(3):
        cache.put(key, key)
    cache.put(1, 10)  # replacing a key does not count as growing
    assert len(cache) == 3
    cache.put(3, 3)
    assert len(cache) == 1
    assert cache.get(3) == 3


class _Loads:
    """A load that counts its calls and finishes when the test lets it."""

    def __init__(self, value: str | None = "value", error: Exception | None = None) -> None:
        self.calls = 0
        self.release = asyncio.Event()
        self._value = value
        self._error = error

    async def __call__(self) -> str | None:
        self.calls += 1
        await self.release.wait()
        if self._error is not None:
            raise self._error
        return self._value


async def test_concurrent_misses_of_one_key_share_one_load_and_cache_it() -> None:
    cache: TtlCache[str, str | None] = TtlCache(10, clock=Clock())
    load = _Loads()
    waiting = [asyncio.create_task(cache.fetch("key", load)) for _ in range(20)]
    await asyncio.sleep(0)
    load.release.set()
    assert await asyncio.gather(*waiting) == ["value"] * 20
    assert load.calls == 1
    assert await cache.fetch("key", load) == "value"  # fresh: no second load
    assert load.calls == 1


async def test_a_value_keep_refuses_is_shared_but_not_cached() -> None:
    cache: TtlCache[str, str | None] = TtlCache(10, clock=Clock())
    load = _Loads(value=None)
    load.release.set()
    waiting = [cache.fetch("key", load, keep=lambda value: value is not None) for _ in range(5)]
    assert await asyncio.gather(*waiting) == [None] * 5
    assert load.calls == 1
    assert await cache.fetch("key", load, keep=lambda value: value is not None) is None
    assert load.calls == 2  # not kept: read again


async def test_a_failed_load_reaches_every_waiter_and_the_next_miss_loads_again() -> None:
    cache: TtlCache[str, str | None] = TtlCache(10, clock=Clock())
    failing = _Loads(error=RuntimeError("database gone"))
    waiting = [asyncio.create_task(cache.fetch("key", failing)) for _ in range(3)]
    await asyncio.sleep(0)
    failing.release.set()
    results = await asyncio.gather(*waiting, return_exceptions=True)
    assert [str(result) for result in results] == ["database gone"] * 3
    working = _Loads()
    working.release.set()
    assert await cache.fetch("key", working) == "value"
    assert (failing.calls, working.calls) == (1, 1)


async def test_a_cancelled_waiter_does_not_cancel_the_load_the_others_wait_for() -> None:
    cache: TtlCache[str, str | None] = TtlCache(10, clock=Clock())
    load = _Loads()
    first = asyncio.create_task(cache.fetch("key", load))
    second = asyncio.create_task(cache.fetch("key", load))
    await asyncio.sleep(0)
    first.cancel()
    await asyncio.sleep(0)
    load.release.set()
    assert await second == "value"
    assert first.cancelled()
    assert cache.get("key") == "value"
    assert load.calls == 1


async def test_fetch_reads_again_once_the_value_aged_out() -> None:
    clock = Clock()
    cache: TtlCache[str, str | None] = TtlCache(10, clock=clock)
    load = _Loads()
    load.release.set()
    assert await cache.fetch("key", load) == "value"
    clock.now += 10
    assert await cache.fetch("key", load) == "value"
    assert load.calls == 2
