"""Log-in, log-out, the user's own settings (password, time zone) and the account's time
zone (its owners set it; users who chose no zone of their own see times in it).

Log-ins are limited per e-mail and per client address (token buckets refilled over five
minutes, :class:`~parcelsms.domain.request_rate.RequestRateLimiter`); every attempt spends a
token, so guessing is slow whichever e-mail is tried.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from parcelsms.console.guard import ALL_ROLES, Viewer, form_of, page, problem_text, read_form
from parcelsms.console.rendering import render
from parcelsms.console.services import ConsoleServices
from parcelsms.console.session_cookies import CSRF_FIELD, ConsoleCookies
from parcelsms.domain.error_catalogue import error
from parcelsms.domain.request_rate import RequestRateLimiter
from parcelsms.domain.time_zones import check_time_zone
from parcelsms.errors import CatalogueError
from parcelsms.pipeline.console_users import normalized_email

_REFILL_SECONDS = 300.0


def home_of(is_operator: bool) -> str:
    return "/console/operator/reviews" if is_operator else "/console/"


def routes(services: ConsoleServices, cookies: ConsoleCookies) -> list[BaseRoute]:
    users = services.users
    limiter = RequestRateLimiter()

    def login_form(
        request: Request, message: str | None, email: str = "", status: int = 200
    ) -> Response:
        nonce = cookies.login_nonce_or_new(request)
        context = {
            "viewer": None,
            "message": message,
            "email": email,
            "csrf_token": cookies.csrf_for_login(nonce),
        }
        response = render("login.html", context, status)
        cookies.set_login_nonce(request, response, nonce)
        return response

    async def show_login(request: Request) -> Response:
        token = cookies.session_token(request)
        user = await users.resume_session(token) if token else None
        if user is not None:
            return RedirectResponse(home_of(user.is_operator), status_code=303)
        return login_form(request, None)

    def allowed(key: str, attempts: int) -> bool:
        return limiter.take(key, attempts / _REFILL_SECONDS, attempts) == 0.0

    async def log_in(request: Request) -> Response:
        form = await read_form(request)
        nonce = cookies.login_nonce(request)
        if nonce is None or not cookies.tokens_match(
            cookies.csrf_for_login(nonce), form.get(CSRF_FIELD)
        ):
            problem = error("csrf_token_invalid", field=CSRF_FIELD)
            return login_form(request, problem.message, status=403)
        email = normalized_email(form.get("email", ""))
        address = request.client.host if request.client else "unknown"
        if not (
            allowed(f"address:{address}", services.login_attempts_per_address)
            and allowed(f"email:{email}", services.login_attempts_per_email)
        ):
            return login_form(request, error("too_many_login_attempts").message, email, 429)
        user = await users.authenticate(email, form.get("password", ""))
        if user is None:
            return login_form(request, "Wrong e-mail or password.", email, 401)
        token = await users.start_session(user)
        response = RedirectResponse(home_of(user.is_operator), status_code=303)
        cookies.set_session(request, response, token)
        return response

    async def log_out(request: Request, viewer: Viewer) -> Response:
        await users.end_session(viewer.session_token)
        response = RedirectResponse("/console/login", status_code=303)
        cookies.clear_session(response)
        return response

    async def show_profile(
        request: Request, viewer: Viewer, message: str | None = None, status: int = 200
    ) -> Response:
        account = (
            None
            if viewer.user.is_operator
            else await services.accounts.get_account(viewer.account_id)
        )
        return render(
            "profile.html",
            {"viewer": viewer, "message": message, "section": "profile", "account": account},
            status,
        )

    async def change_password(request: Request, viewer: Viewer) -> Response:
        form = form_of(request)
        if form.get("new_password") != form.get("repeat_password"):
            return await show_profile(request, viewer, "The two new passwords differ.", 422)
        try:
            await users.change_password(
                viewer.user, form.get("current_password", ""), form.get("new_password", "")
            )
        except CatalogueError as problem:
            return await show_profile(request, viewer, problem_text(problem), problem.status or 422)
        # Every session ended with the old password; this browser starts a new one.
        token = await users.start_session(viewer.user)
        response = RedirectResponse("/console/profile?changed=1", status_code=303)
        cookies.set_session(request, response, token)
        return response

    async def change_time_zone(request: Request, viewer: Viewer) -> Response:
        try:
            await users.set_time_zone(viewer.user, form_of(request).get("time_zone", "").strip())
        except CatalogueError as problem:
            return await show_profile(request, viewer, problem_text(problem), problem.status or 422)
        return RedirectResponse("/console/profile", status_code=303)

    async def change_account_time_zone(request: Request, viewer: Viewer) -> Response:
        try:
            zone = check_time_zone(form_of(request).get("account_time_zone", "").strip())
            await services.accounts.set_account_time_zone(viewer.account_id, zone, viewer.actor)
        except CatalogueError as problem:
            return await show_profile(request, viewer, problem_text(problem), problem.status or 422)
        return RedirectResponse("/console/profile", status_code=303)

    return [
        Route("/login", show_login, methods=["GET"]),
        Route("/login", log_in, methods=["POST"]),
        Route(
            "/logout",
            page(services, cookies, log_out, kind="any", write_roles=ALL_ROLES),
            methods=["POST"],
        ),
        Route("/profile", page(services, cookies, show_profile, kind="any"), methods=["GET"]),
        Route(
            "/profile/password",
            page(services, cookies, change_password, kind="any", write_roles=ALL_ROLES),
            methods=["POST"],
        ),
        Route(
            "/profile/time-zone",
            page(services, cookies, change_time_zone, kind="any", write_roles=ALL_ROLES),
            methods=["POST"],
        ),
        Route(
            "/account/time-zone",
            page(
                services, cookies, change_account_time_zone, kind="sender", write_roles=("owner",)
            ),
            methods=["POST"],
        ),
    ]
