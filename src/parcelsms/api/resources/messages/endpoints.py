"""``/v1/messages``: send one message or a batch, read one with its history, list them.

Idempotency (``POST /v1/messages``): an ``Idempotency-Key`` header makes a retry safe. The
request hash is the SHA-256 of the decoded body re-encoded as canonical JSON (keys sorted,
defaults filled in), so formatting and key order do not matter. The same key with the same
body answers the message the first request created (202, header ``Idempotent-Replayed:
true``); with another body it is ``idempotency_conflict`` (409). Keys are scoped to the account.

Legacy sends: ``POST /v1/messages`` also takes a form body (``accepts_form``, see
:mod:`parcelsms.api.form_body`), and ``GET /v1/messages/send?to=…&template=…&params[name]=…``
sends the same message from its query string, for systems that can only issue a GET. The
GET needs the opt-in ``legacy_get`` scope; its key may be the ``api_key`` parameter where
the operator allowed it (:mod:`parcelsms.api.authentication`). A GET that sends is unsafe by
HTTP's rules (prefetchers, crawlers and retries may repeat it), so an ``Idempotency-Key``
header is as welcome there as anywhere.

Batches (``POST /v1/messages/batch``): the item count is checked before any item is decoded,
then each item is decoded and validated on its own, so a malformed item is that item's
``invalid_request`` (``field`` ``messages[3].to``) and never affects the others. Batch-level
``sender_id`` and ``callback_url`` are checked once for the whole request.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable

import msgspec
from starlette.requests import Request
from starlette.responses import Response

from parcelsms.api.authentication import QUERY_KEY_PARAMETER, Authenticator, Caller
from parcelsms.api.error_responses import JsonResponse, error_info
from parcelsms.api.field_rules import canonical_language, idempotency_key, template_reference
from parcelsms.api.form_body import form_pairs, pairs_value
from parcelsms.api.request_body import check_utf8, decode_body, read_json_body
from parcelsms.api.resources.messages import schemas
from parcelsms.api.resources.messages.filters import PARAMETERS, parse_message_query
from parcelsms.api.resources.messages.schemas import accepted_out, message_detail_out, message_out
from parcelsms.api.resources.previews import PREVIEW_ERRORS
from parcelsms.api.route_table import ApiRoute, Parameter
from parcelsms.domain.api_keys import LEGACY_GET_SCOPE
from parcelsms.domain.error_catalogue import error
from parcelsms.errors import CatalogueError
from parcelsms.pipeline.accept import AcceptMessages, SendRequest, validate_sender_id
from parcelsms.pipeline.message_ports import MessageQueries

_message_decoder = msgspec.json.Decoder(schemas.MessageCreate)
_batch_decoder = msgspec.json.Decoder(schemas.BatchEnvelope)
_item_decoder = msgspec.json.Decoder(schemas.BatchItem)
_canonical_encoder = msgspec.json.Encoder(order="sorted")
_MAX_ID_LENGTH = 64
_IDEMPOTENCY_HEADER = Parameter(
    "Idempotency-Key",
    "header",
    "Makes a retry safe: the same key and body answer the same message, never a second one.",
    {"type": "string", "minLength": 1, "maxLength": 255},
)
_QUERY_SEND_PARAMETERS = (
    Parameter("to", "query", "The recipient, as in `POST /v1/messages`.", {"type": "string"}, True),
    Parameter("template", "query", "The template's name or id.", {"type": "string"}, True),
    Parameter("language", "query", "The template language to use.", {"type": "string"}),
    Parameter(
        "params",
        "query",
        "The template's variables, one `params[name]=value` pair each.",
        {"type": "object", "additionalProperties": {"type": "string"}},
    ),
    Parameter("client_ref", "query", "Your own reference.", {"type": "string"}),
    Parameter("callback_url", "query", "A status webhook for this message.", {"type": "string"}),
    Parameter("sender_id", "query", "A registered sender ID.", {"type": "string"}),
    Parameter(
        QUERY_KEY_PARAMETER,
        "query",
        "The API key, only where the operator allowed it for the key and only over HTTPS.",
        {"type": "string"},
    ),
)
_SEND_ERRORS = (
    *PREVIEW_ERRORS,
    "invalid_callback_url",
    "insufficient_balance",
    "account_unverified",
)


def request_hash(payload: msgspec.Struct) -> str:
    """SHA-256 (hex) of ``payload`` as canonical JSON: sorted keys, defaults included."""
    return hashlib.sha256(_canonical_encoder.encode(payload)).hexdigest()


def _rejected(index: int, problem: CatalogueError) -> schemas.BatchResult:
    return schemas.BatchResult(index=index, status="rejected", error=error_info(problem))


class MessageEndpoints:
    """Handlers of the message routes, scoped to the caller's account."""

    def __init__(
        self,
        accept: AcceptMessages,
        queries: MessageQueries,
        authenticator: Authenticator,
        check_callback_url: Callable[[str], None],
        max_body_bytes: int,
    ) -> None:
        self._accept = accept
        self._queries = queries
        self._auth = authenticator
        self._check_callback_url = check_callback_url
        self._max_body_bytes = max_body_bytes

    async def send_message(self, request: Request) -> Response:
        """Validate, price and store one message; 202 once it is committed."""
        caller = await self._auth.authenticate(request)
        body = await read_json_body(request, self._max_body_bytes)
        return await self._send(request, caller, decode_body(_message_decoder, body))

    async def send_by_query(self, request: Request) -> Response:
        """``send_message`` with the message in the query string (``legacy_get`` keys)."""
        caller = await self._auth.authenticate(request)
        pairs = [
            (name, value)
            for name, value in form_pairs(request.scope.get("query_string", b""))
            if name != QUERY_KEY_PARAMETER
        ]
        value = pairs_value(pairs, schemas.MessageCreate)
        payload = decode_body(_message_decoder, msgspec.json.encode(value))
        return await self._send(request, caller, payload)

    async def _send(
        self, request: Request, caller: Caller, payload: schemas.MessageCreate
    ) -> Response:
        key = idempotency_key(request.headers.get("idempotency-key"))
        send = SendRequest(
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
        )
        accepted = await self._accept.send(
            caller.account_id,
            caller.currency,
            send,
            idempotency_key=key,
            request_hash=request_hash(payload) if key is not None else None,
        )
        headers = {"Location": f"/v1/messages/{accepted.message_id}"}
        if accepted.replayed:
            headers["Idempotent-Replayed"] = "true"
        return JsonResponse(accepted_out(accepted), status_code=202, headers=headers)

    async def send_batch(self, request: Request) -> Response:
        """Accept or reject each item of a batch on its own; one result per item."""
        caller = await self._auth.authenticate(request)
        body = await read_json_body(request, self._max_body_bytes)
        check_utf8(body)
        envelope = decode_body(_batch_decoder, body)
        if len(envelope.messages) > schemas.MAX_BATCH_ITEMS:
            raise error(
                "batch_too_large",
                f"The batch has {len(envelope.messages)} messages; the limit is "
                f"{schemas.MAX_BATCH_ITEMS}. Split it into several requests.",
                field="messages",
            )
        template = template_reference(envelope.template)
        language = canonical_language(envelope.language) if envelope.language is not None else None
        sender_id = envelope.sender_id
        if sender_id is not None:
            sender_id = validate_sender_id(sender_id, "sender_id")
        if envelope.callback_url is not None:
            self._check_batch_callback_url(envelope.callback_url)

        results: list[schemas.BatchResult | None] = [None] * len(envelope.messages)
        requests: list[SendRequest] = []
        indexes: list[int] = []
        for index, raw in enumerate(envelope.messages):
            try:
                item = decode_body(_item_decoder, raw, field_prefix=f"messages[{index}]")
            except CatalogueError as problem:
                results[index] = _rejected(index, problem)
                continue
            requests.append(
                SendRequest(
                    to=item.to,
                    template=template,
                    params=item.params,
                    language=language,
                    sender_id=sender_id,
                    client_ref=item.client_ref,
                    callback_url=envelope.callback_url,
                    smart_encoding=envelope.smart_encoding,
                )
            )
            indexes.append(index)
        if requests:
            outcomes = await self._accept.send_batch(
                caller.account_id, caller.currency, requests, indexes=indexes
            )
            for index, outcome in zip(indexes, outcomes, strict=True):
                if isinstance(outcome, CatalogueError):
                    results[index] = _rejected(index, outcome)
                else:
                    results[index] = schemas.BatchResult(
                        index=index, status="accepted", message=accepted_out(outcome)
                    )
        final = [result for result in results if result is not None]
        accepted = sum(1 for result in final if result.status == "accepted")
        return JsonResponse(
            schemas.BatchOut(results=final, accepted=accepted, rejected=len(final) - accepted)
        )

    def _check_batch_callback_url(self, url: str) -> None:
        try:
            self._check_callback_url(url)
        except CatalogueError as problem:
            raise error("invalid_callback_url", problem.message, field="callback_url") from None

    async def get_message(self, request: Request) -> Response:
        """One message with its history and parts; another account's id is ``not_found``."""
        caller = await self._auth.authenticate(request)
        message_id: str = request.path_params["id"]
        detail = None
        if len(message_id) <= _MAX_ID_LENGTH:
            detail = await self._queries.get_message(caller.account_id, message_id)
        if detail is None:
            raise error("not_found", "No such message in this account.")
        return JsonResponse(message_detail_out(detail, self._accept.compose_settings.country_rules))

    async def list_messages(self, request: Request) -> Response:
        """A page of the account's messages, newest first."""
        caller = await self._auth.authenticate(request)
        query = parse_message_query(request.query_params)
        page = await self._queries.list_messages(
            caller.account_id, query.filters, query.cursor, query.limit
        )
        rules = self._accept.compose_settings.country_rules
        return JsonResponse(
            schemas.MessageList(
                data=[message_out(message, rules) for message in page.items],
                next_cursor=page.next_cursor,
            )
        )

    def routes(self) -> list[ApiRoute]:
        """The route table entries of these handlers."""
        return [
            ApiRoute(
                method="POST",
                path="/v1/messages",
                handler=self.send_message,
                summary="Send a message",
                description="Validates the recipient, renders the template, prices the "
                "message and stores it as `queued` with its price reserved, in one "
                "transaction; answers once that is committed.",
                tag="messages",
                request=schemas.MessageCreate,
                accepts_form=True,
                response=schemas.AcceptedMessage,
                status=202,
                errors=(*_SEND_ERRORS, "invalid_request", "idempotency_conflict"),
                scope="messages:send",
                parameters=(_IDEMPOTENCY_HEADER,),
                response_headers={
                    "Location": "The message's URL.",
                    "Idempotent-Replayed": "`true` when an earlier request with the same "
                    "Idempotency-Key created this message.",
                },
            ),
            ApiRoute(
                method="GET",
                path="/v1/messages/send",
                handler=self.send_by_query,
                summary="Send a message with a GET (legacy systems)",
                description="The message of `POST /v1/messages` as query parameters "
                "(`params[name]=value` for each variable), for systems that can only issue "
                "a GET. Needs a key with the opt-in `legacy_get` scope. Where the caller "
                "cannot set a header, the key may be the `api_key` parameter if the operator "
                "allowed that for the key; such a request is refused unless it arrives over "
                "HTTPS. URLs end up in proxy and browser logs: see `docs/api.md`.",
                tag="messages",
                response=schemas.AcceptedMessage,
                status=202,
                errors=(
                    *_SEND_ERRORS,
                    "invalid_request",
                    "idempotency_conflict",
                    "https_required",
                ),
                scope=LEGACY_GET_SCOPE,
                query_key=True,
                parameters=(*_QUERY_SEND_PARAMETERS, _IDEMPOTENCY_HEADER),
                response_headers={"Location": "The message's URL."},
            ),
            ApiRoute(
                method="POST",
                path="/v1/messages/batch",
                handler=self.send_batch,
                summary="Send a batch of messages",
                description="Up to 1,000 messages from one template. Each item is accepted or "
                "rejected on its own (`results[i].error` carries the same error object as a "
                "single send, with `field` such as `messages[3].to`).",
                tag="messages",
                request=schemas.BatchCreate,
                response=schemas.BatchOut,
                errors=(
                    "batch_too_large",
                    "unknown_template",
                    "invalid_sender_id",
                    "invalid_callback_url",
                ),
                scope="messages:send",
            ),
            ApiRoute(
                method="GET",
                path="/v1/messages/{id}",
                handler=self.get_message,
                summary="Get a message with its history",
                tag="messages",
                response=schemas.MessageDetail,
                errors=("not_found",),
                scope="messages:read",
            ),
            ApiRoute(
                method="GET",
                path="/v1/messages",
                handler=self.list_messages,
                summary="List messages",
                tag="messages",
                response=schemas.MessageList,
                errors=("invalid_filter", "invalid_cursor"),
                parameters=PARAMETERS,
                scope="messages:read",
            ),
        ]
