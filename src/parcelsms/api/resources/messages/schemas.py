"""The JSON shapes of ``/v1/messages`` as msgspec Structs, and how stored messages become them.

Request Structs forbid unknown fields, so a misspelt field is an ``invalid_request`` naming it
instead of being silently ignored. Constraints declared here (``Meta``) are enforced by the
decoder and show up in ``/openapi.json``, so the document and the behaviour cannot drift.

Price is always a decimal string in the account's currency (``"0.0425"``); times are RFC 3339
in UTC (``"2024-05-01T12:00:03.250000Z"``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal, cast

import msgspec

from parcelsms.api.error_responses import ErrorInfo
from parcelsms.api.request_body import RequestBody
from parcelsms.api.value_formats import PHONE_PATTERN, PRINTABLE, LanguageTag, Price, Url
from parcelsms.domain.country_rules import CountryRules
from parcelsms.domain.delivery_confidence import delivery_confidence
from parcelsms.domain.money import format_micros
from parcelsms.domain.status import MessageStatus
from parcelsms.pipeline import message_ports

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
Encoding = Literal["GSM7", "UCS2"]
Status = MessageStatus  # the status machine's own type (domain/status.py)


# --- requests -------------------------------------------------------------------------------------


class MessageCreate(RequestBody):
    """One message from an approved template."""

    to: Recipient
    template: TemplateReference
    params: Params = msgspec.field(default_factory=dict)
    language: LanguageTag | None = None
    sender_id: SenderId | None = None
    client_ref: ClientRef | None = None
    callback_url: Url | None = None
    smart_encoding: SmartEncoding = None


class BatchItem(RequestBody):
    """One recipient of a batch."""

    to: Recipient
    params: Params = msgspec.field(default_factory=dict)
    client_ref: ClientRef | None = None


class BatchCreate(RequestBody):
    """Up to 1,000 messages from one template; each item is accepted or rejected on its own."""

    template: TemplateReference
    messages: Annotated[list[BatchItem], msgspec.Meta(max_length=MAX_BATCH_ITEMS)]
    language: LanguageTag | None = None
    sender_id: SenderId | None = None
    callback_url: Url | None = None
    smart_encoding: SmartEncoding = None


class BatchEnvelope(RequestBody):
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


# --- responses ------------------------------------------------------------------------------------


class AcceptedMessage(msgspec.Struct, kw_only=True):
    """A stored message, as answered when it is accepted."""

    id: str
    status: Status
    to: Annotated[str, msgspec.Meta(description="E.164.", examples=["+447911123456"])]
    country: Annotated[str, msgspec.Meta(description="ISO 3166 alpha-2.", examples=["GB"])]
    encoding: Encoding
    segments: int
    price: Price
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
    price: Price
    currency: str
    sender_id: str | None
    client_ref: str | None
    callback_url: str | None
    flags: list[str]
    duplicate_possible: Annotated[
        bool,
        msgspec.Meta(
            description="A submit of this message went unanswered (the carrier may have it), "
            "so the handset may receive it twice. Also in `flags`."
        ),
    ]
    error: ErrorDetail | None
    created_at: datetime
    updated_at: datetime
    submitted_at: datetime | None
    final_at: datetime | None
    valid_until: datetime
    delivery_confidence: Annotated[
        Literal["handset", "carrier", "none"] | None,
        msgspec.Meta(
            description="How far the final status can be trusted: `handset` (a carrier "
            "receipt, in a country with handset-level receipts), `carrier` (a receipt, but "
            "the country's receipts only say the carrier accepted it), `none` (no receipt "
            "stands behind it). `null` until the status is final."
        ),
    ] = None


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
    replies: Annotated[
        str,
        msgspec.Meta(description="Where the recipient's replies to this message are listed."),
    ]


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


# --- representations ------------------------------------------------------------------------------


def accepted_out(accepted: message_ports.Accepted) -> AcceptedMessage:
    """The answer to an accepted message."""
    return AcceptedMessage(
        id=accepted.message_id,
        status=accepted.status,
        to=accepted.to_e164,
        country=accepted.country,
        encoding=cast("Encoding", accepted.encoding),
        segments=accepted.segments,
        price=format_micros(accepted.price_micros),
        currency=accepted.currency,
        client_ref=accepted.client_ref,
        created_at=accepted.created_at,
    )


def _error_detail(detail: message_ports.ErrorDetail | None) -> ErrorDetail | None:
    if detail is None:
        return None
    return ErrorDetail(detail=detail.detail, stat=detail.stat, err=detail.err, reason=detail.reason)


def _confidence(message: message_ports.Message, rules: CountryRules) -> Any:
    return delivery_confidence(
        message.status,
        receipt_arrived=message_ports.FLAG_NO_RECEIPT not in message.flags,
        receipts_reliable=rules.rule_for(message.country).receipts_reliable,
    )


def _message_fields(message: message_ports.Message, rules: CountryRules) -> dict[str, Any]:
    return {
        "id": message.id,
        "status": message.status,
        "to": message.to_e164,
        "country": message.country,
        "template_id": message.template_id,
        "language": message.language,
        "body": message.body,
        "encoding": cast("Encoding", message.encoding),
        "segments": message.segments,
        "price": format_micros(message.price_micros),
        "currency": message.currency,
        "sender_id": message.sender_id,
        "client_ref": message.client_ref,
        "callback_url": message.callback_url,
        "flags": list(message.flags),
        "duplicate_possible": message_ports.FLAG_DUPLICATE_POSSIBLE in message.flags,
        "error": _error_detail(message.last_error),
        "created_at": message.created_at,
        "updated_at": message.updated_at,
        "submitted_at": message.submitted_at,
        "final_at": message.final_at,
        "valid_until": message.valid_until,
        "delivery_confidence": _confidence(message, rules),
    }


def message_out(message: message_ports.Message, rules: CountryRules) -> Message:
    """A message as listed (``rules``: whose receipts are handset-level, per country)."""
    return Message(**_message_fields(message, rules))


def message_detail_out(detail: message_ports.MessageDetail, rules: CountryRules) -> MessageDetail:
    """A message with its history, parts and the link to its replies."""
    history = [
        HistoryEntry(
            status=event.status,
            at=event.at,
            detail=dict(event.detail) if event.detail is not None else None,
        )
        for event in detail.events
    ]
    parts = [
        MessagePart(
            part_no=part.part_no,
            route=part.route,
            carrier_id=part.carrier_id,
            status=part.status,
            stat=part.stat,
            err=part.err,
            submitted_at=part.submitted_at,
            done_at=part.done_at,
        )
        for part in detail.parts
    ]
    return MessageDetail(
        **_message_fields(detail.message, rules),
        history=history,
        parts=parts,
        replies=f"/v1/inbound?message_id={detail.message.id}",
    )
