"""Extended grapheme clusters (user-perceived characters), as the segment counter sees them.

Segment splitting keeps a grapheme cluster whole (a flag, a skin-toned emoji, a
consonant with its vowel sign), because that is what Twilio's
``sms-segments-calculator`` - the reference users compare our counts against - does.
It splits with the ``grapheme-splitter`` package, which implements UAX #29 **as of
Unicode 10.0**, so this module implements the same version of the rules:

* emoji ZWJ sequences join only when the character after the ZWJ is Glue_After_Zwj
  (for example ♀ ♂ ❤ 💻 🚀) or E_Base_GAZ (👦 👧 👨 👩): families and
  professions stay whole, while later sequences such as 🧑‍🤝‍🧑 split at the ZWJ;
* a skin-tone modifier joins only an emoji modifier base (GB10);
* regional indicators pair into flags (GB12/GB13).

The emoji and Prepend classes are listed below (facts from the Unicode 10.0
GraphemeBreakProperty data); Extend, SpacingMark and Control are derived from the
running Python's :mod:`unicodedata` with the Unicode 10.0 adjustments, so characters
assigned after Unicode 10 may be classified differently from the reference.
"""

from __future__ import annotations

import unicodedata
from bisect import bisect_right
from enum import IntEnum
from typing import Final

__all__ = [
    "BreakProperty",
    "break_property",
    "every_character_is_a_cluster",
    "split_graphemes",
]


class BreakProperty(IntEnum):
    """Grapheme_Cluster_Break values of Unicode 10.0."""

    OTHER = 0
    CR = 1
    LF = 2
    CONTROL = 3
    EXTEND = 4
    ZWJ = 5
    REGIONAL_INDICATOR = 6
    PREPEND = 7
    SPACING_MARK = 8
    L = 9
    V = 10
    T = 11
    LV = 12
    LVT = 13
    E_BASE = 14
    E_MODIFIER = 15
    GLUE_AFTER_ZWJ = 16
    E_BASE_GAZ = 17


_P = BreakProperty

