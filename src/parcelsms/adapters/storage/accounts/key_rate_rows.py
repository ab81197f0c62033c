"""The API keys' shared token buckets: API processes take slices of requests from them.

One row per key (``key_rate_buckets``): the tokens left and when. :func:`take_key_tokens`
runs in a writer transaction (so the read-then-write is atomic across processes and
machines: SQLite's one writer, PostgreSQL's advisory lock), refills each key's bucket to the
storage clock and grants each request its slice in arrival order — two statements for a group
of any size. The time is the storage's wall clock: every process and machine refills the one
bucket, so their clocks must agree (NTP); a clock behind the row refills nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from parcelsms.adapters.storage.context import StorageContext
from parcelsms.adapters.storage.engine.schema.shared_limit_tables import key_rate_buckets
from parcelsms.domain.request_rate import TokenGrant, take_tokens


@dataclass(frozen=True, slots=True)
class TokenRequest:
    """Up to ``want`` tokens of ``key_id``'s bucket (``rate`` per second, ``burst`` deep)."""

    key_id: str
    want: int
    rate: float
    burst: int


class KeyRateOperations:
    """The bulk function behind :meth:`SqlAccountStore.take_key_tokens`."""

    def __init__(self, context: StorageContext) -> None:
        self._context = context

    def take_key_tokens(
        self, connection: Connection, items: list[TokenRequest]
    ) -> Sequence[TokenGrant]:
        now = self._context.clock().timestamp()
        keys = sorted({item.key_id for item in items})
        # A new key's bucket starts full, as if it had been idle forever.
        buckets: dict[str, tuple[float, float]] = {key: (float("inf"), now) for key in keys}
        for row in connection.execute(
            select(key_rate_buckets).where(key_rate_buckets.c.key_id.in_(keys))
        ):
            buckets[row.key_id] = (row.tokens, row.updated_at)
        grants: list[TokenGrant] = []
        for item in items:
            tokens, updated = buckets[item.key_id]
            grant, left = take_tokens(tokens, updated, now, item.rate, item.burst, item.want)
            buckets[item.key_id] = (left, max(updated, now))
            grants.append(grant)
        insert = postgresql.insert if connection.dialect.name == "postgresql" else sqlite.insert
        statement = insert(key_rate_buckets)
        connection.execute(
            statement.on_conflict_do_update(
                index_elements=[key_rate_buckets.c.key_id],
                set_={
                    "tokens": statement.excluded.tokens,
                    "updated_at": statement.excluded.updated_at,
                },
            ),
            [
                {"key_id": key, "tokens": tokens, "updated_at": updated}
                for key, (tokens, updated) in buckets.items()
            ],
        )
        return grants
