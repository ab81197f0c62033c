"""Encoding choice and segment counting, matching Twilio's ``sms-segments-calculator``.

A text is sent as GSM-7 when every character is in the GSM 03.38 default alphabet
(basic or extension table), otherwise as UCS-2. One SMS carries 140 octets of user
data; a concatenated part gives 6 of them to the user data header (UDH with an 8-bit
reference), so the limits are:

=========  ================  ==================================
encoding   single segment    each part of a concatenated SMS
=========  ================  ==================================
GSM-7      160 septets       153 septets
UCS-2      70 code units     67 code units (UTF-16; emoji = 2)
=========  ================  ==================================

Splitting never divides an escape pair (GSM-7 extension characters count two septets)
nor a grapheme cluster (so never a surrogate pair, a flag or a skin-toned emoji).
Keeping clusters whole is what the reference counter does, so counts agree with it.
The reference's defaults are the ones matched: ``encoding="auto"`` and
``smartEncoding=false`` - typographic characters such as ``’`` are *not* replaced by
GSM look-alikes, they force UCS-2 - and line breaks are counted as given (CR and LF
one septet each; CR LF two).

One deliberate difference: a single grapheme cluster longer than a whole part (say a
letter carrying 80 combining marks) is cut at code point boundaries, because a
segment can never exceed its limit on the wire; the reference would report an
over-full segment.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Final, NamedTuple

from parcelsms.protocol.text.graphemes import every_character_is_a_cluster, split_graphemes
from parcelsms.protocol.text.gsm7 import (
    GSM7_BASIC_CHARACTERS,
    GSM7_EXTENSION_CHARACTERS,
    gsm7_septet_count,
    is_gsm7,
    split_gsm7,
)
from parcelsms.protocol.text.ucs2 import DATA_CODING_GSM7, DATA_CODING_UCS2, ucs2_unit_count

__all__ = [
    "Encoding",
    "NonGsmCharacter",
    "SegmentInfo",
    "choose_encoding",
    "count_segments",
    "split_units",
    "text_units",
]


class Encoding(StrEnum):
    """The two encodings a text is sent in; values are the reference counter's names."""

    GSM7 = "GSM-7"
    UCS2 = "UCS-2"

    @property
    def data_coding(self) -> int:
        """SMPP ``data_coding``: 0 for GSM-7 (unpacked), 8 for UCS-2."""
        return DATA_CODING_GSM7 if self is Encoding.GSM7 else DATA_CODING_UCS2

    @property
    def single_segment_limit(self) -> int:
        """Units one unconcatenated SMS carries: 160 septets or 70 code units."""
        return 160 if self is Encoding.GSM7 else 70

    @property
    def concatenated_segment_limit(self) -> int:
        """Units one part carries after a 6-octet UDH: 153 septets or 67 code units."""
        return 153 if self is Encoding.GSM7 else 67


class NonGsmCharacter(NamedTuple):
    """A user-perceived character outside GSM-7, which forces the text into UCS-2.

    ``character`` is a whole grapheme cluster (``"👍🏽"``, not its two code points);
    ``position`` is the index where it starts in the text (a Python ``str`` index).
    """

    character: str
    position: int


@dataclass(init=False, frozen=True, slots=True)
class SegmentInfo:
    """How a text is encoded and split into SMS segments.

    ``units`` are septets for GSM-7 (extension characters count two) and UTF-16 code
    units for UCS-2, excluding any UDH. ``segments`` and ``segment_units`` hold each
    segment's text and size; the empty text is one empty segment, as one SMS.
    """

    text: str
    encoding: Encoding
    units: int
    segment_count: int
    segments: tuple[str, ...]
    segment_units: tuple[int, ...]

    # Written out, not the dataclass's: compiled (parcelsms.compiled_modules).
    def __init__(
        self,
        text: str,
        encoding: Encoding,
        units: int,
        segment_count: int,
        segments: tuple[str, ...],
        segment_units: tuple[int, ...],
    ) -> None:
        object.__setattr__(self, "text", text)
        object.__setattr__(self, "encoding", encoding)
        object.__setattr__(self, "units", units)
        object.__setattr__(self, "segment_count", segment_count)
        object.__setattr__(self, "segments", segments)
        object.__setattr__(self, "segment_units", segment_units)

    @property
    def non_gsm7_characters(self) -> tuple[NonGsmCharacter, ...]:
        """The characters that force UCS-2, in text order; empty for GSM-7 text.

        The same list as the reference's ``getNonGsmCharacters()``, with positions.
        Computed on access: pricing a message does not need it.
        """
        if self.encoding is Encoding.GSM7:
            return ()
        return _non_gsm7_characters(self.text)

    @property
    def single_segment_limit(self) -> int:
        """160 for GSM-7, 70 for UCS-2."""
        return self.encoding.single_segment_limit

    @property
    def concatenated_segment_limit(self) -> int:
        """153 for GSM-7, 67 for UCS-2."""
        return self.encoding.concatenated_segment_limit

    @property
    def segment_limit(self) -> int:
        """The per-segment limit in effect: single when one segment, else concatenated."""
        if self.segment_count == 1:
            return self.single_segment_limit
        return self.concatenated_segment_limit

    @property
    def units_remaining(self) -> int:
        """Units still free in the last segment before another segment is needed."""
        return self.segment_limit - self.segment_units[-1]


