"""Recipient phone numbers: from what people paste to E.164 with a country.

:func:`parse_recipient` accepts the forms senders copy out of order systems and
spreadsheets (``+44 7911 123456``, ``0044 7911 123456``, ``(+86) 138-0013-8000``,
``+1 (415) 555-2671``, dots, no-break spaces, Unicode dashes, a ``tel:`` prefix) and checks
the number with Google's libphonenumber metadata (the ``phonenumbers`` package; the common
case read and typed by :mod:`~parcelsms.domain.number_plans`, with the library's answers).

There is no default country: parcelsms sends across borders, so a national number such as
``07911 123456`` is ambiguous and refused with a message saying how to write it.

Which number types can receive a notification SMS:

* accepted: ``MOBILE``, and ``FIXED_LINE_OR_MOBILE`` (the US, Canada and other countries
  whose numbering plans do not tell the two apart; refusing them would refuse every North
  American recipient).
* refused as ``not_mobile``: ``FIXED_LINE``, ``TOLL_FREE``, ``PREMIUM_RATE``,
  ``SHARED_COST``, ``VOIP`` (many VoIP ranges cannot receive SMS or silently drop it, and a
  tracking notification must reach a handset), ``PERSONAL_NUMBER`` (forwarding numbers),
  ``PAGER`` (paging networks do not take SMS), ``UAN`` (company switchboard numbers),
  ``VOICEMAIL``.
* Non-geographic numbers (``+800``, ``+881``, ...) have no country to route or price by and
  are refused as ``unsupported_country``.
"""

from __future__ import annotations

import functools
import unicodedata
from typing import Final

import msgspec
import phonenumbers
from phonenumbers import (
    NumberParseException,
    PhoneNumberType,
    ValidationResult,
)

from parcelsms.domain.error_catalogue import error
from parcelsms.domain.number_plans import parse_e164, region_and_type
from parcelsms.errors import CatalogueError

MAX_INPUT_LENGTH: Final = 64
"""Longer input is refused before ``phonenumbers`` sees it, so nobody can make us parse
megabytes; the longest real number with generous formatting fits easily."""

KNOWN_REGIONS: Final[frozenset[str]] = frozenset(phonenumbers.SUPPORTED_REGIONS)
"""ISO 3166 alpha-2 codes that have a numbering plan in the metadata (``GB``, not ``UK``)."""

_ACCEPTED_TYPES: Final = {
    PhoneNumberType.MOBILE: "mobile",
    PhoneNumberType.FIXED_LINE_OR_MOBILE: "fixed_line_or_mobile",
}
_REFUSED_TYPES: Final = {
    PhoneNumberType.FIXED_LINE: "a fixed-line number",
    PhoneNumberType.TOLL_FREE: "a toll-free number",
    PhoneNumberType.PREMIUM_RATE: "a premium-rate number",
    PhoneNumberType.SHARED_COST: "a shared-cost number",
    PhoneNumberType.VOIP: "a VoIP number",
    PhoneNumberType.PERSONAL_NUMBER: "a personal (forwarding) number",
    PhoneNumberType.PAGER: "a pager number",
    PhoneNumberType.UAN: "a universal access (company) number",
    PhoneNumberType.VOICEMAIL: "a voicemail access number",
}

# Characters people paste between digits. Zero-width and direction marks arrive when a
# number is copied out of right-to-left text or a web page.
_SEPARATORS: Final = (
    " \t\u00a0\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u202f"
    "\u205f\u3000\u200b\u200c\u200d\u200e\u200f\u2060\ufeff"
    "-\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63\uff0d"
    ".()[]/\uff08\uff09\uff0e\uff0f"
)
_COMPACT_TABLE: Final = {ord(c): None for c in _SEPARATORS} | {ord("\uff0b"): ord("+")}


class Recipient(msgspec.Struct, frozen=True):
    """A valid mobile number.

    ``e164`` is ``+`` and digits (``+447911123456``); ``country`` the ISO 3166 alpha-2 code
    of the numbering plan (which for a few ranges is a territory such as ``GG`` or ``JE``
    rather than the larger country sharing its calling code); ``number_type`` is
    ``"mobile"`` or ``"fixed_line_or_mobile"``.
    """

    e164: str
    country: str
    country_calling_code: int
    number_type: str


def parse_recipient(raw: str, *, field: str = "to") -> Recipient:
    """Parse a pasted phone number into a :class:`Recipient`.

    Raises :class:`CatalogueError` ``invalid_number`` for empty, overlong, malformed or
    invalid input and for numbers without a ``+``/``00`` country code; ``not_mobile`` for
    valid numbers that cannot receive SMS; ``unsupported_country`` for non-geographic
    numbers. ``field`` is reported with the error. Messages never repeat the number itself,
    so they are safe to log.

    The verdict on the number's digits is remembered (:data:`DIGITS_CACHE_SIZE` numbers, the
    least recently used forgotten first): a parcel's recipient gets a text when it ships,
    clears customs, goes out for delivery and is delivered, and checking a number against
    its country's numbering plan is most of what composing a message costs.
    """
    verdict = _verdict(_international_digits(raw, field))
    if isinstance(verdict, Recipient):
        return verdict
    code, message = verdict
    raise error(code, message, field=field)


