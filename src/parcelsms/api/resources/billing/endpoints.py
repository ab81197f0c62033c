"""The sender's billing routes: balance with packages, ledger (JSON pages and CSV export),
packages, low-balance alert, notifications, limits. Everything is scoped to the caller's
account: there is no id of another account to ask for.
"""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Protocol

import msgspec
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from parcelsms.api.authentication import Authenticator
from parcelsms.api.error_responses import JsonResponse
from parcelsms.api.list_queries import PAGE_PARAMETERS, page_limit, query_values
from parcelsms.api.request_body import decode_body, read_json_body
from parcelsms.api.resources.billing import schemas
from parcelsms.api.resources.billing.ledger_query import (
    CSV_COLUMNS,
    LEDGER_PAGE_PARAMETERS,
    LEDGER_PARAMETERS,
    ledger_csv_row,
    parse_ledger_query,
)
from parcelsms.api.resources.billing.schemas import (
    ledger_entry_out,
    limits_out,
    notification_out,
    optional_money,
    package_out,
)
from parcelsms.api.route_table import ApiRoute
from parcelsms.domain.error_catalogue import error
from parcelsms.domain.money import format_micros, parse_amount
from parcelsms.pipeline.account_limits import AccountLimitsCache
from parcelsms.pipeline.account_security_ports import Account
from parcelsms.pipeline.billing_ports import BillingStore

_alert_decoder = msgspec.json.Decoder(schemas.AlertSettingIn)
_CSV_PAGE = 1000


class BillingReads(BillingStore, Protocol):
    async def get_account(self, account_id: str) -> Account | None: ...