def choose_encoding(text: str) -> Encoding:
    """Return GSM-7 when the whole text is in the GSM 03.38 default alphabet, else UCS-2."""
    return Encoding.GSM7 if is_gsm7(text) else Encoding.UCS2


def count_segments(text: str) -> SegmentInfo:
    """Encode-choose, count and split ``text`` as the reference counter does; never raises.

    Limits are those of concatenation with an 8-bit reference (see the module
    docstring); :mod:`parcelsms.protocol.text.concatenation` splits with the limits of
    the method actually used on a channel.
    """
    encoding = choose_encoding(text)
    pieces = split_units(
        text, encoding, encoding.single_segment_limit, encoding.concatenated_segment_limit
    )
    return SegmentInfo(
        text=text,
        encoding=encoding,
        units=sum(units for _, units in pieces),
        segment_count=len(pieces),
        segments=tuple(piece for piece, _ in pieces),
        segment_units=tuple(units for _, units in pieces),
    )


def text_units(text: str, encoding: Encoding) -> int:
    """Return the size of ``text`` in ``encoding``: septets or UTF-16 code units."""
    if encoding is Encoding.GSM7:
        return gsm7_septet_count(text)
    return ucs2_unit_count(text)


def split_units(
    text: str, encoding: Encoding, single_limit: int, part_limit: int
) -> list[tuple[str, int]]:
    """Split ``text`` into ``(piece, units)`` so that each piece fits its limit.

    A text of at most ``single_limit`` units is one piece; otherwise pieces of at most
    ``part_limit`` units are filled greedily with whole atoms: GSM-7 characters (an
    escape pair is one atom) or UCS-2 grapheme clusters, the latter cut at code point
    boundaries only when one cluster alone exceeds ``part_limit``. Returns at least one
    piece. ``encoding`` must be the text's encoding (GSM-7 only for GSM-7 text), and
    ``part_limit`` at least 2 (room for an escape or surrogate pair), else ValueError.
    """
    if part_limit < 2:
        raise ValueError(f"part_limit must be at least 2, got {part_limit}")
    total = text_units(text, encoding)
    if total <= single_limit:
        return [(text, total)]
    if encoding is Encoding.GSM7:
        return split_gsm7(text, part_limit)
    if every_character_is_a_cluster(text) and not _SURROGATE.search(text):
        return _split_code_points(text, part_limit)
    return _fill(_ucs2_atoms(text, part_limit), part_limit)


_GSM7_CHARACTERS: Final = GSM7_BASIC_CHARACTERS | GSM7_EXTENSION_CHARACTERS
# Surrogate code points (invalid text) would pair up when bytes are decoded back, so
# such text takes the character-by-character path, which keeps it as given.
_SURROGATE: Final = re.compile("[" + chr(0xD800) + "-" + chr(0xDFFF) + "]")


def _split_code_points(text: str, part_limit: int) -> list[tuple[str, int]]:
    # Cut the UTF-16 bytes every part_limit units, one unit earlier where the cut would
    # fall inside a surrogate pair; each piece then decodes exactly.
    encoded = text.encode("utf-16-be", "surrogatepass")
    step = 2 * part_limit
    pieces: list[tuple[str, int]] = []
    start = 0
    while start < len(encoded):
        end = min(start + step, len(encoded))
        if end < len(encoded) and 0xD8 <= encoded[end - 2] <= 0xDB:
            end -= 2
        pieces.append((encoded[start:end].decode("utf-16-be", "surrogatepass"), (end - start) // 2))
        start = end
    return pieces


def _ucs2_atoms(text: str, part_limit: int) -> list[tuple[str, int]]:
    atoms: list[tuple[str, int]] = []
    for cluster in split_graphemes(text):
        units = len(cluster) + sum(1 for character in cluster if character > "\uffff")
        if units <= part_limit:
            atoms.append((cluster, units))
        else:
            atoms.extend((character, 2 if character > "\uffff" else 1) for character in cluster)
    return atoms


def _fill(atoms: Iterable[tuple[str, int]], part_limit: int) -> list[tuple[str, int]]:
    pieces: list[tuple[str, int]] = []
    current: list[str] = []
    used = 0
    for atom, units in atoms:
        if used + units > part_limit and current:
            pieces.append(("".join(current), used))
            current = []
            used = 0
        current.append(atom)
        used += units
    pieces.append(("".join(current), used))
    return pieces


def _non_gsm7_characters(text: str) -> tuple[NonGsmCharacter, ...]:
    if every_character_is_a_cluster(text):
        return tuple(
            NonGsmCharacter(character, position)
            for position, character in enumerate(text)
            if character not in _GSM7_CHARACTERS
        )
    found: list[NonGsmCharacter] = []
    index = 0
    for cluster in split_graphemes(text):
        if not is_gsm7(cluster):
            found.append(NonGsmCharacter(cluster, index))
        index += len(cluster)
    return tuple(found)
