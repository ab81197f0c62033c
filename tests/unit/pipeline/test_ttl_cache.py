"""The in-process cache with a time to live, on a clock the tests move."""

from __future__ import annotations

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
