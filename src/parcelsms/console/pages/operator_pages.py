"""The operator's pages: review queues, accounts, channels (live), routes and prices, audit."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from parcelsms.console.guard import Viewer, form_of, not_found, page, problem_text
from parcelsms.console.rendering import render
from parcelsms.console.services import ConsoleServices
from parcelsms.console.session_cookies import ConsoleCookies
from parcelsms.domain.money import parse_amount
from parcelsms.errors import CatalogueError
from parcelsms.pipeline.account_security_ports import AccountFilter, AuditFilter


def routes(services: ConsoleServices, cookies: ConsoleCookies) -> list[BaseRoute]:
    accounts = services.accounts

    async def reviews(
        request: Request, viewer: Viewer, message: str | None = None, status: int = 200
    ) -> Response:
        templates = await services.content.list_templates_by_status("pending_review")
        sender_ids = await services.content.list_sender_ids_by_status("pending_review")
        companies = await accounts.list_account_profiles(AccountFilter(review="pending_review"))
        return render(
            "operator_reviews.html",
            {
                "viewer": viewer,
                "section": "reviews",
                "templates": templates,
                "sender_ids": sender_ids,
                "companies": companies.items,
                "message": message,
            },
            status,
        )

    def decision(form: Any) -> tuple[bool, str | None]:
        approved = form.get("decision") == "approve"
        reason = form.get("reason", "").strip() or None
        return approved, reason

    async def review_template(request: Request, viewer: Viewer) -> Response:
        approved, reason = decision(form_of(request))
        if not approved and reason is None:
            return await reviews(request, viewer, "A rejection needs a reason for the sender.", 422)
        try:
            reviewed = await services.authoring.review_template(
                request.path_params["template_id"],
                approved=approved,
                reason=reason,
                override_findings=form_of(request).get("override") == "1",
            )
        except CatalogueError as problem:
            return await reviews(request, viewer, problem_text(problem), problem.status or 422)
        if reviewed is None:
            return not_found(viewer)
        return RedirectResponse("/console/operator/reviews", status_code=303)

    async def review_sender_id(request: Request, viewer: Viewer) -> Response:
        approved, reason = decision(form_of(request))
        if not approved and reason is None:
            return await reviews(request, viewer, "A rejection needs a reason for the sender.", 422)
        try:
            reviewed = await services.authoring.review_sender_id(
                request.path_params["sender_id"], approved=approved, reason=reason
            )
        except CatalogueError as problem:
            return await reviews(request, viewer, problem_text(problem), problem.status or 422)
        if reviewed is None:
            return not_found(viewer)
        return RedirectResponse("/console/operator/reviews", status_code=303)

    async def review_company(request: Request, viewer: Viewer) -> Response:
        approved, reason = decision(form_of(request))
        account_id = request.path_params["account_id"]
        try:
            if approved:
                profile = await accounts.verify_account(account_id, viewer.actor, reason)
            elif reason is None:
                return await reviews(
                    request, viewer, "A rejection needs a reason for the sender.", 422
                )
            else:
                profile = await accounts.reject_account(account_id, reason, viewer.actor)
        except CatalogueError as problem:
            return await reviews(request, viewer, problem_text(problem), problem.status or 422)
        if profile is None:
            return not_found(viewer)
        services.account_changed(account_id)
        return RedirectResponse("/console/operator/reviews", status_code=303)

    async def account_list(request: Request, viewer: Viewer) -> Response:
        cursor = request.query_params.get("cursor") or None
        try:
            listing = await accounts.list_account_profiles(AccountFilter(), cursor)
        except CatalogueError:
            listing = await accounts.list_account_profiles(AccountFilter())
        return render(
            "operator_accounts.html", {"viewer": viewer, "section": "accounts", "listing": listing}
        )

    async def account_page(
        request: Request, viewer: Viewer, message: str | None = None, status: int = 200
    ) -> Response:
        account_id = request.path_params["account_id"]
        profile = await accounts.get_account_profile(account_id)
        if profile is None:
            return not_found(viewer)
        return render(
            "operator_account.html",
            {
                "viewer": viewer,
                "section": "accounts",
                "profile": profile,
                "packages": await services.billing.list_packages(account_id),
                "own_limits": await services.billing.get_account_limits(account_id),
                "limits": await services.limits.limits(account_id),
                "message": message,
                "now": services.users.now(),
            },
            status,
        )

    async def top_up(request: Request, viewer: Viewer) -> Response:
        account_id = request.path_params["account_id"]
        form = form_of(request)
        try:
            micros = parse_amount(form.get("amount", ""), "amount", allow_zero=False)
            await accounts.top_up_account(
                account_id, micros, form.get("note", "").strip() or None, viewer.actor
            )
        except CatalogueError as problem:
            return await account_page(request, viewer, problem_text(problem), problem.status or 422)
        return RedirectResponse(f"/console/operator/accounts/{account_id}", status_code=303)

    async def suspend(request: Request, viewer: Viewer) -> Response:
        account_id = request.path_params["account_id"]
        form = form_of(request)
        try:
            if form.get("action") == "reactivate":
                profile = await accounts.reactivate_account(account_id, viewer.actor)
            else:
                reason = form.get("reason", "").strip()
                if not reason:
                    return await account_page(request, viewer, "Suspending needs a reason.", 422)
                profile = await accounts.suspend_account(account_id, reason, viewer.actor)
        except CatalogueError as problem:
            return await account_page(request, viewer, problem_text(problem), problem.status or 422)
        if profile is None:
            return not_found(viewer)
        services.account_changed(account_id)
        return RedirectResponse(f"/console/operator/accounts/{account_id}", status_code=303)

    async def channels(request: Request, viewer: Viewer) -> Response:
        statuses = await services.channels.channel_statuses()
        template = (
            "operator_channel_rows.html"
            if request.headers.get("hx-request")
            else "operator_channels.html"
        )
        return render(template, {"viewer": viewer, "section": "channels", "channels": statuses})

    async def prices(request: Request, viewer: Viewer) -> Response:
        return render(
            "operator_prices.html",
            {
                "viewer": viewer,
                "section": "prices",
                "routes": services.routes,
                "prices": await services.billing.list_prices(),
                "costs": await services.billing.list_channel_costs(),
            },
        )

    async def audit(request: Request, viewer: Viewer) -> Response:
        account = request.query_params.get("account") or None
        action = request.query_params.get("action") or None
        cursor = request.query_params.get("cursor") or None
        try:
            entries = await accounts.list_audit(
                AuditFilter(account_id=account, action=action), cursor
            )
        except CatalogueError:
            entries = await accounts.list_audit(AuditFilter(account_id=account, action=action))
        return render(
            "operator_audit.html",
            {
                "viewer": viewer,
                "section": "audit",
                "entries": entries,
                "account": account or "",
                "action": action or "",
            },
        )

    def on(path: str, handler: Any, method: str = "GET") -> Route:
        return Route(path, page(services, cookies, handler, kind="operator"), methods=[method])

    return [
        on("/operator/reviews", reviews),
        on("/operator/reviews/templates/{template_id}", review_template, "POST"),
        on("/operator/reviews/sender-ids/{sender_id}", review_sender_id, "POST"),
        on("/operator/reviews/companies/{account_id}", review_company, "POST"),
        on("/operator/accounts", account_list),
        on("/operator/accounts/{account_id}", account_page),
        on("/operator/accounts/{account_id}/top-up", top_up, "POST"),
        on("/operator/accounts/{account_id}/state", suspend, "POST"),
        on("/operator/channels", channels),
        on("/operator/prices", prices),
        on("/operator/audit", audit),
    ]
