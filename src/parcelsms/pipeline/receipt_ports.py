"""The receipt port: delivery receipts applied to the parts they name, kept while they wait.

Owned by :mod:`parcelsms.pipeline.receipts` (the correlator); the rules are
:mod:`parcelsms.domain.receipt_correlation`'s. Conventions as in
:mod:`parcelsms.pipeline.message_ports`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Protocol

import msgspec

from parcelsms.domain.receipt_correlation import Reading
from parcelsms.domain.status import MessageStatus


class ReceiptRecord(msgspec.Struct, frozen=True, kw_only=True):
    """A delivery receipt as received on ``channel``, and what is known of its part.

    ``carrier_id`` is the id as the carrier wrote it in the receipt. ``match`` is the exact
    key of the response id it names under the channel's id format (``None`` while the
    format is not known: the receipt waits). ``responded_at_us`` names the submission it
    belongs to by the wire time of its submit_sm_resp when the channel still remembers it;
    ``None`` leaves
    the choice to :func:`parcelsms.domain.receipt_correlation.choose_part`. ``state`` is the
    final status the receipt means, or ``None`` for an intermediate state (ENROUTE, ACCEPTD)
    that changes nothing but the part's raw ``stat``. ``received_at_us`` is the wire time
    of the receipt, on the same clock as ``responded_at_us``.
    """

    channel: str
    carrier_id: str
    state: MessageStatus | None
    stat: str | None
    err: str | None
    raw: str
    received_at: datetime
    received_at_us: int
    match: str | None = None
    responded_at_us: int | None = None


class ReceiptCounts(msgspec.Struct, frozen=True, kw_only=True):
    """What became of a list of receipts.

    ``matched`` found their part (including intermediate states), ``duplicates`` found a
    part that was already final (nothing changed), ``pending`` were stored until their
    submission is recorded.
    """

    matched: int
    duplicates: int
    pending: int


class UnmatchedReceipt(msgspec.Struct, frozen=True, kw_only=True):
    """A receipt that matched no submission within the pending time-to-live."""

    id: str
    channel: str
    carrier_id: str
    stat: str | None
    err: str | None
    raw: str
    received_at: datetime
    moved_at: datetime


class ReceiptStore(Protocol):
    """Receipts: applied to their parts, kept while they wait, set aside when they never match.

    The rules are :mod:`parcelsms.domain.receipt_correlation`'s; see
    :mod:`parcelsms.pipeline.receipts` for who decides what.
    """

    async def apply_receipts(self, receipts: Sequence[ReceiptRecord]) -> ReceiptCounts:
        """Apply receipts to their parts; a message is final once all its parts are
        (:func:`parcelsms.domain.status.combine_part_statuses`). Duplicates change nothing.
        A receipt that cannot be placed yet is stored (never lost) and looked at again when
        a part with its key is recorded, when its early window closes, or when its
        channel's id reading is learned."""
        ...

    async def sweep_pending_receipts(self, now: datetime, pending_ttl: timedelta) -> int:
        """Decide pending receipts whose early window closed; set aside (as unmatched) those
        older than ``pending_ttl``. Returns how many were set aside."""
        ...

    async def record_channel_reading(self, channel: str, reading: Reading, at: datetime) -> None:
        """Remember ``channel``'s id reading and key the receipts that waited for it."""
        ...

    async def channel_readings(self) -> dict[str, Reading]:
        """The id reading learned for each channel."""
        ...

    async def list_unmatched_receipts(
        self, *, channel: str | None, limit: int, before: str | None
    ) -> list[UnmatchedReceipt]:
        """Receipts set aside, newest first; ``before`` is the id of the last one seen."""
        ...