# Inclusive code point ranges, sorted, with the property they carry. Checked before the
# category rules below.
_LISTED_RANGES: Final[tuple[tuple[int, int, BreakProperty], ...]] = (
    (0x0600, 0x0605, _P.PREPEND),
    (0x06DD, 0x06DD, _P.PREPEND),
    (0x070F, 0x070F, _P.PREPEND),
    (0x08E2, 0x08E2, _P.PREPEND),
    (0x0D4E, 0x0D4E, _P.PREPEND),
    (0x1100, 0x115F, _P.L),
    (0x1160, 0x11A7, _P.V),
    (0x11A8, 0x11FF, _P.T),
    (0x200C, 0x200C, _P.EXTEND),
    (0x200D, 0x200D, _P.ZWJ),
    (0x261D, 0x261D, _P.E_BASE),
    (0x2640, 0x2640, _P.GLUE_AFTER_ZWJ),
    (0x2642, 0x2642, _P.GLUE_AFTER_ZWJ),
    (0x2695, 0x2696, _P.GLUE_AFTER_ZWJ),
    (0x26F9, 0x26F9, _P.E_BASE),
    (0x2708, 0x2708, _P.GLUE_AFTER_ZWJ),
    (0x270A, 0x270D, _P.E_BASE),
    (0x2764, 0x2764, _P.GLUE_AFTER_ZWJ),
    (0xA960, 0xA97C, _P.L),
    (0xD7B0, 0xD7C6, _P.V),
    (0xD7CB, 0xD7FB, _P.T),
    (0x110BD, 0x110BD, _P.PREPEND),
    (0x111C2, 0x111C3, _P.PREPEND),
    (0x11A3A, 0x11A3A, _P.PREPEND),
    (0x11A86, 0x11A89, _P.PREPEND),
    (0x11D46, 0x11D46, _P.PREPEND),
    (0x1F1E6, 0x1F1FF, _P.REGIONAL_INDICATOR),
    (0x1F308, 0x1F308, _P.GLUE_AFTER_ZWJ),
    (0x1F33E, 0x1F33E, _P.GLUE_AFTER_ZWJ),
    (0x1F373, 0x1F373, _P.GLUE_AFTER_ZWJ),
    (0x1F385, 0x1F385, _P.E_BASE),
    (0x1F393, 0x1F393, _P.GLUE_AFTER_ZWJ),
    (0x1F3A4, 0x1F3A4, _P.GLUE_AFTER_ZWJ),
    (0x1F3A8, 0x1F3A8, _P.GLUE_AFTER_ZWJ),
    (0x1F3C2, 0x1F3C4, _P.E_BASE),
    (0x1F3C7, 0x1F3C7, _P.E_BASE),
    (0x1F3CA, 0x1F3CC, _P.E_BASE),
    (0x1F3EB, 0x1F3EB, _P.GLUE_AFTER_ZWJ),
    (0x1F3ED, 0x1F3ED, _P.GLUE_AFTER_ZWJ),
    (0x1F3FB, 0x1F3FF, _P.E_MODIFIER),
    (0x1F442, 0x1F443, _P.E_BASE),
    (0x1F446, 0x1F450, _P.E_BASE),
    (0x1F466, 0x1F469, _P.E_BASE_GAZ),
    (0x1F46E, 0x1F46E, _P.E_BASE),
    (0x1F470, 0x1F478, _P.E_BASE),
    (0x1F47C, 0x1F47C, _P.E_BASE),
    (0x1F481, 0x1F483, _P.E_BASE),
    (0x1F485, 0x1F487, _P.E_BASE),
    (0x1F48B, 0x1F48B, _P.GLUE_AFTER_ZWJ),
    (0x1F4AA, 0x1F4AA, _P.E_BASE),
    (0x1F4BB, 0x1F4BC, _P.GLUE_AFTER_ZWJ),
    (0x1F527, 0x1F527, _P.GLUE_AFTER_ZWJ),
    (0x1F52C, 0x1F52C, _P.GLUE_AFTER_ZWJ),
    (0x1F574, 0x1F575, _P.E_BASE),
    (0x1F57A, 0x1F57A, _P.E_BASE),
    (0x1F590, 0x1F590, _P.E_BASE),
    (0x1F595, 0x1F596, _P.E_BASE),
    (0x1F5E8, 0x1F5E8, _P.GLUE_AFTER_ZWJ),
    (0x1F645, 0x1F647, _P.E_BASE),
    (0x1F64B, 0x1F64F, _P.E_BASE),
    (0x1F680, 0x1F680, _P.GLUE_AFTER_ZWJ),
    (0x1F692, 0x1F692, _P.GLUE_AFTER_ZWJ),
    (0x1F6A3, 0x1F6A3, _P.E_BASE),
    (0x1F6B4, 0x1F6B6, _P.E_BASE),
    (0x1F6C0, 0x1F6C0, _P.E_BASE),
    (0x1F6CC, 0x1F6CC, _P.E_BASE),
    (0x1F918, 0x1F91C, _P.E_BASE),
    (0x1F91E, 0x1F91F, _P.E_BASE),
    (0x1F926, 0x1F926, _P.E_BASE),
    (0x1F930, 0x1F939, _P.E_BASE),
    (0x1F93D, 0x1F93E, _P.E_BASE),
    (0x1F9D1, 0x1F9DD, _P.E_BASE),
    (0xE0020, 0xE007F, _P.EXTEND),
)
_RANGE_STARTS: Final = tuple(start for start, _, _ in _LISTED_RANGES)

