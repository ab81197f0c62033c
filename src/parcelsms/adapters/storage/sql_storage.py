"""The storage ports implemented on SQLAlchemy Core (SQLite or PostgreSQL), room by room.

:func:`open_storage` migrates the database, opens the batching writer on the writer engine
and a reader pool, and returns a :class:`SqlStorage`: a small holder of one object per port,
which the composition root hands out piece by piece (``storage.messages`` to the use cases
that accept and dispatch, ``storage.billing`` to the ones that price, ...). Every write goes
through the one writer (group commit); reads use the reader pool and never wait for writes
(WAL).

Rooms (sub-packages): ``engine`` (connections, writer, schema, migrations), ``messages``,
``accounts``, ``billing``, ``content``, ``webhooks``, ``channels``, ``inbound`` (replies,
suppressions and the blacklist, the events feed), ``reports``. In each, ``*_rows`` modules hold
the row operations and ``*_stores`` the classes that implement the ports with them.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy.engine import URL

from parcelsms.adapters.storage.accounts.account_stores import SqlAccountStore
from parcelsms.adapters.storage.billing.billing_stores import SqlBillingStore
from parcelsms.adapters.storage.channels.channel_health_stores import SqlChannelHealthStore
from parcelsms.adapters.storage.channels.route_stores import SqlRouteStore
from parcelsms.adapters.storage.cluster.lease_stores import SqlLeaseStore
from parcelsms.adapters.storage.console.console_user_stores import SqlConsoleUserStore
from parcelsms.adapters.storage.content.content_stores import SqlContentStore
from parcelsms.adapters.storage.context import StorageContext, utc_now
from parcelsms.adapters.storage.engine.backends import open_database
from parcelsms.adapters.storage.engine.batching_writer import BatchingWriter
from parcelsms.adapters.storage.engine.migrate import migrate
from parcelsms.adapters.storage.engine.runner import SqlRunner
from parcelsms.adapters.storage.engine.sqlite_engine import (
    DEFAULT_SQLITE_SETTINGS,
    SqliteSettings,
)
from parcelsms.adapters.storage.inbound.inbound_stores import (
    SqlEventFeed,
    SqlInboundStore,
    SqlRecipientBlockStore,
)
from parcelsms.adapters.storage.messages.message_stores import (
    SqlMessageQueries,
    SqlMessageStore,
    SqlReceiptStore,
)
from parcelsms.adapters.storage.reports.report_stores import SqlReportStore
from parcelsms.adapters.storage.webhooks.webhook_stores import (
    SqlWebhookDeliveryLog,
    SqlWebhookEndpointStore,
    SqlWebhookOutbox,
)
from parcelsms.domain.receipt_failover import ReceiptFailoverPolicies
from parcelsms.pipeline.webhook_ports import WebhookPolicy


class SqlStorage:
    """One object per storage port, sharing one writer and one reader pool.

    Create with :func:`open_storage`. Keys are read afresh each time (the one key cache
    is the API's).
    """

    def __init__(self, runner: SqlRunner) -> None:
        self._runner = runner
        self._closed = False
        self.messages = SqlMessageStore(runner)
        self.receipts = SqlReceiptStore(runner)
        self.message_queries = SqlMessageQueries(runner)
        self.accounts = SqlAccountStore(runner)
        self.billing = SqlBillingStore(runner)
        self.content = SqlContentStore(runner)
        self.webhook_endpoints = SqlWebhookEndpointStore(runner)
        self.webhook_outbox = SqlWebhookOutbox(runner)
        self.channel_health = SqlChannelHealthStore(runner)
        self.routes = SqlRouteStore(runner)
        self.webhook_deliveries = SqlWebhookDeliveryLog(runner)
        self.console_users = SqlConsoleUserStore(runner)
        self.inbound = SqlInboundStore(runner)
        self.recipient_blocks = SqlRecipientBlockStore(runner)
        self.events = SqlEventFeed(runner)
        self.reports = SqlReportStore(runner)
        self.leases = SqlLeaseStore(runner)

    @property
    def writer(self) -> BatchingWriter:
        """The batching writer (its statistics are useful in benchmarks)."""
        return self._runner.writer

    async def close(self) -> None:
        """Drain pending writes and release connections; a second call does nothing."""
        if self._closed:
            return
        self._closed = True
        await self._runner.close()


async def open_storage(
    url: str | URL,
    *,
    webhook_policy: WebhookPolicy,
    pepper: bytes,
    refund_on_reject: bool = False,
    settings: SqliteSettings = DEFAULT_SQLITE_SETTINGS,
    clock: Callable[[], datetime] = utc_now,
    max_batch: int = 1000,
    max_delay: float = 0.0,
    min_flush_interval: float = 0.0,
    receipt_early_window: timedelta = timedelta(seconds=5),
    receipt_failover: ReceiptFailoverPolicies | None = None,
) -> SqlStorage:
    """Migrate the database at ``url`` and open a storage on it.

    ``webhook_policy`` decides which status changes write which webhook outbox rows (the
    storage writes them in the transaction of the change). ``min_flush_interval``: the
    writer's ``min_interval`` (:class:`~.engine.batching_writer.BatchingWriter`).

    Raises ``ConfigError`` for an unusable URL, ``StorageError`` when the database cannot
    be opened or migrated.
    """
    await migrate(url, settings)
    database = open_database(url, settings)
    context = StorageContext(
        webhook_policy=webhook_policy,
        pepper=pepper,
        refund_on_reject=refund_on_reject,
        receipt_early_window_us=receipt_early_window // timedelta(microseconds=1),
        clock=clock,
        receipt_failover=receipt_failover or ReceiptFailoverPolicies(),
    )
    writer = BatchingWriter(
        database, max_batch=max_batch, max_delay=max_delay, min_interval=min_flush_interval
    )
    return SqlStorage(SqlRunner(context, database, writer))
