"""API keys (create — shown once — and revoke), webhooks, test numbers and the team.

Roles: a viewer changes nothing; keys, webhooks and test numbers are for owners and
developers; only an owner adds members to the account.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from parcelsms.console.guard import Viewer, form_of, not_found, page, problem_text
from parcelsms.console.rendering import render
from parcelsms.console.services import ConsoleServices
from parcelsms.console.session_cookies import ConsoleCookies
from parcelsms.domain.api_keys import SENDER_SCOPES, canonical_scopes
from parcelsms.errors import CatalogueError
from parcelsms.pipeline.account_security_ports import KeySpec
from parcelsms.pipeline.console_user_ports import ACCOUNT_ROLES
from parcelsms.pipeline.webhook_ports import DeliveryFilter

OWNERS: tuple[Any, ...] = ("owner",)


def routes(services: ConsoleServices, cookies: ConsoleCookies) -> list[BaseRoute]:
    accounts = services.accounts

    async def keys(
        request: Request,
        viewer: Viewer,
        *,
        created: Any = None,
        message: str | None = None,
        status: int = 200,
    ) -> Response:
        records = await accounts.list_keys(viewer.account_id)
        return render(
            "keys.html",
            {
                "viewer": viewer,
                "section": "keys",
                "records": records,
                "created": created,
                "message": message,
                "scopes": SENDER_SCOPES,
            },
            status,
        )

    async def create_key(request: Request, viewer: Viewer) -> Response:
        form = form_of(request)
        chosen = [scope for scope in SENDER_SCOPES if form.get(f"scope.{scope}") == "1"]
        try:
            spec = KeySpec(
                scopes=canonical_scopes(chosen or SENDER_SCOPES),
                label=form.get("label", "").strip(),
            )
            created = await accounts.create_key(viewer.account_id, spec, viewer.actor)
        except CatalogueError as problem:
            return await keys(
                request, viewer, message=problem_text(problem), status=problem.status or 422
            )
        # Shown in this answer only: the page is never cached and the secret is not stored.
        return await keys(request, viewer, created=created)

    async def revoke_key(request: Request, viewer: Viewer) -> Response:
        revoked = await accounts.revoke_key(
            request.path_params["key_id"], viewer.actor, account_id=viewer.account_id
        )
        if revoked is None:
            return not_found(viewer)
        return RedirectResponse("/console/keys", status_code=303)

    async def webhooks(
        request: Request,
        viewer: Viewer,
        *,
        secret: str | None = None,
        message: str | None = None,
        status: int = 200,
    ) -> Response:
        endpoint = await services.webhook_endpoints.get_webhook_endpoint(viewer.account_id)
        page = await services.webhook_deliveries.list_deliveries(
            viewer.account_id, DeliveryFilter(), None, 25
        )
        attempts = page.items
        return render(
            "webhooks.html",
            {
                "viewer": viewer,
                "section": "webhooks",
                "endpoint": endpoint,
                "attempts": attempts,
                "secret": secret,
                "message": message,
            },
            status,
        )

    async def set_webhook(request: Request, viewer: Viewer) -> Response:
        url = form_of(request).get("url", "").strip()
        try:
            services.check_webhook_url(url)
        except CatalogueError as problem:
            return await webhooks(
                request, viewer, message=problem_text(problem), status=problem.status or 422
            )
        existing = await services.webhook_endpoints.get_webhook_endpoint(viewer.account_id)
        rotate = form_of(request).get("rotate") == "1" or existing is None
        secret = services.new_webhook_secret() if rotate else existing.secret  # type: ignore[union-attr]
        await services.webhook_endpoints.set_webhook_endpoint(viewer.account_id, url, secret)
        return await webhooks(request, viewer, secret=secret if rotate else None)

    async def test_numbers(
        request: Request, viewer: Viewer, message: str | None = None, status: int = 200
    ) -> Response:
        numbers = await accounts.list_test_numbers(viewer.account_id)
        return render(
            "test_numbers.html",
            {
                "viewer": viewer,
                "section": "test_numbers",
                "numbers": numbers,
                "message": message,
                "available": services.test_numbers is not None,
            },
            status,
        )

    async def add_test_number(request: Request, viewer: Viewer) -> Response:
        if services.test_numbers is None:
            return await test_numbers(request, viewer, "Test numbers are not available here.", 503)
        try:
            await services.test_numbers.add(
                viewer.account_id, form_of(request).get("number", ""), viewer.actor
            )
        except CatalogueError as problem:
            return await test_numbers(request, viewer, problem_text(problem), problem.status or 422)
        return RedirectResponse("/console/test-numbers", status_code=303)

    async def confirm_test_number(request: Request, viewer: Viewer) -> Response:
        if services.test_numbers is None:
            return await test_numbers(request, viewer, "Test numbers are not available here.", 503)
        try:
            await services.test_numbers.confirm(
                viewer.account_id,
                request.path_params["number_id"],
                form_of(request).get("code", ""),
                viewer.actor,
            )
        except CatalogueError as problem:
            return await test_numbers(request, viewer, problem_text(problem), problem.status or 422)
        return RedirectResponse("/console/test-numbers", status_code=303)

    async def team(
        request: Request, viewer: Viewer, message: str | None = None, status: int = 200
    ) -> Response:
        members = await services.users.list_users(viewer.account_id)
        return render(
            "team.html",
            {
                "viewer": viewer,
                "section": "team",
                "members": members,
                "roles": ACCOUNT_ROLES,
                "message": message,
            },
            status,
        )

    async def add_member(request: Request, viewer: Viewer) -> Response:
        form = form_of(request)
        try:
            await services.users.add_user(
                form.get("email", ""),
                form.get("password", ""),
                account_id=viewer.account_id,
                role=form.get("role", ""),
            )
        except CatalogueError as problem:
            return await team(request, viewer, problem_text(problem), problem.status or 422)
        return RedirectResponse("/console/team", status_code=303)

    def on(
        path: str, handler: Any, method: str = "GET", write_roles: tuple[Any, ...] | None = None
    ) -> Route:
        options = {} if write_roles is None else {"write_roles": write_roles}
        return Route(
            path, page(services, cookies, handler, kind="sender", **options), methods=[method]
        )

    return [
        on("/keys", keys),
        on("/keys", create_key, "POST"),
        on("/keys/{key_id}/revoke", revoke_key, "POST"),
        on("/webhooks", webhooks),
        on("/webhooks", set_webhook, "POST"),
        on("/test-numbers", test_numbers),
        on("/test-numbers", add_test_number, "POST"),
        on("/test-numbers/{number_id}/confirm", confirm_test_number, "POST"),
        on("/team", team),
        on("/team", add_member, "POST", write_roles=OWNERS),
    ]
