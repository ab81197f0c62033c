"""What the HTTP API needs from the rest of the platform, gathered in one object.

The composition root (``parcelsms.bootstrap``) builds an :class:`ApiServices` — every use case
included — and hands it to :func:`parcelsms.api.app.create_app`; the API reaches nothing else
and constructs no use case of its own. Tests build one from a real storage and real use cases
(``tests/support/api_services.py``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from parcelsms.api.authentication import RateDefaults
from parcelsms.pipeline.accept import AcceptMessages
from parcelsms.pipeline.account_limits import AccountLimitsCache
from parcelsms.pipeline.account_security_ports import AccountsAndKeys
from parcelsms.pipeline.billing_ports import BillingAndBalances
from parcelsms.pipeline.channel_health import ChannelHealthStore
from parcelsms.pipeline.content_authoring import ContentAuthoring
from parcelsms.pipeline.content_ports import ContentStore
from parcelsms.pipeline.inbound_ports import EventFeed, InboundStore, RecipientBlockStore
from parcelsms.pipeline.message_ports import MessageQueries
from parcelsms.pipeline.metrics_ports import MetricsText
from parcelsms.pipeline.receipt_ports import ReceiptStore
from parcelsms.pipeline.reports import Reports
from parcelsms.pipeline.route_admin import RouteAdministration
from parcelsms.pipeline.sandbox_numbers import SandboxNumberVerification
from parcelsms.pipeline.shared_request_rate import SharedRequestRate
from parcelsms.pipeline.webhook_ports import WebhookDeliveryLog, WebhookEndpointStore

DEFAULT_MAX_BODY_BYTES = 1_048_576
DEFAULT_AUTH_CACHE_SECONDS = 2.0


def _ignore_account(account_id: str) -> None:
    """The default ``account_changed``: nothing caches account state."""


def _ignore_prices() -> None:
    """The default ``prices_changed``: nothing caches the price list."""


async def _resolve_nothing(url: str) -> None:
    """The default ``check_webhook_host``: host names are not resolved at registration."""


def _nothing_due() -> None:
    """The default ``webhooks_due``: the worker finds redeliveries at its next poll."""


@dataclass(frozen=True, slots=True)
class ApiServices:
    """The dependencies of the HTTP API.

    * ``accounts``, ``billing``, ``content``, ``message_queries``, ``receipts``,
      ``webhook_endpoints``, ``webhook_deliveries``: the storage ports the resources read
      and write (the composition root hands out the storage's rooms).
      ``webhook_endpoints``: the storage ports the resources read and write (the
      composition root hands out the storage's rooms).
    * ``inbound``, ``recipient_blocks``, ``events``: replies, suppression lists and the
      blacklist, and the events feed (``/v1/inbound``, ``/v1/suppressions``,
      ``/admin/v1/blacklist``, ``/v1/events``).
    * ``accept``: the accept use case behind ``POST /v1/messages``, the batch endpoint and
      the preview.
    * ``authoring``: the content use case behind templates, sender IDs and the operator's
      review of both.
    * ``limits``: the per-account limits in force (``GET /v1/limits``; the operator's limit
      routes forget an account's entry on change).
    * ``reports``: the summary reports (``/v1/reports/summary`` and the operator's).
    * ``new_webhook_secret``: makes a fresh ``whsec_`` signing secret.
    * ``check_webhook_url``: raises :class:`~parcelsms.errors.CatalogueError` for a URL that
      must not receive webhooks (scheme, private targets, ...); returns ``None`` otherwise.
      Checks the URL alone: it also runs for every message's ``callback_url``.
    * ``check_webhook_host``: when an endpoint is registered, after ``check_webhook_url``:
      resolves the URL's host name and raises the same way when it points to a refused
      address (see ``adapters.webhooks.target_guard.check_resolved_host``).
    * ``max_body_bytes``: request bodies above this answer 413 ``payload_too_large``; the
      limit is enforced while the body streams in, never after buffering it.
    * ``version``: the platform version shown in ``/openapi.json``.
    * ``auth_cache_seconds``: how long a verified API key and its account's state are reused
      without asking storage again; a revoked key or a suspended account is refused at the
      latest this long after the change. ``0`` disables the cache.
    * ``test_numbers``: the test-number use case (``None``: those routes answer 503).
    * ``prices_changed``: told when the operator API changed the price list (the accept
      step's price book rereads it).
    * ``key_rates``: the request rate of keys without their own.
    * ``shared_key_rates``: the keys' request rates shared by every API process through
      storage (``None``: each process keeps its own buckets).
    * ``account_changed``: told the id of an account the operator API suspended,
      reactivated or verified (the send guard drops its cached state).
    * ``channel_health``: the channels' stored health snapshots (``None``: no channels;
      ``GET /admin/v1/channels`` lists none).
    * ``routes``: the operator's routes (``/admin/v1/routes``, explain) and the senders'
      coverage (``GET /v1/coverage``); ``None``: those answer 503.
    """

    accounts: AccountsAndKeys
    billing: BillingAndBalances
    content: ContentStore
    message_queries: MessageQueries
    receipts: ReceiptStore
    webhook_endpoints: WebhookEndpointStore
    webhook_deliveries: WebhookDeliveryLog
    inbound: InboundStore
    recipient_blocks: RecipientBlockStore
    events: EventFeed
    accept: AcceptMessages
    authoring: ContentAuthoring
    limits: AccountLimitsCache
    reports: Reports
    new_webhook_secret: Callable[[], str]
    check_webhook_url: Callable[[str], None]
    version: str
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    auth_cache_seconds: float = DEFAULT_AUTH_CACHE_SECONDS
    test_numbers: SandboxNumberVerification | None = None
    prices_changed: Callable[[], None] = _ignore_prices
    check_webhook_host: Callable[[str], Awaitable[None]] = _resolve_nothing
    key_rates: RateDefaults = field(default_factory=RateDefaults)
    shared_key_rates: SharedRequestRate | None = None
    account_changed: Callable[[str], None] = _ignore_account
    channel_health: ChannelHealthStore | None = None
    # The operator's routes, explain and coverage (None: those routes answer 503).
    routes: RouteAdministration | None = None
    # Told when a sender asked for a redelivery: the webhook worker looks at once.
    webhooks_due: Callable[[], None] = _nothing_due
    # The bootstrap operator token ([security] admin_token), accepted on /admin/v1 routes
    # besides operator keys (scope admin); None: operator keys only.
    admin_token: str | None = None
    # /metrics (None: no such route); public: without the operator's credentials.
    metrics: MetricsText | None = None
    metrics_public: bool = False
