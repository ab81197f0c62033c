"""Sortable, prefixed identifiers: ``msg_01JD3K...``.

An id is a prefix, an underscore and 26 Crockford base32 characters that encode a 48-bit
millisecond timestamp followed by 80 random bits (the ULID layout). Ids created later sort
after earlier ones as plain strings, which keeps the message table's primary-key index
append-mostly and makes cursor pagination a simple ``id < :cursor``.

Within one process, ids created in the same millisecond are made strictly increasing by
incrementing the random part, so a batch keeps its order.
"""

from __future__ import annotations

import os
import threading
import time
from datetime import datetime

_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_RANDOM_BITS = 80
_HALF = (1 << 40) - 1  # the random part is kept as two halves of 40 bits


# Every pair of digits by its 10-bit value: 13 lookups make an id instead of 26 (the
# encoder runs for every message, event and webhook; this halves its cost).
_PAIRS = [first + second for first in _ALPHABET for second in _ALPHABET]


def _encode_parts(moment_ms: int, high: int, low: int) -> str:
    """The 26 base32 digits of ``moment_ms << 80 | high << 40 | low`` (``moment_ms`` below
    2**50, ``high`` and ``low`` below 2**40), most significant first.

    Each part is shifted on its own: none exceeds 63 bits, so compiled code (mypyc) keeps
    them machine integers. Shifting the 130-bit whole made a new Python integer for every
    digit pair, and an id took twice as long."""
    pairs = _PAIRS
    return "".join(
        [
            pairs[(moment_ms >> 40) & 1023],
            pairs[(moment_ms >> 30) & 1023],
            pairs[(moment_ms >> 20) & 1023],
            pairs[(moment_ms >> 10) & 1023],
            pairs[moment_ms & 1023],
            pairs[(high >> 30) & 1023],
            pairs[(high >> 20) & 1023],
            pairs[(high >> 10) & 1023],
            pairs[high & 1023],
            pairs[(low >> 30) & 1023],
            pairs[(low >> 20) & 1023],
            pairs[(low >> 10) & 1023],
            pairs[low & 1023],
        ]
    )


def _encode(value: int) -> str:
    """The 26 base32 digits of a 130-bit ``value``, most significant first."""
    return _encode_parts(value >> _RANDOM_BITS, (value >> 40) & _HALF, value & _HALF)


class _Sequence:
    """Ids' digits for (milliseconds << 80 | random) from one source of time, increasing
    within a millisecond. ``never_back``: also when the time goes back (the value keeps the
    latest millisecond seen) — otherwise an earlier time gives an earlier value."""

    def __init__(self, *, never_back: bool) -> None:
        self._lock = threading.Lock()
        self._never_back = never_back
        self._last_ms = -1
        self._high = 0
        self._low = 0

    def next(self, moment_ms: int) -> str:
        with self._lock:
            if moment_ms == self._last_ms or (self._never_back and moment_ms < self._last_ms):
                moment_ms = self._last_ms
                # The random part plus one (80 bits, wrapping as a whole).
                if self._low == _HALF:
                    self._low = 0
                    self._high = (self._high + 1) & _HALF
                else:
                    self._low += 1
            else:
                self._last_ms = moment_ms
                random = int.from_bytes(os.urandom(10), "big") >> 1
                self._high = (random >> 40) & _HALF
                self._low = random & _HALF
            return _encode_parts(moment_ms, self._high, self._low)


_wall_clock = _Sequence(never_back=True)
_given_times = _Sequence(never_back=False)


def new_id(prefix: str) -> str:
    """Return a new id such as ``msg_01JD3K4Z6Y8X0V2T4R6P8N0M2K``."""
    return f"{prefix}_{_wall_clock.next(time.time_ns() // 1_000_000)}"


def new_id_at(prefix: str, moment: datetime) -> str:
    """A new id made at ``moment`` (the time the row it names is stamped with).

    Messages take their id this way, from the same clock as their ``created_at``, so that a
    range of creation times is a range of ids (:func:`first_id_at`) whatever clock the storage
    runs on. Ids made at one moment increase in the order they are made; an id made at an
    earlier moment than the one before (a clock set back, a test's clock) is earlier too,
    so an id always carries its own moment.
    """
    moment_ms = int(moment.timestamp() * 1000)
    return f"{prefix}_{_given_times.next(max(moment_ms, 0))}"


def is_valid_id(value: str, prefix: str) -> bool:
    """True when ``value`` has the shape of an id with ``prefix`` (it may not exist)."""
    head, sep, body = value.partition("_")
    return sep == "_" and head == prefix and len(body) == 26 and all(c in _ALPHABET for c in body)


def first_id_at(prefix: str, moment_ms: int) -> str:
    """The smallest id ``prefix`` could have for an id made at ``moment_ms`` (Unix ms).

    Every id made at or after that millisecond sorts at or after it, so ``id >= first_id_at``
    selects rows made since then through the primary-key index.
    """
    return f"{prefix}_{_encode_parts(max(moment_ms, 0), 0, 0)}"
