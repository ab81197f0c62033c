"""Length at typical and worst case, and the characters that force UCS-2.

Expected segment counts come from the SMS limits (GSM-7: 160 septets alone, 153 per
part, extension characters two septets; UCS-2: 70 units alone, 67 per part).
"""

from __future__ import annotations

import pytest

from parcelsms.domain.content.variables import VariableSpec
from parcelsms.domain.content_checks import Finding, check_template


def findings(
    body: str,
    declared: dict[str, VariableSpec] | None = None,
    *,
    language: str = "en",
    max_segments: int = 10,
) -> list[Finding]:
    return check_template(
        body,
        language,
        declared_variables=declared,
        allowed_link_domains=["example.com"],
        max_segments=max_segments,
    )


def of_code(found: list[Finding], code: str) -> list[Finding]:
    return [f for f in found if f.code == code]


PADDING = " We will let you know when it arrives at the pick-up point."  # 59 characters


def test_a_single_segment_template_has_no_length_finding() -> None:
    assert (
        of_code(findings("Your parcel has been delivered. Thank you!"), "length_exceeds_segments")
        == []
    )


def test_160_septets_fit_one_segment_and_161_need_two() -> None:
    assert of_code(findings("a" * 160), "length_exceeds_segments") == []
    [finding] = of_code(findings("a" * 161), "length_exceeds_segments")
    assert (finding.severity, finding.span, finding.field) == ("warning", None, "body")
    assert "2 segments (GSM-7)" in finding.message


def test_extension_characters_count_two_septets() -> None:
    assert of_code(findings("€" * 80), "length_exceeds_segments") == []
    [finding] = of_code(findings("€" * 81), "length_exceeds_segments")
    assert "2 segments (GSM-7)" in finding.message


def test_typical_and_worst_case_counts_use_declared_lengths() -> None:
    # 140 literal characters + tracking number: typical 16 → 156 (1 segment),
    # maximum 22 → 162 (2 segments).
    body = "Parcel {tracking_number}" + "x" * 133
    assert len(body) - len("{tracking_number}") == 140
    declared = {"tracking_number": VariableSpec("tracking_number", "tracking_number", 22)}
    [finding] = of_code(findings(body, declared), "length_exceeds_segments")
    assert finding.severity == "warning"
    assert "1 segment with typical values and 2 segments at its longest" in finding.message


def test_beyond_max_segments_at_the_worst_case_is_an_error() -> None:
    # 100 literal characters + 3 undeclared variables at 80 = 340 septets = 3 parts of 153.
    body = "{a}{b}{c}" + "y" * 100
    [finding] = of_code(findings(body, max_segments=2), "length_exceeds_segments")
    assert finding.severity == "error"
    assert "3 segments at its longest" in finding.message
    assert "the limit is 2 segments" in finding.message
    [warning] = of_code(findings(body, max_segments=3), "length_exceeds_segments")
    assert warning.severity == "warning"


def test_one_typographic_apostrophe_costs_two_segments() -> None:
    # 150 characters: GSM-7 fits one segment (160); UCS-2 needs 3 parts of 67.
    body = "Your parcel’s on its way." + PADDING
    body += "z" * (150 - len(body))
    [finding] = of_code(findings(body), "forces_ucs2")
    assert (finding.severity, finding.span, finding.field) == ("warning", (11, 12), "body")
    assert finding.message.startswith(
        "'’' (RIGHT SINGLE QUOTATION MARK) forces UCS-2: 3 segments instead of 1"
    )
    assert 'Write "\'" instead, or turn on smart encoding' in finding.message


def test_each_distinct_character_is_one_finding_at_its_first_occurrence() -> None:
    body = "It’s here — it’s really here…" + PADDING
    found = of_code(findings(body), "forces_ucs2")
    assert [(f.span, f.severity) for f in found] == [
        ((2, 3), "warning"),
        ((10, 11), "warning"),
        ((28, 29), "warning"),
    ]
    assert "'’'" in found[0].message
    assert "as do 2 other characters ('—', '…')" in found[0].message
    assert "(it appears 2 times)" in found[0].message
    # 88 characters: UCS-2 needs 2 parts; with "'", "-" and "..." it is 90 septets, one SMS.
    assert "2 segments instead of 1 at the longest without all of them" in found[0].message


