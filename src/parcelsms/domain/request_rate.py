"""Requests per second per API key: a token bucket for each key, in this process.

A key may make ``burst`` requests at once and ``rate`` per second on average. The buckets
live in memory, so with several API processes each enforces the limit on its own (the
effective limit is ``processes × rate``); a multi-node installation that needs one global
limit per key must keep the buckets in a shared store (Redis, PostgreSQL) instead.
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
        capacity = float(max(burst, 1))
        bucket = self._buckets.get(key)
        if bucket is None:
            if len(self._buckets) >= _MAX_BUCKETS:
                self._forget_idle(now, rate, capacity)
            bucket = self._buckets[key] = _Bucket(capacity, now)
        else:
            bucket.tokens = min(capacity, bucket.tokens + (now - bucket.updated) * rate)
            bucket.updated = now
        if bucket.tokens >= 1.0:
            bucket.tokens -= 1.0
            return 0.0
        return (1.0 - bucket.tokens) / rate

    def _forget_idle(self, now: float, rate: float, capacity: float) -> None:
        # A bucket that has refilled completely holds no state worth keeping.
        full_after = capacity / rate
        idle = [key for key, b in self._buckets.items() if now - b.updated >= full_after]
        for key in idle:
            del self._buckets[key]
        if len(self._buckets) >= _MAX_BUCKETS:
            self._buckets.clear()


def retry_after_header(seconds: float) -> str:
    """``Retry-After`` in whole seconds, at least 1."""
    return str(max(1, math.ceil(seconds)))
