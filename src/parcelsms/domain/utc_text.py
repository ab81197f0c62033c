"""A time as UTC text, read from msgspec's RFC 3339 encoding.

Webhook bodies write ``2024-05-01T12:00:03.250Z`` and SQLite columns ``2024-05-01
12:00:03.250000``, both for every message. ``datetime.isoformat`` took 3.7 µs for one;
msgspec's C encoder writes a UTC time as ``"YYYY-MM-DDTHH:MM:SS[.ffffff]Z"`` (quotes
included, the fraction left out when it is zero) in about a fifth of that, so the text is cut
from there, here and nowhere else. The tests hold both spellings to ``isoformat``'s for any
time (tests/unit/domain/test_events.py, tests/integration/storage/test_column_types.py).
"""

from __future__ import annotations

from datetime import UTC, datetime

import msgspec

__all__ = ["utc_text"]

_encode = msgspec.json.Encoder().encode
_WITHOUT_FRACTION = len(b'"2024-01-02T03:04:05Z"')


def utc_text(moment: datetime) -> bytes:
    """``YYYY-MM-DDTHH:MM:SS.ffffff`` of an aware ``moment`` in UTC (ASCII)."""
    if moment.tzinfo is not UTC:  # already UTC: the usual case, no copy
        moment = moment.astimezone(UTC)
    encoded = _encode(moment)
    if len(encoded) > _WITHOUT_FRACTION:
        return encoded[1:27]
    return encoded[1:20] + b".000000"
