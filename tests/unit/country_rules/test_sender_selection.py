"""Sender selection: the requested sender if allowed and approved, else a number, else refuse."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

import pytest

from parcelsms.domain.country_rules import (
    AlphanumericSupport,
    CountryRule,
    CountryRules,
    NumericFallback,
)
from parcelsms.domain.country_rules_loading import load_country_rules
from parcelsms.domain.error_catalogue import CATALOGUE
from parcelsms.domain.sender_selection import (
    RegisteredSender,
    SenderChoice,
    SenderKind,
    SenderStatus,
    canonical_sender_id,
    classify_sender_id,
    select_sender,
)
from parcelsms.errors import CatalogueError


@pytest.fixture(scope="module")
def registry() -> CountryRules:
    return load_country_rules()


def country(
    alphanumeric: AlphanumericSupport,
    numeric: NumericFallback = "any_international",
    code: str = "GB",
) -> CountryRule:
    return CountryRule(
        code=code,
        name=f"Country {code}",
        alphanumeric_sender=alphanumeric,
        numeric_sender_fallback=numeric,
        receipts_reliable=True,
        time_zone="UTC",
        quiet_hours=None,
        notes="",
        sources=(),
    )


Countries = set[str] | Literal["*"]


def registration(
    value: str, kind: SenderKind, status: SenderStatus, countries: Countries
) -> RegisteredSender:
    return RegisteredSender(
        value, kind, status, countries if countries == "*" else frozenset(countries)
    )


def alpha(
    value: str = "ACME", status: SenderStatus = "approved", countries: Countries = "*"
) -> RegisteredSender:
    return registration(value, "alphanumeric", status, countries)


def number(
    value: str = "447700900123", status: SenderStatus = "approved", countries: Countries = "*"
) -> RegisteredSender:
    return registration(value, "numeric", status, countries)


def refused(
    rule: CountryRule, requested: str | None, senders: Iterable[RegisteredSender]
) -> CatalogueError:
    with pytest.raises(CatalogueError) as caught:
        select_sender(rule, requested, senders)
    failure = caught.value
    assert failure.code == "sender_not_allowed"
    assert failure.status == 422
    assert failure.field == "sender_id"
    assert failure.extra["country"] == rule.code
    assert rule.code in failure.message
    return failure


# --- the brief's scenarios, on the shipped registry ------------------------------------------


def test_us_alphanumeric_request_falls_back_to_the_registered_us_number(
    registry: CountryRules,
) -> None:
    us = registry.rule_for("US")
    us_number = number("14155550100", countries={"US"})
    choice = select_sender(us, "ACME", [alpha(countries={"US", "GB"}), us_number])
    assert choice.sender is us_number
    assert not choice.requested
    assert choice.fallback_reason is not None
    assert "not supported in US" in choice.fallback_reason


def test_us_refuses_a_worldwide_number_because_it_must_be_local(registry: CountryRules) -> None:
    failure = refused(registry.rule_for("US"), "ACME", [alpha(), number(countries="*")])
    assert failure.extra["reason"] == "alphanumeric_not_supported"
    assert "Alphanumeric sender IDs are not supported in US (United States)" in failure.message
    assert "register a numeric sender for US" in failure.message


def test_india_unregistered_alphanumeric_is_not_allowed(registry: CountryRules) -> None:
    failure = refused(registry.rule_for("IN"), "ACME", [alpha(countries={"GB"})])
    assert failure.extra["reason"] == "sender_not_registered_for_country"
    assert "IN" in failure.message


def test_india_refuses_a_name_registered_only_for_every_country(registry: CountryRules) -> None:
    failure = refused(registry.rule_for("IN"), "ACME", [alpha(countries="*")])
    assert failure.extra["reason"] == "alphanumeric_not_registered"
    assert "registered for IN specifically" in failure.message


def test_india_uses_a_name_registered_and_approved_for_india(registry: CountryRules) -> None:
    registered = alpha(countries={"IN"})
    assert select_sender(registry.rule_for("IN"), "ACME", [registered]) == SenderChoice(
        registered, requested=True
    )


def test_gb_uses_an_approved_worldwide_name(registry: CountryRules) -> None:
    registered = alpha(countries="*")
    choice = select_sender(registry.rule_for("GB"), "ACME", [registered])
    assert choice.sender is registered
    assert choice.requested
    assert choice.fallback_reason is None


def test_gb_pending_name_is_not_used_and_the_number_is(registry: CountryRules) -> None:
    fallback = number()
    choice = select_sender(registry.rule_for("GB"), "ACME", [alpha(status="pending"), fallback])
    assert choice.sender is fallback
    assert not choice.requested
    assert choice.fallback_reason is not None
    assert "pending" in choice.fallback_reason


def test_saudi_arabia_never_falls_back_to_a_number(registry: CountryRules) -> None:
    failure = refused(registry.rule_for("SA"), None, [number(countries={"SA"})])
    assert failure.extra["reason"] == "no_sender_requested"
    assert "numeric senders are not delivered in SA" in failure.message


def test_new_zealand_needs_a_short_code_registered_for_it(registry: CountryRules) -> None:
    nz = registry.rule_for("NZ")
    refused(nz, None, [number(countries="*")])
    short_code = number("2649", countries={"NZ"})
    assert select_sender(nz, None, [number(countries="*"), short_code]).sender is short_code


def test_unlisted_country_follows_the_default_rule(registry: CountryRules) -> None:
    unlisted = registry.rule_for("AQ")
    worldwide_number = number()
    choice = select_sender(unlisted, "ACME", [alpha(countries="*"), worldwide_number])
    assert choice.sender is worldwide_number
    named = alpha(countries={"AQ"})
    assert select_sender(unlisted, "ACME", [named]).sender is named


# --- the rule, mode by mode -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("alphanumeric", "countries", "used"),
    [
        ("supported", "*", True),
        ("supported", {"GB"}, True),
        ("supported", {"DE"}, False),
        ("registration_required", "*", False),
        ("registration_required", {"GB"}, True),
        ("registration_required", {"GB", "DE"}, True),
        ("not_supported", {"GB"}, False),
        ("not_supported", "*", False),
    ],
)
def test_approved_name_is_used_only_where_the_country_allows_it(
    alphanumeric: AlphanumericSupport, countries: Countries, used: bool
) -> None:
    fallback = number()
    choice = select_sender(country(alphanumeric), "ACME", [alpha(countries=countries), fallback])
    assert choice.requested is used
    assert choice.sender.value == ("ACME" if used else fallback.value)


@pytest.mark.parametrize(
    ("mode", "countries", "used"),
    [
        ("any_international", "*", True),
        ("any_international", {"GB"}, True),
        ("carrier_assigned", "*", True),
        ("local_long_code", "*", False),
        ("local_long_code", {"GB"}, True),
        ("short_code_only", "*", False),
        ("short_code_only", {"GB"}, True),
        ("none", {"GB"}, False),
    ],
)
def test_approved_number_is_used_only_where_the_country_allows_it(
    mode: NumericFallback, countries: Countries, used: bool
) -> None:
    rule = country("supported", mode)
    senders = [number(countries=countries)]
    if used:
        assert select_sender(rule, "+447700900123", senders).requested
        assert select_sender(rule, None, senders).sender.value == "447700900123"
    else:
        refused(rule, "447700900123", senders)
        refused(rule, None, senders)


@pytest.mark.parametrize(
    ("senders", "reason"),
    [
        ([], "sender_not_registered"),
        ([alpha(countries={"DE"})], "sender_not_registered_for_country"),
        ([alpha(status="pending", countries={"GB"})], "sender_pending"),
        ([alpha(status="rejected", countries={"GB"})], "sender_rejected"),
        ([alpha(value="OTHER", countries="*")], "sender_not_registered"),
        (
            [alpha(status="rejected", countries={"GB"}), alpha(status="pending", countries="*")],
            "sender_pending",
        ),
    ],
)
def test_refusal_names_why_the_requested_sender_was_not_used(
    senders: list[RegisteredSender], reason: str
) -> None:
    failure = refused(country("supported"), "ACME", senders)
    assert failure.extra["reason"] == reason
    assert "'ACME'" in failure.message


def test_pending_registration_for_the_country_is_reported_over_a_worldwide_approval() -> None:
    rule = country("registration_required")
    failure = refused(
        rule, "ACME", [alpha(countries="*"), alpha(status="pending", countries={"GB"})]
    )
    assert failure.extra["reason"] == "sender_pending"


def test_an_approved_registration_wins_over_other_registrations_of_the_same_value() -> None:
    approved = alpha(countries={"GB"})
    senders = [alpha(status="rejected", countries={"GB"}), approved]
    assert select_sender(country("supported"), "ACME", senders).sender is approved


def test_fallback_prefers_a_number_registered_for_the_country_then_account_order() -> None:
    worldwide, other, named = (
        number("111", countries="*"),
        number("222", countries="*"),
        number("333", countries={"GB"}),
    )
    rule = country("not_supported")
    assert select_sender(rule, None, [worldwide, other, named]).sender is named
    assert select_sender(rule, None, [worldwide, other]).sender is worldwide
    pending = number("444", status="pending", countries={"GB"})
    assert select_sender(rule, None, [pending, other]).sender is other


def test_names_are_compared_exactly_and_numbers_without_their_plus() -> None:
    rule = country("supported")
    refused(rule, "acme", [alpha("ACME")])
    registered = number("+447700900123")
    assert registered.value == "447700900123"
    assert select_sender(rule, "+447700900123", [registered]).requested
    assert select_sender(rule, "447700900123", [registered]).requested


def test_request_without_sender_and_without_fallback_is_refused() -> None:
    failure = refused(country("supported"), None, [alpha()])
    assert failure.extra["reason"] == "no_sender_requested"
    assert failure.message.startswith("No sender ID was requested")


def test_malformed_requested_sender_is_invalid_not_disallowed() -> None:
    with pytest.raises(CatalogueError) as caught:
        select_sender(country("supported"), "ACME-SHOP", [alpha()], field="messages[2].sender_id")
    assert caught.value.code == "invalid_sender_id"
    assert caught.value.field == "messages[2].sender_id"


def test_sender_not_allowed_is_catalogued_as_422() -> None:
    kind = CATALOGUE["sender_not_allowed"]
    assert kind.http_status == 422
    assert "country" in kind.description


# --- sender ID format ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "kind"),
    [
        ("ACME", "alphanumeric"),
        ("A", "alphanumeric"),
        ("Acme Shop 1", "alphanumeric"),  # 11 characters with spaces
        ("4U2", "alphanumeric"),
        ("1", "numeric"),
        ("447700900123", "numeric"),
        ("+447700900123", "numeric"),
        ("123456789012345", "numeric"),  # 15 digits
    ],
)
def test_valid_sender_ids_are_classified(value: str, kind: str) -> None:
    assert classify_sender_id(value) == kind


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ("", "1 to 11"),
        ("AcmeShopping", "1 to 11"),  # 12 characters
        ("1234567890123456", "at most 15 digits"),
        ("ACME-SHOP", "'-'"),
        ("Café", "'é'"),
        ("ACME\n", "'\\n'"),
        (" ACME", "start or end with a space"),
        ("ACME ", "start or end with a space"),
        ("12 34", "at least one letter"),
        ("+", "'+'"),
        ("+ACME", "'+'"),
        ("١٢٣", "'"),  # Arabic-Indic digits are not ASCII digits
    ],
)
def test_invalid_sender_ids_are_refused_with_a_reason(value: str, words: str) -> None:
    with pytest.raises(CatalogueError) as caught:
        classify_sender_id(value, field="sender_id")
    assert caught.value.code == "invalid_sender_id"
    assert caught.value.field == "sender_id"
    assert words in caught.value.message


def test_canonical_form_drops_the_plus_of_numbers_only() -> None:
    assert canonical_sender_id("+4915112345678") == "4915112345678"
    assert canonical_sender_id("ACME") == "ACME"


def test_registration_with_a_kind_that_does_not_match_its_value_is_a_bug() -> None:
    with pytest.raises(ValueError, match="numeric, not alphanumeric"):
        RegisteredSender("447700900123", "alphanumeric", "approved", "*")
    with pytest.raises(ValueError, match="1 to 11"):
        RegisteredSender("TOO LONG NAME", "alphanumeric", "approved", "*")


def test_registration_countries_are_normalised() -> None:
    lower_case = RegisteredSender("ACME", "alphanumeric", "approved", frozenset({"gb", "de"}))
    assert lower_case.countries == frozenset({"GB", "DE"})
    mixed = RegisteredSender("ACME", "alphanumeric", "approved", frozenset({"*", "GB"}))
    assert mixed.countries == "*"
