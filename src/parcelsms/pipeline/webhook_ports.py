"""The webhook ports: account endpoints, the policy that makes webhooks of status changes,
the outbox the delivery worker (:mod:`parcelsms.pipeline.webhook_delivery`) drains, and
the deliveries log senders read.

Conventions as in :mod:`parcelsms.pipeline.message_ports`.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from datetime import datetime
from typing import Literal, Protocol

import msgspec

from parcelsms.domain.status import MessageStatus
from parcelsms.pipeline.message_ports import ErrorDetail


class WebhookEndpoint(msgspec.Struct, frozen=True, kw_only=True):
    """One of an account's webhook endpoints: its URL, subscriptions and signing secret.

    ``event_types`` are canonical names (:mod:`parcelsms.domain.webhook_routing`).
    ``is_default`` marks the endpoint of ``/v1/webhooks``, whose secret also signs
    callbacks. After a rotation ``previous_secret`` signs as well until
    ``previous_secret_until``.
    """

    id: str
    account_id: str
    url: str
    event_types: tuple[str, ...]
    is_default: bool
    enabled: bool
    secret: str
    previous_secret: str | None = None
    previous_secret_until: datetime | None = None
    created_at: datetime
    updated_at: datetime


class EndpointChanges(msgspec.Struct, frozen=True, kw_only=True):
    """What an update changes; ``None`` keeps the current value."""

    url: str | None = None
    event_types: tuple[str, ...] | None = None
    enabled: bool | None = None


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
    """Which status changes make a webhook, and with which body.

    Given to storage by the composition root; for a change to a status in ``statuses``
    storage asks :func:`parcelsms.domain.webhook_routing.route_event` where it goes and
    writes one outbox row per destination, in the transaction of the change. Implemented
    by :class:`parcelsms.pipeline.webhook_policy.StatusWebhookPolicy`.
    """

    @property
    def statuses(self) -> frozenset[MessageStatus]:
        """The statuses whose changes make a webhook."""
        ...

    def payload(self, event: WebhookEvent) -> str:
        """The JSON text POSTed for ``event``."""
        ...


class WebhookDelivery(msgspec.Struct, frozen=True, kw_only=True):
    """A claimed outbox row.

    ``event_id`` is the ``webhook-id`` header. ``secrets`` sign it (each gives one
    signature): the endpoint's, or for a callback (``endpoint_id`` None) the account's
    default endpoint's; two during a rotation's overlap, none when the account has no
    secret. ``message_id`` is ``None`` for an account event (``balance.low``, ...). The
    retry window runs from ``retry_from``.
    """

    id: str
    event_id: str
    account_id: str
    endpoint_id: str | None
    message_id: str | None
    url: str
    secrets: tuple[str, ...]
    payload: str
    attempts: int
    created_at: datetime
    retry_from: datetime


class WebhookResult(msgspec.Struct, frozen=True, kw_only=True):
    """The outcome of one delivery attempt.

    ``ok`` marks the row delivered. Otherwise ``next_attempt_at`` schedules a retry, or
    ``None`` gives up (the row becomes ``dead``). ``deferred`` puts the row back
    untried (its endpoint was busy): no attempt is counted, it is due at
    ``next_attempt_at``.
    """

    id: str
    ok: bool
    status: int | None = None
    error: str | None = None
    next_attempt_at: datetime | None = None
    latency_ms: int | None = None
    deferred: bool = False


DeliveryStatus = Literal["pending", "delivered", "dead"]


class WebhookDeliveryRecord(msgspec.Struct, frozen=True, kw_only=True):
    """One outbox row as the sender sees it in its deliveries list."""

    id: str
    event_id: str
    event_type: str
    endpoint_id: str | None
    message_id: str | None
    url: str
    status: DeliveryStatus
    attempts: int
    last_status: int | None
    latency_ms: int | None
    last_error: str | None
    created_at: datetime
    next_attempt_at: datetime | None
    delivered_at: datetime | None


class DeliveryFilter(msgspec.Struct, frozen=True, kw_only=True):
    endpoint_id: str | None = None
    message_id: str | None = None
    status: DeliveryStatus | None = None
    event_type: str | None = None


class DeliveryPage(msgspec.Struct, frozen=True, kw_only=True):
    items: tuple[WebhookDeliveryRecord, ...]
    next_cursor: str | None


class WebhookEndpointStore(Protocol):
    """An account's webhook endpoints. Every call is scoped to ``account_id``: an id of
    another account's endpoint is not found (``None``/``False``)."""

    async def set_webhook_endpoint(self, account_id: str, url: str, secret: str) -> WebhookEndpoint:
        """Create or replace the account's default endpoint (URL and secret)."""
        ...

    async def get_webhook_endpoint(self, account_id: str) -> WebhookEndpoint | None:
        """The account's default endpoint."""
        ...

    async def create_endpoint(
        self, account_id: str, url: str, event_types: tuple[str, ...], secret: str
    ) -> WebhookEndpoint: ...

    async def list_endpoints(self, account_id: str) -> list[WebhookEndpoint]:
        """Oldest first."""
        ...

    async def get_endpoint(self, account_id: str, endpoint_id: str) -> WebhookEndpoint | None: ...

    async def update_endpoint(
        self, account_id: str, endpoint_id: str, changes: EndpointChanges
    ) -> WebhookEndpoint | None: ...

    async def delete_endpoint(self, account_id: str, endpoint_id: str) -> bool:
        """Delete it; its pending deliveries are dead-lettered."""
        ...

    async def rotate_secret(
        self, account_id: str, endpoint_id: str, secret: str, overlap_until: datetime
    ) -> WebhookEndpoint | None:
        """Replace the secret; the old one keeps signing until ``overlap_until``."""
        ...


class WebhookOutbox(Protocol):
    """Outbox rows are written with the status change; a sender claims and reports them."""

    async def claim_due_webhooks(
        self,
        limit: int,
        now: datetime,
        lease_seconds: float,
        busy_urls: Collection[str] = (),
    ) -> list[WebhookDelivery]:
        """Claim due pending rows, none to ``busy_urls``; a claimed row is due again after
        the lease if not reported."""
        ...

    async def record_webhook_results(self, results: Sequence[WebhookResult]) -> None: ...

    async def renew_webhook_leases(
        self, claims: Sequence[tuple[str, int]], until: datetime
    ) -> None:
        """Extend the lease of rows still claimed (``(id, attempts when claimed)``)."""
        ...

    async def release_webhooks(self, claims: Sequence[tuple[str, int]], now: datetime) -> None:
        """Give back claimed rows not attempted: due at ``now`` for whoever claims next."""
        ...


class WebhookDeliveryLog(Protocol):
    """The sender's view of its deliveries, and redelivery on request."""

    async def list_deliveries(
        self, account_id: str, where: DeliveryFilter, cursor: str | None, limit: int
    ) -> DeliveryPage:
        """Newest first, keyset-paginated."""
        ...

    async def retry_delivery(
        self, account_id: str, delivery_id: str, now: datetime
    ) -> WebhookDeliveryRecord | None:
        """Make a delivered or dead row pending and due now, with a fresh retry window
        (a pending one is made due now); ``None`` when the account has no such row."""
        ...

    async def replay_endpoint(
        self, account_id: str, endpoint_id: str, since: datetime, now: datetime
    ) -> int:
        """Retry every row sent to the endpoint created at or after ``since``; how many."""
        ...
