"""The reply, recipient-block and events-feed ports implemented with the rows of this room."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from parcelsms.adapters.storage.engine.runner import SqlRunner
from parcelsms.adapters.storage.inbound import recipient_block_rows as block_rows
from parcelsms.adapters.storage.inbound.event_feed_rows import read_feed_page
from parcelsms.adapters.storage.inbound.reply_rows import (
    StoreRepliesOperation,
    read_reply_page,
    read_unmatched_page,
)
from parcelsms.pipeline.inbound_ports import (
    BlacklistEntry,
    BlockReason,
    FeedPage,
    InboundFilter,
    InboundPage,
    InboundReply,
    ReplyToStore,
    Suppression,
    SuppressionSource,
)


class SqlInboundStore:
    """Implements ``InboundStore``."""

    def __init__(self, runner: SqlRunner) -> None:
        self._runner = runner
        self._store = StoreRepliesOperation()

    async def store_replies(self, replies: Sequence[ReplyToStore]) -> list[InboundReply]:
        return await self._runner.writer.run_many(self._store, replies)

    async def list_replies(
        self, account_id: str, filters: InboundFilter, cursor: str | None, limit: int
    ) -> InboundPage:
        return await self._runner.read(read_reply_page, account_id, filters, cursor, limit)

    async def list_unmatched_replies(self, cursor: str | None, limit: int) -> InboundPage:
        return await self._runner.read(read_unmatched_page, cursor, limit)


class SqlRecipientBlockStore:
    """Implements ``RecipientBlockStore``."""

    def __init__(self, runner: SqlRunner) -> None:
        self._runner = runner

    async def blocked_recipients(
        self, account_id: str, numbers: Sequence[str]
    ) -> dict[str, BlockReason]:
        return await self._runner.read(block_rows.read_blocked_recipients, account_id, numbers)

    async def count_refusals(self, account_id: str, day: str, counts: Mapping[str, int]) -> None:
        await self._runner.write(block_rows.add_refusal_counts, account_id, day, dict(counts))

    async def refusal_counts(self, account_id: str, since_day: str) -> dict[str, int]:
        return await self._runner.read(block_rows.read_refusal_counts, account_id, since_day)

    async def list_suppressions(
        self, account_id: str, cursor: str | None, limit: int
    ) -> tuple[list[Suppression], str | None]:
        return await self._runner.read(block_rows.read_suppression_page, account_id, cursor, limit)

    async def add_suppressions(
        self, account_id: str, numbers: Sequence[str], source: SuppressionSource, at: datetime
    ) -> list[bool]:
        return await self._runner.write(
            block_rows.add_suppressions, account_id, list(numbers), source, at
        )

    async def remove_suppression(self, account_id: str, number: str) -> bool:
        return await self._runner.write(block_rows.remove_suppression, account_id, number)

    async def list_blacklist(
        self, cursor: str | None, limit: int
    ) -> tuple[list[BlacklistEntry], str | None]:
        return await self._runner.read(block_rows.read_blacklist_page, cursor, limit)

    async def add_to_blacklist(self, number: str, note: str | None, at: datetime) -> bool:
        return await self._runner.write(block_rows.add_to_blacklist, number, note, at)

    async def remove_from_blacklist(self, number: str) -> bool:
        return await self._runner.write(block_rows.remove_from_blacklist, number)


class SqlEventFeed:
    """Implements ``EventFeed``."""

    def __init__(self, runner: SqlRunner) -> None:
        self._runner = runner

    async def read_events(self, account_id: str, after: str | None, limit: int) -> FeedPage:
        return await self._runner.read(read_feed_page, account_id, after, limit)
