"""Failover on a failed receipt: which receipts are retried, and on which channel."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from parcelsms.domain.receipt_failover import (
    PartReceipt,
    ReceiptFailoverPolicies,
    ReceiptRetryRule,
    next_route_index,
    receipt_retryable,
    silence_limit,
)

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
LATER = NOW + timedelta(hours=1)
UNDELIV = PartReceipt("undelivered", "UNDELIV", "001")
DELIVERED = PartReceipt("delivered", "DELIVRD", "000")
BRAZIL_ONLY = ReceiptRetryRule(countries=frozenset({"BR"}))


def test_an_undeliverable_receipt_is_retried_by_the_default_rule() -> None:
    assert receipt_retryable([ReceiptRetryRule()], "BR", [UNDELIV])


def test_a_rule_for_other_countries_does_not_retry() -> None:
    assert receipt_retryable([BRAZIL_ONLY], "BR", [UNDELIV])
    assert not receipt_retryable([BRAZIL_ONLY], "MX", [UNDELIV])


def test_a_receipt_in_a_state_the_rule_does_not_name_is_final() -> None:
    expired = PartReceipt("expired", "EXPIRED", "000")
    assert not receipt_retryable([ReceiptRetryRule()], "BR", [expired])
    rule = ReceiptRetryRule(states=frozenset({"UNDELIV", "EXPIRED"}))
    assert receipt_retryable([rule], "BR", [expired])


def test_error_codes_narrow_a_rule_to_those_codes() -> None:
    rule = ReceiptRetryRule(error_codes=frozenset({"0x0B"}))
    assert not receipt_retryable([rule], "BR", [UNDELIV])
    assert receipt_retryable([rule], "BR", [PartReceipt("undelivered", "UNDELIV", "0x0B")])


def test_a_receipt_without_stat_text_is_read_by_its_status() -> None:
    assert receipt_retryable([ReceiptRetryRule()], "BR", [PartReceipt("undelivered")])


def test_a_delivered_message_never_fails_over() -> None:
    assert not receipt_retryable([ReceiptRetryRule()], "BR", [DELIVERED, DELIVERED])


def test_a_multi_part_message_fails_over_only_when_every_failed_part_is_retryable() -> None:
    rejected = PartReceipt("rejected", "REJECTD", "002")
    assert receipt_retryable([ReceiptRetryRule()], "BR", [DELIVERED, UNDELIV])
    assert not receipt_retryable([ReceiptRetryRule()], "BR", [UNDELIV, rejected])


def test_a_silence_rule_alone_does_not_retry_receipts() -> None:
    silence = ReceiptRetryRule(states=frozenset(), no_receipt_after=timedelta(minutes=10))
    assert not receipt_retryable([silence], "BR", [UNDELIV])
    assert silence_limit([silence], "BR") == (0, timedelta(minutes=10))


def test_the_silence_limit_is_the_first_rule_for_the_country_that_has_one() -> None:
    rules = [
        ReceiptRetryRule(countries=frozenset({"BR"}), no_receipt_after=timedelta(minutes=5)),
        ReceiptRetryRule(no_receipt_after=timedelta(minutes=30)),
    ]
    assert silence_limit(rules, "BR") == (0, timedelta(minutes=5))
    assert silence_limit(rules, "MX") == (1, timedelta(minutes=30))
    assert silence_limit([ReceiptRetryRule()], "MX") is None


def test_the_next_channel_is_the_next_of_the_plan() -> None:
    assert next_route_index(("a", "b", "c"), 0, (), now=NOW, valid_until=LATER) == 1


def test_the_same_channel_is_never_tried_again_after_its_failed_receipt() -> None:
    assert next_route_index(("a",), 0, (), now=NOW, valid_until=LATER) is None
    # b failed it earlier by receipt, a just did: c, then nothing.
    assert next_route_index(("a", "b", "c"), 3, ("b",), now=NOW, valid_until=LATER) == 5
    assert next_route_index(("a", "b", "c"), 5, ("a", "b"), now=NOW, valid_until=LATER) is None


def test_the_plan_wraps_round_to_channels_passed_over_at_submit() -> None:
    # c accepted it after a and b refused the submit: a and b are still worth a try.
    assert next_route_index(("a", "b", "c"), 2, (), now=NOW, valid_until=LATER) == 3


def test_no_failover_once_the_validity_has_ended() -> None:
    assert next_route_index(("a", "b"), 0, (), now=LATER, valid_until=LATER) is None


def test_policies_answer_per_channel() -> None:
    policies = ReceiptFailoverPolicies(
        {"a": (ReceiptRetryRule(),), "b": (ReceiptRetryRule(states=frozenset()),)}
    )
    assert policies
    assert policies.retries_receipts("a")
    assert not policies.retries_receipts("b")
    assert not policies.retries_receipts(None)
    assert not ReceiptFailoverPolicies()
