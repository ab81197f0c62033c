"""The shipped registry: every entry validates and states what is commonly known."""

from __future__ import annotations

from datetime import date
from typing import get_args
from zoneinfo import ZoneInfo

import pytest

from parcelsms.domain.country_rules import (
    ALPHANUMERIC_SUPPORT,
    NUMERIC_FALLBACK,
    AlphanumericSupport,
    CountryRules,
    NumericFallback,
)
from parcelsms.domain.country_rules_loading import load_country_rules
from parcelsms.domain.numbers import KNOWN_REGIONS

# The big cross-border destinations the issue and the brief require.
REQUIRED_COUNTRIES = [
    "US",
    "CA",
    "MX",
    "BR",
    "AR",
    "CL",
    "CO",
    "PE",
    "GB",
    "IE",
    "DE",
    "FR",
    "ES",
    "PT",
    "IT",
    "NL",
    "BE",
    "LU",
    "AT",
    "CH",
    "PL",
    "CZ",
    "SK",
    "HU",
    "RO",
    "BG",
    "GR",
    "SE",
    "NO",
    "DK",
    "FI",
    "EE",
    "LV",
    "LT",
    "RU",
    "UA",
    "TR",
    "SA",
    "AE",
    "QA",
    "KW",
    "BH",
    "OM",
    "IL",
    "EG",
    "MA",
    "NG",
    "KE",
    "ZA",
    "GH",
    "IN",
    "PK",
    "BD",
    "LK",
    "ID",
    "MY",
    "TH",
    "VN",
    "PH",
    "SG",
    "HK",
    "TW",
    "JP",
    "KR",
    "CN",
    "AU",
    "NZ",
]


@pytest.fixture(scope="module")
def rules() -> CountryRules:
    return load_country_rules()


def test_packaged_registry_loads_with_at_least_sixty_countries(rules: CountryRules) -> None:
    assert len(rules) >= 60
    assert date.fromisoformat(rules.version) >= date(2026, 11, 28)


@pytest.mark.parametrize("code", REQUIRED_COUNTRIES)
def test_required_destination_has_an_entry(rules: CountryRules, code: str) -> None:
    rule = rules.get(code)
    assert rule is not None
    assert rule.listed


def test_every_entry_is_complete_and_sourced(rules: CountryRules) -> None:
    for rule in rules:
        assert rule.code in KNOWN_REGIONS
        assert rule.name.strip()
        assert rule.alphanumeric_sender in ALPHANUMERIC_SUPPORT
        assert rule.numeric_sender_fallback in NUMERIC_FALLBACK
        assert rule.time_zone is not None
        ZoneInfo(rule.time_zone)
        assert rule.notes.strip(), rule.code
        assert rule.sources, rule.code
        for source in rule.sources:
            assert source.url.startswith("https://")
            assert source.title.strip()


def test_entries_are_kept_in_code_order_so_duplicates_and_gaps_are_easy_to_spot(
    rules: CountryRules,
) -> None:
    codes = [rule.code for rule in rules]
    assert codes == sorted(codes)


def test_enumerations_document_every_allowed_value() -> None:
    assert tuple(ALPHANUMERIC_SUPPORT) == get_args(AlphanumericSupport)
    assert tuple(NUMERIC_FALLBACK) == get_args(NumericFallback)


# Facts stated by the issue and the brief (and by every carrier guideline we cited):
# US/CA/CN/BR refuse names, India requires DLT registration, Saudi Arabia and the UAE require
# registration, the UK and Germany accept names freely.
@pytest.mark.parametrize(
    ("code", "alphanumeric"),
    [
        ("US", "not_supported"),
        ("CA", "not_supported"),
        ("CN", "not_supported"),
        ("BR", "not_supported"),
        ("KR", "not_supported"),
        ("IN", "registration_required"),
        ("SA", "registration_required"),
        ("AE", "registration_required"),
        ("GB", "supported"),
        ("DE", "supported"),
    ],
)
def test_well_known_sender_rules_are_recorded(
    rules: CountryRules, code: str, alphanumeric: str
) -> None:
    rule = rules.get(code)
    assert rule is not None
    assert rule.alphanumeric_sender == alphanumeric


def test_north_america_needs_a_local_number_when_names_are_refused(rules: CountryRules) -> None:
    for code in ("US", "CA"):
        rule = rules.get(code)
        assert rule is not None
        assert rule.numeric_sender_fallback == "local_long_code"


def test_uncertain_entries_say_so_in_their_notes(rules: CountryRules) -> None:
    # Where the sources disagree we wrote it down rather than invent precision.
    for code in ("BE", "ZA", "JP", "BH"):
        rule = rules.get(code)
        assert rule is not None
        assert "uncertain" in rule.notes


def test_lookup_is_case_insensitive_and_unknown_codes_get_the_default(
    rules: CountryRules,
) -> None:
    assert rules.get("gb") is rules.get("GB")
    assert "gb" in rules
    assert rules.get("AQ") is None
    applied = rules.rule_for("aq")
    assert applied.code == "AQ"
    assert not applied.listed
    assert applied.alphanumeric_sender == rules.fallback.alphanumeric_sender
    assert applied.time_zone is None
    assert applied.quiet_hours is None


def test_default_rule_is_conservative_about_names(rules: CountryRules) -> None:
    assert rules.fallback.alphanumeric_sender == "registration_required"
    assert rules.fallback.receipts_reliable is False
    assert rules.fallback.notes
