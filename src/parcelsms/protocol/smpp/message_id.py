"""How a carrier writes its message ids, and the readings a correlator may compare.

A carrier names a message twice: in ``submit_sm_resp.message_id`` and later in the delivery
receipt (the ``receipted_message_id`` TLV or the ``id:`` field of the receipt text). Most
SMSCs write the same id the same way in both places; some print it in hexadecimal in the
response and in decimal in the receipt (or the other way round). An id such as ``"26"`` is
therefore *ambiguous* on its own: it is 26 to a decimal SMSC and 0x26 = 38 to a hex one,
and ``"1a"`` (0x1a = 26) is a different message on a hex SMSC. Merging readings by guess
attaches receipts to the wrong message, so this module never guesses: it only says what an
id could mean, and the correlator (:mod:`parcelsms.domain.receipt_correlation`) decides which
reading a channel uses from configuration or unambiguous evidence.

Readings of one written id:

* :func:`exact_key`: the id in its own writing. Surrounding whitespace and NULs are
  stripped; an id made of hex digits (and hyphens, as in UUIDs) is lower-cased, and an id of
  hex digits alone also loses its leading zeros and any ``0x`` prefix — ``"0000001A"``,
  ``"1a"`` and ``"0x1A"`` are one id in any numeric writing, and so are ``"0026"`` and
  ``"26"``. Any other id is opaque and compared exactly (``"Ab"`` and ``"aB"`` differ).
* :func:`hex_value`: the value of an id written in hex digits, as a decimal string.
* :func:`decimal_value`: the value of an id written in decimal digits (the same string as
  its :func:`exact_key`).

Numbers longer than 64 hex or 80 decimal digits are not converted: no carrier id is that
long, and it keeps Python's limit on int/str conversions out of reach of hostile input.
Only ASCII digits count as digits; ``str.isdigit`` would also accept superscripts.
"""

from __future__ import annotations

import re
from enum import Enum

__all__ = [
    "IdWriting",
    "clean_message_id",
    "decimal_value",
    "exact_key",
    "hex_value",
    "id_writing",
]

_DECIMAL = re.compile(r"[0-9]+")
_HEX = re.compile(r"[0-9a-fA-F]+")
_HEX_AND_HYPHENS = re.compile(r"[0-9a-fA-F-]+")
_HEX_PREFIX = re.compile(r"0[xX]([0-9a-fA-F]+)")
_STRIPPED = " \t\r\n\v\f\x00"

# Beyond these lengths an id is text, not a number (see the module docstring).
_MAX_HEX_DIGITS = 64
_MAX_DECIMAL_DIGITS = 80


class IdWriting(Enum):
    """What the characters of an id allow it to be.

    ``DIGITS``: decimal digits only — decimal, or hex that happens to have no letter.
    ``HEX``: hex digits with at least one letter ``a``-``f`` (or a ``0x`` prefix).
    ``OPAQUE``: anything else (UUIDs, alphanumeric tokens). ``EMPTY``: nothing at all.
    """

    DIGITS = "digits"
    HEX = "hex"
    OPAQUE = "opaque"
    EMPTY = "empty"


def clean_message_id(raw: str) -> str:
    """``raw`` without the whitespace and NUL padding carriers put around ids."""
    return raw.strip(_STRIPPED)


def _hex_digits(text: str) -> str | None:
    prefixed = _HEX_PREFIX.fullmatch(text)
    if prefixed is not None:
        return prefixed.group(1)
    if _HEX.fullmatch(text):
        return text
    return None


def id_writing(raw: str) -> IdWriting:
    """Classify ``raw`` (see :class:`IdWriting`)."""
    text = clean_message_id(raw)
    if not text:
        return IdWriting.EMPTY
    if _DECIMAL.fullmatch(text):
        return IdWriting.DIGITS
    if _hex_digits(text) is not None:
        return IdWriting.HEX
    return IdWriting.OPAQUE


def exact_key(raw: str) -> str:
    """The id in its own writing, folded only where every numeric writing agrees.

    Never raises; an id that is empty after stripping yields ``""``.
    """
    text = clean_message_id(raw)
    digits = _hex_digits(text)
    if digits is not None:
        return digits.lower().lstrip("0") or "0"
    if _HEX_AND_HYPHENS.fullmatch(text):
        return text.lower()  # UUIDs: case carries no meaning
    return text


def hex_value(raw: str) -> str | None:
    """The value of ``raw`` read as hexadecimal, in decimal; ``None`` if it is not hex."""
    digits = _hex_digits(clean_message_id(raw))
    if digits is None:
        return None
    significant = digits.lstrip("0") or "0"
    if len(significant) > _MAX_HEX_DIGITS:
        return None
    return str(int(significant, 16))


def decimal_value(raw: str) -> str | None:
    """The value of ``raw`` read as decimal; ``None`` if it is not all decimal digits."""
    text = clean_message_id(raw)
    if not _DECIMAL.fullmatch(text):
        return None
    if len(text) > _MAX_DECIMAL_DIGITS:
        return text.lstrip("0") or "0"
    return str(int(text, 10))
