"""The HTTP API application: ``create_app(services)`` → a Starlette app.

Routes come from one table (:mod:`parcelsms.api.route_table`) that also feeds
``/openapi.json``; each resource of :mod:`parcelsms.api.resources` contributes its entries.
Requests and responses are msgspec Structs declared beside their resource's handlers.
Errors of any kind answer with a catalogued error body (:mod:`parcelsms.api.error_responses`);
every response carries ``X-Request-Id``. ``POST`` on :data:`HOT_PATHS` skips Starlette's
middleware and router (:mod:`parcelsms.api.hot_lane`), with the same answers.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import RedirectResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp

from parcelsms.api.admin_audit import with_audit_fallback
from parcelsms.api.authentication import Authenticator, token_matcher
from parcelsms.api.content_negotiation import with_other_formats
from parcelsms.api.error_responses import RequestContextMiddleware, handle_exception
from parcelsms.api.hot_lane import ApiApplication
from parcelsms.api.resources.account import AccountEndpoints
from parcelsms.api.resources.admin_accounts.endpoints import AdminAccountEndpoints
from parcelsms.api.resources.admin_channels import AdminChannelEndpoints
from parcelsms.api.resources.admin_keys import AdminKeyEndpoints
from parcelsms.api.resources.admin_messages import AdminMessageEndpoints
from parcelsms.api.resources.admin_receipts import AdminReceiptEndpoints
from parcelsms.api.resources.admin_reviews import AdminReviewEndpoints
from parcelsms.api.resources.admin_routes import AdminRouteEndpoints
from parcelsms.api.resources.billing.admin_account_billing import AdminAccountBillingEndpoints
from parcelsms.api.resources.billing.admin_prices import AdminPriceEndpoints
from parcelsms.api.resources.billing.admin_reports import AdminReportEndpoints
from parcelsms.api.resources.billing.endpoints import BillingEndpoints
from parcelsms.api.resources.coverage import CoverageEndpoints
from parcelsms.api.resources.inbound import InboundEndpoints
from parcelsms.api.resources.keys import KeyEndpoints
from parcelsms.api.resources.message_settings import MessageSettingsEndpoints
from parcelsms.api.resources.messages.endpoints import MessageEndpoints
from parcelsms.api.resources.meta import MetaEndpoints
from parcelsms.api.resources.metrics import MetricsEndpoints
from parcelsms.api.resources.previews import PreviewEndpoints
from parcelsms.api.resources.reports import ReportEndpoints
from parcelsms.api.resources.sandbox_numbers import SandboxNumberEndpoints
from parcelsms.api.resources.sender_ids import SenderIdEndpoints
from parcelsms.api.resources.suppressions import SuppressionEndpoints
from parcelsms.api.resources.templates import TemplateEndpoints
from parcelsms.api.resources.webhooks import (
    WebhookDeliveryEndpoints,
    WebhookEndpointResource,
    WebhookEndpoints,
)
from parcelsms.api.route_table import ApiRoute, handlers_by_path, starlette_routes
from parcelsms.api.services import ApiServices
from parcelsms.domain.api_keys import ADMIN_SCOPE
from parcelsms.errors import CatalogueError, StorageError

STATIC_DIRECTORY = Path(__file__).parent / "static"


def route_table(services: ApiServices, authenticator: Authenticator) -> list[ApiRoute]:
    """Every documented operation of the API, served by handlers built on ``services``.

    The order of the resources is the order of ``/openapi.json``'s paths.
    """
    accept = services.accept
    authoring = services.authoring
    limit = services.max_body_bytes

    async def operator(request: Request) -> None:
        # An operator key (scope admin) or the bootstrap [security] admin_token.
        await authenticator.authenticate(request, ADMIN_SCOPE)

    table: list[ApiRoute] = []
    table += TemplateEndpoints(authoring, services.content, authenticator, limit).routes()
    table += SenderIdEndpoints(authoring, services.content, authenticator, limit).routes()
    table += MessageSettingsEndpoints(
        services.content, authenticator, limit, accept.forget_account
    ).routes()
    table += PreviewEndpoints(accept, authenticator, limit).routes()
    table += AdminReviewEndpoints(
        authoring, services.content, services.content, operator, limit
    ).routes()
    table += MessageEndpoints(
        accept, services.message_queries, authenticator, services.check_webhook_url, limit
    ).routes()
    table += InboundEndpoints(services.inbound, services.events, authenticator).routes()
    table += SuppressionEndpoints(services.recipient_blocks, authenticator, limit).routes()
    table += WebhookEndpoints(
        services.webhook_endpoints,
        authenticator,
        services.new_webhook_secret,
        services.check_webhook_url,
        limit,
        check_host=services.check_webhook_host,
    ).routes()
    table += WebhookEndpointResource(
        services.webhook_endpoints,
        services.webhook_deliveries,
        authenticator,
        services.new_webhook_secret,
        services.check_webhook_url,
        limit,
        check_host=services.check_webhook_host,
    ).routes()
    table += WebhookDeliveryEndpoints(
        services.webhook_deliveries, authenticator, on_retry=services.webhooks_due
    ).routes()
    table += BillingEndpoints(services.billing, authenticator, services.limits, limit).routes()
    table += AccountEndpoints(services.accounts, authenticator, limit).routes()
    table += SandboxNumberEndpoints(
        services.accounts, services.test_numbers, authenticator, limit
    ).routes()
    table += KeyEndpoints(services.accounts, authenticator, limit).routes()
    table += AdminAccountEndpoints(
        services.accounts, authenticator, services.account_changed, limit
    ).routes()
    table += AdminPriceEndpoints(
        services.billing,
        authenticator,
        prices_changed=services.prices_changed,
        max_body_bytes=limit,
    ).routes()
    table += AdminAccountBillingEndpoints(
        services.billing,
        authenticator,
        services.limits,
        account_changed=services.account_changed,
        max_body_bytes=limit,
    ).routes()
    table += AdminReportEndpoints(services.billing, authenticator).routes()
    table += ReportEndpoints(services.reports, authenticator).routes()
    table += AdminKeyEndpoints(services.accounts, authenticator, limit).routes()
    table += AdminReceiptEndpoints(services.receipts).routes()
    table += AdminChannelEndpoints(services.channel_health).routes()
    table += AdminRouteEndpoints(services.routes, authenticator, max_body_bytes=limit).routes()
    table += CoverageEndpoints(services.routes).routes()
    table += AdminMessageEndpoints(
        services.message_queries, accept.compose_settings.country_rules
    ).routes()
    if services.metrics is not None:
        table += MetricsEndpoints(services.metrics, public=services.metrics_public).routes()
    table += MetaEndpoints(lambda: table, services.version).routes()
    table[:] = with_audit_fallback(table, services.accounts)
    return table


HOT_PATHS = ("/v1/messages", "/v1/messages/batch")
"""Nearly every request of a busy installation sends messages: ``POST`` on these paths takes
the short way (:mod:`parcelsms.api.hot_lane`), and their routes come first for the other
methods."""


async def _to_console_home(request: Request) -> RedirectResponse:
    # The console lives under /console/; the API's router does not add trailing slashes.
    return RedirectResponse("/console/", status_code=307)


def create_app(services: ApiServices, *, console: ASGIApp | None = None) -> Starlette:
    """The API application for ``services`` (it needs nothing else).

    ``console``, when given, is mounted at ``/console`` (the web console, built by the
    composition root); API routes come first, so it adds nothing to their path.

    The app's lifespan waits, on shutdown, for background API-key usage writes; storage
    itself is opened and closed by the caller.
    """
    authenticator = Authenticator(
        services.accounts,
        cache_seconds=services.auth_cache_seconds,
        rates=services.key_rates,
        shared_rates=services.shared_key_rates,
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

    served = with_other_formats(table, services.max_body_bytes)
    handlers = handlers_by_path(served, authenticator.authorize_route)
    routes = [
        *starlette_routes(served, authorize=authenticator.authorize_route, first=HOT_PATHS),
        Mount("/static", app=StaticFiles(directory=STATIC_DIRECTORY), name="static"),
    ]
    if console is not None:
        routes.append(Route("/console", _to_console_home, methods=["GET"]))
        routes.append(Mount("/console", app=console, name="console"))
    app = ApiApplication(
        hot_lane={path: handlers[path]["POST"] for path in HOT_PATHS},
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