# Other_Grapheme_Extend (Unicode 10): spacing marks and others that extend like Mn/Me.
_OTHER_GRAPHEME_EXTEND: Final = frozenset(
    (
        *(0x09BE, 0x09D7, 0x0B3E, 0x0B57, 0x0BBE, 0x0BD7, 0x0CC2, 0x0CD5, 0x0CD6, 0x0D3E),
        *(0x0D57, 0x0DCF, 0x0DDF, 0x302E, 0x302F, 0xFF9E, 0xFF9F, 0x1133E, 0x11357),
        *(0x114B0, 0x114BD, 0x115AF, 0x1D165, *range(0x1D16E, 0x1D173)),
        0x1734,  # Mn in Unicode 10, recategorised Mc since
    )
)
# Spacing combining marks that do NOT form clusters with what precedes (Unicode 10).
_NOT_SPACING_MARKS: Final = frozenset(
    (
        *(0x102B, 0x102C, 0x1038, 0x1062, 0x1063, 0x1064, *range(0x1067, 0x106E), 0x1083),
        *(*range(0x1087, 0x108D), 0x108F, 0x109A, 0x109B, 0x109C, 0x1A61, 0x1A63, 0x1A64),
        *(0xAA7B, 0xAA7D),
    )
)
# Thai and Lao SARA AM are letters (Lo) that nevertheless cluster as spacing marks; the
# others were Mc in Unicode 10 and have been recategorised (Lo or Mn) since.
_EXTRA_SPACING_MARKS: Final = frozenset([0x0E33, 0x0EB3, 0x1CF2, 0x1CF3, 0xA9BD, 0x11A07, 0x11A08])
# Unassigned code points that are default-ignorable are Control in Unicode 10.
_IGNORABLE_UNASSIGNED: Final = ((0x2065, 0x2065), (0xFFF0, 0xFFF8), (0xE0000, 0xE0FFF))

_HANGUL_SYLLABLE_FIRST: Final = 0xAC00
_HANGUL_SYLLABLE_LAST: Final = 0xD7A3
_HANGUL_TRAILING_CONSONANTS: Final = 28

_CACHE_LIMIT: Final = 65_536
_cache: dict[str, BreakProperty] = {}


def _classify(character: str) -> BreakProperty:
    code = ord(character)
    if code == 0x0D:
        return _P.CR
    if code == 0x0A:
        return _P.LF
    index = bisect_right(_RANGE_STARTS, code) - 1
    if index >= 0:
        start, end, listed = _LISTED_RANGES[index]
        if start <= code <= end:
            return listed
    if _HANGUL_SYLLABLE_FIRST <= code <= _HANGUL_SYLLABLE_LAST:
        if (code - _HANGUL_SYLLABLE_FIRST) % _HANGUL_TRAILING_CONSONANTS == 0:
            return _P.LV
        return _P.LVT
    if code in _EXTRA_SPACING_MARKS:
        return _P.SPACING_MARK
    category = unicodedata.category(character)
    if category in ("Mn", "Me") or code in _OTHER_GRAPHEME_EXTEND:
        return _P.EXTEND
    if category == "Mc":
        return _P.OTHER if code in _NOT_SPACING_MARKS else _P.SPACING_MARK
    if category in ("Cc", "Cf", "Zl", "Zp", "Cs"):
        return _P.CONTROL
    if category == "Cn":
        for first, last in _IGNORABLE_UNASSIGNED:
            if first <= code <= last:
                return _P.CONTROL
    return _P.OTHER


def break_property(character: str) -> BreakProperty:
    """Return the Grapheme_Cluster_Break property of one character (one code point)."""
    cached = _cache.get(character)
    if cached is not None:
        return cached
    value = _classify(character)
    # Bounded, so that text made of many distinct code points cannot grow it forever.
    if len(_cache) < _CACHE_LIMIT:
        _cache[character] = value
    return value


_ENDS_CLUSTER_BEFORE: Final = frozenset([_P.CONTROL, _P.CR, _P.LF])
_JOINS_PREVIOUS: Final = frozenset([_P.EXTEND, _P.ZWJ, _P.SPACING_MARK])
_HANGUL_FOLLOWERS: Final[dict[BreakProperty, frozenset[BreakProperty]]] = {
    _P.L: frozenset([_P.L, _P.V, _P.LV, _P.LVT]),
    _P.LV: frozenset([_P.V, _P.T]),
    _P.V: frozenset([_P.V, _P.T]),
    _P.LVT: frozenset([_P.T]),
    _P.T: frozenset([_P.T]),
}
_EMOJI_BASES: Final = frozenset([_P.E_BASE, _P.E_BASE_GAZ])
_GLUED_AFTER_ZWJ: Final = frozenset([_P.GLUE_AFTER_ZWJ, _P.E_BASE_GAZ])
_KEEPS_REGIONAL_RUN: Final = frozenset([_P.PREPEND, _P.REGIONAL_INDICATOR])


