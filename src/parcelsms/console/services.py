"""What the console needs from the rest of the platform, gathered in one object.

The composition root (``parcelsms.bootstrap.console_wiring``) builds it from the same storage
ports and use cases it gives the API; the console constructs no use case of its own.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from parcelsms.console.channel_status import ChannelStatusSource, NoChannels
from parcelsms.console.dashboard_data import DashboardData
from parcelsms.pipeline.accept import AcceptMessages
from parcelsms.pipeline.account_limits import AccountLimitsCache
from parcelsms.pipeline.account_security_ports import AccountsAndKeys
from parcelsms.pipeline.billing_ports import BillingAndBalances
from parcelsms.pipeline.console_users import ConsoleUsers
from parcelsms.pipeline.content_authoring import ContentAuthoring
from parcelsms.pipeline.content_ports import ContentStore
from parcelsms.pipeline.message_ports import MessageQueries
from parcelsms.pipeline.sandbox_numbers import SandboxNumberVerification
from parcelsms.pipeline.webhook_ports import WebhookDeliveryLog, WebhookEndpointStore


@dataclass(frozen=True, slots=True)
class RouteRow:
    """One configured route: its countries (``*``: every other) and channels in order."""

    countries: str
    channels: str


def _ignore_account(account_id: str) -> None:
    """The default ``account_changed``: nothing caches account state."""


@dataclass(frozen=True, slots=True)
class ConsoleServices:
    """The console's dependencies.

    * ``users``: console log-ins and sessions.
    * ``session_secret``: signs cookies and form tokens (derived from the pepper by the
      composition root: stable across restarts and processes, never configured twice).
    * ``dashboard``: the dashboard's figures (see :mod:`parcelsms.console.dashboard_data`).
    * ``channels``: the channel page's source (see :mod:`parcelsms.console.channel_status`).
    * the rest: the storage ports and use cases the API also uses.
    """

    users: ConsoleUsers
    session_secret: bytes
    accounts: AccountsAndKeys
    billing: BillingAndBalances
    content: ContentStore
    authoring: ContentAuthoring
    accept: AcceptMessages
    message_queries: MessageQueries
    webhook_endpoints: WebhookEndpointStore
    webhook_deliveries: WebhookDeliveryLog
    limits: AccountLimitsCache
    dashboard: DashboardData
    new_webhook_secret: Callable[[], str]
    check_webhook_url: Callable[[str], None]
    channels: ChannelStatusSource = field(default_factory=NoChannels)
    test_numbers: SandboxNumberVerification | None = None
    routes: tuple[RouteRow, ...] = ()
    account_changed: Callable[[str], None] = _ignore_account
    # Failed log-ins allowed per e-mail and per client address, refilled over 5 minutes.
    login_attempts_per_email: int = 5
    login_attempts_per_address: int = 20
