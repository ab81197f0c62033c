"""Delivery confidence: handset behind a receipt from a country with handset receipts,
carrier behind one from a country without, none where no receipt stands behind the status."""

from __future__ import annotations

import pytest

from parcelsms.domain.delivery_confidence import DeliveryConfidence, delivery_confidence
from parcelsms.domain.status import MessageStatus


@pytest.mark.parametrize(
    "status", [MessageStatus.DELIVERED, MessageStatus.UNDELIVERED, MessageStatus.REJECTED]
)
def test_a_receipt_from_a_country_with_handset_receipts_is_handset(status: MessageStatus) -> None:
    confidence = delivery_confidence(status, receipt_arrived=True, receipts_reliable=True)
    assert confidence is DeliveryConfidence.HANDSET


def test_a_receipt_where_receipts_are_network_level_is_carrier() -> None:
    confidence = delivery_confidence(
        MessageStatus.DELIVERED, receipt_arrived=True, receipts_reliable=False
    )
    assert confidence is DeliveryConfidence.CARRIER


@pytest.mark.parametrize("status", [MessageStatus.FAILED, MessageStatus.CANCELED])
def test_a_message_that_never_reached_a_carrier_has_none(status: MessageStatus) -> None:
    assert delivery_confidence(status, receipt_arrived=True, receipts_reliable=True) == "none"


def test_an_expiry_for_want_of_a_receipt_has_none() -> None:
    confidence = delivery_confidence(
        MessageStatus.EXPIRED, receipt_arrived=False, receipts_reliable=True
    )
    assert confidence is DeliveryConfidence.NONE


@pytest.mark.parametrize(
    "status", [MessageStatus.SCHEDULED, MessageStatus.QUEUED, MessageStatus.SUBMITTED]
)
def test_a_status_that_is_not_final_has_no_confidence(status: MessageStatus) -> None:
    assert delivery_confidence(status, receipt_arrived=True, receipts_reliable=True) is None
