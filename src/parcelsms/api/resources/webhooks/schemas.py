"""The Structs of the webhook routes, and how endpoint and delivery records become them."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

import msgspec

from parcelsms.api.request_body import RequestBody
from parcelsms.api.value_formats import Timestamp, Url
from parcelsms.pipeline.webhook_ports import WebhookDeliveryRecord, WebhookEndpoint

EventTypeName = Annotated[
    Literal[
        "message.submitted",
        "message.final",
        "message.status",
        "message.inbound",
        "balance.low",
        "limit.warning",
        "account.threshold_warning",
    ],
    msgspec.Meta(
        description="`message.submitted`, `message.final` (final statuses only: one webhook "
        "per message), `message.status` (every status change), `message.inbound` (replies), "
        "`balance.low`, `limit.warning` (also accepted as `account.threshold_warning`).",
        examples=["message.final"],
    ),
]
"""An event type as a request may name it (aliases included; answers use canonical names)."""

EventTypes = Annotated[list[EventTypeName], msgspec.Meta(min_length=1, max_length=10)]
Secret = Annotated[str, msgspec.Meta(examples=["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"])]
MAX_OVERLAP_SECONDS = 7 * 86_400


class EndpointCreate(RequestBody):
    """A new endpoint. Without ``event_types`` it receives every status change, replies
    and account events (``message.status``, ``message.inbound``, ``balance.low``,
    ``limit.warning``)."""

    url: Url
    event_types: EventTypes | None = None


class EndpointReplace(RequestBody):
    """An endpoint's URL, subscriptions and whether it is enabled (its secret stays)."""

    url: Url
    event_types: EventTypes
    enabled: bool = True


class SecretRotation(RequestBody):
    """How long the previous secret keeps signing beside the new one (0: not at all)."""

    overlap_seconds: Annotated[int, msgspec.Meta(ge=0, le=MAX_OVERLAP_SECONDS)] = 86_400


class Replay(RequestBody):
    """Send again everything sent (or dead-lettered) to the endpoint since this moment."""

    since: Timestamp


class EndpointOut(msgspec.Struct, kw_only=True):
    """An endpoint (its secret is shown only when created or rotated)."""

    id: str
    url: str
    event_types: list[str]
    enabled: bool
    is_default: bool
    previous_secret_expires_at: datetime | None
    created_at: datetime
    updated_at: datetime


class EndpointWithSecret(EndpointOut, kw_only=True):
    """An endpoint and its signing secret, shown this once."""

    secret: Secret


class EndpointList(msgspec.Struct, kw_only=True):
    data: list[EndpointOut]


class Replayed(msgspec.Struct, kw_only=True):
    """How many deliveries were made due again."""

    replayed: int


class DeliveryOut(msgspec.Struct, kw_only=True):
    """One webhook delivery: to which endpoint, what, and how its last attempt went.

    ``status``: ``pending`` (waiting for its next attempt at ``next_attempt_at``),
    ``delivered``, or ``dead`` (given up; ``POST .../retry`` sends it again).
    ``last_status_code`` is the receiver's HTTP status, ``latency_ms`` the last attempt's
    duration, ``last_error`` why it failed (``http_500``, ``timeout``, ...).
    """

    id: str
    event_id: str
    event_type: str
    endpoint_id: str | None
    message_id: str | None
    url: str
    status: Literal["pending", "delivered", "dead"]
    attempts: int
    last_status_code: int | None
    latency_ms: int | None
    last_error: str | None
    created_at: datetime
    next_attempt_at: datetime | None
    delivered_at: datetime | None


class DeliveryList(msgspec.Struct, kw_only=True):
    data: list[DeliveryOut]
    next_cursor: str | None


def endpoint_out(endpoint: WebhookEndpoint, now: datetime) -> EndpointOut:
    until = endpoint.previous_secret_until
    return EndpointOut(
        id=endpoint.id,
        url=endpoint.url,
        event_types=list(endpoint.event_types),
        enabled=endpoint.enabled,
        is_default=endpoint.is_default,
        previous_secret_expires_at=until if until is not None and until > now else None,
        created_at=endpoint.created_at,
        updated_at=endpoint.updated_at,
    )


def endpoint_with_secret(endpoint: WebhookEndpoint, now: datetime) -> EndpointWithSecret:
    shown = endpoint_out(endpoint, now)
    fields = {name: getattr(shown, name) for name in shown.__struct_fields__}
    return msgspec.convert(
        {**fields, "secret": endpoint.secret}, EndpointWithSecret, from_attributes=False
    )


def delivery_out(record: WebhookDeliveryRecord) -> DeliveryOut:
    return DeliveryOut(
        id=record.id,
        event_id=record.event_id,
        event_type=record.event_type,
        endpoint_id=record.endpoint_id,
        message_id=record.message_id,
        url=record.url,
        status=record.status,
        attempts=record.attempts,
        last_status_code=record.last_status,
        latency_ms=record.latency_ms,
        last_error=record.last_error,
        created_at=record.created_at,
        next_attempt_at=record.next_attempt_at,
        delivered_at=record.delivered_at,
    )
