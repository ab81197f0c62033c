"""Balance, packages, the ledger (with CSV export), limits and the low-balance alert."""

from __future__ import annotations

import csv
import io
from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from parcelsms.console.guard import Viewer, form_of, page, problem_text
from parcelsms.console.rendering import render
from parcelsms.console.services import ConsoleServices
from parcelsms.console.session_cookies import ConsoleCookies
from parcelsms.domain.money import format_micros, parse_amount
from parcelsms.errors import CatalogueError
from parcelsms.pipeline.billing_ports import LedgerFilter

_CSV_PAGE = 500
_CSV_MAX_ROWS = 100_000


def routes(services: ConsoleServices, cookies: ConsoleCookies) -> list[BaseRoute]:
    billing = services.billing

    async def balance(request: Request, viewer: Viewer) -> Response:
        account = await billing.get_account(viewer.account_id)
        packages = await billing.list_packages(viewer.account_id)
        cursor = request.query_params.get("cursor") or None
        try:
            ledger = await billing.list_ledger(viewer.account_id, LedgerFilter(), cursor, limit=50)
        except CatalogueError:
            ledger = await billing.list_ledger(viewer.account_id, LedgerFilter(), None, limit=50)
        return render(
            "billing.html",
            {
                "viewer": viewer,
                "section": "billing",
                "account": account,
                "packages": packages,
                "ledger": ledger,
                "now": services.users.now(),
            },
        )

    async def ledger_csv(request: Request, viewer: Viewer) -> Response:
        account = await billing.get_account(viewer.account_id)
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(
            [
                "id",
                "created_at",
                "kind",
                "amount",
                "reserved_delta",
                "segments_delta",
                "currency",
                "message_id",
                "package_id",
                "note",
            ]
        )
        cursor: str | None = None
        written = 0
        while written < _CSV_MAX_ROWS:
            page_ = await billing.list_ledger(
                viewer.account_id, LedgerFilter(), cursor, limit=_CSV_PAGE, oldest_first=True
            )
            for entry in page_.items:
                writer.writerow(
                    [
                        entry.id,
                        entry.created_at.isoformat(),
                        entry.kind,
                        format_micros(entry.amount_micros),
                        format_micros(entry.reserved_delta_micros),
                        entry.segments_delta,
                        account.currency if account else "",
                        entry.message_id or "",
                        entry.package_id or "",
                        # A note starting with = + - @ would be a formula in a spreadsheet.
                        _defused(entry.note or ""),
                    ]
                )
            written += len(page_.items)
            cursor = page_.next_cursor
            if cursor is None:
                break
        return Response(
            buffer.getvalue(),
            media_type="text/csv; charset=utf-8",
            headers={
                "Content-Disposition": 'attachment; filename="ledger.csv"',
                "Cache-Control": "no-store",
            },
        )

    async def limits(
        request: Request, viewer: Viewer, message: str | None = None, status: int = 200
    ) -> Response:
        effective = await services.limits.limits(viewer.account_id)
        settings = await billing.get_billing_settings(viewer.account_id)
        account = await billing.get_account(viewer.account_id)
        notices = await billing.list_notifications(viewer.account_id, None, 20)
        return render(
            "limits.html",
            {
                "viewer": viewer,
                "section": "limits",
                "limits": effective,
                "settings": settings,
                "currency": account.currency if account else "",
                "notices": notices.items,
                "message": message,
                "threshold": format_micros(settings.low_balance_threshold_micros)
                if settings and settings.low_balance_threshold_micros is not None
                else "",
            },
            status,
        )

    async def set_alert(request: Request, viewer: Viewer) -> Response:
        text = form_of(request).get("threshold", "").strip()
        try:
            micros = parse_amount(text, "threshold") if text else None
            await billing.set_low_balance_threshold(viewer.account_id, micros, viewer.actor)
        except CatalogueError as problem:
            return await limits(request, viewer, problem_text(problem), problem.status or 422)
        return RedirectResponse("/console/limits", status_code=303)

    def on(path: str, handler: Any, method: str = "GET", **options: Any) -> Route:
        return Route(
            path, page(services, cookies, handler, kind="sender", **options), methods=[method]
        )

    return [
        on("/billing", balance),
        on("/billing/ledger.csv", ledger_csv),
        on("/limits", limits),
        on("/limits/alert", set_alert, "POST", write_roles=("owner",)),
    ]


def _defused(text: str) -> str:
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text
