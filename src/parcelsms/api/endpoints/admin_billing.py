"""The operator's billing routes: price list, channel costs, packages, account billing
settings and limits, an account's ledger, and the margins report.

Every route requires an operator key (scope ``admin``); every change is audited by storage
in the transaction of the change (before/after), naming the operator key.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from functools import partial
from typing import Any, Protocol

import msgspec
from starlette.requests import Request
from starlette.responses import Response

from parcelsms.api import billing_schemas as schemas
from parcelsms.api.authentication import Authenticator
from parcelsms.api.billing_representations import (
    LEDGER_PAGE_PARAMETERS,
    ledger_entry_out,
    limits_out,
    optional_money,
    package_out,
    parse_ledger_query,
    parse_time,
)
from parcelsms.api.error_responses import JsonResponse
from parcelsms.api.request_body import decode_body, read_json_body
from parcelsms.api.route_table import ApiRoute, Parameter, admin_route
from parcelsms.api.value_formats import COUNTRY_CODES, enum_schema
from parcelsms.domain.error_catalogue import error
from parcelsms.domain.money import format_micros, parse_amount
from parcelsms.domain.numbers import KNOWN_REGIONS
from parcelsms.pipeline.account_limits import AccountLimitsCache
from parcelsms.pipeline.account_security_ports import Account
from parcelsms.pipeline.billing_ports import (
    DEFAULT_COUNTRY,
    AccountLimits,
    BillingSettings,
    BillingSettingsChange,
    BillingStore,
    PackageSpec,
)

_price_decoder = msgspec.json.Decoder(schemas.PriceIn)
_cost_decoder = msgspec.json.Decoder(schemas.ChannelCostIn)
_grant_decoder = msgspec.json.Decoder(schemas.PackageGrantIn)
_settings_decoder = msgspec.json.Decoder(schemas.BillingSettingsIn)
_limits_decoder = msgspec.json.Decoder(schemas.LimitsIn)
_MAX_ID_LENGTH = 64
_DEFAULT_NAMES = ("default", DEFAULT_COUNTRY)
_REPORT_PARAMETERS = (
    Parameter(
        "since",
        "query",
        "Messages accepted at or after this time (ISO 8601 with a time zone).",
        {"type": "string", "format": "date-time"},
        required=True,
    ),
    Parameter(
        "until",
        "query",
        "Messages accepted before this time (ISO 8601 with a time zone).",
        {"type": "string", "format": "date-time"},
        required=True,
    ),
)


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


class AdminBillingStore(BillingStore, Protocol):
    async def get_account(self, account_id: str) -> Account | None: ...


def _country(value: str, field: str, *, allow_default: bool) -> str:
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


def _settings_out(settings: BillingSettings) -> schemas.BillingSettingsOut:
    return schemas.BillingSettingsOut(
        account_id=settings.account_id,
        package_only=settings.package_only,
        home_country=settings.home_country,
        home_country_source=settings.home_country_source,
        low_balance_threshold=optional_money(settings.low_balance_threshold_micros),
    )


def _own_limits(limits: AccountLimits) -> dict[str, Any]:
    own: dict[str, Any] = msgspec.structs.asdict(limits)
    spend = own.pop("daily_spend_micros")
    own["daily_spend"] = None if spend is None else format_micros(spend)
    return own


class AdminBillingEndpoints:
    """Handlers of the operator's billing routes."""

    def __init__(
        self,
        store: AdminBillingStore,
        authenticator: Authenticator,
        limits: AccountLimitsCache,
        *,
        prices_changed: Callable[[], None],
        account_changed: Callable[[str], None],
        max_body_bytes: int,
    ) -> None:
        self._store = store
        self._auth = authenticator
        self._limits = limits
        self._prices_changed = prices_changed
        self._account_changed = account_changed
        self._max_body_bytes = max_body_bytes

    # --- prices ----------------------------------------------------------------------

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
        country = _country(request.path_params["country"], "country", allow_default=True)
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
        country = _country(request.path_params["country"], "country", allow_default=False)
        if not await self._store.remove_price(country, caller.actor):
            raise error("not_found", f"{country} has no price of its own.")
        self._prices_changed()
        return Response(status_code=204)

    # --- channel costs ---------------------------------------------------------------

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
        country = _country(payload.country, "country", allow_default=True)
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
        country = _country(request.path_params["country"], "country", allow_default=True)
        if not await self._store.remove_channel_cost(channel, country, caller.actor):
            raise error("not_found", "No such channel cost.")
        return Response(status_code=204)

    # --- an account's billing ----------------------------------------------------------

    async def _account(self, request: Request) -> Account:
        account_id: str = request.path_params["id"]
        account = None
        if len(account_id) <= _MAX_ID_LENGTH:
            account = await self._store.get_account(account_id)
        if account is None:
            raise error("not_found", "No such account.")
        return account

    async def admin_list_packages(self, request: Request) -> Response:
        await self._auth.authenticate(request)
        account = await self._account(request)
        now = datetime.now(UTC)
        packages = await self._store.list_packages(account.id)
        return JsonResponse(
            schemas.PackageList(
                data=[package_out(package, now, with_account=True) for package in packages]
            )
        )

    async def admin_grant_package(self, request: Request) -> Response:
        """Grant a package of segments for a region, until ``expires_at``."""
        caller = await self._auth.authenticate(request)
        account = await self._account(request)
        payload = decode_body(_grant_decoder, await read_json_body(request, self._max_body_bytes))
        expires_at = payload.expires_at
        if expires_at.tzinfo is None or expires_at.utcoffset() is None:
            raise error("invalid_request", "expires_at needs a time zone.", field="expires_at")
        spec = PackageSpec(
            name=payload.name,
            region=payload.region,
            segments=payload.segments,
            expires_at=expires_at.astimezone(UTC),
            countries=tuple(payload.countries or ()),
        )
        package = await self._store.grant_package(account.id, spec, caller.actor)
        return JsonResponse(
            package_out(package, datetime.now(UTC), with_account=True), status_code=201
        )

    async def admin_get_billing(self, request: Request) -> Response:
        await self._auth.authenticate(request)
        account = await self._account(request)
        settings = await self._store.get_billing_settings(account.id)
        if settings is None:
            raise error("not_found", "No such account.")
        return JsonResponse(_settings_out(settings))

    async def admin_set_billing(self, request: Request) -> Response:
        """Package-only payment and the home country that defines domestic packages."""
        caller = await self._auth.authenticate(request)
        account = await self._account(request)
        payload = decode_body(
            _settings_decoder, await read_json_body(request, self._max_body_bytes)
        )
        home = payload.home_country
        change = BillingSettingsChange(
            package_only=payload.package_only,
            home_country=(
                _country(home, "home_country", allow_default=False)
                if isinstance(home, str)
                else None
            ),
            clear_home_country=home is None,
        )
        settings = await self._store.change_billing_settings(account.id, change, caller.actor)
        if settings is None:
            raise error("not_found", "No such account.")
        return JsonResponse(_settings_out(settings))

    async def admin_get_limits(self, request: Request) -> Response:
        await self._auth.authenticate(request)
        account = await self._account(request)
        own = await self._store.get_account_limits(account.id)
        return JsonResponse(
            schemas.AdminLimitsOut(
                account_id=account.id,
                own=_own_limits(own),
                effective=limits_out(self._limits.defaults.over(own)),
            )
        )

    async def admin_set_limits(self, request: Request) -> Response:
        """Replace the account's own limits (omitted fields: the configured default)."""
        caller = await self._auth.authenticate(request)
        account = await self._account(request)
        payload = decode_body(_limits_decoder, await read_json_body(request, self._max_body_bytes))
        spend = None
        if payload.daily_spend is not None:
            spend = parse_amount(payload.daily_spend, "daily_spend")
        limits = AccountLimits(
            recipient_per_hour=payload.recipient_per_hour,
            recipient_per_day=payload.recipient_per_day,
            duplicate_window_seconds=payload.duplicate_window_seconds,
            daily_messages=payload.daily_messages,
            daily_spend_micros=spend,
        )
        stored = await self._store.set_account_limits(account.id, limits, caller.actor)
        if stored is None:
            raise error("not_found", "No such account.")
        self._limits.forget(account.id)
        self._account_changed(account.id)
        return JsonResponse(
            schemas.AdminLimitsOut(
                account_id=account.id,
                own=_own_limits(stored),
                effective=limits_out(self._limits.defaults.over(stored)),
            )
        )

    async def admin_list_ledger(self, request: Request) -> Response:
        """An account's ledger, newest first (the same filters as ``GET /v1/ledger``)."""
        await self._auth.authenticate(request)
        account = await self._account(request)
        filters, cursor, limit = parse_ledger_query(request.query_params)
        page = await self._store.list_ledger(account.id, filters, cursor, limit)
        return JsonResponse(
            schemas.LedgerList(
                data=[ledger_entry_out(entry) for entry in page.items],
                next_cursor=page.next_cursor,
            )
        )

    async def admin_margin_report(self, request: Request) -> Response:
        """Revenue, cost and margin of submitted messages by country and channel."""
        await self._auth.authenticate(request)
        params = request.query_params
        for name in params:
            if name not in ("since", "until"):
                raise error("invalid_filter", "Unknown parameter; use since, until.", field=name)
        moments = {}
        for name in ("since", "until"):
            values = params.getlist(name)
            if len(values) != 1:
                raise error("invalid_filter", f"Give {name} exactly once.", field=name)
            moments[name] = parse_time(name, values[0]).astimezone(UTC)
        rows = await self._store.margin_report(moments["since"], moments["until"])
        return JsonResponse(
            schemas.MarginReport(
                since=moments["since"],
                until=moments["until"],
                data=[
                    schemas.MarginRowOut(
                        country=row.country,
                        channel=row.channel,
                        currency=row.currency,
                        messages=row.messages,
                        segments=row.segments,
                        package_segments=row.package_segments,
                        revenue=format_micros(row.revenue_micros),
                        cost=optional_money(row.cost_micros),
                        margin=optional_money(row.margin_micros),
                    )
                    for row in rows
                ],
            )
        )

    def routes(self) -> list[ApiRoute]:
        """The route table entries of these handlers."""
        route = partial(admin_route, self_audited=True)
        account = "/admin/v1/accounts/{id}"
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
            route(
                method="GET",
                path=f"{account}/packages",
                handler=self.admin_list_packages,
                summary="List an account's packages",
                response=schemas.PackageList,
                errors=("not_found",),
            ),
            route(
                method="POST",
                path=f"{account}/packages",
                handler=self.admin_grant_package,
                summary="Grant a package",
                description="`domestic` covers the account's home country (fixed at the "
                "grant), `international` every other country, `countries` the list given.",
                request=schemas.PackageGrantIn,
                response=schemas.PackageOut,
                status=201,
                errors=("not_found", "account_state_conflict"),
            ),
            route(
                method="GET",
                path=f"{account}/billing",
                handler=self.admin_get_billing,
                summary="Get an account's billing settings",
                response=schemas.BillingSettingsOut,
                errors=("not_found",),
            ),
            route(
                method="PUT",
                path=f"{account}/billing",
                handler=self.admin_set_billing,
                summary="Change an account's billing settings",
                request=schemas.BillingSettingsIn,
                response=schemas.BillingSettingsOut,
                errors=("not_found",),
            ),
            route(
                method="GET",
                path=f"{account}/limits",
                handler=self.admin_get_limits,
                summary="Get an account's limits",
                response=schemas.AdminLimitsOut,
                errors=("not_found",),
            ),
            route(
                method="PUT",
                path=f"{account}/limits",
                handler=self.admin_set_limits,
                summary="Set an account's limits",
                request=schemas.LimitsIn,
                response=schemas.AdminLimitsOut,
                errors=("not_found", "amount_out_of_range"),
            ),
            route(
                method="GET",
                path=f"{account}/ledger",
                handler=self.admin_list_ledger,
                summary="List an account's ledger",
                response=schemas.LedgerList,
                parameters=LEDGER_PAGE_PARAMETERS,
                errors=("not_found", "invalid_filter", "invalid_cursor"),
            ),
            route(
                method="GET",
                path="/admin/v1/reports/margins",
                handler=self.admin_margin_report,
                summary="Report margins by country and channel",
                response=schemas.MarginReport,
                parameters=_REPORT_PARAMETERS,
                errors=("invalid_filter",),
            ),
        ]
