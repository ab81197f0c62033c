"""Who is asking, and may they: the wrapper every console page goes through.

:func:`page` turns ``handler(request, viewer)`` into a Starlette endpoint that

* resumes the session from its signed cookie (else redirects to the log-in page, or answers
  401 to an htmx request);
* refuses a user of the wrong kind (an operator on a sender page and the reverse) with 403;
* on POST, refuses a missing or wrong CSRF token (403 ``csrf_token_invalid``) before the
  handler runs, and a role not in ``write_roles`` (403): a viewer changes nothing.

Catalogued errors raised by a handler's use case are its to show; anything else is a bug.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Literal
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from parcelsms.console.formatting import Formatter, negotiate_locale
from parcelsms.console.rendering import render
from parcelsms.console.services import ConsoleServices
from parcelsms.console.session_cookies import CSRF_FIELD, CSRF_HEADER, ConsoleCookies
from parcelsms.domain.error_catalogue import error
from parcelsms.domain.time_zones import DEFAULT_TIME_ZONE
from parcelsms.errors import CatalogueError
from parcelsms.pipeline.account_security_ports import Actor
from parcelsms.pipeline.console_user_ports import ConsoleRole, ConsoleUser

MAX_FORM_BYTES = 256 * 1024
Kind = Literal["sender", "operator", "any"]
ALL_ROLES: tuple[ConsoleRole, ...] = ("owner", "developer", "viewer", "operator")
EDITORS: tuple[ConsoleRole, ...] = ("owner", "developer", "operator")


@dataclass(frozen=True, slots=True)
class Viewer:
    """The signed-in user of one request, with what pages need to answer them.

    ``time_zone``: where this reader's times and days are — the user's own zone when they
    chose one, else their account's (UTC for operators)."""

    user: ConsoleUser
    session_token: str
    csrf_token: str
    format: Formatter
    time_zone: str

    @property
    def account_id(self) -> str:
        """The sender account (sender pages only: operators have none)."""
        assert self.user.account_id is not None, "an operator page asked for an account"
        return self.user.account_id

    @property
    def actor(self) -> Actor:
        """Who the audit log names for a change made here."""
        return Actor(name=f"console:{self.user.email}")

    def may(self, roles: tuple[ConsoleRole, ...]) -> bool:
        return self.user.role in roles


Handler = Callable[[Request, Viewer], Awaitable[Response]]


async def read_form(request: Request) -> dict[str, str]:
    """The ``application/x-www-form-urlencoded`` body (last value of a repeated field)."""
    body = await request.body()
    if len(body) > MAX_FORM_BYTES:
        raise error("payload_too_large")
    return dict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))


def page(
    services: ConsoleServices,
    cookies: ConsoleCookies,
    handler: Handler,
    *,
    kind: Kind,
    write_roles: tuple[ConsoleRole, ...] = EDITORS,
) -> Callable[[Request], Awaitable[Response]]:
    """``handler`` behind the session, kind, role and CSRF checks (see the module)."""

    async def endpoint(request: Request) -> Response:
        token = cookies.session_token(request)
        user = await services.users.resume_session(token) if token else None
        if token is None or user is None:
            if request.headers.get("hx-request"):
                return Response(status_code=401, headers={"HX-Redirect": "/console/login"})
            return RedirectResponse("/console/login", status_code=303)
        time_zone = user.time_zone or await _account_time_zone(services, user)
        viewer = Viewer(
            user=user,
            session_token=token,
            csrf_token=cookies.csrf_for_session(token),
            format=Formatter(negotiate_locale(request.headers.get("accept-language")), time_zone),
            time_zone=time_zone,
        )
        if (kind == "operator") != user.is_operator and kind != "any":
            return forbidden(viewer, "This page is not part of your console.")
        if request.method == "POST":
            form = await read_form(request)
            request.state.form = form
            given = request.headers.get(CSRF_HEADER) or form.get(CSRF_FIELD)
            if not cookies.tokens_match(viewer.csrf_token, given):
                problem = error("csrf_token_invalid", field=CSRF_FIELD)
                return forbidden(viewer, problem.message, code=problem.code)
            if not viewer.may(write_roles):
                return forbidden(viewer, f"The {user.role} role cannot change this.")
        return await handler(request, viewer)

    return endpoint


async def _account_time_zone(services: ConsoleServices, user: ConsoleUser) -> str:
    """The zone of the user's account (one primary-key read); UTC for an operator."""
    if user.account_id is None:
        return DEFAULT_TIME_ZONE
    account = await services.accounts.get_account(user.account_id)
    return DEFAULT_TIME_ZONE if account is None else account.time_zone


def form_of(request: Request) -> Mapping[str, str]:
    """The form :func:`page` read (POST only)."""
    form: dict[str, str] = request.state.form
    return form


def forbidden(viewer: Viewer | None, message: str, *, code: str = "forbidden") -> Response:
    return render(
        "error.html",
        {"viewer": viewer, "title": "Not allowed", "message": message, "code": code},
        status_code=403,
    )


def not_found(viewer: Viewer) -> Response:
    return render(
        "error.html",
        {
            "viewer": viewer,
            "title": "Not found",
            "message": "No such item here.",
            "code": "not_found",
        },
        status_code=404,
    )


def problem_text(problem: CatalogueError) -> str:
    """A catalogued error as a form shows it."""
    where = f" ({problem.field})" if problem.field else ""
    return f"{problem.message}{where}"
