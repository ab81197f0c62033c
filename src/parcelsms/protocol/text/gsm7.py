"""The GSM 03.38 (3GPP TS 23.038) 7-bit default alphabet and its extension table.

A GSM-7 character is one *septet*, except the ten extension-table characters
(``^ { } \\ [ ~ ] | €`` and form feed), which are sent as the escape septet ``0x1B``
followed by their extension code: two septets.

Two byte forms exist:

* **unpacked** - one septet per octet (high bit clear). This is how SMPP
  ``short_message`` carries ``data_coding`` 0 on nearly every SMSC; the SMSC packs it
  for the air interface. :func:`encode_gsm7` / :func:`decode_gsm7` use it.
* **packed** - septets laid end to end, least significant bit first, as on the air
  interface (TP-UD). :func:`encode_gsm7_packed` / :func:`decode_gsm7_packed` convert
  between the two forms, with optional fill bits for a user data header.

Only the default alphabet is supported: no national language shift tables.
"""

from __future__ import annotations

from typing import Final

from parcelsms.errors import TextEncodingError

__all__ = [
    "ESCAPE",
    "GSM7_BASIC_CHARACTERS",
    "GSM7_EXTENSION_CHARACTERS",
    "decode_gsm7",
    "decode_gsm7_packed",
    "encode_gsm7",
    "encode_gsm7_packed",
    "first_non_gsm7",
    "gsm7_septet_count",
    "is_gsm7",
    "split_gsm7",
]

ESCAPE: Final = 0x1B
"""The septet that announces an extension-table character."""

# The basic table in code order (index = septet). Position 0x1B is the escape, not a
# character; it holds a placeholder that is removed from the character sets below.
_BASIC_TABLE: Final = (
    "@£$¥èéùìòÇ\nØø\rÅå"
    "Δ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ"
    " !\"#¤%&'()*+,-./"
    "0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNO"
    "PQRSTUVWXYZÄÖÑÜ§"
    "¿abcdefghijklmno"
    "pqrstuvwxyzäöñüà"
)

_EXTENSION_TABLE: Final[dict[str, int]] = {
    "\f": 0x0A,
    "^": 0x14,
    "{": 0x28,
    "}": 0x29,
    "\\": 0x2F,
    "[": 0x3C,
    "~": 0x3D,
    "]": 0x3E,
    "|": 0x40,
    "€": 0x65,
}

GSM7_BASIC_CHARACTERS: Final = frozenset(_BASIC_TABLE) - {"\x1b"}
"""The 127 characters of the basic table: one septet each."""

GSM7_EXTENSION_CHARACTERS: Final = frozenset(_EXTENSION_TABLE)
"""The 10 characters of the extension table: two septets each (escape + code)."""

_ALL_CHARACTERS: Final = GSM7_BASIC_CHARACTERS | GSM7_EXTENSION_CHARACTERS

# str.translate tables, so that checks and encoding run in C rather than in a Python
# loop: one deletes every GSM character (what is left is foreign), one maps every GSM
# character to its unpacked septet(s) as code points 0..127.
_DELETE_GSM: Final[dict[int, None]] = dict.fromkeys(map(ord, _ALL_CHARACTERS))
_TO_SEPTETS: Final[dict[int, str]] = {
    ord(character): chr(code) for code, character in enumerate(_BASIC_TABLE) if character != "\x1b"
} | {ord(character): f"\x1b{chr(code)}" for character, code in _EXTENSION_TABLE.items()}

# Decoding tables indexed by septet value. Per TS 23.038 §6.2.1.1 a receiver that meets
# an escape followed by a code missing from the extension table shows the basic-table
# character for that code; ESC ESC (reserved for a further extension table) shows a
# space. An octet with the high bit set is not a septet at all: it decodes as "?".
_FROM_SEPTET: Final = tuple(_BASIC_TABLE[:ESCAPE] + " " + _BASIC_TABLE[ESCAPE + 1 :]) + (
    ("?",) * 128
)
_FROM_EXTENSION: Final[dict[int, str]] = {
    code: character for character, code in _EXTENSION_TABLE.items()
} | {ESCAPE: " "}
_FROM_SEPTET_TRANSLATION: Final[dict[int, str]] = dict(enumerate(_FROM_SEPTET))


def is_gsm7(text: str) -> bool:
    """Return True when every character of ``text`` is in the GSM-7 default alphabet.

    The empty string is GSM-7.
    """
    return not text.translate(_DELETE_GSM)


def gsm7_septet_count(text: str) -> int:
    """Return the number of septets ``text`` takes: extension characters count two.

    Characters outside the alphabet are counted as one septet each; call
    :func:`is_gsm7` first when that matters.
    """
    count = len(text)
    for character in GSM7_EXTENSION_CHARACTERS:
        count += text.count(character)
    return count


