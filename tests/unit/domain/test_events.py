"""Status-change events and the webhook body they become."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from parcelsms.domain.events import (
    MessageStatusChanged,
    WebhookMessageFields,
    format_timestamp,
    webhook_payload,
)
from parcelsms.domain.ids import is_valid_id
from parcelsms.domain.status import MessageStatus

AT = datetime(2024, 5, 1, 14, 0, 3, 250_000, tzinfo=timezone(timedelta(hours=2)))
FIELDS: WebhookMessageFields = {
    "to": "+447400123456",
    "client_ref": "order-1234",
    "segments": 2,
    "price_micros": 100_000,
    "currency": "EUR",
}


def test_delivered_payload_has_the_documented_shape() -> None:
    event = MessageStatusChanged(
        "msg_1", "acc_1", MessageStatus.DELIVERED, MessageStatus.SUBMITTED, AT, {"stat": "DELIVRD"}
    )
    payload = webhook_payload(event, FIELDS)
    assert payload == {
        "type": "message.status_changed",
        "id": event.event_id,
        "created_at": "2024-05-01T12:00:03.250Z",
        "data": {
            "id": "msg_1",
            "status": "delivered",
            "previous_status": "submitted",
            "to": "+447400123456",
            "client_ref": "order-1234",
            "segments": 2,
            "price": "0.1",
            "currency": "EUR",
            "error": None,
            "at": "2024-05-01T12:00:03.250Z",
        },
    }
    json.dumps(payload)


def test_failure_payload_carries_the_carrier_values() -> None:
    event = MessageStatusChanged(
        "msg_1",
        "acc_1",
        MessageStatus.UNDELIVERED,
        MessageStatus.SUBMITTED,
        AT,
        {"stat": "UNDELIV", "err": 1, "detail": "Absent subscriber", "channel": "eu"},
    )
    data = webhook_payload(event, FIELDS)["data"]
    assert isinstance(data, dict)
    assert data["error"] == {
        "stat": "UNDELIV",
        "err": "1",
        "detail": "Absent subscriber",
        "reason": None,
    }


def test_failed_without_receipt_has_null_carrier_values() -> None:
    event = MessageStatusChanged(
        "msg_1", "acc_1", MessageStatus.FAILED, MessageStatus.QUEUED, AT, {"detail": "no route"}
    )
    data = webhook_payload(event, FIELDS)["data"]
    assert isinstance(data, dict)
    assert data["error"] == {"stat": None, "err": None, "detail": "no route", "reason": None}


def test_first_status_has_no_previous_status() -> None:
    event = MessageStatusChanged("msg_1", "acc_1", MessageStatus.QUEUED, None, AT)
    data = webhook_payload(event, FIELDS)["data"]
    assert isinstance(data, dict)
    assert data["previous_status"] is None


def test_event_ids_are_unique_evt_ids_stable_across_payloads() -> None:
    first = MessageStatusChanged("msg_1", "acc_1", MessageStatus.QUEUED, None, AT)
    second = MessageStatusChanged("msg_1", "acc_1", MessageStatus.QUEUED, None, AT)
    assert is_valid_id(first.event_id, "evt")
    assert first.event_id != second.event_id
    assert webhook_payload(first, FIELDS)["id"] == webhook_payload(first, FIELDS)["id"]


def test_naive_times_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone"):
        MessageStatusChanged("m", "a", MessageStatus.QUEUED, None, datetime(2024, 1, 1))


def test_timestamps_are_utc_with_milliseconds() -> None:
    assert format_timestamp(datetime(2024, 1, 2, 3, 4, 5, 6_789, tzinfo=UTC)) == (
        "2024-01-02T03:04:05.006Z"
    )


def test_timestamps_in_other_offsets_are_written_in_utc() -> None:
    two_hours_east = timezone(timedelta(hours=2))
    assert format_timestamp(datetime(2024, 1, 2, 1, 4, 5, 6_789, tzinfo=two_hours_east)) == (
        "2024-01-01T23:04:05.006Z"
    )
    assert format_timestamp(datetime(2024, 1, 2, 3, 4, 5, tzinfo=timezone(timedelta(0)))) == (
        "2024-01-02T03:04:05.000Z"
    )


@given(
    st.datetimes(
        min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 30), timezones=st.just(UTC)
    )
    | st.datetimes(
        min_value=datetime(2, 1, 1),
        max_value=datetime(9999, 12, 30),
        timezones=st.builds(
            timezone, st.timedeltas(min_value=timedelta(hours=-23), max_value=timedelta(hours=23))
        ),
    )
)
def test_timestamps_read_as_isoformat_would_write_them(moment: datetime) -> None:
    expected = moment.astimezone(UTC).isoformat(timespec="milliseconds")[:23] + "Z"
    assert format_timestamp(moment) == expected
