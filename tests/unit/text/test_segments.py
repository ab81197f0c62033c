"""Encoding choice, segment counting and the never-split rules."""

from __future__ import annotations

import pytest

from parcelsms.protocol.text import (
    Encoding,
    NonGsmCharacter,
    choose_encoding,
    count_segments,
    split_graphemes,
)
from parcelsms.protocol.text.gsm7 import split_gsm7
from parcelsms.protocol.text.segments import split_units


def test_gsm_text_is_gsm7_and_one_foreign_character_makes_it_ucs2() -> None:
    assert choose_encoding("Your parcel is here") is Encoding.GSM7
    assert choose_encoding("Your parcel’s here") is Encoding.UCS2


def test_encodings_carry_their_data_coding_and_limits() -> None:
    assert (Encoding.GSM7.data_coding, Encoding.UCS2.data_coding) == (0, 8)
    assert (Encoding.GSM7.single_segment_limit, Encoding.GSM7.concatenated_segment_limit) == (
        160,
        153,
    )
    assert (Encoding.UCS2.single_segment_limit, Encoding.UCS2.concatenated_segment_limit) == (
        70,
        67,
    )


@pytest.mark.parametrize(("length", "segments"), [(160, 1), (161, 2), (306, 2), (307, 3)])
def test_gsm7_segments_hold_160_alone_and_153_concatenated(length: int, segments: int) -> None:
    assert count_segments("a" * length).segment_count == segments


@pytest.mark.parametrize(("length", "segments"), [(70, 1), (71, 2), (134, 2), (135, 3)])
def test_ucs2_segments_hold_70_alone_and_67_concatenated(length: int, segments: int) -> None:
    assert count_segments("ж" * length).segment_count == segments


def test_escape_pair_is_never_split() -> None:
    info = count_segments("a" * 152 + "€" + "b" * 10)
    assert info.segment_units == (152, 12)
    assert info.segments[1].startswith("€")


def test_surrogate_pair_is_never_split() -> None:
    info = count_segments("ж" * 66 + "😀" + "ж" * 10)
    assert info.segment_units == (66, 12)
    assert info.segments[1].startswith("😀")


def test_flag_and_skin_toned_emoji_stay_in_one_segment() -> None:
    flag = count_segments("ж" * 64 + "🇺🇸" + "ж" * 10)
    assert flag.segment_units == (64, 14)
    thumbs = count_segments("ж" * 65 + "👍🏽" + "ж" * 10)
    assert thumbs.segment_units == (65, 14)


def test_oversize_cluster_is_cut_between_code_points_to_respect_the_limit() -> None:
    info = count_segments("a" + "\u0301" * 80)
    assert info.segment_units == (67, 14)
    assert all(units <= 67 for units in info.segment_units)


def test_empty_text_is_one_empty_gsm7_segment() -> None:
    info = count_segments("")
    assert (info.encoding, info.segment_count, info.segments, info.units) == (
        Encoding.GSM7,
        1,
        ("",),
        0,
    )


def test_non_gsm7_characters_are_reported_as_clusters_with_their_position() -> None:
    info = count_segments("Thanks ’ 👍🏽 ok")
    assert info.non_gsm7_characters == (
        NonGsmCharacter("’", 7),
        NonGsmCharacter("👍🏽", 9),
    )
    assert count_segments("plain text").non_gsm7_characters == ()


def test_units_remaining_reports_room_in_the_last_segment() -> None:
    assert count_segments("a" * 150).units_remaining == 10
    info = count_segments("a" * 200)
    assert (info.segment_limit, info.units_remaining) == (153, 153 - 47)


def test_crlf_counts_as_two_clusters_and_two_septets() -> None:
    assert split_graphemes("a\r\nb") == ["a", "\r", "\n", "b"]
    assert count_segments("a\r\nb").units == 4


def test_zwj_sequences_of_unicode_10_join_and_later_ones_split_at_the_joiner() -> None:
    assert split_graphemes("👨‍👩‍👧‍👦") == ["👨‍👩‍👧‍👦"]
    assert split_graphemes("👩🏽‍💻") == ["👩🏽‍💻"]
    assert split_graphemes("🧑‍🤝‍🧑") == ["🧑\u200d", "🤝\u200d", "🧑"]


def test_hangul_jamo_and_indic_vowel_signs_join_but_conjuncts_do_not() -> None:
    assert split_graphemes("\u1100\u1161\u11a8") == ["\u1100\u1161\u11a8"]
    assert split_graphemes("कि") == ["कि"]
    # Unicode 10 has no conjunct rule (added in 15.1): virama ends the cluster.
    assert split_graphemes("क्ष") == ["क्", "ष"]


def test_a_part_limit_below_two_is_refused_rather_than_looping() -> None:
    with pytest.raises(ValueError, match="part_limit"):
        split_units("😀" * 5, Encoding.UCS2, 1, 1)
    with pytest.raises(ValueError, match="part_limit"):
        split_gsm7("€€", 1)


def test_split_gsm7_pieces_rejoin_and_keep_escape_pairs_whole() -> None:
    assert split_gsm7("ab€cd", 3) == [("ab", 2), ("€c", 3), ("d", 1)]
    assert split_gsm7("", 10) == []
