"""Report rollups kept in the transactions that change messages, one upsert per key per batch.

A rollup row counts the messages created in one hour for one account, currency, country,
channel, template and status, with their segments, the money charged for them and the
time-to-delivery histogram of the delivered ones (:mod:`parcelsms.domain.report_figures`).
A message is counted in exactly one row: the one of its current status, channel and billing.

A batch function collects the changes of all its messages in a :class:`RollupDeltas` — an
accepted message adds one, a status change moves one from its old row to its new one — the
one of its transaction when the batching writer runs it (:mod:`..engine.deferred_writes`:
the submissions and receipts of a pipeline flush share it, and moves that cancel out write
nothing), and they are written before the commit with :meth:`RollupDeltas.write`: ONE row
of ``report_pending`` holding the transaction's net changes (JSON), committed with the
messages it counts — however many messages and keys moved.

A fold (:func:`fold_pending_rollups`: the pipeline runs one every
:data:`FOLD_INTERVAL` seconds, and every report folds before it reads) deletes the pending
rows and adds their sum to the tables in one transaction (:meth:`RollupDeltas.apply`): one
``INSERT … ON CONFLICT DO UPDATE SET n = n + excluded.n`` row per distinct key into the
hourly table, into the daily one (a row per dimension of the key: country, template,
channel and country, and channel and country over all accounts) and into the hour totals
(account and status, and status over all accounts); and the segments that reached a
carrier into the carrier tables (per hour, country and channel, and per day, template,
country and channel, over all accounts). A move of 500 messages of one account, country and
template from ``queued`` to ``submitted`` is 2 + 8 + 4 + 1 + 1 rows in five statements.

Why a journal: upserted by every transaction, the same few dozen hot rows were rewritten
a few milliseconds apart — on a paced single-message load 12 of the 26 rows written per
message (2026-12-06, ``bench/throughput.py --paced 1000``), and on PostgreSQL rows every
writer locks. Folded every quarter second, a row absorbs a quarter second's changes (a fold
of a second's, some 800 pending rows on that load, held the write lock 5–14 ms; a quarter's
about 2–4 ms). Exactness is kept:
a pending row commits or rolls back with its messages, a fold is one transaction
(``DELETE … RETURNING`` takes exactly the rows it adds, on PostgreSQL too, where ids need
not commit in order), and the reports of a platform never read the tables without folding
first, so a report sees every committed change.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, Final

import msgspec
from sqlalchemy import Table, bindparam, delete
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from parcelsms.adapters.storage.engine.bulk_statements import BulkStatement, insert_statement
from parcelsms.adapters.storage.engine.deferred_writes import collector
from parcelsms.adapters.storage.engine.schema.report_tables import (
    LATENCY_COLUMNS,
    report_carrier_days,
    report_carrier_hours,
    report_daily,
    report_hours,
    report_pending,
    report_rollups,
)
from parcelsms.adapters.storage.messages.message_state_rows import MessageState
from parcelsms.domain.report_figures import LATENCY_BUCKETS, hour_of, latency_bucket
from parcelsms.domain.status import CARRIER_OUTCOMES, MessageStatus

RollupKey = tuple[int, str, str, str, str, str, str]
"""``(hour, account_id, currency, country, channel, template_id, status)``; '' for none."""

KEY_COLUMNS: Final = (
    "hour",
    "account_id",
    "currency",
    "country",
    "channel",
    "template_id",
    "status",
)
COUNT_COLUMNS: Final = ("messages", "segments", "charged_micros", *LATENCY_COLUMNS)
_FIRST_LATENCY: Final = 3  # index of the first latency column in a row of counts
_KEY_LENGTH: Final = len(KEY_COLUMNS)

FOLD_INTERVAL: Final = 0.25
"""Seconds between the pipeline's folds of the pending rollup changes."""


