"""``/v1/webhooks/endpoints``: an account's webhook endpoints, each subscribed to event types.

Each endpoint has its own signing secret, shown when the endpoint is created and when it
is rotated. A rotation keeps the previous secret signing beside the new one for an overlap
(every webhook then carries both signatures), so a receiver can switch secrets without
losing a webhook. ``replay`` sends again everything sent to the endpoint since a moment.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Final

import msgspec
from starlette.requests import Request
from starlette.responses import Response

from parcelsms.api.authentication import Authenticator
from parcelsms.api.error_responses import JsonResponse
from parcelsms.api.request_body import decode_body, read_body_within, read_json_body
from parcelsms.api.resources.webhooks.schemas import (
    EndpointCreate,
    EndpointList,
    EndpointOut,
    EndpointReplace,
    EndpointWithSecret,
    Replay,
    Replayed,
    SecretRotation,
    endpoint_out,
    endpoint_with_secret,
)
from parcelsms.api.resources.webhooks.url_check import WebhookUrlCheck
from parcelsms.api.route_table import ApiRoute
from parcelsms.domain.error_catalogue import error
from parcelsms.domain.webhook_routing import DEFAULT_EVENT_TYPES, canonical_event_types
from parcelsms.pipeline.webhook_ports import (
    EndpointChanges,
    WebhookDeliveryLog,
    WebhookEndpoint,
    WebhookEndpointStore,
)

MAX_ENDPOINTS: Final = 20
_MAX_ID_LENGTH: Final = 64
_NOT_FOUND = "No such webhook endpoint in this account."
_ITEM = "/v1/webhooks/endpoints/{id}"

_create_decoder = msgspec.json.Decoder(EndpointCreate)
_replace_decoder = msgspec.json.Decoder(EndpointReplace)
_rotation_decoder = msgspec.json.Decoder(SecretRotation)
_replay_decoder = msgspec.json.Decoder(Replay)


class WebhookEndpointResource:
    """Handlers of the endpoint routes, scoped to the caller's account."""

    def __init__(
        self,
        endpoints: WebhookEndpointStore,
        deliveries: WebhookDeliveryLog,
        authenticator: Authenticator,
        new_secret: Callable[[], str],
        check_url: Callable[[str], None],
        max_body_bytes: int,
        *,
        check_host: Callable[[str], Awaitable[None]] | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._endpoints = endpoints
        self._deliveries = deliveries
        self._auth = authenticator
        self._new_secret = new_secret
        self._check = WebhookUrlCheck(check_url, check_host)
        self._max_body_bytes = max_body_bytes
        self._clock = clock

    async def list_endpoints(self, request: Request) -> Response:
        caller = await self._auth.authenticate(request)
        endpoints = await self._endpoints.list_endpoints(caller.account_id)
        now = self._clock()
        return JsonResponse(EndpointList(data=[endpoint_out(one, now) for one in endpoints]))

    async def create_endpoint(self, request: Request) -> Response:
        caller = await self._auth.authenticate(request)
        body = await read_json_body(request, self._max_body_bytes)
        payload = decode_body(_create_decoder, body)
        event_types = (
            DEFAULT_EVENT_TYPES
            if payload.event_types is None
            else canonical_event_types(payload.event_types)
        )
        await self._check(payload.url)
        if len(await self._endpoints.list_endpoints(caller.account_id)) >= MAX_ENDPOINTS:
            raise error(
                "resource_limit",
                f"An account has at most {MAX_ENDPOINTS} webhook endpoints; delete one first.",
            )
        endpoint = await self._endpoints.create_endpoint(
            caller.account_id, payload.url, event_types, self._new_secret()
        )
        return JsonResponse(
            endpoint_with_secret(endpoint, self._clock()),
            status_code=201,
            headers={"Location": f"/v1/webhooks/endpoints/{endpoint.id}"},
        )

    async def get_endpoint(self, request: Request) -> Response:
        caller = await self._auth.authenticate(request)
        endpoint = await self._existing(caller.account_id, request)
        return JsonResponse(endpoint_out(endpoint, self._clock()))

    async def replace_endpoint(self, request: Request) -> Response:
        caller = await self._auth.authenticate(request)
        body = await read_json_body(request, self._max_body_bytes)
        payload = decode_body(_replace_decoder, body)
        changes = EndpointChanges(
            url=payload.url,
            event_types=canonical_event_types(payload.event_types),
            enabled=payload.enabled,
        )
        await self._check(payload.url)
        updated = await self._endpoints.update_endpoint(
            caller.account_id, _endpoint_id(request), changes
        )
        if updated is None:
            raise error("not_found", _NOT_FOUND)
        return JsonResponse(endpoint_out(updated, self._clock()))

    async def delete_endpoint(self, request: Request) -> Response:
        caller = await self._auth.authenticate(request)
        endpoint = await self._existing(caller.account_id, request)
        if endpoint.is_default:
            raise error("default_webhook_endpoint")
        if not await self._endpoints.delete_endpoint(caller.account_id, endpoint.id):
            raise error("not_found", _NOT_FOUND)
        return Response(status_code=204)

    async def rotate_secret(self, request: Request) -> Response:
        caller = await self._auth.authenticate(request)
        body = await read_body_within(request, self._max_body_bytes)
        payload = decode_body(_rotation_decoder, body) if body.strip() else SecretRotation()
        now = self._clock()
        rotated = await self._endpoints.rotate_secret(
            caller.account_id,
            _endpoint_id(request),
            self._new_secret(),
            now + timedelta(seconds=payload.overlap_seconds),
        )
        if rotated is None:
            raise error("not_found", _NOT_FOUND)
        return JsonResponse(endpoint_with_secret(rotated, now))

    async def replay(self, request: Request) -> Response:
        caller = await self._auth.authenticate(request)
        body = await read_json_body(request, self._max_body_bytes)
        payload = decode_body(_replay_decoder, body)
        endpoint = await self._existing(caller.account_id, request)
        since = payload.since if payload.since.tzinfo is not None else None
        if since is None:
            raise error(
                "invalid_request", "Give `since` with a time zone (e.g. `Z`).", field="since"
            )
        count = await self._deliveries.replay_endpoint(
            caller.account_id, endpoint.id, since, self._clock()
        )
        return JsonResponse(Replayed(replayed=count), status_code=202)

    async def _existing(self, account_id: str, request: Request) -> WebhookEndpoint:
        endpoint = await self._endpoints.get_endpoint(account_id, _endpoint_id(request))
        if endpoint is None:
            raise error("not_found", _NOT_FOUND)
        return endpoint

    def routes(self) -> list[ApiRoute]:
        """The route table entries of these handlers."""
        return [
            ApiRoute(
                method="GET",
                path="/v1/webhooks/endpoints",
                handler=self.list_endpoints,
                summary="List webhook endpoints",
                response=EndpointList,
                tag="webhooks",
                scope="webhooks",
            ),
            ApiRoute(
                method="POST",
                path="/v1/webhooks/endpoints",
                handler=self.create_endpoint,
                summary="Add a webhook endpoint",
                description="Each endpoint receives the event types it subscribes to "
                "(`message.final` alone: one webhook per message), signed per Standard "
                "Webhooks with its own secret, shown only in this response. At most "
                f"{MAX_ENDPOINTS} per account.",
                request=EndpointCreate,
                response=EndpointWithSecret,
                status=201,
                errors=("invalid_webhook_url", "resource_limit"),
                response_headers={"Location": "The new endpoint's URL."},
                tag="webhooks",
                scope="webhooks",
            ),
            ApiRoute(
                method="GET",
                path=_ITEM,
                handler=self.get_endpoint,
                summary="Get a webhook endpoint",
                response=EndpointOut,
                errors=("not_found",),
                tag="webhooks",
                scope="webhooks",
            ),
            ApiRoute(
                method="PUT",
                path=_ITEM,
                handler=self.replace_endpoint,
                summary="Change a webhook endpoint",
                description="Its URL, event types and whether it is enabled (a disabled "
                "endpoint is sent nothing new); the secret stays.",
                request=EndpointReplace,
                response=EndpointOut,
                errors=("not_found", "invalid_webhook_url"),
                tag="webhooks",
                scope="webhooks",
            ),
            ApiRoute(
                method="DELETE",
                path=_ITEM,
                handler=self.delete_endpoint,
                summary="Delete a webhook endpoint",
                description="Its deliveries still pending are dead-lettered. The default "
                "endpoint (`is_default`) signs callbacks and cannot be deleted: disable it.",
                status=204,
                errors=("not_found", "default_webhook_endpoint"),
                tag="webhooks",
                scope="webhooks",
            ),
            ApiRoute(
                method="POST",
                path=f"{_ITEM}/rotate-secret",
                handler=self.rotate_secret,
                summary="Rotate an endpoint's signing secret",
                description="The body may be empty. A new secret, shown only in this response. For "
                "`overlap_seconds` (default a day) the previous secret keeps signing too: "
                "each webhook carries two `v1,` signatures in `webhook-signature`, and a "
                "receiver holding either secret accepts it.",
                request=SecretRotation,
                body_required=False,
                response=EndpointWithSecret,
                errors=("not_found",),
                tag="webhooks",
                scope="webhooks",
            ),
            ApiRoute(
                method="POST",
                path=f"{_ITEM}/replay",
                handler=self.replay,
                summary="Send again everything since a moment",
                description="Every delivery to this endpoint created at or after `since` "
                "that is delivered or dead-lettered is sent again (same `webhook-id`, so "
                "a receiver drops what it already has), with a fresh retry schedule.",
                request=Replay,
                response=Replayed,
                status=202,
                errors=("not_found",),
                tag="webhooks",
                scope="webhooks",
            ),
        ]


def _endpoint_id(request: Request) -> str:
    endpoint_id: str = request.path_params["id"]
    return endpoint_id if len(endpoint_id) <= _MAX_ID_LENGTH else ""
