"""The sender's dashboard, message search and message page."""

from __future__ import annotations

import json
from datetime import datetime, time, timedelta
from typing import Any, get_args
from zoneinfo import ZoneInfo

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from parcelsms.console.dashboard_data import DashboardFigures, Period
from parcelsms.console.guard import Viewer, not_found, page, problem_text
from parcelsms.console.rendering import render
from parcelsms.console.services import ConsoleServices
from parcelsms.console.session_cookies import ConsoleCookies
from parcelsms.domain.error_catalogue import error
from parcelsms.domain.numbers import parse_recipient
from parcelsms.domain.status import MessageStatus
from parcelsms.errors import CatalogueError
from parcelsms.pipeline.message_ports import MessageFilter
from parcelsms.pipeline.webhook_ports import DeliveryFilter

PERIODS: tuple[Period, ...] = get_args(Period)


def charts(figures: DashboardFigures) -> dict[str, str]:
    """The chart specifications the page embeds (drawn by ``static/console.js``)."""
    labels = [point.label for point in figures.volume]
    volume = {
        "type": "bar",
        "labels": labels,
        "datasets": [
            {
                "label": "Delivered",
                "data": [p.delivered for p in figures.volume],
                "backgroundColor": "#1b7f3b",
            },
            {
                "label": "Not delivered",
                "data": [p.undelivered for p in figures.volume],
                "backgroundColor": "#b3261e",
            },
            {
                "label": "Pending",
                "data": [p.messages - p.delivered - p.undelivered for p in figures.volume],
                "backgroundColor": "#9aa4b2",
            },
        ],
    }
    rate = {
        "type": "line",
        "percent": True,
        "labels": labels,
        "datasets": [
            {
                "label": "Delivery rate",
                "data": [
                    None if p.delivery_rate is None else round(p.delivery_rate * 100, 1)
                    for p in figures.volume
                ],
                "borderColor": "#0b5fff",
                "spanGaps": True,
            }
        ],
    }
    top = figures.countries[:15]
    countries = {
        "type": "bar",
        "horizontal": True,
        "percent": False,
        "labels": [row.country for row in top],
        "datasets": [
            {
                "label": "Delivered",
                "data": [row.delivered for row in top],
                "backgroundColor": "#1b7f3b",
            },
            {
                "label": "Not delivered",
                "data": [row.undelivered for row in top],
                "backgroundColor": "#b3261e",
            },
            {
                "label": "Pending",
                "data": [row.pending for row in top],
                "backgroundColor": "#9aa4b2",
            },
        ],
    }
    return {
        name: json.dumps(spec)
        for name, spec in (("volume", volume), ("rate", rate), ("countries", countries))
    }


def _local_day_start(value: str, zone: str, field: str) -> datetime | None:
    if not value:
        return None
    try:
        day = datetime.strptime(value, "%Y-%m-%d").date()
    except ValueError:
        raise error("invalid_request", f"{field}: a date as YYYY-MM-DD", field=field) from None
    return datetime.combine(day, time(), ZoneInfo(zone))


def routes(services: ConsoleServices, cookies: ConsoleCookies) -> list[BaseRoute]:
    async def dashboard_context(request: Request, viewer: Viewer) -> dict[str, Any]:
        period = request.query_params.get("period", "today")
        if period not in PERIODS:
            period = "today"
        figures = await services.dashboard.figures(
            viewer.account_id,
            period,  # type: ignore[arg-type]
            viewer.time_zone,
        )
        account = await services.accounts.get_account(viewer.account_id)
        return {
            "viewer": viewer,
            "section": "dashboard",
            "figures": figures,
            "charts": charts(figures),
            "period": period,
            "periods": PERIODS,
            "currency": account.currency if account else "EUR",
        }

    async def dashboard(request: Request, viewer: Viewer) -> Response:
        return render("dashboard.html", await dashboard_context(request, viewer))

    async def dashboard_figures(request: Request, viewer: Viewer) -> Response:
        return render("dashboard_figures.html", await dashboard_context(request, viewer))

    async def messages(request: Request, viewer: Viewer) -> Response:
        query = request.query_params
        values = {
            name: query.get(name, "").strip()
            for name in ("to", "client_ref", "status", "country", "since", "until")
        }
        message = None
        page_items: tuple[Any, ...] = ()
        next_cursor = None
        try:
            status = MessageStatus(values["status"]) if values["status"] else None
            to = parse_recipient(values["to"], field="to").e164 if values["to"] else None
            filters = MessageFilter(
                status=status,
                to_e164=to,
                client_ref=values["client_ref"] or None,
                country=values["country"].upper() or None,
                since=_local_day_start(values["since"], viewer.time_zone, "since"),
                until=(
                    until + timedelta(days=1)
                    if (until := _local_day_start(values["until"], viewer.time_zone, "until"))
                    else None
                ),
            )
            cursor = query.get("cursor") or None
            result = await services.message_queries.list_messages(
                viewer.account_id, filters, cursor, limit=50
            )
            page_items = result.items
            next_cursor = result.next_cursor
        except ValueError:
            message = "Unknown status."
        except CatalogueError as problem:
            message = problem_text(problem)
        return render(
            "messages.html",
            {
                "viewer": viewer,
                "section": "messages",
                "values": values,
                "statuses": [status.value for status in MessageStatus],
                "items": page_items,
                "next_cursor": next_cursor,
                "message": message,
            },
        )

    async def message_page(request: Request, viewer: Viewer) -> Response:
        message_id = request.path_params["message_id"]
        detail = await services.message_queries.get_message(viewer.account_id, message_id)
        if detail is None:
            return not_found(viewer)
        page = await services.webhook_deliveries.list_deliveries(
            viewer.account_id, DeliveryFilter(message_id=message_id), None, 50
        )
        attempts = page.items
        return render(
            "message.html",
            {"viewer": viewer, "section": "messages", "detail": detail, "attempts": attempts},
        )

    return [
        Route("/", page(services, cookies, dashboard, kind="sender"), methods=["GET"]),
        Route(
            "/dashboard/figures",
            page(services, cookies, dashboard_figures, kind="sender"),
            methods=["GET"],
        ),
        Route("/messages", page(services, cookies, messages, kind="sender"), methods=["GET"]),
        Route(
            "/messages/{message_id}",
            page(services, cookies, message_page, kind="sender"),
            methods=["GET"],
        ),
    ]