def _count_columns(table: Table) -> tuple[str, ...]:
    """The counts ``table`` keeps (the carrier tables keep segments only)."""
    return tuple(name for name in COUNT_COLUMNS if name in table.c)


def _upsert(table: Table, key_columns: Sequence[str], dialect: str) -> BulkStatement:
    """The upsert into ``table`` on ``dialect``: both spell it ``ON CONFLICT … DO UPDATE``.

    A :class:`BulkStatement` (compiled once, rows as tuples): these upserts run in every
    transaction that changes a status, where SQLAlchemy's per-execution compile-cache
    lookup and dictionary rows were a visible share of the writer's time.
    """
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    counts = _count_columns(table)
    names = (*key_columns, *counts)
    statement = insert(table).values({name: bindparam(name) for name in names})
    upsert = statement.on_conflict_do_update(
        index_elements=list(table.primary_key.columns),
        set_={name: table.c[name] + statement.excluded[name] for name in counts},
    )
    return BulkStatement(upsert, names, {})


_upserts: dict[tuple[str, str], BulkStatement] = {}


def _execute_upsert(
    connection: Connection,
    table: Table,
    key_columns: Sequence[str],
    counts: dict[Any, list[int]],
) -> None:
    """Add ``counts`` (key → a row of :data:`COUNT_COLUMNS`) to ``table``; rows whose counts
    that the table keeps are all zero are left out."""
    kept = _count_columns(table)
    if kept == COUNT_COLUMNS:
        rows = [(*key, *row) for key, row in counts.items() if any(row)]
    else:
        indexes = [COUNT_COLUMNS.index(name) for name in kept]
        rows = []
        for key, row in counts.items():
            values = [row[index] for index in indexes]
            if any(values):
                rows.append((*key, *values))
    if not rows:
        return
    # In key order: two folds on PostgreSQL lock the rows they share in the same order.
    rows.sort()
    cache_key = (table.name, connection.dialect.name)
    upsert = _upserts.get(cache_key)
    if upsert is None:
        upsert = _upserts[cache_key] = _upsert(table, key_columns, connection.dialect.name)
    upsert.execute(connection, rows)


DailyKey = tuple[int, str, str, str, str, str]
"""``(day, account_id, currency, dimension, value, status)``."""
DAILY_COLUMNS: Final = ("day", "account_id", "currency", "dimension", "value", "status")
ALL_ACCOUNTS: Final = "*"
HOURS_COLUMNS: Final = ("hour", "account_id", "currency", "status")


def daily_keys(key: RollupKey) -> tuple[DailyKey, ...]:
    """The daily rows an hourly key counts in: one per dimension, and the all-accounts
    channel and country row."""
    hour, account_id, currency, country, channel, template_id, status = key
    day = hour // 24
    return (
        (day, account_id, currency, "country", country, status),
        (day, account_id, currency, "template", template_id, status),
        (day, account_id, currency, "channel_country", country + channel, status),
        (day, ALL_ACCOUNTS, currency, "channel_country", country + channel, status),
    )


def hours_keys(key: RollupKey) -> tuple[tuple[int, str, str, str], ...]:
    """The ``report_hours`` rows an hourly key counts in: its account's, and all accounts'."""
    return ((key[0], key[1], key[2], key[6]), (key[0], ALL_ACCOUNTS, key[2], key[6]))


REACHED_CARRIER: Final = frozenset({MessageStatus.SUBMITTED, *CARRIER_OUTCOMES})
CARRIER_HOURS_COLUMNS: Final = ("hour", "currency", "country", "channel")
CARRIER_DAYS_COLUMNS: Final = ("day", "currency", "template_id", "country", "channel")


def reached_carrier(status: str, channel: str) -> bool:
    """Whether messages counted with ``status`` on ``channel`` cost the operator their segments
    (submitted or a carrier outcome, on a channel: what channel costs multiply)."""
    return bool(channel) and status in REACHED_CARRIER


