"""Receipts waiting for their part: held in the writer's transaction, or stored as pending.

A receipt that :mod:`.receipt_rows` cannot place yet waits. Inside a batching writer's
transaction one with a key is held in memory (:class:`HeldReceipts`), where a submission
recorded later in the same transaction takes it; everything else, and what is still held at
the commit, becomes a ``pending_receipts`` row (:func:`store_pending`).
"""

from __future__ import annotations

from collections.abc import Iterable

import msgspec
from sqlalchemy.engine import Connection

from parcelsms.adapters.storage.engine.deferred_writes import deferred
from parcelsms.adapters.storage.engine.schema.receipt_tables import pending_receipts
from parcelsms.pipeline.receipt_ports import ReceiptRecord


class HeldReceipts:
    """The receipts of one transaction that found no part, held until its commit.

    A receipt often reaches the writer while the response of its submission still waits in
    the writer's queue: the carrier reports delivery within tens of milliseconds of
    answering the submit, and the pipeline's writer gathers up to 50 ms of work into one
    transaction, running its operations in the order they were first queued. Stored as
    pending, such a receipt cost an insert, then a select and a delete when its submission
    was recorded a moment later in the same transaction (about 0.7 per message under
    single-request load, ``bench/throughput.py --mode single``). Held here, the
    transaction's submissions take it in memory
    (:meth:`.receipt_rows.ReceiptOperation.apply_for_parts`), at the same point of the
    transaction where they used to read it back. What no submission took is stored as
    pending when the transaction's deferred rows are written (:mod:`..engine.deferred_writes`),
    before the commit.

    Only receipts with a key are held. One still waiting for its channel's id reading must
    be a ``pending_receipts`` row when a reading queued after it keys the waiting rows
    (:class:`.pending_receipt_rows.ReadingOperation`).
    """

    def __init__(self) -> None:
        self._receipts: list[ReceiptRecord] = []

    def hold(self, receipts: Iterable[ReceiptRecord]) -> None:
        """Hold ``receipts`` (with their keys) until a part is recorded or the commit."""
        self._receipts.extend(receipts)

    def take(self, pairs: set[tuple[str, str]]) -> list[ReceiptRecord]:
        """Remove and return the held receipts whose ``(channel, key)`` is in ``pairs``,
        in the order they were held."""
        taken: list[ReceiptRecord] = []
        kept: list[ReceiptRecord] = []
        for receipt in self._receipts:
            if (receipt.channel, receipt.match) in pairs:
                taken.append(receipt)
            else:
                kept.append(receipt)
        if taken:
            self._receipts = kept
        return taken

    def write(self, connection: Connection) -> None:
        """Store what is still held as pending receipts."""
        if self._receipts:
            store_pending(connection, self._receipts)
            self._receipts = []


def keep_waiting(connection: Connection, waiting: list[ReceiptRecord]) -> None:
    """Hold the keyed receipts in the transaction (:class:`HeldReceipts`), when a batching
    writer runs it; store the others, and every one outside such a transaction, now."""
    held = deferred(connection, HeldReceipts)
    if held is not None:
        held.hold(receipt for receipt in waiting if receipt.match is not None)
        waiting = [receipt for receipt in waiting if receipt.match is None]
    if waiting:
        store_pending(connection, waiting)


def store_pending(connection: Connection, receipts: list[ReceiptRecord]) -> None:
    """Insert ``receipts`` as ``pending_receipts`` rows, each with its key when it has one."""
    connection.execute(
        pending_receipts.insert(),
        [
            {
                "channel": receipt.channel,
                "carrier_id": receipt.carrier_id,
                "match_key": receipt.match,
                "responded_at_us": receipt.responded_at_us,
                "received_at": receipt.received_at,
                "received_at_us": receipt.received_at_us,
                "checked": False,
                "payload": msgspec.to_builtins(receipt),
            }
            for receipt in receipts
        ],
    )
