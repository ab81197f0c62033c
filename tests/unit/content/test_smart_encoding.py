"""Smart encoding replaces typographic look-alikes with GSM-7 characters, and nothing else."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from parcelsms.domain.smart_encoding import (
    SMART_ENCODING_TABLE,
    Replacement,
    smart_encode,
)
from parcelsms.protocol.text import (
    GSM7_BASIC_CHARACTERS,
    GSM7_EXTENSION_CHARACTERS,
    count_segments,
    is_gsm7,
)

GSM_ALPHABET = sorted(GSM7_BASIC_CHARACTERS | GSM7_EXTENSION_CHARACTERS)
TABLE_CHARACTERS = sorted(SMART_ENCODING_TABLE)
SHAPING = ["\u200c", "\u200d", "\u200e", "\u200f", "\ufe0e", "\ufe0f"]
OTHER_UCS2 = ["😀", "ł", "ç", "中", "ж", "ا", "\u3000", "，"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Your parcel’s on its way", "Your parcel's on its way"),
        ("‘single’ ‚low‛ ′prime", "'single' 'low' 'prime"),
        ("“Delivered” „heute“ ‟x″", '"Delivered" "heute" "x"'),
        ("« Votre colis » est arrivé", '" Votre colis " est arrivé'),
        ("9–17 h — or later ‒ ― − ‐ ‑", "9-17 h - or later - - - - -"),
        ("Wait…", "Wait..."),
        ("• item ‣ item ◦ item", "- item - item - item"),
        ("10\u00a0000\u202f€ at\u2009noon\u2003now\ttab", "10 000 € at noon now tab"),
        ("zero\u200bwidth\u2060joined\ufeffbom soft\u00adhyphen", "zerowidthjoinedbom softhyphen"),
        ("line\u2028break\u2029para", "line\nbreak\npara"),
        ("it`s it´s itʼs", "it's it's it's"),
    ],
)
def test_typographic_characters_become_their_gsm7_look_alikes(text: str, expected: str) -> None:
    result = smart_encode(text)
    assert result.text == expected
    assert result.is_gsm7


def test_each_replacement_reports_original_replacement_and_input_position() -> None:
    text = "It’s … “done”"
    result = smart_encode(text)
    assert result.replacements == (
        Replacement("’", "'", 2),
        Replacement("…", "...", 5),
        Replacement("“", '"', 7),
        Replacement("”", '"', 12),
    )
    assert all(text[r.position] == r.original for r in result.replacements)
    assert result.changed


def test_text_without_look_alikes_is_returned_unchanged() -> None:
    text = "Ihr Paket wird heute zugestellt. Größe: 2 kg, 5 € Zoll."
    result = smart_encode(text)
    assert result.text is text
    assert result.replacements == ()
    assert not result.changed


def test_no_table_entry_is_already_a_gsm7_character() -> None:
    assert [c for c in SMART_ENCODING_TABLE if is_gsm7(c)] == []
    assert all(is_gsm7(replacement) for replacement in SMART_ENCODING_TABLE.values())


@pytest.mark.parametrize("character", GSM_ALPHABET)
def test_a_gsm7_character_is_never_changed(character: str) -> None:
    assert smart_encode(f"a{character}’").text == f"a{character}'"


@pytest.mark.parametrize("text", ["çà ł ő ş ğ", "Привет", "中文，日本語　テキスト", "مرحبا"])
def test_letters_and_cjk_punctuation_outside_gsm7_are_kept(text: str) -> None:
    assert smart_encode(text).text == text


def test_quotes_are_replaced_even_when_other_characters_keep_the_text_ucs2() -> None:
    result = smart_encode("包裹“已送达” 😀")
    assert result.text == '包裹"已送达" 😀'
    assert not result.is_gsm7  # the caller decides whether to use it


def test_joiners_are_kept_while_emoji_keep_the_text_ucs2() -> None:
    family = "👩\u200d👩\u200d👧"
    assert smart_encode(f"Hi {family}’").text == f"Hi {family}'"


def test_stray_joiners_and_marks_are_removed_when_the_text_can_become_gsm7() -> None:
    result = smart_encode("Order\u200d 12\u200e3 ready\ufe0f’")
    assert result.text == "Order 123 ready'"
    assert [r.original for r in result.replacements] == ["\u200d", "\u200e", "\ufe0f", "’"]


def test_removing_a_character_shown_in_the_preview_saves_segments() -> None:
    # 150 characters: one GSM-7 segment; the single ’ makes it UCS-2, three segments.
    text = "Your parcel’s" + "x" * 137
    assert count_segments(text).segment_count == 3
    assert count_segments(smart_encode(text).text).segment_count == 1


replaceable_texts = st.text(
    alphabet=st.sampled_from(GSM_ALPHABET + TABLE_CHARACTERS + SHAPING), max_size=200
)
any_texts = st.text(
    alphabet=st.sampled_from(GSM_ALPHABET + TABLE_CHARACTERS + SHAPING + OTHER_UCS2),
    max_size=200,
) | st.text(max_size=100)


@given(text=replaceable_texts)
def test_output_is_gsm7_when_every_foreign_character_is_replaceable(text: str) -> None:
    assert is_gsm7(smart_encode(text).text)


@given(text=any_texts)
def test_smart_encoding_is_idempotent(text: str) -> None:
    once = smart_encode(text).text
    again = smart_encode(once)
    assert again.text == once
    assert not again.replacements


@given(text=any_texts)
def test_replacements_rebuild_the_output_from_the_input(text: str) -> None:
    result = smart_encode(text)
    pieces, last = [], 0
    for replacement in result.replacements:
        assert text[replacement.position] == replacement.original
        pieces += [text[last : replacement.position], replacement.replacement]
        last = replacement.position + 1
    pieces.append(text[last:])
    assert "".join(pieces) == result.text


@given(text=any_texts)
def test_no_gsm7_character_is_ever_replaced(text: str) -> None:
    assert not [r for r in smart_encode(text).replacements if is_gsm7(r.original)]
