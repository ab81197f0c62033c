"""Sums that several operations of one transaction add to, written once before its commit.

The batching writer runs several bulk operations in one transaction: a pipeline flush
records submissions and applies receipts together. Some of what they write is a sum over
messages — the report rollups — and each operation used to upsert the same few rows in turn
(five statements per operation and transaction, a twentieth of the pipeline's writer time).
Now an operation adds its share to a collector found with :func:`deferred`; the writer
wraps its transaction in :func:`writing_deferred`, which writes every collector once when
the operations are done, inside the same transaction, so what commits is what it was.

Outside a :func:`writing_deferred` block :func:`deferred` returns ``None`` and the caller
writes at once: an operation run on its own (a CLI command, a test's connection) behaves
as before. Code that must see the sums written mid-transaction (a rollup rebuild) calls
:func:`write_deferred_now` first.

The same goes for rows that no operation of the transaction reads back: the event rows and
webhooks of status changes (:class:`~..messages.transition_rows.TransitionRows`), one insert
each per transaction instead of one per operation. And for rows that a later operation of
the transaction may make unnecessary: a receipt whose submission is not recorded yet is held
(:class:`~..messages.held_receipt_rows.HeldReceipts`); the transaction's submissions take it from
the collector (:func:`existing`), and only what is left is stored as pending.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Protocol, TypeVar

from sqlalchemy.engine import Connection

_SCOPE = "parcelsms_deferred_writes"


class DeferredWrite(Protocol):
    """A collector: what operations added, written in the caller's transaction."""

    def write(self, connection: Connection) -> object: ...


CollectorT = TypeVar("CollectorT", bound=DeferredWrite)


def deferred(connection: Connection, kind: Callable[[], CollectorT]) -> CollectorT | None:
    """This transaction's collector made by ``kind`` (made on first use), or ``None`` when
    ``connection`` is not inside :func:`writing_deferred`: then write at once."""
    scope: dict[object, DeferredWrite] | None = connection.info.get(_SCOPE)
    if scope is None:
        return None
    collector = scope.get(kind)
    if collector is None:
        collector = scope[kind] = kind()
    return collector  # type: ignore[return-value]  # made by ``kind``


def existing(connection: Connection, kind: Callable[[], CollectorT]) -> CollectorT | None:
    """This transaction's collector made by ``kind`` if an operation has used one, without
    making it: for a step that only takes from what others collected."""
    scope: dict[object, DeferredWrite] | None = connection.info.get(_SCOPE)
    if scope is None:
        return None
    return scope.get(kind)  # type: ignore[return-value]  # made by ``kind``


def collector(connection: Connection, kind: Callable[[], CollectorT]) -> tuple[CollectorT, bool]:
    """The collector to add to, and whether it is deferred: this transaction's (``True``,
    written before the commit), or outside :func:`writing_deferred` a new one the caller
    writes itself once it has added (``False``)."""
    found = deferred(connection, kind)
    if found is None:
        return kind(), False
    return found, True


def write_deferred_now(connection: Connection, kind: Callable[[], DeferredWrite]) -> None:
    """Write what was collected for ``kind`` so far (nothing outside a block)."""
    scope: dict[object, DeferredWrite] | None = connection.info.get(_SCOPE)
    if scope is not None and kind in scope:
        scope.pop(kind).write(connection)


@contextmanager
def writing_deferred(connection: Connection) -> Iterator[None]:
    """Collect inside the block; write every collector when it ends without an error (still
    inside the caller's transaction, in the order they were first used); drop them all when
    it raises (the caller rolls back). A nested block belongs to the outer one."""
    if _SCOPE in connection.info:
        yield
        return
    scope: dict[object, DeferredWrite] = {}
    connection.info[_SCOPE] = scope
    try:
        yield
    finally:
        del connection.info[_SCOPE]
    # The scope is closed: a collector's own writes go straight to the database.
    for collector in scope.values():
        collector.write(connection)
