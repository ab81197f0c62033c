"""Opaque keyset cursors over sortable ids (URL-safe base64 of the last id of a page)."""

from __future__ import annotations

import base64
import binascii

from parcelsms.domain.error_catalogue import error
from parcelsms.domain.ids import is_valid_id


def encode_id_cursor(last_id: str) -> str:
    """The cursor of the page after the one ending with ``last_id``."""
    return base64.urlsafe_b64encode(last_id.encode("ascii")).decode("ascii").rstrip("=")


def decode_id_cursor(cursor: str, prefix: str) -> str:
    """The id inside ``cursor``; ``invalid_cursor`` unless it is a ``prefix`` id we made."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        value = base64.urlsafe_b64decode(padded.encode("ascii")).decode("ascii")
    except (ValueError, binascii.Error, UnicodeError):
        raise error("invalid_cursor", field="cursor") from None
    if not is_valid_id(value, prefix):
        raise error("invalid_cursor", field="cursor")
    return value
