"""Templates (create, submit for review, findings, preview) and sender IDs."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from parcelsms.console.guard import Viewer, form_of, not_found, page, problem_text
from parcelsms.console.rendering import render
from parcelsms.console.services import ConsoleServices
from parcelsms.console.session_cookies import ConsoleCookies
from parcelsms.domain.templates import parse_template
from parcelsms.errors import CatalogueError
from parcelsms.pipeline.accept import SendRequest
from parcelsms.protocol.text.segments import count_segments


def routes(services: ConsoleServices, cookies: ConsoleCookies) -> list[BaseRoute]:
    authoring = services.authoring
    content = services.content

    async def list_templates(
        request: Request,
        viewer: Viewer,
        message: str | None = None,
        status: int = 200,
        values: dict[str, str] | None = None,
    ) -> Response:
        templates = await content.list_templates(viewer.account_id)
        return render(
            "templates.html",
            {
                "viewer": viewer,
                "section": "templates",
                "templates": templates,
                "message": message,
                "values": values or {},
            },
            status,
        )

    async def create_template(request: Request, viewer: Viewer) -> Response:
        form = form_of(request)
        try:
            template = await authoring.create(
                viewer.account_id,
                name=form.get("name", "").strip(),
                language=form.get("language", "en").strip() or "en",
                body=form.get("body", ""),
                variables=None,
                submit=form.get("submit") == "1",
            )
        except CatalogueError as problem:
            return await list_templates(
                request, viewer, problem_text(problem), problem.status or 422, dict(form)
            )
        return RedirectResponse(f"/console/templates/{template.id}", status_code=303)

    async def template_page(
        request: Request,
        viewer: Viewer,
        preview: Any = None,
        message: str | None = None,
        status: int = 200,
    ) -> Response:
        template = await content.get_template(viewer.account_id, request.path_params["template_id"])
        if template is None:
            return not_found(viewer)
        placeholders: list[str] = []
        segments = None
        try:
            parsed = parse_template(template.body)
            placeholders = list(parsed.placeholders)
            segments = count_segments(template.body)
        except CatalogueError:
            pass
        return render(
            "template.html",
            {
                "viewer": viewer,
                "section": "templates",
                "template": template,
                "placeholders": placeholders,
                "segments": segments,
                "preview": preview,
                "message": message,
                "form": form_of(request) if request.method == "POST" else {},
            },
            status,
        )

    async def submit_template(request: Request, viewer: Viewer) -> Response:
        template_id = request.path_params["template_id"]
        try:
            submitted = await authoring.submit(viewer.account_id, template_id)
        except CatalogueError as problem:
            return await template_page(
                request, viewer, message=problem_text(problem), status=problem.status or 422
            )
        if submitted is None:
            return not_found(viewer)
        return RedirectResponse(f"/console/templates/{submitted.id}", status_code=303)

    async def preview_template(request: Request, viewer: Viewer) -> Response:
        template = await content.get_template(viewer.account_id, request.path_params["template_id"])
        if template is None:
            return not_found(viewer)
        form = form_of(request)
        params = {key[6:]: value for key, value in form.items() if key.startswith("param.")}
        try:
            preview = await services.accept.preview(
                viewer.account_id,
                SendRequest(
                    to=form.get("to", ""),
                    template=template.id,
                    params=params,
                    language=template.language,
                ),
            )
        except CatalogueError as problem:
            return await template_page(
                request, viewer, message=problem_text(problem), status=problem.status or 422
            )
        account = await services.accounts.get_account(viewer.account_id)
        return await template_page(
            request,
            viewer,
            preview={"preview": preview, "currency": account.currency if account else ""},
        )

    async def sender_ids(
        request: Request, viewer: Viewer, message: str | None = None, status: int = 200
    ) -> Response:
        records = await content.list_sender_ids(viewer.account_id)
        return render(
            "sender_ids.html",
            {"viewer": viewer, "section": "sender_ids", "records": records, "message": message},
            status,
        )

    async def register_sender_id(request: Request, viewer: Viewer) -> Response:
        form = form_of(request)
        try:
            await authoring.register_sender_id(
                viewer.account_id,
                form.get("value", "").strip(),
                form.get("country", "*").strip().upper() or "*",
            )
        except CatalogueError as problem:
            return await sender_ids(request, viewer, problem_text(problem), problem.status or 422)
        return RedirectResponse("/console/sender-ids", status_code=303)

    def on(path: str, handler: Any, method: str = "GET") -> Route:
        return Route(path, page(services, cookies, handler, kind="sender"), methods=[method])

    return [
        on("/templates", list_templates),
        on("/templates", create_template, "POST"),
        on("/templates/{template_id}", template_page),
        on("/templates/{template_id}/submit", submit_template, "POST"),
        on("/templates/{template_id}/preview", preview_template, "POST"),
        on("/sender-ids", sender_ids),
        on("/sender-ids", register_sender_id, "POST"),
    ]
