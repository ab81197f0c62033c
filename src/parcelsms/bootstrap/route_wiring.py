"""Wiring of routes: the route book every process plans messages with, and the operator's
route administration (admin API, CLI)."""

from __future__ import annotations

from parcelsms.adapters.storage import SqlStorage
from parcelsms.config import Settings
from parcelsms.pipeline.compose import PriceSource
from parcelsms.pipeline.route_admin import RouteAdministration
from parcelsms.pipeline.route_book import RouteBook


def build_route_book(settings: Settings, storage: SqlStorage) -> RouteBook:
    """The stored routes before the file's, with the channels' health and costs."""
    return RouteBook(
        settings.file_routes(),
        settings.channel_names(),
        storage.routes,
        health=storage.channel_health,
        costs=storage.billing,
    )


def route_administration(
    settings: Settings, storage: SqlStorage, book: RouteBook, prices: PriceSource
) -> RouteAdministration:
    return RouteAdministration(storage.routes, book, settings.channel_names(), prices)
