"""Wires the web console from the pieces the composition root already built.

The session secret is derived from the pepper (HMAC with a fixed label): every process of
one installation signs and reads the same cookies without a second secret to configure, and
the pepper itself never leaves the key hashing it is for.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable

from starlette.types import ASGIApp

from parcelsms.adapters.storage import SqlStorage
from parcelsms.api.services import ApiServices
from parcelsms.config import Settings
from parcelsms.console.app import create_console
from parcelsms.console.channel_status import ChannelStatus
from parcelsms.console.report_dashboard import ReportDashboard
from parcelsms.console.services import ConsoleServices, RouteRow
from parcelsms.pipeline.channel_health import ChannelHealthSnapshot, ChannelHealthStore
from parcelsms.pipeline.console_users import ConsoleUsers


class StoredChannelHealth:
    """The channel page's source: the snapshots the pipeline process writes about every
    second (``channel_health``), so any API process shows every channel, live."""

    def __init__(self, store: ChannelHealthStore) -> None:
        self._store = store

    async def channel_statuses(self) -> list[ChannelStatus]:
        statuses = []
        for snapshot in sorted(await self._store.list_channel_health(), key=_by_channel):
            live, total = snapshot.live, snapshot.window.total
            seconds = snapshot.window.window_seconds or 1.0
            statuses.append(
                ChannelStatus(
                    name=snapshot.channel,
                    available=snapshot.state != "down",
                    sessions_bound=live.bound,
                    sessions_total=live.binds,
                    receipts=total.receipts,
                    submits_per_second=total.accepted / seconds,
                    submit_error_rate=total.error_rate,
                    throttle_rate=total.throttle_rate,
                    receipt_latency_seconds=None
                    if total.receipt_latency_p50_ms is None
                    else total.receipt_latency_p50_ms / 1000,
                )
            )
        return statuses


def _by_channel(snapshot: ChannelHealthSnapshot) -> str:
    return snapshot.channel


def console_secret(pepper: bytes) -> bytes:
    return hmac.new(pepper, b"parcelsms console sessions", hashlib.sha256).digest()


def route_rows(settings: Settings) -> tuple[RouteRow, ...]:
    if not settings.routes:
        names = settings.channel_names()
        return (RouteRow(countries="*", channels=", ".join(names)),) if names else ()
    return tuple(
        RouteRow(countries=", ".join(sorted(route.countries)), channels=", ".join(route.channels))
        for route in settings.routes
    )


def build_console(
    settings: Settings,
    storage: SqlStorage,
    api: ApiServices,
    pepper: bytes,
    *,
    new_webhook_secret: Callable[[], str],
) -> ASGIApp:
    """The console app on the same ports and use cases as the API ``api``."""
    return create_console(
        ConsoleServices(
            users=ConsoleUsers(storage.console_users),
            session_secret=console_secret(pepper),
            accounts=storage.accounts,
            billing=storage.billing,
            content=storage.content,
            authoring=api.authoring,
            accept=api.accept,
            message_queries=storage.message_queries,
            webhook_endpoints=storage.webhook_endpoints,
            webhook_deliveries=storage.webhook_deliveries,
            limits=api.limits,
            dashboard=ReportDashboard(api.reports, storage.message_queries),
            channels=StoredChannelHealth(storage.channel_health),
            new_webhook_secret=new_webhook_secret,
            check_webhook_url=api.check_webhook_url,
            test_numbers=api.test_numbers,
            routes=route_rows(settings),
            account_changed=api.account_changed,
        )
    )
