"""Domain events (past tense) and the webhook body they become.

A :class:`MessageStatusChanged` is recorded for every status change of a message. The
webhook body for it (:func:`webhook_payload`), POSTed to the message's ``callback_url`` or
the account's endpoint and signed per Standard Webhooks, is::

    {
      "type": "message.status_changed",
      "id": "evt_01J...",                      # unique per event; the webhook-id header
      "created_at": "2024-05-01T12:00:03.250Z", # when the change happened (UTC)
      "data": {
        "id": "msg_01J...",
        "status": "delivered",
        "previous_status": "submitted",         # null for the first status
        "to": "+447911123456",                  # E.164, the sender's own recipient
        "client_ref": "order-1234",             # null when none was given
        "segments": 2,
        "price": "0.1",                         # decimal string in the account currency
        "currency": "EUR",
        "error": null,                          # or {"stat", "err", "detail", "reason"}
        "at": "2024-05-01T12:00:03.250Z",
        "attempt": 1,                           # which try of the message's route plan
        "route": "rt_3f9a0c2b7d1e",             # opaque label of the route that took it
        "delivery_confidence": "handset"        # final statuses: handset | carrier | none
      }
    }

``error`` is set for ``undelivered``, ``expired``, ``rejected`` and ``failed``: ``stat``
and ``err`` are the carrier receipt's raw values (``null`` when there was no receipt, e.g.
for ``failed``) and ``detail`` is a sentence for people; ``reason`` is a stable code where
parcelsms decided (``no_receipt``: no receipt before the validity ended), else ``null``.
Prices are strings so no client parses money as a float. ``created_at`` equals ``data.at``
for this event type.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Final, TypedDict

from parcelsms.domain.ids import new_id
from parcelsms.domain.money import format_micros
from parcelsms.domain.status import FAILURE_STATUSES, MessageStatus
from parcelsms.domain.utc_text import utc_text

WEBHOOK_EVENT_TYPE: Final = "message.status_changed"


@dataclass(init=False, frozen=True, slots=True)
class MessageStatusChanged:
    """A message moved from ``previous_status`` to ``status`` at ``at`` (aware datetime).

    ``detail`` carries what explains the change: for a receipt ``stat``, ``err`` and the
    receipt's text; for a failure a human ``detail`` sentence; for a submission the
    ``channel``. ``event_id`` is generated once and identifies the event in every
    delivery attempt of its webhook.
    """

    message_id: str
    account_id: str
    status: MessageStatus
    previous_status: MessageStatus | None
    at: datetime
    detail: Mapping[str, object] = field(default_factory=dict)
    event_id: str = field(default_factory=lambda: new_id("evt"))

    # Written out, not the dataclass's: compiled (parcelsms.compiled_modules).
    def __init__(
        self,
        message_id: str,
        account_id: str,
        status: MessageStatus,
        previous_status: MessageStatus | None,
        at: datetime,
        detail: Mapping[str, object] | None = None,
        event_id: str | None = None,
    ) -> None:
        if at.tzinfo is None or at.utcoffset() is None:
            raise ValueError("event times must be timezone-aware")
        object.__setattr__(self, "message_id", message_id)
        object.__setattr__(self, "account_id", account_id)
        object.__setattr__(self, "status", status)
        object.__setattr__(self, "previous_status", previous_status)
        object.__setattr__(self, "at", at)
        object.__setattr__(self, "detail", {} if detail is None else detail)
        object.__setattr__(self, "event_id", new_id("evt") if event_id is None else event_id)


class WebhookMessageFields(TypedDict):
    """Message facts the webhook body includes besides the event itself."""

    to: str
    client_ref: str | None
    segments: int
    price_micros: int
    currency: str


def format_timestamp(moment: datetime) -> str:
    """ISO 8601 in UTC with milliseconds and ``Z``: ``2024-05-01T12:00:03.250Z``."""
    return (utc_text(moment)[:23] + b"Z").decode("ascii")


def webhook_payload(
    event: MessageStatusChanged, message_fields: WebhookMessageFields
) -> dict[str, object]:
    """The JSON-ready webhook body for ``event`` (shape in the module docstring)."""
    return status_webhook_body(
        event.event_id,
        event.message_id,
        event.status,
        event.previous_status,
        event.at,
        event.detail,
        message_fields,
    )


def status_webhook_body(
    event_id: str,
    message_id: str,
    status: str,
    previous_status: str | None,
    at: datetime,
    detail: Mapping[str, object] | None,
    message_fields: WebhookMessageFields,
) -> dict[str, object]:
    """:func:`webhook_payload` from the event's values, for a caller that has them without
    a :class:`MessageStatusChanged` (storage builds one body per final status, under the
    write lock). ``detail`` is read only for the failure statuses."""
    at_text = format_timestamp(at)
    return {
        "type": WEBHOOK_EVENT_TYPE,
        "id": event_id,
        "created_at": at_text,
        "data": {
            "id": message_id,
            "status": str(status),
            "previous_status": None if previous_status is None else str(previous_status),
            "to": message_fields["to"],
            "client_ref": message_fields["client_ref"],
            "segments": message_fields["segments"],
            "price": format_micros(message_fields["price_micros"]),
            "currency": message_fields["currency"],
            "error": _error_object(status, detail),
            "at": at_text,
        },
    }


def _error_object(status: str, detail: Mapping[str, object] | None) -> dict[str, object] | None:
    if status not in FAILURE_STATUSES:
        return None
    if detail is None:
        detail = {}
    return {
        "stat": _optional_text(detail.get("stat")),
        "err": _optional_text(detail.get("err")),
        "detail": _optional_text(detail.get("detail")),
        "reason": _optional_text(detail.get("reason")),
    }


def _optional_text(value: object) -> str | None:
    return None if value is None else str(value)
