"""One canonical form for carrier message ids, so a receipt finds its submit_sm_resp.

A carrier names a message twice: in ``submit_sm_resp.message_id`` and later in the delivery
receipt (the ``receipted_message_id`` TLV or the ``id:`` field of the receipt text). Many
SMSCs print the same number differently in the two places: hexadecimal in the response and
decimal in the receipt (``"0A1B2C3D"`` then ``"169552957"``), or the other way round, with
or without leading zeros, in upper or lower case, padded with spaces or NULs. Kannel has a
per-bind ``msg-id-type`` switch for exactly this reason; this module makes the switch
unnecessary.

The canonical form (:func:`normalize_message_id`):

1. strip surrounding whitespace and NUL characters;
2. an id of ASCII hex digits that contains a hex letter (``a``-``f``), or that carries a
   ``0x`` prefix, is a number written in hex: render its value in decimal;
3. an id of ASCII decimal digits only is a number written in decimal: render its value in
   decimal (this drops leading zeros);
4. anything else (UUIDs, alphanumeric tokens) is opaque: lower-cased, otherwise as is.

The ambiguity: an id such as ``"12345678"`` is all decimal digits, yet a carrier that
prints ids in hex produces such ids whenever the hex form happens to have no letter
(``0x12345678``). Rule 3 reads it as decimal, which is right for most carriers but wrong
for those. :func:`message_id_candidates` therefore returns every canonical key an id could
stand for: for an all-digit id both its decimal reading and its hex reading, the decimal
reading first.

How the correlator uses it: store every candidate of the submit_sm_resp id as a key of the
message (on its channel), and look up every candidate of the receipt id; prefer a message
whose *first* candidate equals the receipt's first candidate (same reading on both sides)
and fall back to a cross-reading match only when there is none. Cross-reading matches can
collide between two messages of one channel (``"10"`` read as hex is ``"16"``, which is
also the decimal id ``"16"``), which is why the exact match wins and why lookups are
scoped by channel.

Numbers longer than 64 hex or 80 decimal digits are not converted (both only lose their
leading zeros; hex stays lower-cased hex): no carrier id is that long, and it keeps
Python's limit on int/str conversions out of reach of hostile input. Only ASCII digits
count as digits; ``str.isdigit`` would also accept superscripts and other scripts.
"""

from __future__ import annotations

import re

__all__ = ["message_id_candidates", "normalize_message_id"]

_DECIMAL = re.compile(r"[0-9]+")
_HEX = re.compile(r"[0-9a-f]+")
_HEX_PREFIX = "0x"
_STRIPPED = " \t\r\n\v\f\x00"

# Beyond these lengths an id is treated as text, not a number (see the module docstring).
_MAX_HEX_DIGITS = 64
_MAX_DECIMAL_DIGITS = 80


def _decimal_value(digits: str) -> str:
    """Decimal rendering of ASCII decimal digits, without converting huge strings."""
    if len(digits) > _MAX_DECIMAL_DIGITS:
        return digits.lstrip("0") or "0"
    return str(int(digits, 10))


def _hex_value(digits: str) -> str:
    """Decimal rendering of the value of ASCII hex digits (lower case, no prefix)."""
    significant = digits.lstrip("0") or "0"
    if len(significant) > _MAX_HEX_DIGITS:
        return significant
    return str(int(significant, 16))


def _split_hex_prefix(text: str) -> str | None:
    """The hex digits after a ``0x`` prefix, or None when ``text`` has no such form."""
    if text.startswith(_HEX_PREFIX) and _HEX.fullmatch(text, len(_HEX_PREFIX)):
        return text[len(_HEX_PREFIX) :]
    return None


def normalize_message_id(raw: str) -> str:
    """Return the canonical key of a carrier message id (rules in the module docstring).

    Never raises; an id that is empty after stripping yields ``""``.
    """
    text = raw.strip(_STRIPPED).lower()
    if _DECIMAL.fullmatch(text):
        return _decimal_value(text)
    prefixed = _split_hex_prefix(text)
    if prefixed is not None:
        return _hex_value(prefixed)
    if _HEX.fullmatch(text):
        # All hex digits and not all decimal: it has a hex letter.
        return _hex_value(text)
    return text


def message_id_candidates(raw: str) -> tuple[str, ...]:
    """Every canonical key ``raw`` could match, the :func:`normalize_message_id` key first.

    An all-digit id yields two keys (its decimal reading, then its hex reading) unless both
    readings agree (single digits); any other id yields one key. An empty id yields ``()``.
    """
    canonical = normalize_message_id(raw)
    if not canonical:
        return ()
    text = raw.strip(_STRIPPED)
    if _DECIMAL.fullmatch(text):
        as_hex = _hex_value(text)
        if as_hex != canonical:
            return (canonical, as_hex)
    return (canonical,)
