"""The price list messages are priced with: the operator's list in the database, cached.

The accept step asks :meth:`PriceBook.current` for every message, so the list is kept in
memory and reread at most every ``max_age`` seconds (5 by default). A change made through
this process (admin API) calls :meth:`PriceBook.invalidate` and applies to the next message;
a change made by another process (the CLI, another API node) applies within ``max_age``
seconds. The price of a message is fixed when it is accepted, so a change never reprices
accepted messages.

Before the database holds a list (it is seeded from the configuration's ``[prices]`` at
start), the configured list is used.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Protocol

from parcelsms.domain.pricing import PriceList
from parcelsms.pipeline.ttl_cache import TtlCache

_CURRENT = "current"


class StoredPrices(Protocol):
    async def read_price_list(self) -> PriceList | None: ...


class PriceBook:
    """A cached view of the stored price list. One per process; safe for concurrent use."""

    def __init__(
        self,
        store: StoredPrices,
        fallback: PriceList,
        *,
        max_age: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._store = store
        self._fallback = fallback
        self._cached: TtlCache[str, PriceList] = TtlCache(max_age, clock=clock)
        self._generation = 0
        self._lock = asyncio.Lock()

    async def current(self) -> PriceList:
        """The price list to price a message with now."""
        cached = self._cached.get(_CURRENT)
        if cached is not None:
            return cached
        async with self._lock:
            # Concurrent callers wait for one read instead of each reading.
            cached = self._cached.get(_CURRENT)
            if cached is not None:
                return cached
            generation = self._generation
            stored = await self._store.read_price_list()
            loaded = stored if stored is not None else self._fallback
            if generation == self._generation:  # not invalidated while it was read
                self._cached.put(_CURRENT, loaded)
            return loaded

    def invalidate(self) -> None:
        """Reread the list on the next message (call after changing it)."""
        self._generation += 1
        self._cached.forget(_CURRENT)
