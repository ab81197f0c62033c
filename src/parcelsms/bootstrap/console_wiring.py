"""Wires the web console from the pieces the composition root already built.

The session secret is derived from the pepper (HMAC with a fixed label): every process of
one installation signs and reads the same cookies without a second secret to configure, and
the pepper itself never leaves the key hashing it is for.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Mapping

from starlette.types import ASGIApp

from parcelsms.adapters.channels.smpp_channel import SmppChannel
from parcelsms.adapters.storage import SqlStorage
from parcelsms.api.services import ApiServices
from parcelsms.config import Settings
from parcelsms.console.app import create_console
from parcelsms.console.channel_status import ChannelStatus
from parcelsms.console.dashboard_data import MessageScanDashboard
from parcelsms.console.services import ConsoleServices, RouteRow
from parcelsms.pipeline.console_users import ConsoleUsers


class InProcessChannels:
    """The channel page's source: the SMPP channels of this process.

    HOOK (``channel_health``): replace with a source reading that table once it exists; it
    fills in window use, TPS, error and throttle rates and receipt latency.
    """

    def __init__(self, channels: Mapping[str, SmppChannel]) -> None:
        self._channels = channels

    async def channel_statuses(self) -> list[ChannelStatus]:
        return [
            ChannelStatus(
                name=name,
                available=channel.is_available,
                sessions_bound=sum(1 for client in channel.clients if client.is_bound),
                sessions_total=len(channel.clients),
                receipts=channel.receipts,
                inbound=channel.inbound,
            )
            for name, channel in sorted(self._channels.items())
        ]


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
    channels: Mapping[str, SmppChannel],
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
            webhook_deliveries=storage.webhook_endpoints,
            limits=api.limits,
            # TEMPORARY: the report service's rollups replace the scan (issue 13, reports).
            dashboard=MessageScanDashboard(storage.message_queries),
            channels=InProcessChannels(channels),
            new_webhook_secret=new_webhook_secret,
            check_webhook_url=api.check_webhook_url,
            test_numbers=api.test_numbers,
            routes=route_rows(settings),
            account_changed=api.account_changed,
        )
    )
