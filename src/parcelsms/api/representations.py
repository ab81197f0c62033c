"""Storage records as the API shows them: money as decimal strings, internal ids hidden."""

from __future__ import annotations

from typing import Any, cast

from parcelsms.api import schemas
from parcelsms.api.content_representations import template_out
from parcelsms.domain.money import format_micros
from parcelsms.pipeline import ports


def accepted_out(accepted: ports.Accepted) -> schemas.AcceptedMessage:
    """The answer to an accepted message."""
    return schemas.AcceptedMessage(
        id=accepted.message_id,
        status=accepted.status,
        to=accepted.to_e164,
        country=accepted.country,
        encoding=cast("schemas.Encoding", accepted.encoding),
        segments=accepted.segments,
        price=format_micros(accepted.price_micros),
        currency=accepted.currency,
        client_ref=accepted.client_ref,
        created_at=accepted.created_at,
    )


def _error_detail(detail: ports.ErrorDetail | None) -> schemas.ErrorDetail | None:
    if detail is None:
        return None
    return schemas.ErrorDetail(
        detail=detail.detail, stat=detail.stat, err=detail.err, reason=detail.reason
    )


def _message_fields(message: ports.Message) -> dict[str, Any]:
    return {
        "id": message.id,
        "status": message.status,
        "to": message.to_e164,
        "country": message.country,
        "template_id": message.template_id,
        "language": message.language,
        "body": message.body,
        "encoding": cast("schemas.Encoding", message.encoding),
        "segments": message.segments,
        "price": format_micros(message.price_micros),
        "currency": message.currency,
        "sender_id": message.sender_id,
        "client_ref": message.client_ref,
        "callback_url": message.callback_url,
        "flags": list(message.flags),
        "error": _error_detail(message.last_error),
        "created_at": message.created_at,
        "updated_at": message.updated_at,
        "submitted_at": message.submitted_at,
        "final_at": message.final_at,
        "valid_until": message.valid_until,
    }


def message_out(message: ports.Message) -> schemas.Message:
    """A message as listed."""
    return schemas.Message(**_message_fields(message))


def message_detail_out(detail: ports.MessageDetail) -> schemas.MessageDetail:
    """A message with its history and parts."""
    history = [
        schemas.HistoryEntry(
            status=event.status,
            at=event.at,
            detail=dict(event.detail) if event.detail is not None else None,
        )
        for event in detail.events
    ]
    parts = [
        schemas.MessagePart(
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
    return schemas.MessageDetail(
        **_message_fields(detail.message),
        history=history,
        parts=parts,
    )


__all__ = ["template_out"]  # re-exported from content_representations
