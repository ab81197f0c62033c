"""``ApiServices`` for tests that build the API app themselves (without ``bootstrap``).

The app constructs no use case of its own; :func:`api_services` builds the ones the
composition root would (content authoring on the accept step's settings, the limits cache
with no defaults) around a real storage and a real accept use case.
"""

from __future__ import annotations

import functools
from typing import Any

from parcelsms.adapters.metrics.exposition import MetricsExposition
from parcelsms.adapters.webhooks.signing import new_signing_secret
from parcelsms.adapters.webhooks.target_guard import check_target
from parcelsms.api import ApiServices
from parcelsms.pipeline.accept import AcceptMessages
from parcelsms.pipeline.account_limits import AccountLimitsCache, EffectiveLimits
from parcelsms.pipeline.content_authoring import ContentAuthoring
from parcelsms.pipeline.price_book import PriceBook
from parcelsms.pipeline.reports import Reports
from parcelsms.pipeline.route_admin import RouteAdministration
from parcelsms.pipeline.route_book import RouteBook


def api_services(storage: Any, accept: AcceptMessages, **options: Any) -> ApiServices:
    """``ApiServices`` on ``storage`` and ``accept``; ``options`` override any other field."""
    compose = accept.compose_settings
    file_routes = compose.routes.routes
    channels = {name for route in file_routes for name in route.channels}
    route_book = RouteBook(
        file_routes, channels, storage.routes, storage.channel_health, storage.billing
    )
    defaults: dict[str, Any] = {
        "authoring": ContentAuthoring(
            storage.content,
            country_rules=compose.country_rules,
            max_segments=compose.max_segments,
            on_change=accept.forget_account,
        ),
        "limits": AccountLimitsCache(storage.billing, EffectiveLimits()),
        "new_webhook_secret": new_signing_secret,
        "check_webhook_url": functools.partial(check_target, allow_private=False),
        "version": "0.0.0-test",
        "reports": Reports(storage.reports),
        "metrics": MetricsExposition(storage.reports),
        "routes": RouteAdministration(
            storage.routes, route_book, channels, PriceBook(storage.billing, compose.prices)
        ),
    }
    ports: dict[str, Any] = {
        "accounts": storage.accounts,
        "billing": storage.billing,
        "content": storage.content,
        "message_queries": storage.message_queries,
        "receipts": storage.receipts,
        "webhook_endpoints": storage.webhook_endpoints,
        "webhook_deliveries": storage.webhook_deliveries,
        "inbound": storage.inbound,
        "recipient_blocks": storage.recipient_blocks,
        "events": storage.events,
    }
    return ApiServices(accept=accept, **{**ports, **defaults, **options})
