"""The audit log: one row per action, written in the transaction of the change it records."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Connection

from parcelsms.adapters.storage.engine.id_cursors import decode_id_cursor, encode_id_cursor
from parcelsms.adapters.storage.engine.schema.account_tables import audit_log
from parcelsms.domain.ids import new_id
from parcelsms.pipeline.account_security_ports import Actor, AuditEntry, AuditFilter, AuditPage

MAX_PAGE_SIZE = 500
_ID_PREFIX = "aud"


def write_audit(
    connection: Connection,
    actor: Actor,
    action: str,
    *,
    at: datetime,
    target_type: str,
    target_id: str | None,
    account_id: str | None,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
) -> None:
    """Record ``action`` by ``actor``. Snapshots must hold no secret (callers build them)."""
    connection.execute(
        audit_log.insert().values(
            id=new_id(_ID_PREFIX),
            at=at,
            actor=actor.name[:100],
            actor_key_id=actor.key_id,
            action=action,
            target_type=target_type,
            target_id=target_id,
            account_id=account_id,
            before=before,
            after=after,
            request_id=actor.request_id,
        )
    )


@dataclass(frozen=True, slots=True)
class AuditRecord:
    actor: Actor
    action: str
    target_type: str
    target_id: str | None
    account_id: str | None
    before: dict[str, Any] | None
    after: dict[str, Any] | None


def write_audit_records(
    connection: Connection, items: list[AuditRecord], at: datetime
) -> Sequence[None]:
    """The bulk function behind ``record_audit``."""
    for item in items:
        write_audit(
            connection,
            item.actor,
            item.action,
            at=at,
            target_type=item.target_type,
            target_id=item.target_id,
            account_id=item.account_id,
            before=item.before,
            after=item.after,
        )
    return [None] * len(items)


def read_audit_page(
    connection: Connection, filters: AuditFilter, cursor: str | None, limit: int
) -> AuditPage:
    """Newest first, keyset-paginated by id."""
    limit = max(1, min(limit, MAX_PAGE_SIZE))
    query = select(audit_log).order_by(audit_log.c.id.desc()).limit(limit + 1)
    if cursor is not None:
        query = query.where(audit_log.c.id < decode_id_cursor(cursor, _ID_PREFIX))
    if filters.account_id is not None:
        query = query.where(audit_log.c.account_id == filters.account_id)
    if filters.action is not None:
        query = query.where(audit_log.c.action == filters.action)
    if filters.actor_key_id is not None:
        query = query.where(audit_log.c.actor_key_id == filters.actor_key_id)
    rows = connection.execute(query).all()
    items = tuple(
        AuditEntry(
            id=row.id,
            at=row.at,
            actor=row.actor,
            actor_key_id=row.actor_key_id,
            action=row.action,
            target_type=row.target_type,
            target_id=row.target_id,
            account_id=row.account_id,
            before=row.before,
            after=row.after,
            request_id=row.request_id,
        )
        for row in rows[:limit]
    )
    next_cursor = encode_id_cursor(items[-1].id) if len(rows) > limit else None
    return AuditPage(items=items, next_cursor=next_cursor)
