"""``POST /v1/messages/preview``: a message as it would be sent, with nothing stored or charged."""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec
from starlette.requests import Request
from starlette.responses import Response

from parcelsms.api.authentication import Authenticator
from parcelsms.api.error_responses import JsonResponse
from parcelsms.api.field_rules import canonical_language, template_reference
from parcelsms.api.request_body import decode_body, read_json_body
from parcelsms.api.resources.messages.schemas import MessageCreate
from parcelsms.api.resources.templates import Finding
from parcelsms.api.route_table import ApiRoute
from parcelsms.domain.money import format_micros
from parcelsms.pipeline.accept import AcceptMessages, SendRequest
from parcelsms.pipeline.preview import MessagePreview
from parcelsms.protocol.text.segments import Encoding

# What composing a message can refuse (the send endpoints add storing and billing errors).
PREVIEW_ERRORS = (
    "invalid_number",
    "not_mobile",
    "unsupported_country",
    "unknown_template",
    "template_not_approved",
    "template_language_unavailable",
    "missing_param",
    "unexpected_param",
    "param_too_long",
    "invalid_param",
    "message_too_long",
    "invalid_sender_id",
    "sender_not_allowed",
)


# --- schemas --------------------------------------------------------------------------------------


class PreviewSegment(msgspec.Struct, kw_only=True):
    """One SMS: its text and its size in septets (GSM-7) or UTF-16 units (UCS-2)."""

    text: str
    units: int


class Replacement(msgspec.Struct, kw_only=True):
    """A character smart encoding replaced, at `position` of the text before replacing."""

    original: str
    replacement: str
    position: int


class PreviewSender(msgspec.Struct, kw_only=True):
    """The sender the message would go out with (`null` `sender_id`: the operator's default)."""

    sender_id: str | None
    requested: bool
    fallback_reason: str | None


class SmartEncodingOut(msgspec.Struct, kw_only=True):
    """Whether smart encoding changed the text, and how."""

    applied: bool
    replacements: list[Replacement]


class MessagePreviewOut(msgspec.Struct, kw_only=True):
    """A message as it would be sent; nothing was stored or charged."""

    to: str
    country: str
    template_id: str
    template: str
    language: str
    language_reason: Literal["requested", "pinned", "country", "default"]
    text: str
    encoding: Literal["GSM7", "UCS2"]
    characters: int
    units: int
    segment_count: int
    segments: list[PreviewSegment]
    sender: PreviewSender
    price: Annotated[str, msgspec.Meta(description="A decimal amount in the account currency.")]
    currency: str
    smart_encoding: SmartEncodingOut
    time_zone: str | None
    findings: list[Finding]


# --- representations ------------------------------------------------------------------------------


def preview_out(preview: MessagePreview, currency: str) -> MessagePreviewOut:
    """The answer of ``POST /v1/messages/preview``."""
    draft = preview.draft
    sender = draft.sender
    return MessagePreviewOut(
        to=draft.recipient.e164,
        country=draft.recipient.country,
        template_id=draft.template.id,
        template=draft.template.name,
        language=draft.language.language,
        language_reason=draft.language.reason,
        text=draft.body,
        encoding="GSM7" if draft.info.encoding is Encoding.GSM7 else "UCS2",
        characters=len(draft.body),
        units=draft.info.units,
        segment_count=draft.info.segment_count,
        segments=[PreviewSegment(text=s.text, units=s.units) for s in preview.segments],
        sender=PreviewSender(
            sender_id=draft.sender_id,
            requested=sender.requested if sender is not None else False,
            fallback_reason=sender.fallback_reason if sender is not None else None,
        ),
        price=format_micros(draft.price_micros),
        currency=currency,
        smart_encoding=SmartEncodingOut(
            applied=draft.smart_applied,
            replacements=[
                Replacement(
                    original=item.original, replacement=item.replacement, position=item.position
                )
                for item in preview.replacements
            ],
        ),
        time_zone=draft.time_zone,
        findings=[
            Finding(
                code=finding.code,
                severity=finding.severity,
                message=finding.message,
                span=finding.span,
                field=finding.field,
            )
            for finding in preview.findings
        ],
    )


# --- endpoints ------------------------------------------------------------------------------------


_decoder = msgspec.json.Decoder(MessageCreate)


class PreviewEndpoints:
    """The preview handler, scoped to the caller's account."""

    def __init__(
        self, accept: AcceptMessages, authenticator: Authenticator, max_body_bytes: int
    ) -> None:
        self._accept = accept
        self._auth = authenticator
        self._max_body_bytes = max_body_bytes

    async def preview_message(self, request: Request) -> Response:
        """Render, encode, pick the sender and price a message without sending it."""
        caller = await self._auth.authenticate(request)
        payload = decode_body(_decoder, await read_json_body(request, self._max_body_bytes))
        preview = await self._accept.preview(
            caller.account_id,
            SendRequest(
                to=payload.to,
                template=template_reference(payload.template),
                params=payload.params,
                language=(
                    canonical_language(payload.language) if payload.language is not None else None
                ),
                sender_id=payload.sender_id,
                client_ref=payload.client_ref,
                callback_url=payload.callback_url,
                smart_encoding=payload.smart_encoding,
            ),
        )
        return JsonResponse(preview_out(preview, caller.currency))

    def routes(self) -> list[ApiRoute]:
        """The route table entry of the handler."""
        return [
            ApiRoute(
                method="POST",
                path="/v1/messages/preview",
                handler=self.preview_message,
                summary="Preview a message",
                description="The same body as `POST /v1/messages`. Answers the rendered text, "
                "its encoding, each segment, the sender that would be used, the price and "
                "findings (which characters force UCS-2 and what that costs, a sender "
                "fallback, smart-encoding replacements). Nothing is stored or charged; "
                "balance, limits and idempotency are not checked.",
                scope="messages:send",
                tag="messages",
                request=MessageCreate,
                response=MessagePreviewOut,
                errors=PREVIEW_ERRORS,
            )
        ]
