"""The platform's webhook rule: which status changes are news, and their body (where they
go: tests/unit/domain/test_webhook_routing.py)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from parcelsms.domain.status import MessageStatus
from parcelsms.pipeline.webhook_payload import build_webhook_payload
from parcelsms.pipeline.webhook_policy import StatusWebhookPolicy
from parcelsms.pipeline.webhook_ports import WebhookEvent

POLICY = StatusWebhookPolicy()


@pytest.mark.parametrize("status", list(MessageStatus))
def test_every_status_change_but_back_to_the_queue_makes_a_webhook(status: MessageStatus) -> None:
    assert (status in POLICY.statuses) is (status != MessageStatus.QUEUED)


def test_the_body_is_the_platforms_payload_by_default() -> None:
    event = WebhookEvent(
        event_id="evt_1",
        account_id="acc_1",
        message_id="msg_1",
        status=MessageStatus.DELIVERED,
        previous_status=MessageStatus.SUBMITTED,
        at=datetime(2030, 1, 1, tzinfo=UTC),
        to_e164="+447911123456",
        country="GB",
        client_ref=None,
        segments=1,
        price_micros=40_000,
        currency="EUR",
        flags=(),
        channel=None,
        route=None,
        attempt=1,
        error=None,
    )
    assert POLICY.payload(event) == build_webhook_payload(event)
