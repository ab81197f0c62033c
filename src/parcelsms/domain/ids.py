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

_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_RANDOM_BITS = 80
_lock = threading.Lock()
_last_ms = 0
_last_random = 0


# Every pair of digits by its 10-bit value: 13 lookups make an id instead of 26 (the
# encoder runs for every message, event and webhook; this halves its cost).
_PAIRS = [first + second for first in _ALPHABET for second in _ALPHABET]
_PAIR_SHIFTS = tuple(range(120, -1, -10))


def _encode(value: int) -> str:
    """The 26 base32 digits of a 130-bit ``value``, most significant first."""
    pairs = _PAIRS
    return "".join([pairs[(value >> shift) & 1023] for shift in _PAIR_SHIFTS])


def new_id(prefix: str) -> str:
    """Return a new id such as ``msg_01JD3K4Z6Y8X0V2T4R6P8N0M2K``."""
    global _last_ms, _last_random
    with _lock:
        now_ms = time.time_ns() // 1_000_000
        if now_ms <= _last_ms:
            now_ms = _last_ms
            _last_random = (_last_random + 1) & ((1 << _RANDOM_BITS) - 1)
        else:
            _last_ms = now_ms
            _last_random = int.from_bytes(os.urandom(10), "big") >> 1
        value = (now_ms << _RANDOM_BITS) | _last_random
    return f"{prefix}_{_encode(value)}"


def is_valid_id(value: str, prefix: str) -> bool:
    """True when ``value`` has the shape of an id with ``prefix`` (it may not exist)."""
    head, sep, body = value.partition("_")
    return sep == "_" and head == prefix and len(body) == 26 and all(c in _ALPHABET for c in body)


def first_id_at(prefix: str, moment_ms: int) -> str:
    """The smallest id ``prefix`` could have for an id made at ``moment_ms`` (Unix ms).

    Every id made at or after that millisecond sorts at or after it, so ``id >= first_id_at``
    selects rows made since then through the primary-key index.
    """
    return f"{prefix}_{_encode(max(moment_ms, 0) << _RANDOM_BITS)}"
