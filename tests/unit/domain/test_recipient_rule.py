"""The per-recipient rule: a duplicate window, a cap per hour and one per 24 hours."""

from __future__ import annotations

from parcelsms.domain.recipient_rule import RecipientRule, recipient_refusal

START = 1_900_000_000.0


def test_the_same_text_to_the_same_number_waits_out_the_window() -> None:
    rule = RecipientRule(duplicate_window_seconds=30)
    sent = [(hash("Parcel A"), START)]

    problem = recipient_refusal(rule, [START], sent, hash("Parcel A"), START + 10, "to")
    other = recipient_refusal(rule, [START], sent, hash("Parcel B"), START + 10, "to")
    later = recipient_refusal(rule, [START], sent, hash("Parcel A"), START + 30, "to")

    assert problem is not None
    assert problem.code == "rate_limited"
    assert problem.field == "to"
    assert problem.extra["retry_after"] == 20
    assert other is None
    assert later is None


def test_messages_per_hour_to_one_number_are_capped_with_a_retry_after() -> None:
    rule = RecipientRule(per_hour=3)
    times = [START, START + 60, START + 120]

    problem = recipient_refusal(rule, times, [], 0, START + 180, "messages[2].to")

    assert problem is not None
    assert "3 messages per hour" in problem.message
    assert problem.field == "messages[2].to"
    # The first send leaves the hour at START + 3600; it is now START + 180.
    assert problem.extra["retry_after"] == 3600 - 180


def test_messages_per_day_count_over_24_hours() -> None:
    rule = RecipientRule(per_day=5)
    times = [START + 3600 * n for n in range(5)]

    problem = recipient_refusal(rule, times, [], 0, START + 5 * 3600, "to")
    next_day = recipient_refusal(rule, times, [], 0, START + 86_400 + 1, "to")

    assert problem is not None
    assert "per 24 hours" in problem.message
    assert next_day is None


def test_a_rule_of_zeros_is_off_and_refuses_nothing() -> None:
    rule = RecipientRule()

    assert rule.is_off
    assert recipient_refusal(rule, [START] * 100, [(1, START)], 1, START, "to") is None
