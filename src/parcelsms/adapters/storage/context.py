"""What every storage operation shares: the clock, the billing policy, the webhook policy."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from parcelsms.domain.receipt_failover import ReceiptFailoverPolicies
from parcelsms.pipeline.webhook_ports import WebhookPolicy


def utc_now() -> datetime:
    """The current time, timezone-aware UTC."""
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class StorageContext:
    """Settings of one storage instance.

    ``refund_on_reject``: when true a message's reserve is held until its final state and
    a ``rejected`` one is refunded; when false (the default) the price is settled as soon
    as a carrier accepts the message. ``pepper`` keys the API-secret HMAC.
    ``webhook_policy``: the pipeline's rule for which status changes make which webhooks.
    ``receipt_early_window_us``: how long after a receipt its submission may still be
    recorded (:func:`parcelsms.domain.receipt_correlation.choose_part`).
    ``receipt_failover``: which failed receipts send a message to the next channel of its
    plan (:mod:`parcelsms.domain.receipt_failover`); none by default.
    """

    webhook_policy: WebhookPolicy
    pepper: bytes
    refund_on_reject: bool = False
    receipt_early_window_us: int = 5_000_000
    clock: Callable[[], datetime] = utc_now
    receipt_failover: ReceiptFailoverPolicies = field(default_factory=ReceiptFailoverPolicies)
