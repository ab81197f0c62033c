"""The message ports on SQL: the queue of messages, their receipts, and the reads.

The message rows are the queue (:class:`SqlMessageStore`), receipts are matched to the parts
those messages were submitted as (:class:`SqlReceiptStore`), and accounts read their messages
and ledger totals (:class:`SqlMessageQueries`). Each runs its row operations (``*_rows``
modules of this package) through the storage's :class:`SqlRunner`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import datetime, timedelta

from parcelsms.adapters.storage.accounts import account_rows
from parcelsms.adapters.storage.engine.runner import SqlRunner
from parcelsms.adapters.storage.messages import message_query_rows
from parcelsms.adapters.storage.messages.accept_rows import (
    AcceptOperation,
    read_idempotent_request,
)
from parcelsms.adapters.storage.messages.dispatch_rows import (
    ClaimOperation,
    ClaimRequest,
    ExpireOperation,
    ExpireRequest,
    RecoverOperation,
    RecoverRequest,
    SubmissionOperation,
)
from parcelsms.adapters.storage.messages.pending_receipt_rows import (
    PendingSweepOperation,
    ReadingOperation,
    ReadingRequest,
    SweepRequest,
    list_unmatched,
    load_readings,
)
from parcelsms.adapters.storage.messages.receipt_failover_rows import (
    SilenceOperation,
    SilenceRequest,
)
from parcelsms.adapters.storage.messages.receipt_rows import ReceiptOperation
from parcelsms.domain.error_catalogue import error
from parcelsms.domain.receipt_correlation import Reading
from parcelsms.errors import CatalogueError, StorageError
from parcelsms.pipeline.message_ports import (
    Accepted,
    DispatchItem,
    IdempotentRequest,
    LedgerTotals,
    MessageDetail,
    MessageFilter,
    MessagePage,
    NewMessage,
    RecoveryPolicy,
    SubmissionOutcome,
)
from parcelsms.pipeline.receipt_ports import ReceiptCounts, ReceiptRecord, UnmatchedReceipt

_RECOVERY_CHUNK = 1000


class SqlMessageStore:
    """Implements ``MessageStore``: accept, claim, record outcomes, recover, expire; and
    ``SilentAttemptStore``."""

    def __init__(self, runner: SqlRunner) -> None:
        self._runner = runner
        self._writer = runner.writer
        context = runner.context
        self._accept = AcceptOperation(context)
        self._claim = ClaimOperation(context)
        self._submissions = SubmissionOperation(context, ReceiptOperation(context))
        self._recover = RecoverOperation(context)
        self._expire = ExpireOperation(context)
        self._silence = SilenceOperation(context)

    async def accept_messages(self, items: Sequence[NewMessage]) -> list[Accepted | CatalogueError]:
        """See the port. An item the database failed to store answers ``service_unavailable``."""
        outcomes: list[Accepted | CatalogueError | BaseException]
        if len(items) == 1:
            # A single send: its future awaited as it is, where a gather of one would add
            # about 10 µs of CPU and a turn of the event loop to every request.
            try:
                outcomes = [await self._writer.submit(self._accept, items[0])]
            except Exception as problem:  # each outcome is judged below, as gather returns them
                outcomes = [problem]
        else:
            futures = [self._writer.submit(self._accept, item) for item in items]
            outcomes = list(await asyncio.gather(*futures, return_exceptions=True))
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
        return await self._runner.read(read_idempotent_request, account_id, idempotency_key)

    async def claim_for_dispatch(
        self,
        claim_token: str,
        limit: int,
        now: datetime,
        *,
        skip_channels: frozenset[str] = frozenset(),
    ) -> list[DispatchItem]:
        request = ClaimRequest(claim_token, limit, now, skip_channels)
        return await self._writer.run(self._claim, request)

    async def record_submissions(self, outcomes: Sequence[SubmissionOutcome]) -> list[bool]:
        return await self._writer.run_list(self._submissions, outcomes)

    async def recover_claims(
        self,
        new_claim_token: str,
        policy: RecoveryPolicy,
        *,
        live_within: timedelta | None = None,
    ) -> int:
        total = 0
        while True:
            request = RecoverRequest(new_claim_token, policy, _RECOVERY_CHUNK, live_within)
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

    async def fail_over_silent_attempts(self, now: datetime, since: datetime | None) -> int:
        """Implements ``SilentAttemptStore`` (:mod:`parcelsms.pipeline.receipt_failover`)."""
        return await self._writer.run(self._silence, SilenceRequest(now, since))


class SqlReceiptStore:
    """Implements ``ReceiptStore``: apply, keep while waiting, set aside the unmatched."""

    def __init__(self, runner: SqlRunner) -> None:
        self._runner = runner
        self._writer = runner.writer
        self._receipts = ReceiptOperation(runner.context)
        self._sweep = PendingSweepOperation(runner.context, self._receipts)
        self._reading = ReadingOperation(self._receipts)

    async def apply_receipts(self, receipts: Sequence[ReceiptRecord]) -> ReceiptCounts:
        # One queue entry for the receipts a channel read together (one for a lone one).
        outcomes = await self._writer.run_list(self._receipts, receipts)
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
        return await self._runner.read(load_readings)

    async def list_unmatched_receipts(
        self, *, channel: str | None, limit: int, before: str | None
    ) -> list[UnmatchedReceipt]:
        return await self._runner.read(list_unmatched, channel, limit, before)


class SqlMessageQueries:
    """Implements ``MessageQueries``: an account's messages and its ledger totals."""

    def __init__(self, runner: SqlRunner) -> None:
        self._runner = runner
        self._pepper = runner.context.pepper

    async def get_message(self, account_id: str, message_id: str) -> MessageDetail | None:
        return await self._runner.read(
            message_query_rows.read_message, account_id, message_id, self._pepper
        )

    async def get_message_for_operator(self, message_id: str) -> MessageDetail | None:
        return await self._runner.read(
            message_query_rows.read_message, None, message_id, self._pepper
        )

    async def list_messages(
        self,
        account_id: str,
        filters: MessageFilter,
        cursor: str | None = None,
        limit: int = 50,
    ) -> MessagePage:
        return await self._runner.read(
            message_query_rows.read_message_page, account_id, filters, cursor, limit
        )

    async def account_ledger_totals(self, account_id: str) -> LedgerTotals | None:
        return await self._runner.read(account_rows.read_ledger_totals, account_id)
