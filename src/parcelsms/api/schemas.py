"""The JSON shapes of the HTTP API, as msgspec Structs.

Request Structs forbid unknown fields, so a misspelt field is an ``invalid_request`` naming it
instead of being silently ignored. Constraints declared here (``Meta``) are enforced by the
decoder and show up in ``/openapi.json``, so the document and the behaviour cannot drift.

Money is always a decimal string in the account's currency (``"0.0425"``); times are RFC 3339
in UTC (``"2024-05-01T12:00:03.250000Z"``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

import msgspec

from parcelsms.api.content_schemas import (
    LanguageTag,
    TemplateCreate,
    TemplateList,
    TemplateName,
    TemplateOut,
)
from parcelsms.api.value_formats import PHONE_PATTERN, PRINTABLE
from parcelsms.domain.status import MessageStatus

MAX_BATCH_ITEMS = 1000
SmartEncoding = Annotated[
    bool | None,
    msgspec.Meta(
        description="Replace typographic characters with GSM-7 look-alikes when that keeps "
        "the message GSM-7; omitted: the account's setting."
    ),
]

TemplateReference = Annotated[
    str,
    msgspec.Meta(
        min_length=1,
        max_length=64,
        description="A template id (`tpl_…`) or name.",
        examples=["shipped"],
    ),
]
Recipient = Annotated[
    str,
    msgspec.Meta(
        max_length=64,
        description="The recipient's mobile number with its country code; pasted forms such as "
        "`+44 7911 123456`, `0044 7911 123456` or `(+86) 138-0013-8000` are accepted. "
        "A number that does not exist is `invalid_number`.",
        examples=["+44 7911 123456"],
        # Documented, not enforced by the decoder: the number parser's own message says
        # what is wrong with a pasted number (no country code, a letter, …).
        extra_json_schema={"pattern": PHONE_PATTERN},
    ),
]
ParamValue = Annotated[
    Any,
    msgspec.Meta(
        description="A string or a number; 1 to 80 characters once converted to text.",
        extra_json_schema={"anyOf": [{"type": "string"}, {"type": "number"}]},
    ),
]
Params = Annotated[
    dict[str, ParamValue],
    msgspec.Meta(description="A value for every placeholder of the template, and no other key."),
]
SenderId = Annotated[
    str,
    msgspec.Meta(
        max_length=32,
        description="Alphanumeric (1 to 11 of A-Z, a-z, 0-9, space) or numeric (up to 15 digits).",
    ),
]
ClientRef = Annotated[
    str,
    msgspec.Meta(
        max_length=128,
        description="Your own reference, returned with every status change.",
        extra_json_schema=PRINTABLE,
    ),
]
Url = Annotated[str, msgspec.Meta(max_length=2048, examples=["https://shop.example/sms-events"])]
Money = Annotated[
    str, msgspec.Meta(description="A decimal amount in the account currency.", examples=["0.0425"])
]
Encoding = Literal["GSM7", "UCS2"]
Status = MessageStatus  # the status machine's own type (domain/status.py)


class _Request(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Base of request bodies: unknown fields are an error."""


# --- requests -------------------------------------------------------------------------------


class MessageCreate(_Request):
    """One message from an approved template."""

    to: Recipient
    template: TemplateReference
    params: Params = msgspec.field(default_factory=dict)
    language: LanguageTag | None = None
    sender_id: SenderId | None = None
    client_ref: ClientRef | None = None
    callback_url: Url | None = None
    smart_encoding: SmartEncoding = None


class BatchItem(_Request):
    """One recipient of a batch."""

    to: Recipient
    params: Params = msgspec.field(default_factory=dict)
    client_ref: ClientRef | None = None


class BatchCreate(_Request):
    """Up to 1,000 messages from one template; each item is accepted or rejected on its own."""

    template: TemplateReference
    messages: Annotated[list[BatchItem], msgspec.Meta(max_length=MAX_BATCH_ITEMS)]
    language: LanguageTag | None = None
    sender_id: SenderId | None = None
    callback_url: Url | None = None
    smart_encoding: SmartEncoding = None


class BatchEnvelope(_Request):
    """:class:`BatchCreate` as decoded: items stay raw JSON until each is decoded on its own.

    A malformed item then becomes that item's ``invalid_request`` instead of failing the whole
    batch, and the item count is known before any item is decoded.
    """

    template: TemplateReference
    messages: list[msgspec.Raw]
    language: LanguageTag | None = None
    sender_id: SenderId | None = None
    callback_url: Url | None = None
    smart_encoding: SmartEncoding = None


class WebhookCreate(_Request):
    """The account's webhook endpoint (replaces the previous one and its secret)."""

    url: Url


# --- responses ------------------------------------------------------------------------------


