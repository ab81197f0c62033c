"""International digits read and typed against libphonenumber's metadata, its patterns
compiled once.

The ``phonenumbers`` package (the Python port of Google's libphonenumber) decides whether a
recipient is a valid mobile number, and it still does: its metadata and its rules. But two of
its steps, done through its public functions, were a third of what the API spends on a
message of a batch (64–70 µs of about 225 µs per distinct number on the project's 2-core
machine). This module does those two steps by hand, for speed only:

* **Reading** ``+`` and digits. ``phonenumbers.parse`` accepts anything a person may type
  (letters of vanity numbers, extensions, RFC 3966, any Unicode digits) and runs a dozen
  regular expressions to find the number in it. :func:`read_international` is given what
  :mod:`~parcelsms.domain.numbers` has already reduced the input to, the ASCII digits after
  the ``+``: it finds the calling code and the national number the way ``parse`` does. Any
  number outside that common shape — short, long, a calling code of no region, a national
  prefix the region's metadata would strip — is left to ``parse`` itself (``None``), so what
  is rare costs what it cost before and gets the library's own answer.
* **Typing** the national number. The library checks a number against up to eleven of a
  region's patterns, each time through three function layers and a lookup of the compiled
  pattern, and for a calling code shared by several regions (+1: 25 of them; +44, +7, +47
  ...) it types the number once per region tried to find the region, then once more.
  :func:`region_and_type` types it with patterns compiled once per region (:class:`Plan`),
  in the library's order, once.

``tests/unit/domain/test_number_plans.py`` holds both to the library: every region's example
number of every type, a changed digit of each, and random digits behind every calling code
must give the same ``PhoneNumber`` as ``parse`` and the same region and type as
``region_code_for_number`` and ``number_type``. A ``phonenumbers`` release that changed its
rules fails that test rather than this module going its own way unnoticed.
"""

from __future__ import annotations

import functools
import re
from typing import Final

import phonenumbers
from phonenumbers import (
    COUNTRY_CODE_TO_REGION_CODE,
    PhoneMetadata,
    PhoneNumber,
    PhoneNumberDesc,
    PhoneNumberType,
)

_SHORTEST_READ: Final = 6
"""Fewer digits than this (with the calling code) are left to ``parse``: no mobile number is
that short, and ``parse``'s own refusals of very short input stay its own."""
_LONGEST_NATIONAL: Final = 17  # libphonenumber's longest national significant number
_LONGEST_CALLING_CODE: Final = 3

# libphonenumber's order: a number that matches one of these is of that type, whatever its
# fixed-line and mobile patterns say.
_SPECIAL_TYPES: Final = (
    ("premium_rate", PhoneNumberType.PREMIUM_RATE),
    ("toll_free", PhoneNumberType.TOLL_FREE),
    ("shared_cost", PhoneNumberType.SHARED_COST),
    ("voip", PhoneNumberType.VOIP),
    ("personal_number", PhoneNumberType.PERSONAL_NUMBER),
    ("pager", PhoneNumberType.PAGER),
    ("uan", PhoneNumberType.UAN),
    ("voicemail", PhoneNumberType.VOICEMAIL),
)

_Pattern = tuple[frozenset[int], "re.Pattern[str]"]
"""A number description: its possible lengths (empty: any) and its national number pattern."""


def _pattern(desc: PhoneNumberDesc | None) -> _Pattern | None:
    """``desc`` compiled, or ``None`` when nothing can match it (no description, no pattern)."""
    if desc is None or not desc.national_number_pattern:
        return None
    return frozenset(desc.possible_length or ()), re.compile(desc.national_number_pattern)


def _matches(pattern: _Pattern | None, national: str) -> bool:
    if pattern is None:
        return False
    lengths, expression = pattern
    if lengths and len(national) not in lengths:
        return False
    return expression.fullmatch(national) is not None


