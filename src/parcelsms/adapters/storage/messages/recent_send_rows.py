"""What each account recently sent each number, read inside the accept transaction.

The accept operation checks every item's :class:`~parcelsms.domain.recipient_rule.RecipientRule`
against the messages already committed — by any process, since this runs under the database's
single write lock — and against the items accepted before it in the same group. On SQLite
the read runs on the driver's cursor, one statement per account with its numbers as one JSON
array (:mod:`..engine.driver_queries`): through Core it cost about 0.6 ms of every accept
transaction, under the machine-wide write lock.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.engine import Connection

from parcelsms.adapters.storage.engine.conditions import in_json_array, pair_in
from parcelsms.adapters.storage.engine.driver_queries import SqliteDriverQuery
from parcelsms.adapters.storage.engine.query_results import run_query
from parcelsms.adapters.storage.engine.schema.column_types import sqlite_datetime, sqlite_text
from parcelsms.adapters.storage.engine.schema.message_tables import messages
from parcelsms.domain.recipient_rule import recipient_refusal
from parcelsms.errors import CatalogueError
from parcelsms.pipeline.message_ports import NewMessage

_COLUMNS = (messages.c.account_id, messages.c.to_e164, messages.c.body, messages.c.created_at)
_SQLITE_RECENT = SqliteDriverQuery(
    select(*_COLUMNS).where(
        messages.c.account_id == bindparam("b_account"),
        in_json_array(messages.c.to_e164, "b_numbers"),
        messages.c.created_at > bindparam("b_since"),
    )
)


class RecentSends:
    """Send times and texts per (account, number) of the items' recipients."""

    def __init__(self, sends: dict[tuple[str, str], list[tuple[float, int]]]) -> None:
        self._sends = sends

    @classmethod
    def load(cls, connection: Connection, items: list[NewMessage], now: datetime) -> RecentSends:
        """One query for every item that carries a rule (none when no item does)."""
        ruled = [item for item in items if item.recipient_rule is not None]
        sends: dict[tuple[str, str], list[tuple[float, int]]] = defaultdict(list)
        if not ruled:
            return cls(sends)
        lookback = max(
            item.recipient_rule.lookback_seconds for item in ruled if item.recipient_rule
        )
        pairs = {(item.account_id, item.to_e164) for item in ruled}
        since = now - timedelta(seconds=lookback)
        rows: Any
        if connection.dialect.name == "sqlite":
            rows = [
                (account_id, number, body, sqlite_datetime(created_at))
                for account_id, number, body, created_at in _SQLITE_RECENT.rows_per_group(
                    connection,
                    pairs,
                    group="b_account",
                    keys="b_numbers",
                    b_since=sqlite_text(since),
                )
            ]
        else:
            rows = run_query(
                connection,
                select(*_COLUMNS)
                .where(pair_in(messages.c.account_id, messages.c.to_e164, pairs))
                .where(messages.c.created_at > since),
            )
        for account_id, number, body, created_at in rows:
            sends[(account_id, number)].append((created_at.timestamp(), hash(body)))
        return cls(sends)

    def refusal(self, item: NewMessage, now: datetime, field: str = "to") -> CatalogueError | None:
        """``rate_limited`` when ``item`` breaks its rule, else ``None``."""
        rule = item.recipient_rule
        if rule is None:
            return None
        sent = self._sends.get((item.account_id, item.to_e164), [])
        return recipient_refusal(
            rule,
            [at for at, _ in sent],
            [(digest, at) for at, digest in sent],
            hash(item.body),
            now.timestamp(),
            field,
        )

    def add(self, item: NewMessage, now: datetime) -> None:
        """Count ``item``, accepted at ``now``, for the items after it."""
        if item.recipient_rule is not None:
            self._sends[(item.account_id, item.to_e164)].append((now.timestamp(), hash(item.body)))
