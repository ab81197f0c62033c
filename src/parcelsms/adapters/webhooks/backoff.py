"""When to try a webhook again: capped exponential backoff with equal jitter.

After attempt ``n`` (1-based) fails retryably, the next attempt waits
``min(cap, base * factor ** (n - 1))`` seconds; with a random source, *equal jitter* then
keeps half of that and draws the other half uniformly, so the wait lies in
``[delay / 2, delay]``. Equal rather than full jitter: full jitter may retry a struggling
receiver almost at once, while equal jitter still spreads the retries of many events that
failed together (a receiver outage) over half the interval.

With the defaults (base 5 s, factor 2, cap 1 h) and :data:`MAX_ATTEMPTS` = 12, the waits
between the 12 attempts are::

    after attempt   1   2   3   4   5    6    7    8     9    10    11
    wait (s)        5  10  20  40  80  160  320  640  1280  2560  3600

11 waits, 8,715 s in total: the last attempt starts about 2 h 25 min after the first
(between 1 h 13 min and 2 h 25 min with jitter). Covering a full day at these defaults
takes 34 attempts (8,715 s + 22 further waits of 1 h = 87,915 s, about 24 h 25 min).
:func:`retry_schedule` computes such tables.
"""

from __future__ import annotations

import random

__all__ = ["MAX_ATTEMPTS", "next_attempt_delay", "retry_schedule"]

MAX_ATTEMPTS = 12
# Past this exponent every sane base/cap pair is capped; stops huge powers being computed.
_LARGEST_EXPONENT = 64


def next_attempt_delay(
    attempt: int,
    *,
    base: float = 5.0,
    factor: float = 2,
    cap: float = 3600.0,
    jitter: random.Random | None = None,
) -> float:
    """Seconds to wait after failed attempt number ``attempt`` (1 = the first attempt).

    Deterministic when ``jitter`` is None; with a random source the result lies in
    ``[delay / 2, delay]`` (equal jitter). Raises ValueError for ``attempt < 1``,
    ``base <= 0``, ``factor < 1`` or ``cap < base``.
    """
    if attempt < 1:
        raise ValueError("attempt counts from 1")
    if base <= 0 or factor < 1 or cap < base:
        raise ValueError("backoff needs base > 0, factor >= 1 and cap >= base")
    exponent = attempt - 1
    delay = cap if exponent > _LARGEST_EXPONENT else min(cap, base * factor**exponent)
    if jitter is None:
        return float(delay)
    half = delay / 2
    return half + jitter.uniform(0.0, half)


def retry_schedule(
    max_attempts: int = MAX_ATTEMPTS,
    *,
    base: float = 5.0,
    factor: float = 2,
    cap: float = 3600.0,
) -> list[float]:
    """The deterministic waits between ``max_attempts`` attempts (``max_attempts - 1`` of them)."""
    return [
        next_attempt_delay(attempt, base=base, factor=factor, cap=cap)
        for attempt in range(1, max_attempts)
    ]