def carrier_hours_key(key: RollupKey) -> tuple[tuple[int, str, str, str]]:
    """The ``report_carrier_hours`` row of an hourly key that reached a carrier."""
    hour, _, currency, country, channel, _, _ = key
    return ((hour, currency, country, channel),)


def carrier_days_key(key: RollupKey) -> tuple[tuple[int, str, str, str, str]]:
    """The ``report_carrier_days`` row of an hourly key that reached a carrier."""
    hour, _, currency, country, channel, template_id, _ = key
    return ((hour // 24, currency, template_id, country, channel),)


def _summed(counts: dict[RollupKey, list[int]], slices: Any) -> dict[tuple[Any, ...], list[int]]:
    """``counts`` added up per slice key (``slices(key)`` gives the slice keys of a key)."""
    summed: dict[tuple[Any, ...], list[int]] = {}
    for key, row in counts.items():
        for slice_key in slices(key):
            total = summed.get(slice_key)
            if total is None:
                summed[slice_key] = list(row)
            else:
                for index, count in enumerate(row):
                    total[index] += count
    return summed


def write_carrier_segments(connection: Connection, counts: dict[RollupKey, list[int]]) -> None:
    """Upsert the segments of the hourly ``counts`` (rows of :data:`COUNT_COLUMNS`) that
    reached a carrier into the carrier tables."""
    carried = {key: row for key, row in counts.items() if reached_carrier(key[6], key[4])}
    if not carried:
        return
    hours = _summed(carried, carrier_hours_key)
    _execute_upsert(connection, report_carrier_hours, CARRIER_HOURS_COLUMNS, hours)
    days = _summed(carried, carrier_days_key)
    _execute_upsert(connection, report_carrier_days, CARRIER_DAYS_COLUMNS, days)


def charged(billing: str, price_micros: int) -> int:
    """What a message counts as charged: its price once its billing is settled."""
    return price_micros if billing == "settled" else 0


class RollupDeltas:
    """Rollup changes collected during one batch; :meth:`write` applies them at once."""

    def __init__(self) -> None:
        self._counts: dict[RollupKey, list[int]] = {}

    def __len__(self) -> int:
        return len(self._counts)

    def add(
        self,
        key: RollupKey,
        messages: int,
        segments: int,
        charged_micros: int,
        latency: int | None = None,
    ) -> None:
        """Add (or, with negative numbers, take away) messages to ``key``'s row."""
        counts = self._counts.get(key)
        if counts is None:
            counts = self._counts[key] = [0] * (_FIRST_LATENCY + LATENCY_BUCKETS)
        counts[0] += messages
        counts[1] += segments
        counts[2] += charged_micros
        if latency is not None:
            counts[_FIRST_LATENCY + latency] += messages

    def add_entry(self, entry: Sequence[Any]) -> None:
        """Add an entry of a ``report_pending`` row (:meth:`write`)."""
        key = (entry[0], entry[1], entry[2], entry[3], entry[4], entry[5], entry[6])
        counts = self._counts.get(key)
        if counts is None:
            counts = self._counts[key] = [0] * (_FIRST_LATENCY + LATENCY_BUCKETS)
        counts[0] += entry[7]
        counts[1] += entry[8]
        counts[2] += entry[9]
        for index in range(_KEY_LENGTH + _FIRST_LATENCY, len(entry), 2):
            counts[_FIRST_LATENCY + entry[index]] += entry[index + 1]

    def write(self, connection: Connection) -> int:
        """Record the net changes in the caller's transaction, as one ``report_pending`` row
        (none when they cancel out). Returns the hourly keys changed.

        An entry is the key, messages, segments and money charged, then a pair (bucket,
        messages) per latency bucket that changed: most changes touch no bucket, and a fold
        adds up every entry of :data:`FOLD_INTERVAL` under the write lock.
        """
        entries: list[list[Any]] = []
        for key, row in self._counts.items():
            if not any(row):
                continue
            entry: list[Any] = [*key, row[0], row[1], row[2]]
            for bucket in range(LATENCY_BUCKETS):
                count = row[_FIRST_LATENCY + bucket]
                if count:
                    entry.append(bucket)
                    entry.append(count)
            entries.append(entry)
        self._counts = {}
        if not entries:
            return 0
        _PENDING_INSERT.execute(connection, [(msgspec.json.encode(entries).decode(),)])
        return len(entries)

    def apply(self, connection: Connection) -> int:
        """Upsert every changed key in the caller's transaction: the hourly rows, their
        daily slices, their hour totals and the segments that reached a carrier (three to
        five statements). Returns the hourly rows."""
        counts = {key: row for key, row in self._counts.items() if any(row)}
        self._counts = {}
        if not counts:
            return 0
        _execute_upsert(connection, report_rollups, KEY_COLUMNS, counts)
        _execute_upsert(connection, report_daily, DAILY_COLUMNS, _summed(counts, daily_keys))
        hours = _summed(counts, hours_keys)
        _execute_upsert(connection, report_hours, HOURS_COLUMNS, hours)
        write_carrier_segments(connection, counts)
        return len(counts)


_PENDING_INSERT = insert_statement(report_pending, ("deltas",))


def fold_pending_rollups(connection: Connection) -> int:
    """Add every pending change to the report tables and delete it, in the caller's
    transaction. Returns the hourly rows written (0: nothing was pending)."""
    pending = connection.execute(delete(report_pending).returning(report_pending.c.deltas))
    deltas = RollupDeltas()
    for (text,) in pending:
        for entry in msgspec.json.decode(text):
            deltas.add_entry(entry)
    return deltas.apply(connection)


def count_accepted(
    connection: Connection, columns: Sequence[str], rows: Iterable[Sequence[Any]]
) -> None:
    """Count newly inserted message rows (tuples in the order of ``columns``)."""
    position = {name: index for index, name in enumerate(columns)}
    hour_at = position["created_at"]
    account, currency, country = position["account_id"], position["currency"], position["country"]
    template, status = position["template_id"], position["status"]
    segments, billing, price = position["segments"], position["billing"], position["price_micros"]
    deltas, later = collector(connection, RollupDeltas)
    for row in rows:
        key = (
            hour_of(row[hour_at]),
            row[account],
            row[currency],
            row[country],
            "",
            row[template] or "",
            row[status],
        )
        deltas.add(key, 1, row[segments], charged(row[billing], row[price]))
    if not later:
        deltas.write(connection)


def count_state_changes(connection: Connection, states: Iterable[MessageState]) -> None:
    """Move each changed message from the row it was counted in to the row it is in now.

    Call before the message rows are written: a new ``final_at`` is read from the state's
    pending changes (it gives a delivered message's time to delivery).
    """
    deltas, later = collector(connection, RollupDeltas)
    for state in states:
        now_counted = (state.status, state.channel, state.billing)
        if now_counted == state.counted_as:
            continue
        old_status, old_channel, old_billing = state.counted_as
        hour = hour_of(state.created_at)
        template = state.template_id or ""
        base = (state.account_id, state.currency, state.country)
        deltas.add(
            (hour, *base, old_channel or "", template, old_status),
            -1,
            -state.segments,
            -charged(old_billing, state.price_micros),
        )
        latency = None
        final_at: datetime | None = state.changes.get("final_at")
        # Delivered is final: a message enters the histogram once and never leaves it.
        if state.status == MessageStatus.DELIVERED and final_at is not None:
            latency = latency_bucket(state.created_at, final_at)
        deltas.add(
            (hour, *base, state.channel or "", template, state.status),
            1,
            state.segments,
            charged(state.billing, state.price_micros),
            latency,
        )
        state.counted_as = now_counted
    if not later:
        deltas.write(connection)
