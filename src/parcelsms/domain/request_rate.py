"""Requests per second per API key: token buckets, in one process or shared through storage.

A key may make ``burst`` requests at once and ``rate`` per second on average.
:class:`RequestRateLimiter` keeps the buckets in this process's memory (the console's login
attempts, and an API without shared storage). The API's key limits are one bucket per key in
the database that every API process takes slices of (:mod:`parcelsms.pipeline.shared_request_rate`);
:func:`take_tokens` is that bucket's arithmetic.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

_MAX_BUCKETS: Final = 100_000


@dataclass(slots=True)
class _Bucket:
    tokens: float
    updated: float


class RequestRateLimiter:
    """Token buckets by key id. Not thread-safe; use from one event loop."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._buckets: dict[str, _Bucket] = {}

    def take(self, key: str, rate: float, burst: int) -> float:
        """Spend one token of ``key``'s bucket: ``0.0`` when allowed, else the seconds to wait.

        ``rate <= 0`` means no limit. A refused request spends nothing.
        """
        if rate <= 0:
            return 0.0
        now = self._clock()
        bucket = self._buckets.get(key)
        if bucket is None:
            capacity = float(max(burst, 1))
            if len(self._buckets) >= _MAX_BUCKETS:
                self._forget_idle(now, rate, capacity)
            bucket = self._buckets[key] = _Bucket(capacity, now)
        grant, bucket.tokens = take_tokens(bucket.tokens, bucket.updated, now, rate, burst, 1)
        bucket.updated = now
        return grant.wait

    def _forget_idle(self, now: float, rate: float, capacity: float) -> None:
        # A bucket that has refilled completely holds no state worth keeping.
        full_after = capacity / rate
        idle = [key for key, b in self._buckets.items() if now - b.updated >= full_after]
        for key in idle:
            del self._buckets[key]
        if len(self._buckets) >= _MAX_BUCKETS:
            self._buckets.clear()


@dataclass(frozen=True, slots=True)
class TokenGrant:
    """Tokens taken from a shared bucket; ``wait``: seconds until the next one when fewer
    than asked were left (0 when all were granted)."""

    granted: int
    wait: float = 0.0


def take_tokens(
    tokens: float, updated: float, now: float, rate: float, burst: int, want: int
) -> tuple[TokenGrant, float]:
    """Refill a bucket holding ``tokens`` at ``updated`` up to ``now`` and take up to ``want``
    whole tokens; returns the grant and the tokens left.

    A clock behind ``updated`` (another machine's) refills nothing rather than draining.
    """
    capacity = float(max(burst, 1))
    tokens = min(capacity, tokens + max(0.0, now - updated) * rate)
    granted = min(want, int(tokens))
    tokens -= granted
    if granted == want:
        return TokenGrant(granted), tokens
    return TokenGrant(granted, (1.0 - tokens) / rate), tokens


def retry_after_header(seconds: float) -> str:
    """``Retry-After`` in whole seconds, at least 1."""
    return str(max(1, math.ceil(seconds)))
