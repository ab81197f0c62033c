"""``POST /v1/messages/preview``: a message as it would be sent, with nothing stored or charged."""

from __future__ import annotations

import msgspec
from starlette.requests import Request
from starlette.responses import Response

from parcelsms.api import content_schemas, schemas
from parcelsms.api.authentication import Authenticator
from parcelsms.api.content_representations import preview_out
from parcelsms.api.error_responses import JsonResponse
from parcelsms.api.field_rules import canonical_language, template_reference
from parcelsms.api.request_body import decode_body, read_json_body
from parcelsms.api.route_table import ApiRoute
from parcelsms.pipeline.accept import AcceptMessages, SendRequest

_decoder = msgspec.json.Decoder(schemas.MessageCreate)

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
                request=schemas.MessageCreate,
                response=content_schemas.MessagePreviewOut,
                errors=PREVIEW_ERRORS,
            )
        ]