class Plan:
    """One region's (or non-geographic calling code's) numbering plan, compiled."""

    __slots__ = (
        "_fixed_line",
        "_general",
        "_leading_digits",
        "_mobile",
        "_national_prefix",
        "_same_mobile_and_fixed_line",
        "_special",
    )

    def __init__(self, metadata: PhoneMetadata) -> None:
        self._general = _pattern(metadata.general_desc)
        self._special = tuple(
            (pattern, int(kind))
            for name, kind in _SPECIAL_TYPES
            if (pattern := _pattern(getattr(metadata, name))) is not None
        )
        self._fixed_line = _pattern(metadata.fixed_line)
        self._mobile = _pattern(metadata.mobile)
        self._same_mobile_and_fixed_line = bool(metadata.same_mobile_and_fixed_line_pattern)
        self._leading_digits = (
            None if metadata.leading_digits is None else re.compile(metadata.leading_digits)
        )
        prefix = metadata.national_prefix_for_parsing
        self._national_prefix = re.compile(prefix) if prefix else None

    def number_type(self, national: str) -> int:
        """The ``PhoneNumberType`` of ``national`` in this plan (``UNKNOWN``: not valid)."""
        if not _matches(self._general, national):
            return int(PhoneNumberType.UNKNOWN)
        for pattern, kind in self._special:
            if _matches(pattern, national):
                return kind
        if _matches(self._fixed_line, national):
            if self._same_mobile_and_fixed_line or _matches(self._mobile, national):
                return int(PhoneNumberType.FIXED_LINE_OR_MOBILE)
            return int(PhoneNumberType.FIXED_LINE)
        if not self._same_mobile_and_fixed_line and _matches(self._mobile, national):
            return int(PhoneNumberType.MOBILE)
        return int(PhoneNumberType.UNKNOWN)

    def claim(self, national: str) -> int | None:
        """For a calling code shared by several regions: ``None`` when ``national`` is not
        this region's number, else its type. It is this region's when it starts with the
        region's leading digits (when the metadata has them), else when it is valid here."""
        if self._leading_digits is not None:
            if self._leading_digits.match(national) is None:
                return None
            return self.number_type(national)
        kind = self.number_type(national)
        return None if kind == PhoneNumberType.UNKNOWN else kind

    def may_strip_national_prefix(self, national: str) -> bool:
        """Whether ``parse`` would consider stripping a national prefix from ``national``."""
        return (
            self._national_prefix is not None and self._national_prefix.match(national) is not None
        )


@functools.cache
def plan(calling_code: int, region: str) -> Plan | None:
    """The compiled plan of ``region`` (``"001"``: the non-geographic ``calling_code``)."""
    metadata = PhoneMetadata.metadata_for_region_or_calling_code(calling_code, region)
    return None if metadata is None else Plan(metadata)


def read_international(digits: str) -> PhoneNumber | None:
    """``phonenumbers.parse("+" + digits)`` for ASCII ``digits`` in the common shape (see the
    module docstring); ``None`` for the rest, which the caller gives to ``parse``."""
    if len(digits) < _SHORTEST_READ or digits[0] == "0":
        return None
    for size in range(1, _LONGEST_CALLING_CODE + 1):
        calling_code = int(digits[:size])
        regions = COUNTRY_CODE_TO_REGION_CODE.get(calling_code)
        if regions is not None:
            break
    else:
        return None
    national = digits[size:]
    if len(national) > _LONGEST_NATIONAL:
        return None
    numbering = plan(calling_code, regions[0])
    if numbering is None or numbering.may_strip_national_prefix(national):
        return None
    number = PhoneNumber(country_code=calling_code, national_number=int(national))
    if national[0] == "0":
        # Kept the way libphonenumber keeps them: a flag, and the count when more than one.
        number.italian_leading_zero = True
        zeros = len(national) - len(national.lstrip("0"))
        zeros = min(zeros, len(national) - 1)
        if zeros != 1:
            number.number_of_leading_zeros = zeros
    return number


def region_and_type(number: PhoneNumber) -> tuple[str | None, int]:
    """``region_code_for_number`` and ``number_type`` of ``number``, typed once."""
    calling_code = number.country_code or 0
    regions = COUNTRY_CODE_TO_REGION_CODE.get(calling_code)
    if regions is None:
        return None, int(PhoneNumberType.UNKNOWN)
    national = phonenumbers.national_significant_number(number)
    if len(regions) == 1:
        numbering = plan(calling_code, regions[0])
        if numbering is None:
            return regions[0], int(PhoneNumberType.UNKNOWN)
        return regions[0], numbering.number_type(national)
    for region in regions:
        numbering = plan(calling_code, region)
        if numbering is None:
            continue
        kind = numbering.claim(national)
        if kind is not None:
            return region, kind
    return None, int(PhoneNumberType.UNKNOWN)


def parse_e164(e164: str) -> PhoneNumber:
    """``phonenumbers.parse(e164)`` for a number already checked (``+`` and digits), read here
    when it can be. Raises ``NumberParseException`` as ``parse`` does."""
    return read_international(e164[1:]) or phonenumbers.parse(e164, None)