# Properties that can join a character to its neighbour. A text with none of them is
# one cluster per code point (CR LF is split anyway), which saves the rule machine.
_CAN_JOIN: Final = frozenset(
    [
        _P.EXTEND,
        _P.ZWJ,
        _P.SPACING_MARK,
        _P.PREPEND,
        _P.L,
        _P.V,
        _P.T,
        _P.E_MODIFIER,
        _P.REGIONAL_INDICATOR,
    ]
)


# What the character after a break opportunity must be for any rule to join it (GB9b,
# "Prepend x", is the only rule that looks at the character before alone).
_MAY_CONTINUE: Final = _CAN_JOIN | {_P.LV, _P.LVT, _P.GLUE_AFTER_ZWJ, _P.E_BASE_GAZ}


def every_character_is_a_cluster(text: str) -> bool:
    """Return True when no two code points of ``text`` form one grapheme cluster."""
    return not any(break_property(character) in _CAN_JOIN for character in set(text))


def split_graphemes(text: str) -> list[str]:
    """Split ``text`` into extended grapheme clusters, exactly as the reference counter.

    The rules are UAX #29 for Unicode 10.0 as implemented by ``grapheme-splitter``,
    including its reading of GB10 (a skin-tone modifier after a base followed by two
    Extend characters, or after a base in a cluster that already holds an Extend,
    starts a new cluster) and of GB12/GB13 (a flag followed by marks is closed by the
    second mark; a Prepend before a flag keeps only the first indicator). Like the
    reference counter, CR LF is returned as two clusters: each is its own septet in
    GSM-7. ``"".join(result) == text`` always.
    """
    if every_character_is_a_cluster(text):
        return list(text)
    properties = [break_property(character) for character in text]
    clusters: list[str] = []
    start = 0
    # The reference decides each break from the whole cluster so far; these locals carry
    # the facts it looks at, so splitting stays linear. Regional indicators after the
    # cluster's first character: any seen; one seen after a non-indicator (a gap); the
    # run that began at the second character still unbroken.
    previous = properties[0]
    before_previous: BreakProperty | None = None
    has_extend = previous is _P.EXTEND
    regional_after_start = regional_gap = False
    regional_run_open = True
    for index in range(1, len(properties)):
        current = properties[index]
        if current not in _MAY_CONTINUE and previous is not _P.PREPEND:
            joined = False  # nothing can join this pair: the common case, decided fast
        elif (
            current is not _P.REGIONAL_INDICATOR
            and regional_after_start
            and not regional_gap
            and previous not in _KEEPS_REGIONAL_RUN
        ):
            joined = False  # the reference's GB12/GB13 look-ahead closes the flag
        elif previous in _ENDS_CLUSTER_BEFORE or current in _ENDS_CLUSTER_BEFORE:
            joined = False  # GB3-GB5; CR LF is split too, as the reference counter does
        elif previous in _HANGUL_FOLLOWERS and current in _HANGUL_FOLLOWERS[previous]:
            joined = True  # GB6-GB8
        elif current in _JOINS_PREVIOUS or previous is _P.PREPEND:
            joined = True  # GB9, GB9a, GB9b
        elif current is _P.E_MODIFIER:
            # GB10 as the reference applies it: the base directly before, or one Extend
            # between base and modifier when it is the cluster's last Extend.
            if has_extend:
                joined = previous is _P.EXTEND and before_previous in _EMOJI_BASES
            else:
                joined = previous in _EMOJI_BASES
        elif previous is _P.ZWJ:
            joined = current in _GLUED_AFTER_ZWJ  # GB11
        elif current is _P.REGIONAL_INDICATOR:
            # GB12/GB13 as the reference applies them: only a lone indicator takes another.
            joined = not regional_after_start and previous is _P.REGIONAL_INDICATOR
        else:
            joined = False
        if joined:
            if current is _P.REGIONAL_INDICATOR:
                regional_gap = regional_gap or not regional_run_open
                regional_after_start = True
            else:
                regional_run_open = False
            has_extend = has_extend or current is _P.EXTEND
            before_previous = previous
        else:
            clusters.append(text[start:index])
            start = index
            before_previous = None
            has_extend = current is _P.EXTEND
            regional_after_start = regional_gap = False
            regional_run_open = True
        previous = current
    clusters.append(text[start:])
    return clusters
