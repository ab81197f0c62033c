"""The console application: ``create_console(services)`` → a Starlette app for ``/console``."""

from __future__ import annotations

from pathlib import Path

from starlette.applications import Starlette
from starlette.routing import BaseRoute, Mount
from starlette.staticfiles import StaticFiles

from parcelsms.console.pages import (
    access_pages,
    auth_pages,
    billing_pages,
    content_pages,
    operator_pages,
    sender_pages,
)
from parcelsms.console.services import ConsoleServices
from parcelsms.console.session_cookies import ConsoleCookies

STATIC_DIRECTORY = Path(__file__).parent / "static"
PAGE_MODULES = (
    auth_pages,
    sender_pages,
    content_pages,
    access_pages,
    billing_pages,
    operator_pages,
)


def create_console(services: ConsoleServices) -> Starlette:
    """The console for ``services``, to be mounted at ``/console`` (its links say so)."""
    cookies = ConsoleCookies(services.session_secret, services.users.session_lifetime)
    routes: list[BaseRoute] = []
    for module in PAGE_MODULES:
        routes += module.routes(services, cookies)
    routes.append(
        Mount("/static", app=StaticFiles(directory=STATIC_DIRECTORY), name="console-static")
    )
    return Starlette(routes=routes)
