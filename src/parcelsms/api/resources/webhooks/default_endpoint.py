"""``/v1/webhooks``: the account's default webhook endpoint and its signing secret.

Before several endpoints existed this was *the* endpoint; it keeps working unchanged. It is
one of ``/v1/webhooks/endpoints`` (``is_default``), created subscribed to every status
change, replies and account events, and its secret also signs the webhooks sent to
messages' own ``callback_url``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Annotated

import msgspec
from starlette.requests import Request
from starlette.responses import Response

from parcelsms.api.authentication import Authenticator
from parcelsms.api.error_responses import JsonResponse
from parcelsms.api.request_body import RequestBody, decode_body, read_json_body
from parcelsms.api.resources.webhooks.url_check import WebhookUrlCheck
from parcelsms.api.route_table import ApiRoute
from parcelsms.api.value_formats import Url
from parcelsms.domain.error_catalogue import error
from parcelsms.pipeline.webhook_ports import WebhookEndpointStore

# --- schemas --------------------------------------------------------------------------------------


class WebhookCreate(RequestBody):
    """The account's webhook endpoint (replaces the previous one and its secret)."""

    url: Url


class WebhookCreated(msgspec.Struct, kw_only=True):
    """The registered endpoint and its signing secret, shown this once."""

    url: str
    secret: Annotated[str, msgspec.Meta(examples=["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"])]
    created_at: datetime


class WebhookOut(msgspec.Struct, kw_only=True):
    """The registered endpoint (its secret is never shown again)."""

    url: str
    created_at: datetime


# --- endpoints ------------------------------------------------------------------------------------


_create_decoder = msgspec.json.Decoder(WebhookCreate)


class WebhookEndpoints:
    """Handlers of the webhook routes, scoped to the caller's account."""

    def __init__(
        self,
        endpoints: WebhookEndpointStore,
        authenticator: Authenticator,
        new_secret: Callable[[], str],
        check_url: Callable[[str], None],
        max_body_bytes: int,
        *,
        check_host: Callable[[str], Awaitable[None]] | None = None,
    ) -> None:
        self._endpoints = endpoints
        self._auth = authenticator
        self._new_secret = new_secret
        self._check = WebhookUrlCheck(check_url, check_host)
        self._max_body_bytes = max_body_bytes

    async def register_webhook(self, request: Request) -> Response:
        """Register the endpoint; a new secret replaces the previous endpoint's at once."""
        caller = await self._auth.authenticate(request)
        body = await read_json_body(request, self._max_body_bytes)
        payload = decode_body(_create_decoder, body)
        await self._check(payload.url)
        endpoint = await self._endpoints.set_webhook_endpoint(
            caller.account_id, payload.url, self._new_secret()
        )
        return JsonResponse(
            WebhookCreated(
                url=endpoint.url, secret=endpoint.secret, created_at=endpoint.created_at
            ),
            status_code=201,
        )

    async def get_webhook(self, request: Request) -> Response:
        """The registered endpoint without its secret; ``not_found`` when there is none."""
        caller = await self._auth.authenticate(request)
        endpoint = await self._endpoints.get_webhook_endpoint(caller.account_id)
        if endpoint is None:
            raise error(
                "not_found", "No webhook endpoint is registered; POST /v1/webhooks registers one."
            )
        return JsonResponse(WebhookOut(url=endpoint.url, created_at=endpoint.created_at))

    def routes(self) -> list[ApiRoute]:
        """The route table entries of these handlers."""
        return [
            ApiRoute(
                method="POST",
                path="/v1/webhooks",
                handler=self.register_webhook,
                summary="Register the default webhook endpoint",
                description="Every status change of the account's messages is POSTed there "
                "(or to a message's own `callback_url`), signed per Standard Webhooks with "
                "the secret returned here; so are replies and account events. The secret is "
                "shown only in this response; registering again replaces both URL and secret "
                "at once (`POST /v1/webhooks/endpoints/{id}/rotate-secret` rotates with an "
                "overlap). Several endpoints, each with its own event types: "
                "`/v1/webhooks/endpoints`.",
                tag="webhooks",
                request=WebhookCreate,
                response=WebhookCreated,
                status=201,
                errors=("invalid_webhook_url",),
                scope="webhooks",
            ),
            ApiRoute(
                method="GET",
                path="/v1/webhooks",
                handler=self.get_webhook,
                summary="Get the default webhook endpoint",
                tag="webhooks",
                response=WebhookOut,
                errors=("not_found",),
                scope="webhooks",
            ),
        ]
