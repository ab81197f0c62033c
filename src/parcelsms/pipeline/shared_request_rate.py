"""Per-key request rates held across every API process and node, with few database writes.

Each API key has ONE token bucket in the database (``rate`` per second, ``burst`` deep). A
process does not ask the database for every request: it takes a *slice* of tokens — about
0.1 s of the key's rate, at least 1 — and spends it from memory; when the slice is used up
it takes the next one. A slice is a write in the storage writer's group commit (it joins the
transaction of the accepts in flight), so a key at full rate costs each process about ten
small writes a second, whatever the rate, and a key below its slice costs one per slice.

When the bucket had fewer tokens than a slice, the process refuses that key's requests from
memory (``rate_limited`` with ``Retry-After``) until the next token is due, and at most every
``retry_interval`` (0.1 s) asks the database again — so a client hammering a limited key
does not turn into writes.

Tolerance: tokens a process took but has not spent yet are spent later, even if the bucket
is empty by then. With ``P`` processes, over any ``T`` seconds a key is served at most
``burst + rate × T + P × slice`` requests — at most ``P × 0.1 s`` of its rate more than one
exact bucket (and never less than one slice at a time, so at most ``P`` requests for very low
rates). A process's unspent slice is not lent to another, so a key spread thinly over many
processes may be refused up to ``P × slice`` tokens early. Machines' clocks must agree: the
bucket refills by the database writer's wall clock.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final, Protocol

from parcelsms.domain.request_rate import TokenGrant

SLICE_SECONDS: Final = 0.1
RETRY_INTERVAL: Final = 0.1
_MAX_KEYS: Final = 100_000


class KeyTokenStore(Protocol):
    async def take_key_tokens(self, key_id: str, want: int, rate: float, burst: int) -> TokenGrant:
        """Up to ``want`` tokens of ``key_id``'s shared bucket."""
        ...


def slice_size(rate: float, burst: int) -> int:
    """Tokens a process takes at once: ``SLICE_SECONDS`` of the rate, 1 to ``burst``."""
    return max(1, min(max(burst, 1), math.ceil(rate * SLICE_SECONDS)))


@dataclass(slots=True)
class _Slice:
    tokens: int = 0
    # Monotonic time before which the bucket is known empty (no database question).
    empty_until: float = 0.0
    taking: asyncio.Future[None] | None = None


class SharedRequestRate:
    """Token slices by key id, taken from the shared buckets. Use from one event loop."""

    def __init__(
        self, store: KeyTokenStore, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._store = store
        self._clock = clock
        self._slices: dict[str, _Slice] = {}

    async def take(self, key: str, rate: float, burst: int) -> float:
        """Spend one of ``key``'s tokens: ``0.0`` when allowed, else the seconds to wait.

        ``rate <= 0`` means no limit. A refused request spends nothing.
        """
        if rate <= 0:
            return 0.0
        entry = self._slices.get(key)
        if entry is None:
            if len(self._slices) >= _MAX_KEYS:
                # Unspent slices are forgotten (their tokens are lost, never duplicated).
                self._slices.clear()
            entry = self._slices[key] = _Slice()
        if entry.tokens == 0 and entry.taking is not None:
            # Another request of this process is taking a slice: share it.
            await asyncio.shield(entry.taking)
        if entry.tokens == 0:
            wait = entry.empty_until - self._clock()
            if wait > 0:
                return max(wait, 1.0 / rate)
            await self._take_slice(key, entry, rate, burst)
        if entry.tokens == 0:
            return max(entry.empty_until - self._clock(), 1.0 / rate)
        entry.tokens -= 1
        return 0.0

    async def _take_slice(self, key: str, entry: _Slice, rate: float, burst: int) -> None:
        taking: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        entry.taking = taking
        try:
            want = slice_size(rate, burst)
            grant = await self._store.take_key_tokens(key, want, rate, burst)
            entry.tokens += grant.granted
            if grant.granted < want:
                entry.empty_until = self._clock() + max(grant.wait, RETRY_INTERVAL)
        finally:
            entry.taking = None
            taking.set_result(None)