class BillingEndpoints:
    """Handlers of the sender's billing routes."""

    def __init__(
        self,
        store: BillingReads,
        authenticator: Authenticator,
        limits: AccountLimitsCache,
        max_body_bytes: int,
    ) -> None:
        self._store = store
        self._auth = authenticator
        self._limits = limits
        self._max_body_bytes = max_body_bytes

    async def _account(self, request: Request) -> Account:
        caller = await self._auth.authenticate(request)
        account = await self._store.get_account(caller.account_id)
        if account is None:
            raise error("unauthorized", "The API key's account does not exist.")
        return account

    async def get_balance(self, request: Request) -> Response:
        """Available and reserved money, read fresh (never cached), and the packages."""
        account = await self._account(request)
        settings = await self._store.get_billing_settings(account.id)
        now = datetime.now(UTC)
        packages = [
            package_out(package, now)
            for package in await self._store.list_packages(account.id)
            if package.status(now) != "expired"
        ]
        return JsonResponse(
            schemas.BalanceWithPackages(
                currency=account.currency,
                available=format_micros(account.balance_micros),
                reserved=format_micros(account.reserved_micros),
                low_balance_threshold=optional_money(
                    settings.low_balance_threshold_micros if settings else None
                ),
                package_only=settings.package_only if settings else False,
                packages=packages,
            )
        )

    async def set_balance_alert(self, request: Request) -> Response:
        """Set (or with ``null`` remove) the low-balance alert threshold; re-arms the alert."""
        caller = await self._auth.authenticate(request)
        payload = decode_body(_alert_decoder, await read_json_body(request, self._max_body_bytes))
        micros = None
        if payload.threshold is not None:
            micros = parse_amount(payload.threshold, "threshold")
        settings = await self._store.set_low_balance_threshold(
            caller.account_id, micros, caller.actor
        )
        if settings is None:
            raise error("unauthorized", "The API key's account does not exist.")
        return JsonResponse(
            schemas.AlertSettingOut(
                currency=caller.currency,
                threshold=optional_money(settings.low_balance_threshold_micros),
            )
        )

    async def get_balance_alert(self, request: Request) -> Response:
        caller = await self._auth.authenticate(request)
        settings = await self._store.get_billing_settings(caller.account_id)
        return JsonResponse(
            schemas.AlertSettingOut(
                currency=caller.currency,
                threshold=optional_money(
                    settings.low_balance_threshold_micros if settings else None
                ),
            )
        )

    async def list_ledger(self, request: Request) -> Response:
        """The account's ledger, newest first."""
        caller = await self._auth.authenticate(request)
        filters, cursor, limit = parse_ledger_query(request.query_params)
        page = await self._store.list_ledger(caller.account_id, filters, cursor, limit)
        return JsonResponse(
            schemas.LedgerList(
                data=[ledger_entry_out(entry) for entry in page.items],
                next_cursor=page.next_cursor,
            )
        )

    async def export_ledger(self, request: Request) -> Response:
        """The account's ledger as CSV, oldest first, streamed page by page."""
        caller = await self._auth.authenticate(request)
        filters, _, _ = parse_ledger_query(request.query_params, paged=False)
        store = self._store
        account_id, currency = caller.account_id, caller.currency
        # The first page is read before answering, so a storage failure is still an error
        # response rather than a cut-off file.
        first = await store.list_ledger(account_id, filters, None, _CSV_PAGE, oldest_first=True)

        async def rows() -> AsyncIterator[str]:
            buffer = io.StringIO()
            writer = csv.writer(buffer, lineterminator="\r\n")
            writer.writerow(CSV_COLUMNS)
            page = first
            while True:
                for entry in page.items:
                    writer.writerow(ledger_csv_row(entry, currency))
                yield buffer.getvalue()
                buffer.seek(0)
                buffer.truncate()
                if page.next_cursor is None:
                    return
                page = await store.list_ledger(
                    account_id, filters, page.next_cursor, _CSV_PAGE, oldest_first=True
                )

        return StreamingResponse(
            rows(),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": 'attachment; filename="ledger.csv"'},
        )

    async def list_packages(self, request: Request) -> Response:
        """Every package of the account (expired ones too), soonest expiry first."""
        caller = await self._auth.authenticate(request)
        now = datetime.now(UTC)
        packages = await self._store.list_packages(caller.account_id)
        return JsonResponse(
            schemas.PackageList(data=[package_out(package, now) for package in packages])
        )

    async def list_notifications(self, request: Request) -> Response:
        """Low-balance alerts and daily-limit warnings, newest first."""
        caller = await self._auth.authenticate(request)
        values = query_values(request.query_params, {})
        page = await self._store.list_notifications(
            caller.account_id, values.get("cursor"), page_limit(values)
        )
        return JsonResponse(
            schemas.NotificationList(
                data=[notification_out(item) for item in page.items],
                next_cursor=page.next_cursor,
            )
        )

    async def get_limits(self, request: Request) -> Response:
        """The per-recipient and daily limits in force for the account."""
        caller = await self._auth.authenticate(request)
        return JsonResponse(limits_out(await self._limits.limits(caller.account_id)))

    def routes(self) -> list[ApiRoute]:
        """The route table entries of these handlers."""
        return [
            ApiRoute(
                method="GET",
                path="/v1/balance",
                handler=self.get_balance,
                summary="Get the balance and packages",
                description="`available` is what new messages can spend; `reserved` is held "
                "by accepted messages until they are settled or refunded; `packages` are the "
                "account's packages that are not expired (a message a package covers is paid "
                "with its segments instead of money).",
                tag="billing",
                response=schemas.BalanceWithPackages,
                scope="billing:read",
            ),
            ApiRoute(
                method="GET",
                path="/v1/balance/alerts",
                handler=self.get_balance_alert,
                summary="Get the low-balance alert",
                tag="billing",
                response=schemas.AlertSettingOut,
                scope="billing:read",
            ),
            ApiRoute(
                method="POST",
                path="/v1/balance/alerts",
                handler=self.set_balance_alert,
                summary="Set the low-balance alert",
                description="When the available balance falls below `threshold`, a "
                "`balance.low` webhook is sent and a notification is listed, once per "
                "crossing: the alert re-arms when the balance is back at or above the "
                "threshold. Setting the threshold re-arms it.",
                tag="billing",
                request=schemas.AlertSettingIn,
                response=schemas.AlertSettingOut,
                scope="account",
                errors=("amount_out_of_range",),
            ),
            ApiRoute(
                method="GET",
                path="/v1/ledger",
                handler=self.list_ledger,
                summary="List ledger rows",
                description="Every movement of money or package segments, newest first. "
                "See docs/billing.md for the kinds.",
                tag="billing",
                response=schemas.LedgerList,
                parameters=LEDGER_PAGE_PARAMETERS,
                errors=("invalid_filter", "invalid_cursor"),
                scope="billing:read",
            ),
            ApiRoute(
                method="GET",
                path="/v1/ledger.csv",
                handler=self.export_ledger,
                summary="Export the ledger as CSV",
                description="The same rows and filters as `GET /v1/ledger`, oldest first, "
                "streamed; columns: " + ", ".join(f"`{name}`" for name in CSV_COLUMNS) + ".",
                tag="billing",
                media_type="text/csv",
                parameters=LEDGER_PARAMETERS,
                errors=("invalid_filter",),
                scope="billing:read",
            ),
            ApiRoute(
                method="GET",
                path="/v1/packages",
                handler=self.list_packages,
                summary="List packages",
                tag="billing",
                response=schemas.PackageList,
                scope="billing:read",
            ),
            ApiRoute(
                method="GET",
                path="/v1/notifications",
                handler=self.list_notifications,
                summary="List notifications",
                description="E-mail-ready notices (`balance.low`, "
                "`account.threshold_warning`), newest first.",
                tag="billing",
                response=schemas.NotificationList,
                parameters=PAGE_PARAMETERS,
                errors=("invalid_filter", "invalid_cursor"),
                scope="billing:read",
            ),
            ApiRoute(
                method="GET",
                path="/v1/limits",
                handler=self.get_limits,
                summary="Get the sending limits",
                tag="billing",
                response=schemas.LimitsOut,
                scope="billing:read",
            ),
        ]
