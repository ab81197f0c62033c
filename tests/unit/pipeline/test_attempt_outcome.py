"""The record of one dispatch attempt, from the channel's result (pure)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from parcelsms.domain.failover import FailoverPolicy, SendResultKind
from parcelsms.pipeline.channel_port import ChannelResult
from parcelsms.pipeline.dispatch import FLAG_PARTIALLY_SUBMITTED, attempt_outcome
from parcelsms.pipeline.message_ports import (
    FLAG_DUPLICATE_POSSIBLE,
    FLAG_NEEDS_REVIEW,
    FLAG_SUBMIT_OUTCOME_UNKNOWN,
    DispatchItem,
    Failed,
    Retry,
    Submitted,
    SubmittedPart,
)

NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


def item(route_index: int = 0, valid_for: timedelta = timedelta(hours=1)) -> DispatchItem:
    return DispatchItem(
        message_id="msg_1",
        account_id="acc_1",
        to_e164="+4915112345678",
        country="DE",
        body="Your parcel is on its way",
        encoding="GSM7",
        segments=1,
        sender_id=None,
        route_plan=("alpha", "beta"),
        route_index=route_index,
        valid_until=NOW + valid_for,
        flags=(),
        created_at=NOW,
    )


def test_an_accepted_attempt_records_its_parts_and_a_partial_flag() -> None:
    parts = (SubmittedPart(part_no=1, carrier_id_raw="ab"),)
    result = ChannelResult(SendResultKind.ACCEPTED, parts, partial=True)
    outcome = attempt_outcome(item(), "alpha", result, FailoverPolicy(), NOW)
    assert outcome == Submitted(
        message_id="msg_1", channel="alpha", parts=parts, flags=(FLAG_PARTIALLY_SUBMITTED,)
    )


def test_a_refusal_names_the_channel_the_kind_and_the_carriers_code() -> None:
    result = ChannelResult(SendResultKind.PERMANENT, detail="bad address", status_code=0x0B)
    outcome = attempt_outcome(item(), "alpha", result, FailoverPolicy(), NOW)
    assert isinstance(outcome, Failed)
    assert outcome.error.detail == "alpha: permanent: bad address"
    assert outcome.error.err == "0x0000000b"


def test_a_temporary_failure_is_retried_on_the_next_channel() -> None:
    result = ChannelResult(SendResultKind.TEMPORARY)
    outcome = attempt_outcome(item(), "alpha", result, FailoverPolicy(), NOW)
    assert isinstance(outcome, Retry)
    assert (outcome.next_route_index, outcome.next_attempt_at) == (1, NOW)
    assert outcome.error.detail == "alpha: temporary"


def test_a_failure_past_the_validity_end_says_so() -> None:
    result = ChannelResult(SendResultKind.THROTTLED, detail="slow down")
    outcome = attempt_outcome(
        item(route_index=1, valid_for=timedelta(seconds=1)), "beta", result, FailoverPolicy(), NOW
    )
    assert isinstance(outcome, Failed)
    assert outcome.error.detail == (
        "no channel accepted the message before its validity ended; "
        "last: beta: throttled: slow down"
    )


def test_an_unknown_outcome_left_for_review_is_flagged_and_has_no_parts() -> None:
    policy = FailoverPolicy(unknown_outcome="assume_submitted")
    result = ChannelResult(SendResultKind.UNKNOWN)
    outcome = attempt_outcome(item(), "alpha", result, policy, NOW)
    assert outcome == Submitted(
        message_id="msg_1",
        channel="alpha",
        parts=(),
        flags=(FLAG_SUBMIT_OUTCOME_UNKNOWN, FLAG_DUPLICATE_POSSIBLE, FLAG_NEEDS_REVIEW),
    )


def test_an_unanswered_submit_resent_flags_the_message_duplicate_possible() -> None:
    result = ChannelResult(SendResultKind.UNKNOWN, detail="response timeout")
    outcome = attempt_outcome(item(), "alpha", result, FailoverPolicy(), NOW)
    assert isinstance(outcome, Retry)
    assert outcome.flags == (FLAG_DUPLICATE_POSSIBLE,)
    assert (outcome.next_route_index, outcome.next_attempt_at) == (1, NOW)


def test_an_unanswered_submit_waiting_for_its_receipt_is_retried_after_the_wait() -> None:
    policy = FailoverPolicy(unknown_outcome="wait_receipt", unanswered_wait=90.0)
    outcome = attempt_outcome(item(), "alpha", ChannelResult(SendResultKind.UNKNOWN), policy, NOW)
    assert isinstance(outcome, Retry)
    assert outcome.flags == (FLAG_DUPLICATE_POSSIBLE,)
    # The next channel of the plan, once the wait is over.
    assert (outcome.next_route_index, outcome.next_attempt_at) == (1, NOW + timedelta(seconds=90))


def test_an_unanswered_submit_whose_wait_outlasts_the_validity_fails_flagged() -> None:
    policy = FailoverPolicy(unknown_outcome="wait_receipt", unanswered_wait=90.0)
    short = item(valid_for=timedelta(seconds=60))
    outcome = attempt_outcome(short, "alpha", ChannelResult(SendResultKind.UNKNOWN), policy, NOW)
    assert isinstance(outcome, Failed)
    assert outcome.flags == (FLAG_DUPLICATE_POSSIBLE,)


def test_a_refused_submit_is_not_flagged_duplicate_possible() -> None:
    outcome = attempt_outcome(
        item(), "alpha", ChannelResult(SendResultKind.TEMPORARY), FailoverPolicy(), NOW
    )
    assert isinstance(outcome, Retry)
    assert outcome.flags == ()
