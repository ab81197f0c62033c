"""The HTTP API application: ``create_app(services)`` → a Starlette app.

Routes come from one table (:mod:`parcelsms.api.route_table`) that also feeds
``/openapi.json``. Requests and responses are msgspec Structs
(:mod:`parcelsms.api.schemas`). Errors of any kind answer with a catalogued error body
(:mod:`parcelsms.api.error_responses`); every response carries ``X-Request-Id``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles

from parcelsms.api.admin_audit import with_audit_fallback
from parcelsms.api.authentication import Authenticator, token_matcher
from parcelsms.api.content_routes import content_routes
from parcelsms.api.endpoints.account_profile import AccountProfileEndpoints
from parcelsms.api.endpoints.admin_accounts import AdminAccountEndpoints
from parcelsms.api.endpoints.admin_billing import AdminBillingEndpoints
from parcelsms.api.endpoints.admin_keys import AdminKeyEndpoints
from parcelsms.api.endpoints.admin_receipts import AdminReceiptEndpoints
from parcelsms.api.endpoints.billing import BillingEndpoints
from parcelsms.api.endpoints.keys import KeyEndpoints
from parcelsms.api.endpoints.messages import MessageEndpoints
from parcelsms.api.endpoints.meta import MetaEndpoints
from parcelsms.api.endpoints.webhooks import WebhookEndpoints
from parcelsms.api.error_responses import RequestContextMiddleware, handle_exception
from parcelsms.api.route_table import ApiRoute, starlette_routes
from parcelsms.api.services import ApiServices
from parcelsms.errors import CatalogueError, StorageError
from parcelsms.pipeline.account_limits import AccountLimitsCache, EffectiveLimits

STATIC_DIRECTORY = Path(__file__).parent / "static"


def route_table(services: ApiServices, authenticator: Authenticator) -> list[ApiRoute]:
    """Every documented operation of the API, served by handlers built on ``services``."""
    table: list[ApiRoute] = []
    limit = services.max_body_bytes
    storage = services.storage
    table += content_routes(services, authenticator)
    table += MessageEndpoints(
        services.accept, storage.message_queries, authenticator, services.check_webhook_url, limit
    ).routes()
    table += WebhookEndpoints(
        storage.webhook_endpoints,
        authenticator,
        services.new_webhook_secret,
        services.check_webhook_url,
        limit,
        check_host=services.check_webhook_host,
    ).routes()
    limits = services.limits or AccountLimitsCache(storage.billing, EffectiveLimits())
    table += BillingEndpoints(storage.billing, authenticator, limits, limit).routes()
    table += AccountProfileEndpoints(
        storage.accounts, services.test_numbers, authenticator, limit
    ).routes()
    table += KeyEndpoints(storage.accounts, authenticator, limit).routes()
    table += AdminAccountEndpoints(
        storage.accounts, authenticator, services.account_changed, limit
    ).routes()
    table += AdminBillingEndpoints(
        storage.billing,
        authenticator,
        limits,
        prices_changed=services.prices_changed,
        account_changed=services.account_changed,
        max_body_bytes=limit,
    ).routes()
    table += AdminKeyEndpoints(storage.accounts, authenticator, limit).routes()
    table += AdminReceiptEndpoints(storage.receipts).routes()
    table += MetaEndpoints(lambda: table, services.version).routes()
    table[:] = with_audit_fallback(table, storage.accounts)
    return table


def create_app(services: ApiServices) -> Starlette:
    """The API application for ``services`` (it needs nothing else).

    The app's lifespan waits, on shutdown, for background API-key usage writes; storage
    itself is opened and closed by the caller.
    """
    authenticator = Authenticator(
        services.storage.accounts,
        cache_seconds=services.auth_cache_seconds,
        rates=services.key_rates,
        max_body_bytes=services.max_body_bytes,
        admin_token_matches=(
            token_matcher(services.admin_token) if services.admin_token is not None else None
        ),
    )
    table = route_table(services, authenticator)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        await authenticator.drain()

    routes = [
        *starlette_routes(table, authorize=authenticator.authorize_route),
        Mount("/static", app=StaticFiles(directory=STATIC_DIRECTORY), name="static"),
    ]
    app = Starlette(
        routes=routes,
        middleware=[Middleware(RequestContextMiddleware)],
        exception_handlers={
            CatalogueError: handle_exception,
            HTTPException: handle_exception,
            StorageError: handle_exception,
        },
        lifespan=lifespan,
    )
    # An API answers a trailing slash with 404 rather than a redirect; the redirect also
    # rebuilds the URL by decoding the raw query string as UTF-8, which a client's bytes
    # need not be.
    app.router.redirect_slashes = False
    app.state.services = services
    app.state.route_table = table
    app.state.authenticator = authenticator
    return app
