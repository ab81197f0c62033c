"""The storage port implemented on SQLAlchemy Core (SQLite today).

:func:`open_storage` migrates the database, opens the batching writer on the writer engine
and a reader pool, and returns a :class:`SqlStorage`. Every write goes through the writer
(group commit); reads use the reader pool and never wait for writes (WAL).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Concatenate, ParamSpec, TypeVar

from sqlalchemy.engine import URL, Connection

from parcelsms.adapters.storage import accounts as account_rows
from parcelsms.adapters.storage import outbox as outbox_rows
from parcelsms.adapters.storage import queries
from parcelsms.adapters.storage.accept import AcceptOperation, read_idempotent_request
from parcelsms.adapters.storage.account_security_storage import AccountSecurityStorage
from parcelsms.adapters.storage.batching_writer import BatchingWriter, translate_exception
from parcelsms.adapters.storage.billing_storage import BillingStorage
from parcelsms.adapters.storage.content_storage import ContentStorage
from parcelsms.adapters.storage.context import StorageContext, utc_now
from parcelsms.adapters.storage.database import Database
from parcelsms.adapters.storage.dispatch import (
    ClaimOperation,
    ClaimRequest,
    ExpireOperation,
    ExpireRequest,
    InboundOperation,
    RecoverOperation,
    RecoverRequest,
    SubmissionOperation,
)
from parcelsms.adapters.storage.migrate import migrate
from parcelsms.adapters.storage.receipts import (
    PendingSweepOperation,
    ReadingOperation,
    ReadingRequest,
    ReceiptOperation,
    SweepRequest,
    list_unmatched,
    load_readings,
)
from parcelsms.adapters.storage.sqlite_engine import (
    DEFAULT_SQLITE_SETTINGS,
    SqliteSettings,
    open_sqlite_database,
)
from parcelsms.domain.error_catalogue import error
from parcelsms.domain.receipt_correlation import Reading
from parcelsms.errors import CatalogueError, StorageError
from parcelsms.pipeline.ports import (
    Accepted,
    Account,
    DispatchItem,
    IdempotentRequest,
    InboundMessage,
    LedgerTotals,
    MessageDetail,
    MessageFilter,
    MessagePage,
    NewMessage,
    ReceiptCounts,
    ReceiptRecord,
    RecoveryPolicy,
    SubmissionOutcome,
    UnmatchedReceipt,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookPayloadBuilder,
    WebhookResult,
)

P = ParamSpec("P")
T = TypeVar("T")

_RECOVERY_CHUNK = 1000


class SqlStorage(ContentStorage, AccountSecurityStorage, BillingStorage):
    """Implements :class:`parcelsms.pipeline.ports.Storage`. Create with :func:`open_storage`.

    ``key_cache_seconds``: a verified key's row is cached this long, so authenticating a
    request usually costs no database read; a key revoked through another process is
    refused at the latest after that delay (through this instance: at once). ``0``
    disables the cache.
    """

    def __init__(
        self,
        context: StorageContext,
        database: Database,
        writer: BatchingWriter,
        *,
        key_cache_seconds: float = 10.0,
    ) -> None:
        self._context = context
        self._database = database
        self._writer = writer
        self._closed = False
        self._key_cache_seconds = key_cache_seconds
        self._accounts = account_rows.AccountOperations(context)
        self._init_content(context)
        self._init_account_security(context)
        self._init_billing(context)
        self._accept = AcceptOperation(context)
        self._claim = ClaimOperation(context)
        self._receipts = ReceiptOperation(context)
        self._submissions = SubmissionOperation(context, self._receipts)
        self._sweep = PendingSweepOperation(context, self._receipts)
        self._reading = ReadingOperation(self._receipts)
        self._recover = RecoverOperation(context)
        self._expire = ExpireOperation(context)
        self._inbound = InboundOperation()
        self._endpoints = outbox_rows.EndpointOperation(context)
        self._webhook_claim = outbox_rows.WebhookClaimOperation()
        self._webhook_results = outbox_rows.WebhookResultOperation(context)

    @property
    def writer(self) -> BatchingWriter:
        """The batching writer (its statistics are useful in benchmarks)."""
        return self._writer

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        try:
            await self._writer.close()
        finally:
            await self._database.close()

    async def _read(
        self,
        function: Callable[Concatenate[Connection, P], T],
        *args: P.args,
        **kwargs: P.kwargs,
    ) -> T:
        def work(connection: Connection) -> T:
            return function(connection, *args, **kwargs)

        try:
            return await self._database.read(work)
        except (CatalogueError, StorageError, ValueError):
            raise
        except Exception as exc:
            raise translate_exception(exc) from exc

    # --- accounts and keys -----------------------------------------------------------

    async def get_account(self, account_id: str) -> Account | None:
        return await self._read(account_rows.read_account, account_id)

    async def find_account_by_name(self, name: str) -> Account | None:
        return await self._read(account_rows.read_account_by_name, name)

    async def touch_key_usage(self, key_id: str, at: datetime) -> None:
        await self._writer.run(self._accounts.touch_keys, account_rows.KeyUse(key_id, at))

    # --- webhook endpoints -------------------------------------------------------------

    async def set_webhook_endpoint(self, account_id: str, url: str, secret: str) -> WebhookEndpoint:
        item = outbox_rows.EndpointChange(account_id, url, secret)
        return await self._writer.run(self._endpoints, item)

    async def get_webhook_endpoint(self, account_id: str) -> WebhookEndpoint | None:
        return await self._read(outbox_rows.read_endpoint, account_id)

    # --- messages --------------------------------------------------------------------

    async def accept_messages(self, items: Sequence[NewMessage]) -> list[Accepted | CatalogueError]:
        """See the port. An item the database failed to store answers ``service_unavailable``."""
        futures = [self._writer.submit(self._accept, item) for item in items]
        outcomes = await asyncio.gather(*futures, return_exceptions=True)
        results: list[Accepted | CatalogueError] = []
        for outcome in outcomes:
            if isinstance(outcome, Accepted | CatalogueError):
                results.append(outcome)
            elif isinstance(outcome, StorageError):
                results.append(error("service_unavailable", "The message could not be stored."))
            else:
                raise outcome
        return results

    async def find_idempotent_request(
        self, account_id: str, idempotency_key: str
    ) -> IdempotentRequest | None:
        return await self._read(read_idempotent_request, account_id, idempotency_key)

    async def claim_for_dispatch(
        self, claim_token: str, limit: int, now: datetime
    ) -> list[DispatchItem]:
        return await self._writer.run(self._claim, ClaimRequest(claim_token, limit, now))

    async def record_submissions(self, outcomes: Sequence[SubmissionOutcome]) -> list[bool]:
        return await self._writer.run_list(self._submissions, outcomes)

    async def apply_receipts(self, receipts: Sequence[ReceiptRecord]) -> ReceiptCounts:
        outcomes = await self._writer.run_many(self._receipts, receipts)
        return ReceiptCounts(
            matched=outcomes.count("matched"),
            duplicates=outcomes.count("duplicate"),
            pending=outcomes.count("pending"),
        )

    async def sweep_pending_receipts(self, now: datetime, pending_ttl: timedelta) -> int:
        result = await self._writer.run(self._sweep, SweepRequest(now, pending_ttl))
        return result.unmatched

    async def record_channel_reading(self, channel: str, reading: Reading, at: datetime) -> None:
        await self._writer.run(self._reading, ReadingRequest(channel, reading, at))

    async def channel_readings(self) -> dict[str, Reading]:
        return await self._read(load_readings)

    async def list_unmatched_receipts(
        self, *, channel: str | None, limit: int, before: str | None
    ) -> list[UnmatchedReceipt]:
        return await self._read(list_unmatched, channel, limit, before)

    async def recover_claims(self, new_claim_token: str, policy: RecoveryPolicy) -> int:
        total = 0
        while True:
            request = RecoverRequest(new_claim_token, policy, _RECOVERY_CHUNK)
            count = await self._writer.run(self._recover, request)
            total += count
            if count < _RECOVERY_CHUNK:
                return total

    async def expire_overdue(self, now: datetime, grace: timedelta) -> int:
        total = 0
        while True:
            count = await self._writer.run(self._expire, ExpireRequest(now, grace, _RECOVERY_CHUNK))
            total += count
            if count < _RECOVERY_CHUNK:
                return total

    async def store_inbound(self, messages: Sequence[InboundMessage]) -> list[str]:
        return await self._writer.run_many(self._inbound, messages)

    # --- webhook outbox ----------------------------------------------------------------

    async def claim_due_webhooks(
        self, limit: int, now: datetime, lease_seconds: float
    ) -> list[WebhookDelivery]:
        request = outbox_rows.WebhookClaimRequest(limit, now, lease_seconds)
        return await self._writer.run(self._webhook_claim, request)

    async def record_webhook_results(self, results: Sequence[WebhookResult]) -> None:
        await self._writer.run_list(self._webhook_results, results)

    # --- queries -----------------------------------------------------------------------

    async def get_message(self, account_id: str, message_id: str) -> MessageDetail | None:
        return await self._read(queries.read_message, account_id, message_id, self._context.pepper)

    async def list_messages(
        self,
        account_id: str,
        filters: MessageFilter,
        cursor: str | None = None,
        limit: int = 50,
    ) -> MessagePage:
        return await self._read(queries.read_message_page, account_id, filters, cursor, limit)

    async def account_ledger_totals(self, account_id: str) -> LedgerTotals | None:
        return await self._read(account_rows.read_ledger_totals, account_id)


async def open_storage(
    url: str | URL,
    *,
    payload_builder: WebhookPayloadBuilder,
    pepper: bytes,
    refund_on_reject: bool = False,
    settings: SqliteSettings = DEFAULT_SQLITE_SETTINGS,
    clock: Callable[[], datetime] = utc_now,
    max_batch: int = 1000,
    max_delay: float = 0.0,
    key_cache_seconds: float = 10.0,
    receipt_early_window: timedelta = timedelta(seconds=5),
) -> SqlStorage:
    """Migrate the database at ``url`` and open a storage on it.

    Raises ``ConfigError`` for an unusable URL, ``StorageError`` when the database cannot
    be opened or migrated.
    """
    await migrate(url, settings)
    database = open_sqlite_database(url, settings)
    context = StorageContext(
        payload_builder=payload_builder,
        pepper=pepper,
        refund_on_reject=refund_on_reject,
        receipt_early_window_us=receipt_early_window // timedelta(microseconds=1),
        clock=clock,
    )
    writer = BatchingWriter(database, max_batch=max_batch, max_delay=max_delay)
    return SqlStorage(context, database, writer, key_cache_seconds=key_cache_seconds)