DIGITS_CACHE_SIZE: Final = 65_536
"""Numbers whose verdict :func:`parse_recipient` keeps (a few MB)."""

_Refusal = tuple[str, str]  # (catalogue code, message)


@functools.lru_cache(maxsize=DIGITS_CACHE_SIZE)
def _verdict(digits: str) -> Recipient | _Refusal:
    """The :class:`Recipient` of international ``digits``, or why they are refused: the same
    for any field (the caller names it), so both are remembered."""
    try:
        number = parse_e164("+" + digits)
    except NumberParseException as exc:
        return ("invalid_number", _parse_failure_message(exc))
    calling_code = number.country_code or 0  # always set after a successful parse
    # The type is UNKNOWN exactly when is_valid_number() is False; asking it alone saves a
    # second pass over the country's number patterns (a third of the time).
    region, number_type = region_and_type(number)
    if number_type == PhoneNumberType.UNKNOWN:
        return ("invalid_number", _invalid_reason(number, calling_code))
    if region not in KNOWN_REGIONS:
        return (
            "unsupported_country",
            f"+{calling_code} numbers are non-geographic (not of any country) and cannot "
            "be routed.",
        )
    accepted = _ACCEPTED_TYPES.get(number_type)
    if accepted is None:
        kind = _REFUSED_TYPES.get(number_type, "not a mobile number")
        return (
            "not_mobile",
            f"The number is {kind} in {region} and cannot receive SMS; send a mobile number.",
        )
    return Recipient(
        e164=phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164),
        country=region,
        country_calling_code=calling_code,
        number_type=accepted,
    )


def _international_digits(raw: str, field: str) -> str:
    """Return the ASCII digits after the ``+``/``00`` of ``raw``, or raise ``invalid_number``."""
    if len(raw) > MAX_INPUT_LENGTH:
        raise _invalid(field, f"The number is longer than {MAX_INPUT_LENGTH} characters.")
    text = raw.strip()
    if text[:4].lower() == "tel:":
        text = text[4:].strip()
    if not text:
        raise _invalid(field, "The number is empty.")
    compact = text.translate(_COMPACT_TABLE)
    if compact.startswith("+"):
        digits = compact[1:]
    elif compact.startswith("00"):
        digits = compact[2:]
    else:
        digits = ""
    if digits.isascii() and digits.isdigit():
        return digits
    if digits.isdecimal():
        # Full-width or Arabic-Indic digits from a pasted document.
        return "".join(str(unicodedata.decimal(c)) for c in digits)
    if compact.isdecimal():
        raise _invalid(
            field,
            "The number has no country code. Write it in international form, starting with "
            "+ or 00 and the country code (e.g. +44 7911 123456); parcelsms sends to many "
            "countries and has no default country to assume.",
        )
    raise _invalid(field, _bad_characters_message(compact))


def _bad_characters_message(compact: str) -> str:
    if not compact.strip("+"):
        return "The number has no digits."
    if any(c.isalpha() for c in compact):
        return (
            "The number contains letters; only digits, +, spaces, dashes, dots and brackets "
            "are allowed."
        )
    if compact.count("+") > 1 or "+" in compact[1:]:
        return "The number has a + that is not at its start."
    bad = next(c for c in compact if not (c.isdecimal() or c == "+"))
    return (
        f"The number contains a character that is not part of a phone number "
        f"(U+{ord(bad):04X}); only digits, +, spaces, dashes, dots and brackets are allowed."
    )


def _parse_failure_message(exc: NumberParseException) -> str:
    if exc.error_type == NumberParseException.INVALID_COUNTRY_CODE:
        return "The number does not start with a valid country code."
    if exc.error_type == NumberParseException.TOO_SHORT_NSN:
        return "The number is too short."
    if exc.error_type == NumberParseException.TOO_LONG:
        return "The number is too long."
    return "The number is not a valid phone number."


def _invalid_reason(number: phonenumbers.PhoneNumber, calling_code: int) -> str:
    reason = phonenumbers.is_possible_number_with_reason(number)
    if reason == ValidationResult.INVALID_COUNTRY_CODE:
        return f"+{calling_code} is not a country code."
    if reason == ValidationResult.TOO_SHORT:
        return f"The number is too short for country code +{calling_code}."
    if reason == ValidationResult.TOO_LONG:
        return f"The number is too long for country code +{calling_code}."
    return f"The number is not a valid number for country code +{calling_code}."


def _invalid(field: str, message: str) -> CatalogueError:
    return error("invalid_number", message, field=field)


def mask_number(e164: str) -> str:
    """Mask a number for logs: ``+447911123456`` becomes ``+44791****456``.

    Numbers of 10 or more digits keep their last 3 digits and mask the 4 before them, so
    the country code and operator prefix stay readable for support. Shorter numbers mask
    about 40 % of their digits in the middle. Never raises; anything that is not ``+`` and
    digits is masked the same way character by character.
    """
    plus = "+" if e164.startswith("+") else ""
    digits = e164[len(plus) :]
    count = len(digits)
    if count == 0:
        return plus
    if count >= 10:
        masked, tail = 4, 3
    else:
        masked = max(1, round(count * 0.4))
        tail = (count - masked) // 2
    head = count - masked - tail
    return plus + digits[:head] + "*" * masked + digits[count - tail :]
