"""``/admin/v1/accounts/{id}/…``: an account's packages, billing settings, limits and ledger,
as the operator manages them.

Every route requires the operator; every change is audited by storage in the transaction
of the change (before/after), naming the operator key.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from functools import partial
from typing import Protocol

import msgspec
from starlette.requests import Request
from starlette.responses import Response

from parcelsms.api.authentication import Authenticator
from parcelsms.api.error_responses import JsonResponse
from parcelsms.api.request_body import decode_body, read_json_body
from parcelsms.api.resources.billing import schemas
from parcelsms.api.resources.billing.admin_prices import country_code
from parcelsms.api.resources.billing.ledger_query import LEDGER_PAGE_PARAMETERS, parse_ledger_query
from parcelsms.api.resources.billing.schemas import (
    ledger_entry_out,
    limits_out,
    own_limits,
    package_out,
    settings_out,
)
from parcelsms.api.route_table import ApiRoute, admin_route
from parcelsms.domain.error_catalogue import error
from parcelsms.domain.money import parse_amount
from parcelsms.pipeline.account_limits import AccountLimitsCache
from parcelsms.pipeline.account_security_ports import Account
from parcelsms.pipeline.billing_ports import (
    AccountLimits,
    BillingSettingsChange,
    BillingStore,
    PackageSpec,
)

_grant_decoder = msgspec.json.Decoder(schemas.PackageGrantIn)
_settings_decoder = msgspec.json.Decoder(schemas.BillingSettingsIn)
_limits_decoder = msgspec.json.Decoder(schemas.LimitsIn)
_MAX_ID_LENGTH = 64


class AdminBillingStore(BillingStore, Protocol):
    async def get_account(self, account_id: str) -> Account | None: ...


class AdminAccountBillingEndpoints:
    """Handlers of the operator's routes on one account's billing.

    ``limits`` forgets the account's entry when its limits change, and ``account_changed``
    is told the account's id (the send guards drop their cached state).
    """

    def __init__(
        self,
        store: AdminBillingStore,
        authenticator: Authenticator,
        limits: AccountLimitsCache,
        *,
        account_changed: Callable[[str], None],
        max_body_bytes: int,
    ) -> None:
        self._store = store
        self._auth = authenticator
        self._limits = limits
        self._account_changed = account_changed
        self._max_body_bytes = max_body_bytes

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
        return JsonResponse(settings_out(settings))

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
                country_code(home, "home_country", allow_default=False)
                if isinstance(home, str)
                else None
            ),
            clear_home_country=home is None,
        )
        settings = await self._store.change_billing_settings(account.id, change, caller.actor)
        if settings is None:
            raise error("not_found", "No such account.")
        return JsonResponse(settings_out(settings))

    async def admin_get_limits(self, request: Request) -> Response:
        await self._auth.authenticate(request)
        account = await self._account(request)
        own = await self._store.get_account_limits(account.id)
        return JsonResponse(
            schemas.AdminLimitsOut(
                account_id=account.id,
                own=own_limits(own),
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
                own=own_limits(stored),
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

    def routes(self) -> list[ApiRoute]:
        """The route table entries of these handlers."""
        route = partial(admin_route, self_audited=True)
        account = "/admin/v1/accounts/{id}"
        return [
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
        ]
