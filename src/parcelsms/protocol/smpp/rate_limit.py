"""Send-rate limiting for an SMPP bind: a token bucket that finds the carrier's real limit.

The bucket is kept as a "theoretical arrival time" (the GCRA form of a token bucket): each
caller reserves the next free slot and sleeps until it, so there is no lock and no polling,
and waiting senders leave in order. ``burst`` slots may be used at once after idleness.

Carriers throttle with ESME_RTHROTTLED or ESME_RMSGQFUL when we exceed what they allow,
which is often less than the contract says. The rate then follows AIMD (additive increase,
multiplicative decrease), as TCP finds a link's capacity:

* :meth:`RateLimiter.throttled` sets the rate to ``decrease_factor`` times the lower of the
  current rate and the rate actually accepted over the last second, pauses sending for
  ``pause_seconds``, and voids every slot already booked: senders asleep in
  :meth:`~RateLimiter.acquire` book again under the new rate when they wake. (Without
  that, a window of a hundred senders that booked slots at the old rate would keep
  hammering the carrier for seconds after it said "slow down".) A burst of throttling
  answers for requests already on the wire is one overload: the rate falls at most once
  per pause.
* :meth:`RateLimiter.succeeded` raises the rate by ``increase_per_second`` for every second
  that passes with successes, up to the configured ceiling — by time, not per success, so
  the probing above the carrier's limit is as slow at 50/s as at 5,000/s relative to the
  rate, and throttling answers stay a small share of submits (about one overload per cycle
  of ``rate × (1 − decrease_factor) / increase_per_second`` seconds).
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
        decrease_interval: float = 1.0,
        decrease_factor: float = 0.9,
        increase_per_second: float | None = None,
        clock: Callable[[], float] | None = None,
    ) -> None:
        if rate is not None and rate <= 0:
            raise ValueError("rate must be positive")
        if not 0 < decrease_factor < 1:
            raise ValueError("decrease_factor must be between 0 and 1")
        self.ceiling = rate
        self.rate = rate
        self.burst = max(1.0, burst)
        self.min_rate = min_rate
        self.pause_seconds = pause_seconds
        self.decrease_interval = decrease_interval
        self.decrease_factor = decrease_factor
        # Half a percent of the ceiling per second (at least 0.5/s per second): from 90 %
        # back to 100 % of a limit near the ceiling in about 20 s. Slow probing keeps the
        # overloads, and so the throttling answers, rare.
        self.increase_per_second = increase_per_second or max(0.5, (rate or 0.0) / 200.0)
        self._clock = clock or asyncio.get_running_loop().time
        self._tat = 0.0  # theoretical arrival time of the next send
        self._generation = 0  # bumped by each throttling answer: voids booked slots
        self._paused_at = float("-inf")
        self._last_decrease = float("-inf")
        self._last_increase = float("-inf")
        # Successes in the current and the previous second, for the accepted rate.
        self._second = 0
        self._this_second = 0
        self._previous_second = 0
        self.throttle_events = 0

    async def acquire(self) -> None:
        """Wait for a send slot (booked again if a throttling answer came meanwhile)."""
        while True:
            generation = self._generation
            rate = self.rate
            now = self._clock()
            if rate is None:
                # Unlimited, except for the pause that follows a throttling answer.
                delay = self._tat - now if self._tat else 0.0
            else:
                interval = 1.0 / rate
                tat = self._tat if self._tat > now else now
                delay = tat - now - (self.burst - 1.0) * interval
                self._tat = tat + interval
            if delay <= 0:
                return
            await asyncio.sleep(delay)
            if generation == self._generation:
                return

    def accepted_rate(self) -> float:
        """Successes per second over (about) the last second."""
        now = self._clock()
        second = int(now)
        fraction = now - second
        if second != self._second:  # no success yet this second
            return self._this_second * (1.0 - fraction) if second == self._second + 1 else 0.0
        return self._this_second + self._previous_second * (1.0 - fraction)

    def throttled(self) -> None:
        """The carrier said slow down: pause, void booked slots, decrease the rate."""
        self.throttle_events += 1
        now = self._clock()
        if now < self._paused_at + self.pause_seconds:
            return  # an answer to a request sent before the pause began
        self._paused_at = now
        self._tat = now + self.pause_seconds
        self._last_increase = now + self.pause_seconds
        self._generation += 1
        if self.rate is None or now < self._last_decrease + self.decrease_interval:
            # Carriers count a second at a time: the effect of the last decrease is not
            # visible before a second has passed, and decreasing again on every answer
            # until then would collapse the rate far below the carrier's limit.
            return
        self._last_decrease = now
        accepted = self.accepted_rate()
        basis = min(self.rate, accepted) if accepted > 0 else self.rate
        self.rate = max(self.min_rate, basis * self.decrease_factor)

    def succeeded(self) -> None:
        """A send went through: count it, and creep back towards the configured rate."""
        now = self._clock()
        second = int(now)
        if second != self._second:
            self._previous_second = self._this_second if second == self._second + 1 else 0
            self._this_second = 0
            self._second = second
        self._this_second += 1
        if self.rate is None or self.ceiling is None or self.rate >= self.ceiling:
            return
        # Time since the last increase, at most a second: an idle spell earns nothing.
        elapsed = min(1.0, now - self._last_increase)
        self._last_increase = now
        if elapsed > 0:
            self.rate = min(self.ceiling, self.rate + self.increase_per_second * elapsed)
