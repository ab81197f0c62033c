"""The platform's webhook rule: which status changes are news, and their body (where they
go: tests/unit/domain/test_webhook_routing.py)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from parcelsms.domain.events import MessageStatusChanged, webhook_payload
from parcelsms.domain.status import MessageStatus
from parcelsms.pipeline.message_ports import ErrorDetail
from parcelsms.pipeline.webhook_payload import build_webhook_payload
from parcelsms.pipeline.webhook_policy import StatusWebhookPolicy
from parcelsms.pipeline.webhook_ports import WebhookEvent

POLICY = StatusWebhookPolicy()


@pytest.mark.parametrize("status", list(MessageStatus))
def test_every_status_change_but_back_to_the_queue_makes_a_webhook(status: MessageStatus) -> None:
    assert (status in POLICY.statuses) is (status != MessageStatus.QUEUED)


def _event(**changes: Any) -> WebhookEvent:
    values: dict[str, Any] = {
        "event_id": "evt_1",
        "account_id": "acc_1",
        "message_id": "msg_1",
        "status": MessageStatus.DELIVERED,
        "previous_status": MessageStatus.SUBMITTED,
        "at": datetime(2030, 1, 1, tzinfo=UTC),
        "to_e164": "+447911123456",
        "country": "GB",
        "client_ref": None,
        "segments": 1,
        "price_micros": 40_000,
        "currency": "EUR",
        "flags": (),
        "channel": None,
        "route": None,
        "attempt": 1,
        "error": None,
    }
    values.update(changes)
    return WebhookEvent(**values)


def test_the_body_is_the_platforms_payload_by_default() -> None:
    event = _event()
    assert POLICY.payload(event) == build_webhook_payload(event)


@pytest.mark.parametrize("status", sorted(POLICY.statuses))
@pytest.mark.parametrize(
    "error",
    [None, ErrorDetail(stat="UNDELIV", err="001", detail="handset off", reason="no_receipt")],
)
def test_the_stored_body_says_what_the_domain_event_says(
    status: MessageStatus, error: ErrorDetail | None
) -> None:
    """Storage builds bodies from the event's values (no MessageStatusChanged under the
    write lock): the same keys and values as the domain's body for that event."""
    at = datetime(2030, 1, 1, 12, 0, 3, 250_000, tzinfo=timezone(timedelta(hours=2)))
    event = _event(
        status=status,
        at=at,
        client_ref="order-7",
        segments=2,
        channel="sim",
        route="rt_1",
        error=error,
    )
    detail = (
        {}
        if error is None
        else {"stat": error.stat, "err": error.err, "detail": error.detail, "reason": error.reason}
    )
    domain = webhook_payload(
        MessageStatusChanged(
            "msg_1", "acc_1", status, MessageStatus.SUBMITTED, at, detail, "evt_1"
        ),
        {
            "to": "+447911123456",
            "client_ref": "order-7",
            "segments": 2,
            "price_micros": 40_000,
            "currency": "EUR",
        },
    )
    stored = json.loads(build_webhook_payload(event))
    assert {key: stored[key] for key in domain if key != "data"} == {
        key: value for key, value in domain.items() if key != "data"
    }
    domain_data = domain["data"]
    assert isinstance(domain_data, dict)
    assert {key: stored["data"][key] for key in domain_data} == domain_data
    assert stored["created_at"] == "2030-01-01T10:00:03.250Z"
