"""A status change the status machine refuses is logged and counted, never written."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from parcelsms.adapters.storage.context import StorageContext
from parcelsms.adapters.storage.messages.message_state_rows import MessageState
from parcelsms.adapters.storage.messages.transition_rows import REFUSED_TRANSITIONS, Transitions
from parcelsms.domain.status import MessageStatus
from parcelsms.pipeline.webhook_policy import StatusWebhookPolicy


def _state(status: str) -> MessageState:
    return MessageState(
        id="msg_1",
        account_id="acc_1",
        status=status,
        billing="settled",
        price_micros=40_000,
        package_id=None,
        currency="EUR",
        flags=[],
        callback_url=None,
        client_ref=None,
        to_e164="+447911123456",
        country="GB",
        segments=1,
        channel="alpha",
        route_index=0,
        claim_token=None,
        last_error=None,
        template_id=None,
        created_at=datetime(2030, 1, 1, tzinfo=UTC),
        counted_as=(status, "alpha", "settled"),
    )


def test_a_final_message_cannot_be_reopened_and_the_refusal_is_counted(
    caplog: pytest.LogCaptureFixture,
) -> None:
    transitions = Transitions(
        StorageContext(webhook_policy=StatusWebhookPolicy(lambda event: ""), pepper=b"p")
    )
    before = REFUSED_TRANSITIONS[("delivered", "undelivered")]
    state = _state("delivered")

    changed = transitions.change(state, MessageStatus.UNDELIVERED, datetime.now(UTC))

    assert changed is False
    assert state.status == "delivered"
    assert state.changes == {}
    assert REFUSED_TRANSITIONS[("delivered", "undelivered")] == before + 1
    assert "refused by the status machine" in caplog.text


def test_an_allowed_change_is_made() -> None:
    transitions = Transitions(
        StorageContext(webhook_policy=StatusWebhookPolicy(lambda event: ""), pepper=b"p")
    )
    state = _state("submitted")
    assert transitions.change(state, MessageStatus.DELIVERED, datetime.now(UTC)) is True
    assert state.changes["status"] == MessageStatus.DELIVERED
