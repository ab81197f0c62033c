"""The webhook ports: account endpoints, the policy that makes webhooks of status changes,
and the outbox the delivery worker (:mod:`parcelsms.pipeline.webhook_delivery`) drains.

Conventions as in :mod:`parcelsms.pipeline.message_ports`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Protocol

import msgspec

from parcelsms.domain.status import MessageStatus
from parcelsms.pipeline.message_ports import ErrorDetail


class WebhookEndpoint(msgspec.Struct, frozen=True, kw_only=True):
    """An account's webhook target and its Standard Webhooks signing secret."""

    account_id: str
    url: str
    secret: str
    created_at: datetime


class WebhookEvent(msgspec.Struct, frozen=True, kw_only=True):
    """A status change to tell the sender about; input of :meth:`WebhookPolicy.payload`."""

    event_id: str
    account_id: str
    message_id: str
    status: MessageStatus
    previous_status: MessageStatus | None
    at: datetime
    to_e164: str
    country: str
    client_ref: str | None
    segments: int
    price_micros: int
    currency: str
    flags: tuple[str, ...]
    channel: str | None
    route: str | None
    attempt: int
    error: ErrorDetail | None


WebhookPayloadBuilder = Callable[[WebhookEvent], str]
"""Builds the JSON text POSTed for an event; stored verbatim so retries send the same bytes."""


class WebhookPolicy(Protocol):
    """Which status changes make a webhook, to which URL, with which body.

    Given to storage by the composition root; storage writes an outbox row for a change to
    a status in ``statuses`` whose ``url_for`` is not ``None``, in the transaction of the
    change. Implemented by :class:`parcelsms.pipeline.webhook_policy.StatusWebhookPolicy`.
    """

    @property
    def statuses(self) -> frozenset[MessageStatus]:
        """The statuses whose changes make a webhook."""
        ...

    def url_for(self, callback_url: str | None, endpoint_url: str | None) -> str | None:
        """Where the webhook of a message goes: from its ``callback_url`` and its account's
        endpoint URL (``None`` when the account has none); ``None`` sends nothing."""
        ...

    def payload(self, event: WebhookEvent) -> str:
        """The JSON text POSTed for ``event``."""
        ...


class WebhookDelivery(msgspec.Struct, frozen=True, kw_only=True):
    """A claimed outbox row. ``secret`` is the account endpoint's, ``None`` when it has none;
    ``message_id`` is ``None`` for an account event (``balance.low``, ...)."""

    id: str
    account_id: str
    message_id: str | None
    url: str
    secret: str | None
    payload: str
    attempts: int
    created_at: datetime


class WebhookResult(msgspec.Struct, frozen=True, kw_only=True):
    """The outcome of one delivery attempt.

    ``ok`` marks the row delivered. Otherwise ``next_attempt_at`` schedules a retry, or
    ``None`` gives up (the row becomes ``failed``).
    """

    id: str
    ok: bool
    status: int | None = None
    error: str | None = None
    next_attempt_at: datetime | None = None


class WebhookEndpointStore(Protocol):
    """The account-wide webhook endpoint."""

    async def set_webhook_endpoint(
        self, account_id: str, url: str, secret: str
    ) -> WebhookEndpoint: ...

    async def get_webhook_endpoint(self, account_id: str) -> WebhookEndpoint | None: ...


class WebhookAttempt(msgspec.Struct, frozen=True, kw_only=True):
    """A webhook delivery as the sender may see it (``status``: pending, delivered, failed;
    ``last_status``: the HTTP status of the last attempt, ``None`` when none answered)."""

    id: str
    message_id: str | None
    url: str
    status: str
    attempts: int
    last_status: int | None
    last_error: str | None
    created_at: datetime
    delivered_at: datetime | None


class WebhookDeliveryLog(Protocol):
    async def list_webhook_attempts(
        self, account_id: str, message_id: str | None = None, limit: int = 50
    ) -> list[WebhookAttempt]:
        """The account's deliveries (of one message when given), newest first."""
        ...


class WebhookOutbox(Protocol):
    """Outbox rows are written with the status change; a sender claims and reports them."""

    async def claim_due_webhooks(
        self, limit: int, now: datetime, lease_seconds: float
    ) -> list[WebhookDelivery]:
        """Claim due pending rows; a claimed row is due again after the lease if not reported."""
        ...

    async def record_webhook_results(self, results: Sequence[WebhookResult]) -> None: ...
