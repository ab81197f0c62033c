"""Refusing sends to numbers that opted out or that the operator blacklisted.

The accept step asks once per batch (:meth:`RecipientBlocks.refusals`): one indexed lookup of
the account's suppression list and the global blacklist for all the batch's numbers, instead
of one per message, since accepting is the platform's hottest path. A refused item is a
catalogued error on that item alone (``recipient_opted_out`` / ``recipient_blacklisted``,
field ``to``); it is never stored or charged, and is counted per account and UTC day
(:meth:`RecipientBlocks.count`) for the reports.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from parcelsms.domain.error_catalogue import error
from parcelsms.errors import CatalogueError
from parcelsms.pipeline.inbound_ports import BlockReason, RecipientBlockStore

_MESSAGES: dict[BlockReason, str] = {
    "recipient_opted_out": "The recipient opted out of this account's messages.",
    "recipient_blacklisted": "The operator has blocked this number.",
}


class RecipientBlocks:
    """Which recipients of a batch may not be texted, and the count of refusals."""

    def __init__(
        self, store: RecipientBlockStore, *, clock: Callable[[], datetime] | None = None
    ) -> None:
        self._store = store
        self._clock = clock or (lambda: datetime.now(UTC))

    async def refusals(self, account_id: str, numbers: Sequence[str]) -> dict[str, BlockReason]:
        """The numbers among ``numbers`` (E.164) the account may not text, with the reason."""
        if not numbers:
            return {}
        return await self._store.blocked_recipients(account_id, sorted(set(numbers)))

    @staticmethod
    def refusal(reason: BlockReason, field_prefix: str) -> CatalogueError:
        """The catalogued error of a refused item."""
        return error(reason, _MESSAGES[reason], field=f"{field_prefix}to")

    async def count(self, account_id: str, reasons: Sequence[BlockReason]) -> None:
        """Count refused sends for the reports (per account, UTC day and reason)."""
        if reasons:
            day = self._clock().astimezone(UTC).date().isoformat()
            await self._store.count_refusals(account_id, day, Counter(reasons))
