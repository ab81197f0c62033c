"""What each account recently sent each number, read inside the accept transaction.

The accept operation checks every item's :class:`~parcelsms.domain.recipient_rule.RecipientRule`
against the messages already committed — by any process, since this runs under the database's
single write lock — and against the items accepted before it in the same group.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.engine import Connection

from parcelsms.adapters.storage.engine.conditions import pair_in
from parcelsms.adapters.storage.engine.schema.message_tables import messages
from parcelsms.domain.recipient_rule import recipient_refusal
from parcelsms.errors import CatalogueError
from parcelsms.pipeline.message_ports import NewMessage


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
        rows = connection.execute(
            select(
                messages.c.account_id, messages.c.to_e164, messages.c.body, messages.c.created_at
            )
            .where(pair_in(messages.c.account_id, messages.c.to_e164, pairs))
            .where(messages.c.created_at > now - timedelta(seconds=lookback))
        )
        for row in rows:
            sends[(row.account_id, row.to_e164)].append(
                (row.created_at.timestamp(), hash(row.body))
            )
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