class ErrorInfo(msgspec.Struct, kw_only=True):
    """A catalogued error (see `docs/errors.md`).

    `missing`, `available` and `price` come with `insufficient_balance`; `missing_segments`,
    `price` and `country` with `no_package_for_region`; `request_id` with `internal_error`
    and `service_unavailable`; `country` and `reason` with `sender_not_allowed`.
    """

    code: str
    message: str
    field: str | None
    missing: Money | msgspec.UnsetType = msgspec.UNSET
    available: Money | msgspec.UnsetType = msgspec.UNSET
    price: Money | msgspec.UnsetType = msgspec.UNSET
    request_id: str | msgspec.UnsetType = msgspec.UNSET
    country: str | msgspec.UnsetType = msgspec.UNSET
    reason: str | msgspec.UnsetType = msgspec.UNSET
    missing_segments: int | msgspec.UnsetType = msgspec.UNSET


class ErrorBody(msgspec.Struct, kw_only=True):
    """Every error response."""

    error: ErrorInfo


class AcceptedMessage(msgspec.Struct, kw_only=True):
    """A stored message, as answered when it is accepted."""

    id: str
    status: Status
    to: Annotated[str, msgspec.Meta(description="E.164.", examples=["+447911123456"])]
    country: Annotated[str, msgspec.Meta(description="ISO 3166 alpha-2.", examples=["GB"])]
    encoding: Encoding
    segments: int
    price: Money
    currency: str
    client_ref: str | None
    created_at: datetime


class ErrorDetail(msgspec.Struct, kw_only=True):
    """Why a message failed: the carrier's raw `stat`/`err` when there was a receipt, and a
    stable `reason` where parcelsms decided (`no_receipt`: no receipt before the validity
    period ended)."""

    detail: str
    stat: str | None
    err: str | None
    reason: str | None = None


class Message(msgspec.Struct, kw_only=True):
    """A message as listed."""

    id: str
    status: Status
    to: str
    country: str
    template_id: str | None
    language: str | None
    body: Annotated[str, msgspec.Meta(description="The rendered text.")]
    encoding: Encoding
    segments: int
    price: Money
    currency: str
    sender_id: str | None
    client_ref: str | None
    callback_url: str | None
    flags: list[str]
    error: ErrorDetail | None
    created_at: datetime
    updated_at: datetime
    submitted_at: datetime | None
    final_at: datetime | None
    valid_until: datetime


class HistoryEntry(msgspec.Struct, kw_only=True):
    """One status change; `detail` holds e.g. the channel or the receipt's `stat`/`err`."""

    status: Status
    at: datetime
    detail: dict[str, Any] | None


class MessagePart(msgspec.Struct, kw_only=True):
    """One segment as submitted to a carrier, with its receipt's raw values once known."""

    part_no: int
    route: Annotated[
        str,
        msgspec.Meta(
            description="An opaque label of the carrier route that took this part; equal "
            "labels mean the same route. The operator's channel names are not shown."
        ),
    ]
    carrier_id: Annotated[str, msgspec.Meta(description="The id as the carrier wrote it.")]
    status: str
    stat: str | None
    err: str | None
    submitted_at: datetime
    done_at: datetime | None


class MessageDetail(Message, kw_only=True):
    """A message with its history (oldest first) and its parts."""

    history: list[HistoryEntry]
    parts: list[MessagePart]


class MessageList(msgspec.Struct, kw_only=True):
    """A page of messages, newest first; pass `next_cursor` back as `cursor` for the next."""

    data: list[Message]
    next_cursor: str | None


class BatchResult(msgspec.Struct, kw_only=True):
    """The outcome of one batch item: `message` when accepted, `error` when rejected."""

    index: int
    status: Literal["accepted", "rejected"]
    message: AcceptedMessage | msgspec.UnsetType = msgspec.UNSET
    error: ErrorInfo | msgspec.UnsetType = msgspec.UNSET


class BatchOut(msgspec.Struct, kw_only=True):
    """One result per item, in the order sent."""

    results: list[BatchResult]
    accepted: int
    rejected: int


class WebhookCreated(msgspec.Struct, kw_only=True):
    """The registered endpoint and its signing secret, shown this once."""

    url: str
    secret: Annotated[str, msgspec.Meta(examples=["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"])]
    created_at: datetime


class WebhookOut(msgspec.Struct, kw_only=True):
    """The registered endpoint (its secret is never shown again)."""

    url: str
    created_at: datetime


class Health(msgspec.Struct, kw_only=True):
    """The process is up."""

    status: Literal["ok"]


__all__ = [  # re-exported from content_schemas
    "LanguageTag",
    "TemplateCreate",
    "TemplateList",
    "TemplateName",
    "TemplateOut",
]
