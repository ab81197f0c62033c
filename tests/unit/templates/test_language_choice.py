"""Which variant a message uses: explicit language, pinned version, country, default."""

from __future__ import annotations

import pytest

from parcelsms.domain.languages import (
    choose_language,
    language_key,
    match_language,
    packaged_country_languages,
    parse_country_languages,
)
from parcelsms.domain.numbers import KNOWN_REGIONS

VARIANTS = ("en", "es", "de", "fr", "pt-BR", "ja", "zh-Hans", "ar")


def choose(
    requested: str | None = None,
    pinned: str | None = None,
    country: str = "ZZ",
    default: str = "en",
    available: tuple[str, ...] = VARIANTS,
) -> tuple[str, str] | None:
    choice = choose_language(
        available,
        requested=requested,
        pinned=pinned,
        country_languages=packaged_country_languages().for_country(country),
        default=default,
    )
    return None if choice is None else (choice.language, choice.reason)


def test_an_explicit_language_wins_over_the_recipients_country() -> None:
    assert choose(requested="ja", country="DE") == ("ja", "requested")


def test_an_explicit_language_that_has_no_variant_chooses_nothing() -> None:
    assert choose(requested="ko", country="KR") is None


@pytest.mark.parametrize(
    ("country", "language"),
    [
        ("MX", "es"),
        ("AR", "es"),
        ("BR", "pt-BR"),
        ("DE", "de"),
        ("AT", "de"),
        ("FR", "fr"),
        ("JP", "ja"),
        ("CN", "zh-Hans"),
        ("SA", "ar"),
        ("EG", "ar"),
        ("GB", "en"),
        ("CA", "en"),
        ("CH", "de"),
        ("BE", "fr"),  # no Dutch variant: the second language of Belgium
    ],
)
def test_without_a_language_the_recipients_country_picks_the_variant(
    country: str, language: str
) -> None:
    assert choose(country=country) == (language, "country")


def test_a_country_whose_languages_have_no_variant_gets_the_default() -> None:
    assert choose(country="KR", default="en") == ("en", "default")
    assert choose(country="PL", default="de") == ("de", "default")


def test_an_unlisted_country_gets_the_default() -> None:
    assert choose(country="ZZ", default="fr") == ("fr", "default")


def test_a_version_id_pins_its_language_over_the_country() -> None:
    assert choose(pinned="en", country="MX") == ("en", "pinned")


def test_nothing_applies_when_the_default_has_no_approved_variant() -> None:
    assert choose(country="KR", default="ko") is None


def test_a_traditional_chinese_reader_never_gets_simplified_chinese() -> None:
    assert choose(country="TW", default="en") == ("en", "default")
    assert choose(country="TW", available=("zh-Hant", "zh-Hans")) == ("zh-Hant", "country")


def test_a_regional_tag_is_served_by_its_language_but_never_across_scripts() -> None:
    assert match_language("es-MX", ["es-ES", "es"]) == "es"
    assert match_language("es-MX", ["es-ES", "en"]) == "es-ES"
    assert match_language("pt-BR", ["pt-PT", "pt-BR"]) == "pt-BR"
    assert match_language("zh-Hans-CN", ["zh-Hant", "zh-Hans"]) == "zh-Hans"
    assert match_language("zh-Hant", ["zh-Hans", "zh"]) is None
    assert language_key("zh-Hans-CN") == "zh-hans"
    assert language_key("pt-BR") == "pt"


def test_every_entry_of_the_packaged_map_is_a_known_country_with_tags() -> None:
    languages = packaged_country_languages()
    assert len(languages) >= 100
    for country, tags in languages.items():
        assert country in KNOWN_REGIONS
        assert tags
        for tag in tags:
            assert tag.split("-")[0].islower()


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ('version = "1"\n[countries]\nUK = ["en"]\n', "UK"),
        ('version = "1"\n[countries]\nGB = []\n', "GB"),
        ('version = "1"\n[countries]\nGB = ["English"]\n', "GB"),
        ('[countries]\nGB = ["en"]\n', "version"),
    ],
)
def test_a_broken_map_is_refused_naming_the_entry(text: str, problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        parse_country_languages(text)
