"""The message status machine, multi-segment outcomes and receipt states."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from parcelsms.domain.status import (
    FINAL_STATUSES,
    MessageStatus,
    can_transition,
    combine_part_statuses,
    status_for_receipt_state,
)
from parcelsms.protocol.smpp.receipt import parse_receipt

S = MessageStatus


def test_status_names_are_the_api_names() -> None:
    assert [status.value for status in S] == [
        "scheduled",
        "queued",
        "submitted",
        "delivered",
        "undelivered",
        "expired",
        "rejected",
        "failed",
        "canceled",
    ]
    assert {S.DELIVERED, S.UNDELIVERED, S.EXPIRED, S.REJECTED, S.FAILED, S.CANCELED} == (
        FINAL_STATUSES
    )


@pytest.mark.parametrize(
    ("current", "new"),
    [
        (S.SCHEDULED, S.QUEUED),
        (S.SCHEDULED, S.CANCELED),
        (S.QUEUED, S.SUBMITTED),
        (S.QUEUED, S.QUEUED),
        (S.QUEUED, S.FAILED),
        (S.QUEUED, S.CANCELED),
        (S.SUBMITTED, S.SUBMITTED),
        (S.SUBMITTED, S.QUEUED),
        (S.SUBMITTED, S.DELIVERED),
        (S.SUBMITTED, S.UNDELIVERED),
        (S.SUBMITTED, S.EXPIRED),
        (S.SUBMITTED, S.REJECTED),
        (S.QUEUED, S.UNDELIVERED),
    ],
)
def test_lifecycle_steps_are_allowed(current: MessageStatus, new: MessageStatus) -> None:
    assert can_transition(current, new)


@pytest.mark.parametrize(
    ("current", "new"),
    [
        (S.QUEUED, S.DELIVERED),
        (S.QUEUED, S.SCHEDULED),
        (S.SUBMITTED, S.CANCELED),
        (S.SUBMITTED, S.SCHEDULED),
        (S.SCHEDULED, S.SUBMITTED),
        (S.SCHEDULED, S.SCHEDULED),
    ],
)
def test_skipping_or_going_back_is_refused(current: MessageStatus, new: MessageStatus) -> None:
    assert not can_transition(current, new)


def test_final_statuses_never_change() -> None:
    for final, new in itertools.product(FINAL_STATUSES, S):
        assert not can_transition(final, new), (final, new)


def test_only_a_submitted_message_gets_a_carrier_outcome() -> None:
    for current in S:
        for outcome in (S.DELIVERED, S.EXPIRED):
            assert can_transition(current, outcome) == (current is S.SUBMITTED)


def test_a_queued_message_may_be_rejected_by_the_carrier_at_submit() -> None:
    allowed = {current for current in S if can_transition(current, S.REJECTED)}
    assert allowed == {S.SUBMITTED, S.QUEUED}


def test_a_queued_message_may_end_undelivered_after_a_receipt_failover_found_no_channel() -> None:
    allowed = {current for current in S if can_transition(current, S.UNDELIVERED)}
    assert allowed == {S.SUBMITTED, S.QUEUED}


@pytest.mark.parametrize(
    ("parts", "expected"),
    [
        ([S.DELIVERED], S.DELIVERED),
        ([S.DELIVERED, S.DELIVERED, S.DELIVERED], S.DELIVERED),
        ([S.DELIVERED, S.SUBMITTED], None),
        ([S.REJECTED, S.QUEUED], None),
        ([S.DELIVERED, S.EXPIRED], S.EXPIRED),
        ([S.EXPIRED, S.UNDELIVERED, S.DELIVERED], S.UNDELIVERED),
        ([S.UNDELIVERED, S.REJECTED], S.REJECTED),
        ([S.FAILED, S.FAILED], S.FAILED),
        ([S.FAILED, S.CANCELED], S.FAILED),
        ([S.CANCELED], S.CANCELED),
        ([S.DELIVERED, S.FAILED], S.UNDELIVERED),
        ([S.EXPIRED, S.FAILED], S.UNDELIVERED),
        ([S.REJECTED, S.FAILED], S.REJECTED),
    ],
)
def test_multi_segment_outcome(parts: list[MessageStatus], expected: MessageStatus | None) -> None:
    assert combine_part_statuses(parts) == expected


def test_a_message_has_at_least_one_segment() -> None:
    with pytest.raises(ValueError, match="segment"):
        combine_part_statuses([])


@given(st.lists(st.sampled_from(list(S)), min_size=1, max_size=6))
def test_combined_outcome_is_delivered_only_when_every_part_is(parts: list[MessageStatus]) -> None:
    combined = combine_part_statuses(parts)
    if not set(parts) <= FINAL_STATUSES:
        assert combined is None
    else:
        assert combined in FINAL_STATUSES
        assert (combined is S.DELIVERED) == all(part is S.DELIVERED for part in parts)
        assert combine_part_statuses(list(reversed(parts))) == combined


@pytest.mark.parametrize(
    ("state", "expected"),
    [
        ("DELIVERED", S.DELIVERED),
        ("DELIVRD", S.DELIVERED),
        ("delivrd", S.DELIVERED),
        ("UNDELIVERABLE", S.UNDELIVERED),
        ("UNDELIV", S.UNDELIVERED),
        ("EXPIRED", S.EXPIRED),
        ("REJECTED", S.REJECTED),
        ("REJECTD", S.REJECTED),
        ("DELETED", S.UNDELIVERED),
        ("UNKNOWN", S.UNDELIVERED),
        ("ACCEPTED", None),
        ("ACCEPTD", None),
        ("ENROUTE", None),
        (" ENROUTE ", None),
        ("VENDOR_X", S.UNDELIVERED),
    ],
)
def test_receipt_stat_texts_map_to_statuses(state: str, expected: MessageStatus | None) -> None:
    receipt = parse_receipt(f"id:1 sub:001 dlvrd:001 stat:{state} err:000".encode())
    assert status_for_receipt_state(receipt.state) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    # SMPP 3.4 section 5.2.28 numbering.
    [
        (1, None),
        (2, S.DELIVERED),
        (3, S.EXPIRED),
        (4, S.UNDELIVERED),
        (5, S.UNDELIVERED),
        (6, None),
        (7, S.UNDELIVERED),
        (8, S.REJECTED),
        (99, S.UNDELIVERED),
    ],
)
def test_numeric_message_states_map_like_their_names(
    value: int, expected: MessageStatus | None
) -> None:
    receipt = parse_receipt(b"id:1 stat:VENDOR_X", message_state=value)
    assert status_for_receipt_state(receipt.state) == expected
