"""Send-rate limiting for an SMPP bind: a token bucket that backs off when throttled.

The bucket is kept as a "theoretical arrival time" (the GCRA form of a token bucket): each
caller reserves the next free slot and sleeps until it, so there is no lock and no polling,
and waiting senders leave in order. ``burst`` slots may be used at once after idleness.

Carriers throttle with ESME_RTHROTTLED or ESME_RMSGQFUL when we exceed what they allow,
which is often less than the contract says. :meth:`RateLimiter.throttled` halves the
current rate and pauses sending briefly; :meth:`RateLimiter.succeeded` gives back a small
step of rate on each success, up to the configured ceiling (additive increase,
multiplicative decrease: the rate settles just under what the carrier really accepts).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable


class RateLimiter:
    """Allow at most ``rate`` acquisitions per second (``None``: unlimited)."""

    def __init__(
        self,
        rate: float | None,
        *,
        burst: float = 1.0,
        min_rate: float = 1.0,
        pause_seconds: float = 0.2,
        clock: Callable[[], float] | None = None,
    ) -> None:
        if rate is not None and rate <= 0:
            raise ValueError("rate must be positive")
        self.ceiling = rate
        self.rate = rate
        self.burst = max(1.0, burst)
        self.min_rate = min_rate
        self.pause_seconds = pause_seconds
        self._clock = clock or asyncio.get_running_loop().time
        self._tat = 0.0  # theoretical arrival time of the next send
        self._last_decrease = float("-inf")
        self.throttle_events = 0

    async def acquire(self) -> None:
        """Wait for a send slot."""
        rate = self.rate
        if rate is None:
            # Unlimited, except for the pause that follows a throttling answer.
            if self._tat:
                pause = self._tat - self._clock()
                if pause > 0:
                    await asyncio.sleep(pause)
            return
        now = self._clock()
        interval = 1.0 / rate
        tat = self._tat if self._tat > now else now
        delay = tat - now - (self.burst - 1.0) * interval
        self._tat = tat + interval
        if delay > 0:
            await asyncio.sleep(delay)

    def throttled(self) -> None:
        """The carrier said slow down: halve the rate and pause briefly.

        A full window answered "throttled" is one overload, not a hundred: the rate is
        halved at most once per pause, or it would collapse to ``min_rate`` at once.
        """
        self.throttle_events += 1
        now = self._clock()
        if self.rate is not None and now >= self._last_decrease + self.pause_seconds:
            self.rate = max(self.min_rate, self.rate / 2.0)
            self._last_decrease = now
        pause_until = now + self.pause_seconds
        if self._tat < pause_until:
            self._tat = pause_until

    def succeeded(self) -> None:
        """A send went through: creep back towards the configured rate."""
        if self.rate is None or self.ceiling is None or self.rate >= self.ceiling:
            return
        self.rate = min(self.ceiling, self.rate + max(0.5, self.ceiling / 500.0))
