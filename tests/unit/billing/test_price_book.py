"""The accept step's price list: the stored one, cached, reread after a change."""

from __future__ import annotations

from parcelsms.domain.pricing import PriceList
from parcelsms.pipeline.price_book import PriceBook


class Stored:
    def __init__(self, prices: PriceList | None) -> None:
        self.prices = prices
        self.reads = 0

    async def read_price_list(self) -> PriceList | None:
        self.reads += 1
        return self.prices


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


async def test_the_stored_list_is_cached_for_max_age_then_reread() -> None:
    stored, clock = Stored(PriceList(10, {"ES": 5})), Clock()
    book = PriceBook(stored, PriceList(99, {}), max_age=5, clock=clock)

    first = await book.current()
    stored.prices = PriceList(20, {})
    clock.now = 4.9
    cached = await book.current()
    clock.now = 5.1
    reread = await book.current()

    assert (first.price("ES", 1), cached.default_micros, reread.default_micros) == (5, 10, 20)
    assert stored.reads == 2


async def test_invalidate_applies_a_change_to_the_next_message() -> None:
    stored, clock = Stored(PriceList(10, {})), Clock()
    book = PriceBook(stored, PriceList(99, {}), clock=clock)
    await book.current()
    stored.prices = PriceList(30, {})

    book.invalidate()

    assert (await book.current()).default_micros == 30


async def test_the_configured_list_is_used_until_the_database_has_one() -> None:
    book = PriceBook(Stored(None), PriceList(99, {}))

    assert (await book.current()).default_micros == 99
