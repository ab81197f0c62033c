"""Smart encoding: replace typographic look-alikes with GSM-7 characters.

A single ``’`` pasted from a word processor switches a whole SMS from GSM-7 (160
characters, 153 per part) to UCS-2 (70, 67 per part): often three times the price.
:func:`smart_encode` replaces such characters with the GSM-7 character a reader would
take them for:

==============================================  ===============================
characters                                      replaced by
==============================================  ===============================
single quotes, primes, apostrophes              ``'``
``‘ ’ ‚ ‛ ′ ‵ ʼ ´ ` ‹ ›``
double quotes, double primes, guillemets        ``"``
``“ ” „ ‟ ″ ‶ « »``
dashes, minus, hyphen bullet                    ``-``
``‐ ‑ ‒ – — ― − ⁃``
bullets ``• ‣ ◦ ∙``                               ``-``
ellipsis ``…``, one dot leader ``․``              ``...``, ``.``
fraction and division slash ``⁄ ∕``               ``/``
modifier circumflex and tilde ``ˆ ˜``             ``^``, ``~`` (extension table)
no-break, narrow, thin, em... spaces, tab       a space
line and paragraph separators                   a line feed
zero-width space, word joiner, BOM, soft        removed
hyphen
==============================================  ===============================

Guillemets become ``"`` rather than ``<<``/``>>``: GSM 03.38 has no guillemet, and a
straight quote is what a French or German reader expects in plain text.

Zero-width joiners and non-joiners, left-to-right and right-to-left marks and emoji
variation selectors shape emoji, Persian and Indic text and right-to-left text. They are
removed only when nothing else in the text needs UCS-2 (then they shape nothing);
otherwise they are kept.

Contract:

* a character already in GSM-7 (``é ñ ü ß Ä €``) is never changed, and letters outside
  GSM-7 (``ç ł ő``) are never changed either: that would change spelling;
* the text is changed even when other characters keep it in UCS-2 (Chinese text with
  ``“”``): the caller decides whether to use the result, for example only when
  :attr:`SmartEncodingResult.is_gsm7` is true;
* :func:`smart_encode` is idempotent, and its output is GSM-7 whenever every non-GSM-7
  character of the input is in the table above;
* it runs in time linear in the text: a regular-expression scan and ``str.translate``,
  both in C, and one small object per replaced character.

Fullwidth forms and the ideographic space (``，`` ``！`` ``　``) are proper punctuation in
Chinese and Japanese text, which is UCS-2 anyway: they are not replaced.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Final

from parcelsms.protocol.text import GSM7_BASIC_CHARACTERS, GSM7_EXTENSION_CHARACTERS, is_gsm7

__all__ = ["SMART_ENCODING_TABLE", "Replacement", "SmartEncodingResult", "smart_encode"]


def _each(characters: str, replacement: str) -> dict[str, str]:
    return dict.fromkeys(characters, replacement)


SMART_ENCODING_TABLE: Final[Mapping[str, str]] = MappingProxyType(
    _each("\u2018\u2019\u201a\u201b\u2032\u2035\u02bc\u00b4\u0060\u2039\u203a", "'")
    | _each("\u201c\u201d\u201e\u201f\u2033\u2036\u00ab\u00bb", '"')
    | _each("\u2010\u2011\u2012\u2013\u2014\u2015\u2212\u2043", "-")
    | _each("\u2022\u2023\u25e6\u2219", "-")
    | {"\u2026": "...", "\u2024": "."}
    | _each("\u2044\u2215", "/")
    | {"\u02c6": "^", "\u02dc": "~"}
    | _each("\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008", " ")
    | _each("\u2009\u200a\u202f\u205f\t", " ")
    | _each("\u2028\u2029", "\n")
    | _each("\u200b\u2060\ufeff\u00ad", "")
)
"""Every character smart encoding replaces unconditionally, with its replacement."""

# Joiners, direction marks and variation selectors: removed only when the text needs
# nothing outside GSM-7 (see the module docstring).
_SHAPING_CHARACTERS: Final = frozenset("\u200c\u200d\u200e\u200f\ufe0e\ufe0f")

_TRANSLATION: Final = str.maketrans(dict(SMART_ENCODING_TABLE))
_TRANSLATION_WITHOUT_SHAPING: Final = str.maketrans(
    dict(SMART_ENCODING_TABLE) | dict.fromkeys(_SHAPING_CHARACTERS, "")
)
_REPLACEABLE: Final = re.compile(
    "[" + re.escape("".join(sorted(set(SMART_ENCODING_TABLE) | _SHAPING_CHARACTERS))) + "]"
)
# Deletes every character that is GSM-7 or handled here: what is left keeps the text UCS-2.
_DELETE_HANDLED: Final[dict[int, None]] = dict.fromkeys(
    map(
        ord,
        GSM7_BASIC_CHARACTERS
        | GSM7_EXTENSION_CHARACTERS
        | set(SMART_ENCODING_TABLE)
        | _SHAPING_CHARACTERS,
    )
)


@dataclass(frozen=True, slots=True)
class Replacement:
    """One replaced character: ``original`` at ``position`` (an index into the input
    text) became ``replacement`` (possibly several characters, or none)."""

    original: str
    replacement: str
    position: int


@dataclass(frozen=True, slots=True)
class SmartEncodingResult:
    """The smart-encoded ``text`` and each replacement made, in text order."""

    text: str
    replacements: tuple[Replacement, ...]

    @property
    def changed(self) -> bool:
        """True when at least one character was replaced or removed."""
        return bool(self.replacements)

    @property
    def is_gsm7(self) -> bool:
        """True when the resulting text can be sent as GSM-7."""
        return is_gsm7(self.text)


def smart_encode(text: str) -> SmartEncodingResult:
    """Replace typographic look-alikes in ``text`` with GSM-7 characters (see module doc)."""
    first = _REPLACEABLE.search(text)
    if first is None:
        return SmartEncodingResult(text, ())
    shaping_removed = not text.translate(_DELETE_HANDLED)
    replacements: list[Replacement] = []
    for match in _REPLACEABLE.finditer(text, first.start()):
        character = match.group()
        if character in _SHAPING_CHARACTERS:
            if shaping_removed:
                replacements.append(Replacement(character, "", match.start()))
        else:
            replacements.append(
                Replacement(character, SMART_ENCODING_TABLE[character], match.start())
            )
    table = _TRANSLATION_WITHOUT_SHAPING if shaping_removed else _TRANSLATION
    return SmartEncodingResult(text.translate(table), tuple(replacements))