def split_gsm7(text: str, part_limit: int) -> list[tuple[str, int]]:
    """Split GSM-7 ``text`` into ``(piece, septets)`` of at most ``part_limit`` septets.

    Pieces are filled greedily and an escape pair is never divided. ``text`` must be
    GSM-7 (see :func:`is_gsm7`) and ``part_limit`` at least 2 (else ValueError). The
    empty text gives no pieces.
    """
    if part_limit < 2:
        raise ValueError(f"part_limit must be at least 2, got {part_limit}")
    # Works on the septet string, in C: a boundary that would fall right after an
    # escape moves back one septet (0x1B is never an extension code, so a 0x1B just
    # before the boundary always opens a pair). Text offsets are septet offsets minus
    # the escapes before them.
    septets = text.translate(_TO_SEPTETS)
    pieces: list[tuple[str, int]] = []
    start = text_start = 0
    while start < len(septets):
        end = min(start + part_limit, len(septets))
        if end < len(septets) and septets[end - 1] == "\x1b":
            end -= 1
        text_end = text_start + (end - start) - septets.count("\x1b", start, end)
        pieces.append((text[text_start:text_end], end - start))
        start, text_start = end, text_end
    return pieces


def first_non_gsm7(text: str) -> tuple[int, str] | None:
    """Return ``(index, character)`` of the first character outside GSM-7, or None."""
    foreign = text.translate(_DELETE_GSM)
    if not foreign:
        return None
    index = text.index(foreign[0])
    return index, foreign[0]


def encode_gsm7(text: str) -> bytes:
    """Encode ``text`` as unpacked GSM-7: one septet per octet, escapes included.

    Raises :class:`~parcelsms.errors.TextEncodingError` naming the first character
    (and its index) that the default alphabet cannot represent.
    """
    foreign = first_non_gsm7(text)
    if foreign is not None:
        index, character = foreign
        raise TextEncodingError(
            f"character {character!r} (U+{ord(character):04X}) at index {index} "
            "is not in the GSM 03.38 default alphabet"
        )
    # Every value produced by the table is below 0x80, so latin-1 maps it 1:1 to bytes.
    return text.translate(_TO_SEPTETS).encode("latin-1")


def decode_gsm7(data: bytes) -> str:
    """Decode unpacked GSM-7 (one septet per octet) tolerantly; never raises.

    * ``ESC`` + an extension code gives the extension character.
    * ``ESC`` + a code missing from the extension table gives that code's basic-table
      character (the receiver behaviour TS 23.038 asks for); ``ESC ESC`` and a lone
      trailing ``ESC`` give a space.
    * An octet with the high bit set (not a septet) gives ``"?"``.
    """
    if ESCAPE not in data:
        return data.decode("latin-1").translate(_FROM_SEPTET_TRANSLATION)
    characters: list[str] = []
    escaped = False
    for octet in data:
        if escaped:
            escaped = False
            extension = _FROM_EXTENSION.get(octet)
            characters.append(extension if extension is not None else _FROM_SEPTET[octet])
        elif octet == ESCAPE:
            escaped = True
        else:
            characters.append(_FROM_SEPTET[octet])
    if escaped:
        characters.append(" ")
    return "".join(characters)


def encode_gsm7_packed(septets: bytes, *, fill_bits: int = 0) -> bytes:
    """Pack unpacked septets (as made by :func:`encode_gsm7`) into 7-bit user data.

    ``fill_bits`` (0..6) zero bits are put first, as needed after a user data header so
    that the first character starts on a septet boundary. When the last octet would
    carry 7 spare bits they hold a carriage return, so that a receiver that does not
    know the septet count does not read a spurious ``@`` (TS 23.038 §6.1.2.3.1).

    Raises ``ValueError`` for a value above 0x7F or a ``fill_bits`` outside 0..6.
    """
    if not 0 <= fill_bits <= 6:
        raise ValueError(f"fill_bits must be 0..6, got {fill_bits}")
    if septets and max(septets) > 0x7F:
        raise ValueError("a septet must be 0..0x7F")
    accumulator = 0
    bit_count = fill_bits
    octets = bytearray()
    for septet in septets:
        accumulator |= septet << bit_count
        bit_count += 7
        while bit_count >= 8:
            octets.append(accumulator & 0xFF)
            accumulator >>= 8
            bit_count -= 8
    if bit_count and septets:
        if bit_count == 1:
            accumulator |= 0x0D << 1
        octets.append(accumulator & 0xFF)
    return bytes(octets)


def decode_gsm7_packed(data: bytes, septet_count: int, *, fill_bits: int = 0) -> bytes:
    """Unpack ``septet_count`` septets from 7-bit user data; the inverse of packing.

    The count is required (it is TP-UDL on the air interface) because the padding of the
    last octet is otherwise ambiguous. Septets the data is too short for are not
    returned, so the result may be shorter than ``septet_count`` for truncated input.
    """
    if not 0 <= fill_bits <= 6:
        raise ValueError(f"fill_bits must be 0..6, got {fill_bits}")
    available = max(0, (len(data) * 8 - fill_bits) // 7)
    count = min(max(septet_count, 0), available)
    value = int.from_bytes(data, "little") >> fill_bits
    return bytes((value >> (7 * index)) & 0x7F for index in range(count))
