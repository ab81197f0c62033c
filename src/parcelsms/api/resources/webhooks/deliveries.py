"""``/v1/webhooks/deliveries``: every webhook sent or to be sent, and redelivery on request."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Final

from starlette.requests import Request
from starlette.responses import Response

from parcelsms.api.authentication import Authenticator
from parcelsms.api.error_responses import JsonResponse
from parcelsms.api.list_queries import PAGE_PARAMETERS, page_limit, query_values
from parcelsms.api.resources.webhooks.schemas import DeliveryList, DeliveryOut, delivery_out
from parcelsms.api.route_table import ApiRoute, Parameter
from parcelsms.domain.error_catalogue import error
from parcelsms.domain.webhook_routing import EVENT_TYPES
from parcelsms.pipeline.webhook_ports import DeliveryFilter, DeliveryStatus, WebhookDeliveryLog

_STATUSES: Final[tuple[DeliveryStatus, ...]] = ("pending", "delivered", "dead")
_MAX_ID_LENGTH: Final = 64

_FILTERS: Final = (
    Parameter(
        "endpoint_id",
        "query",
        "Only deliveries to this endpoint.",
        {"type": "string", "maxLength": _MAX_ID_LENGTH},
    ),
    Parameter("status", "query", "Only deliveries in this state.", {"enum": list(_STATUSES)}),
    Parameter("event_type", "query", "Only this event type.", {"enum": list(EVENT_TYPES)}),
)


class WebhookDeliveryEndpoints:
    """Handlers of the delivery routes, scoped to the caller's account."""

    def __init__(
        self,
        deliveries: WebhookDeliveryLog,
        authenticator: Authenticator,
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        on_retry: Callable[[], None] = lambda: None,
    ) -> None:
        self._deliveries = deliveries
        self._auth = authenticator
        self._clock = clock
        self._on_retry = on_retry

    async def list_deliveries(self, request: Request) -> Response:
        caller = await self._auth.authenticate(request)
        values = query_values(
            request.query_params,
            {"endpoint_id": None, "status": _STATUSES, "event_type": EVENT_TYPES},
        )
        endpoint_id = values.get("endpoint_id")
        if endpoint_id is not None and len(endpoint_id) > _MAX_ID_LENGTH:
            raise error("invalid_filter", "No endpoint has so long an id.", field="endpoint_id")
        status = values.get("status")
        where = DeliveryFilter(
            endpoint_id=endpoint_id,
            status=next((one for one in _STATUSES if one == status), None),
            event_type=values.get("event_type"),
        )
        page = await self._deliveries.list_deliveries(
            caller.account_id, where, values.get("cursor"), page_limit(values)
        )
        return JsonResponse(
            DeliveryList(
                data=[delivery_out(record) for record in page.items],
                next_cursor=page.next_cursor,
            )
        )

    async def retry_delivery(self, request: Request) -> Response:
        caller = await self._auth.authenticate(request)
        delivery_id: str = request.path_params["id"]
        record = None
        if len(delivery_id) <= _MAX_ID_LENGTH:
            record = await self._deliveries.retry_delivery(
                caller.account_id, delivery_id, self._clock()
            )
        if record is None:
            raise error("not_found", "No such webhook delivery in this account.")
        self._on_retry()
        return JsonResponse(delivery_out(record), status_code=202)

    def routes(self) -> list[ApiRoute]:
        """The route table entries of these handlers."""
        return [
            ApiRoute(
                method="GET",
                path="/v1/webhooks/deliveries",
                handler=self.list_deliveries,
                summary="List webhook deliveries",
                description="Newest first: each delivery's state (`pending`, `delivered`, "
                "`dead`), attempts, the receiver's last HTTP status, latency and error.",
                tag="webhooks",
                response=DeliveryList,
                errors=("invalid_filter", "invalid_cursor"),
                parameters=_FILTERS + PAGE_PARAMETERS,
                scope="webhooks",
            ),
            ApiRoute(
                method="POST",
                path="/v1/webhooks/deliveries/{id}/retry",
                handler=self.retry_delivery,
                summary="Send a webhook delivery again",
                description="A dead-lettered (or delivered) delivery becomes pending and is "
                "sent at once with a fresh retry schedule and the same `webhook-id`.",
                tag="webhooks",
                response=DeliveryOut,
                status=202,
                errors=("not_found",),
                scope="webhooks",
            ),
        ]