def test_a_short_message_reports_the_lost_room_rather_than_extra_segments() -> None:
    [finding] = of_code(findings("Delivered 📦"), "forces_ucs2")
    assert finding.span == (10, 11)
    assert "PACKAGE" in finding.message
    assert "1 segment either way, with room for 70 characters per SMS instead of 160" in (
        finding.message
    )
    assert "Remove it" in finding.message


def test_an_emoji_with_a_skin_tone_is_one_character_spanning_both_code_points() -> None:
    [finding] = of_code(findings("Thanks 👍🏽 for your order"), "forces_ucs2")
    assert finding.span == (7, 9)
    assert "THUMBS UP SIGN + EMOJI MODIFIER FITZPATRICK TYPE-4" in finding.message


def test_a_latin_letter_outside_gsm7_suggests_its_base_letter() -> None:
    body = "Seu pedido não foi entregue. Tente novamente amanhã."
    found = of_code(findings(body, language="pt-BR"), "forces_ucs2")
    assert [f.span for f in found] == [(12, 13)]  # 'ã' twice: one finding
    assert "Writing 'a' instead keeps GSM-7, if the spelling allows it." in found[0].message


def test_a_decomposed_accent_is_told_to_be_composed() -> None:
    body = "Livraison pre\u0301vue demain"  # é written as e + combining acute
    [finding] = of_code(findings(body, language="fr"), "forces_ucs2")
    assert finding.span == (12, 14)
    assert "single character 'é'" in finding.message


@pytest.mark.parametrize(
    ("language", "body", "first"),
    [
        ("zh-Hans", "您的包裹{tracking_number}已发货，预计明天送达。", (0, 1)),
        ("ja", "お荷物{tracking_number}を発送しました。", (0, 1)),
        ("ar", "تم شحن طردك {tracking_number} وسيصل غدا.", (0, 1)),
        ("ru", "Ваша посылка {tracking_number} в пути.", (0, 1)),
        ("en", "Parcel {tracking_number}: доставка “today”", (26, 27)),
    ],
)
def test_text_in_another_script_is_one_ucs2_finding(
    language: str, body: str, first: tuple[int, int]
) -> None:
    found = of_code(findings(body, language=language), "forces_ucs2")
    assert [(f.severity, f.span, f.field) for f in found] == [("warning", first, "body")]
    assert "70 characters in one SMS and 67 per part" in found[0].message


def test_a_text_variable_in_a_gsm7_template_may_force_ucs2() -> None:
    body = "Hello {name}, your parcel {tracking_number} is out for delivery."
    declared = {
        "name": VariableSpec("name", "text", 40),
        "tracking_number": VariableSpec("tracking_number", "tracking_number", 22),
    }
    [finding] = of_code(findings(body, declared), "forces_ucs2")
    assert (finding.severity, finding.span, finding.field) == ("warning", (6, 12), "variables.name")
    # Worst case: 50 literal + 40 + 22 = 112 characters: 1 GSM-7 segment, 2 UCS-2 parts.
    assert "2 segments instead of 1 at the longest" in finding.message


def test_no_variable_finding_when_the_template_is_already_ucs2() -> None:
    body = "Hello {name}, your parcel’s out for delivery."
    found = of_code(findings(body, {"name": VariableSpec("name", "text", 40)}), "forces_ucs2")
    assert [f.field for f in found] == ["body"]


def test_undeclared_variables_are_taken_as_text_of_80_characters() -> None:
    found = of_code(findings("Your parcel {tracking_number} is on its way."), "forces_ucs2")
    assert [f.field for f in found] == ["variables.tracking_number"]
