"""``/admin/v1/prices`` and ``/admin/v1/channel_costs``: what a segment costs the sender, and
what it costs the operator over each channel.

Every route requires the operator; every change is audited by storage in the transaction
of the change (before/after), naming the operator key.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

import msgspec
from starlette.requests import Request
from starlette.responses import Response

from parcelsms.api.authentication import Authenticator
from parcelsms.api.error_responses import JsonResponse
from parcelsms.api.request_body import decode_body, read_json_body
from parcelsms.api.resources.billing import schemas
from parcelsms.api.route_table import ApiRoute, Parameter, admin_route
from parcelsms.api.value_formats import COUNTRY_CODES, enum_schema
from parcelsms.domain.error_catalogue import error
from parcelsms.domain.money import format_micros, parse_amount
from parcelsms.domain.numbers import KNOWN_REGIONS
from parcelsms.pipeline.billing_ports import DEFAULT_COUNTRY, BillingStore

_price_decoder = msgspec.json.Decoder(schemas.PriceIn)
_cost_decoder = msgspec.json.Decoder(schemas.ChannelCostIn)
_DEFAULT_NAMES = ("default", DEFAULT_COUNTRY)
_COUNTRY = Parameter(
    "country", "path", "An ISO 3166 alpha-2 code.", enum_schema(COUNTRY_CODES), required=True
)
_COUNTRY_OR_DEFAULT = Parameter(
    "country",
    "path",
    "An ISO 3166 alpha-2 code, or `default`.",
    enum_schema([*COUNTRY_CODES, "default"]),
    required=True,
)


def country_code(value: str, field: str, *, allow_default: bool) -> str:
    """``*`` for the default, else an ISO 3166 alpha-2 code (``invalid_request`` otherwise)."""
    if allow_default and value.lower() in _DEFAULT_NAMES:
        return DEFAULT_COUNTRY
    code = value.upper()
    if code not in KNOWN_REGIONS:
        raise error(
            "invalid_request",
            "An ISO 3166 alpha-2 country code with a numbering plan"
            + (", or `default`." if allow_default else "."),
            field=field,
        )
    return code


class AdminPriceEndpoints:
    """Handlers of the operator's price and channel cost routes.

    ``prices_changed()`` is told after the price list changed (the accept step's price book
    rereads it).
    """

    def __init__(
        self,
        store: BillingStore,
        authenticator: Authenticator,
        *,
        prices_changed: Callable[[], None],
        max_body_bytes: int,
    ) -> None:
        self._store = store
        self._auth = authenticator
        self._prices_changed = prices_changed
        self._max_body_bytes = max_body_bytes

    async def admin_get_prices(self, request: Request) -> Response:
        """The per-segment price list stored in the database."""
        await self._auth.authenticate(request)
        entries = await self._store.list_prices()
        default = next((e for e in entries if e.country == DEFAULT_COUNTRY), None)
        return JsonResponse(
            schemas.PriceTable(
                default=format_micros(default.price_micros) if default else "0",
                countries={
                    e.country: format_micros(e.price_micros)
                    for e in entries
                    if e.country != DEFAULT_COUNTRY
                },
                entries=[
                    schemas.PriceEntryOut(
                        country=e.country,
                        amount=format_micros(e.price_micros),
                        updated_at=e.updated_at,
                    )
                    for e in entries
                ],
            )
        )

    async def admin_set_price(self, request: Request) -> Response:
        """Set a country's per-segment price, or the default (``default``)."""
        caller = await self._auth.authenticate(request)
        country = country_code(request.path_params["country"], "country", allow_default=True)
        payload = decode_body(_price_decoder, await read_json_body(request, self._max_body_bytes))
        micros = parse_amount(payload.amount, "amount")
        entry = await self._store.set_price(country, micros, caller.actor)
        self._prices_changed()
        return JsonResponse(
            schemas.PriceEntryOut(
                country=entry.country,
                amount=format_micros(entry.price_micros),
                updated_at=entry.updated_at,
            )
        )

    async def admin_remove_price(self, request: Request) -> Response:
        """Drop a country's own price: it pays the default again."""
        caller = await self._auth.authenticate(request)
        country = country_code(request.path_params["country"], "country", allow_default=False)
        if not await self._store.remove_price(country, caller.actor):
            raise error("not_found", f"{country} has no price of its own.")
        self._prices_changed()
        return Response(status_code=204)

    async def admin_list_channel_costs(self, request: Request) -> Response:
        await self._auth.authenticate(request)
        costs = await self._store.list_channel_costs()
        return JsonResponse(
            schemas.ChannelCostList(
                data=[
                    schemas.ChannelCostOut(
                        channel=cost.channel,
                        country=cost.country,
                        amount=format_micros(cost.cost_micros),
                        updated_at=cost.updated_at,
                    )
                    for cost in costs
                ]
            )
        )

    async def admin_set_channel_cost(self, request: Request) -> Response:
        """What one segment over a channel costs, per country or as the channel's default."""
        caller = await self._auth.authenticate(request)
        payload = decode_body(_cost_decoder, await read_json_body(request, self._max_body_bytes))
        channel = payload.channel.strip()
        if not channel.isprintable() or not channel:
            raise error("invalid_request", "A channel name.", field="channel")
        country = country_code(payload.country, "country", allow_default=True)
        micros = parse_amount(payload.amount, "amount")
        cost = await self._store.set_channel_cost(channel, country, micros, caller.actor)
        return JsonResponse(
            schemas.ChannelCostOut(
                channel=cost.channel,
                country=cost.country,
                amount=format_micros(cost.cost_micros),
                updated_at=cost.updated_at,
            )
        )

    async def admin_remove_channel_cost(self, request: Request) -> Response:
        caller = await self._auth.authenticate(request)
        channel = request.path_params["channel"]
        country = country_code(request.path_params["country"], "country", allow_default=True)
        if not await self._store.remove_channel_cost(channel, country, caller.actor):
            raise error("not_found", "No such channel cost.")
        return Response(status_code=204)

    def routes(self) -> list[ApiRoute]:
        """The route table entries of these handlers."""
        route = partial(admin_route, self_audited=True)
        return [
            route(
                method="GET",
                path="/admin/v1/prices",
                handler=self.admin_get_prices,
                summary="Get the price list",
                description="Per-segment prices stored in the database (seeded once from "
                "`[prices]`).",
                response=schemas.PriceTable,
            ),
            route(
                method="PUT",
                path="/admin/v1/prices/{country}",
                handler=self.admin_set_price,
                summary="Set a price",
                description="`country` is an ISO 3166 alpha-2 code, or `default`. Applies "
                "to messages accepted from now on (other API processes: within 5 seconds).",
                request=schemas.PriceIn,
                response=schemas.PriceEntryOut,
                errors=("amount_out_of_range",),
                parameters=(_COUNTRY_OR_DEFAULT,),
            ),
            route(
                method="DELETE",
                path="/admin/v1/prices/{country}",
                handler=self.admin_remove_price,
                summary="Remove a country's price",
                description="The country pays the default price again.",
                status=204,
                errors=("invalid_request", "not_found"),
                parameters=(_COUNTRY,),
            ),
            route(
                method="GET",
                path="/admin/v1/channel_costs",
                handler=self.admin_list_channel_costs,
                summary="List channel costs",
                response=schemas.ChannelCostList,
            ),
            route(
                method="PUT",
                path="/admin/v1/channel_costs",
                handler=self.admin_set_channel_cost,
                summary="Set a channel cost",
                request=schemas.ChannelCostIn,
                response=schemas.ChannelCostOut,
                errors=("amount_out_of_range",),
            ),
            route(
                method="DELETE",
                path="/admin/v1/channel_costs/{channel}/{country}",
                handler=self.admin_remove_channel_cost,
                summary="Remove a channel cost",
                description="`country` `default` removes the channel's default cost.",
                status=204,
                errors=("invalid_request", "not_found"),
                parameters=(_COUNTRY_OR_DEFAULT,),
            ),
        ]
