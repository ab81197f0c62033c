"""Sender ID registrations and per-account message settings.

A registration is one row per (account, value, country) with its review status. Registering
what is already pending or approved returns that row, so a client may retry safely; after a
rejection a new registration starts a new review.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Connection

from parcelsms.adapters.storage.context import StorageContext
from parcelsms.adapters.storage.engine.schema.content_tables import message_settings, sender_ids
from parcelsms.domain.error_catalogue import error
from parcelsms.domain.ids import new_id
from parcelsms.errors import CatalogueError
from parcelsms.pipeline.content_ports import (
    MessageSettings,
    SenderIdKind,
    SenderIdRecord,
    SenderIdStatus,
)


@dataclass(frozen=True, slots=True)
class SenderRegistration:
    account_id: str
    value: str
    kind: SenderIdKind
    country: str


@dataclass(frozen=True, slots=True)
class SenderReview:
    sender_id: str
    approved: bool
    reason: str | None


@dataclass(frozen=True, slots=True)
class SettingsChange:
    account_id: str
    smart_encoding: bool | None
    link_domains: tuple[str, ...] | None
    opt_out_reply: str | None = None


def sender_from_row(row: Any) -> SenderIdRecord:
    return SenderIdRecord(
        id=row.id,
        account_id=row.account_id,
        value=row.value,
        kind=row.kind,
        country=row.country,
        status=row.status,
        reason=row.reason,
        created_at=row.created_at,
        reviewed_at=row.reviewed_at,
    )


class RegisterOperation:
    """See :meth:`SenderIdStore.register_sender_id`."""

    def __init__(self, context: StorageContext) -> None:
        self._context = context

    def __call__(
        self, connection: Connection, items: list[SenderRegistration]
    ) -> list[tuple[SenderIdRecord, bool]]:
        return [self._register(connection, item) for item in items]

    def _register(
        self, connection: Connection, item: SenderRegistration
    ) -> tuple[SenderIdRecord, bool]:
        existing = connection.execute(
            select(sender_ids)
            .where(
                sender_ids.c.account_id == item.account_id,
                sender_ids.c.value == item.value,
                sender_ids.c.country == item.country,
                sender_ids.c.status.in_(("pending_review", "approved")),
            )
            .order_by(sender_ids.c.id)
        ).first()
        if existing is not None:
            return sender_from_row(existing), False
        record = SenderIdRecord(
            id=new_id("sid"),
            account_id=item.account_id,
            value=item.value,
            kind=item.kind,
            country=item.country,
            status="pending_review",
            reason=None,
            created_at=self._context.clock(),
            reviewed_at=None,
        )
        connection.execute(
            sender_ids.insert().values(
                id=record.id,
                account_id=record.account_id,
                value=record.value,
                kind=record.kind,
                country=record.country,
                status=record.status,
                reason=None,
                created_at=record.created_at,
                reviewed_at=None,
            )
        )
        return record, True


class SenderReviewOperation:
    """See :meth:`SenderIdStore.review_sender_id`."""

    def __init__(self, context: StorageContext) -> None:
        self._context = context

    def __call__(
        self, connection: Connection, items: list[SenderReview]
    ) -> Sequence[SenderIdRecord | CatalogueError | None]:
        return [self._review(connection, item) for item in items]

    def _review(
        self, connection: Connection, item: SenderReview
    ) -> SenderIdRecord | CatalogueError | None:
        current = read_any_sender_id(connection, item.sender_id)
        if current is None:
            return None
        if current.status != "pending_review":
            return error(
                "invalid_state",
                f"Sender ID registration {current.id} is {current.status}; only a pending one "
                "can be approved or rejected.",
            )
        connection.execute(
            sender_ids.update()
            .where(sender_ids.c.id == item.sender_id)
            .values(
                status="approved" if item.approved else "rejected",
                reason=item.reason,
                reviewed_at=self._context.clock(),
            )
        )
        return read_any_sender_id(connection, item.sender_id)


def read_sender_ids(connection: Connection, account_id: str) -> list[SenderIdRecord]:
    rows = connection.execute(
        select(sender_ids).where(sender_ids.c.account_id == account_id).order_by(sender_ids.c.id)
    )
    return [sender_from_row(row) for row in rows]


def read_sender_id(
    connection: Connection, account_id: str, sender_id: str
) -> SenderIdRecord | None:
    row = connection.execute(
        select(sender_ids).where(
            sender_ids.c.id == sender_id, sender_ids.c.account_id == account_id
        )
    ).first()
    return None if row is None else sender_from_row(row)


def read_any_sender_id(connection: Connection, sender_id: str) -> SenderIdRecord | None:
    row = connection.execute(select(sender_ids).where(sender_ids.c.id == sender_id)).first()
    return None if row is None else sender_from_row(row)


def read_sender_ids_by_status(
    connection: Connection, status: SenderIdStatus, limit: int
) -> list[SenderIdRecord]:
    rows = connection.execute(
        select(sender_ids)
        .where(sender_ids.c.status == status)
        .order_by(sender_ids.c.id)
        .limit(limit)
    )
    return [sender_from_row(row) for row in rows]


# --- message settings -----------------------------------------------------------------------


def read_message_settings(connection: Connection, account_id: str) -> MessageSettings:
    row = connection.execute(
        select(message_settings).where(message_settings.c.account_id == account_id)
    ).first()
    if row is None:
        return MessageSettings(account_id=account_id)
    return MessageSettings(
        account_id=account_id,
        smart_encoding=bool(row.smart_encoding),
        link_domains=tuple(row.link_domains or ()),
        updated_at=row.updated_at,
        opt_out_reply=row.opt_out_reply,
    )


class SettingsOperation:
    """See :meth:`MessageSettingsStore.set_message_settings`."""

    def __init__(self, context: StorageContext) -> None:
        self._context = context

    def __call__(
        self, connection: Connection, items: list[SettingsChange]
    ) -> list[MessageSettings]:
        return [self._change(connection, item) for item in items]

    def _change(self, connection: Connection, item: SettingsChange) -> MessageSettings:
        current = read_message_settings(connection, item.account_id)
        smart = current.smart_encoding if item.smart_encoding is None else item.smart_encoding
        domains = current.link_domains if item.link_domains is None else item.link_domains
        reply = current.opt_out_reply if item.opt_out_reply is None else item.opt_out_reply
        values = {
            "opt_out_reply": reply or None,
            "smart_encoding": smart,
            "link_domains": list(domains),
            "updated_at": self._context.clock(),
        }
        if current.updated_at is None:
            connection.execute(
                message_settings.insert().values(account_id=item.account_id, **values)
            )
        else:
            connection.execute(
                message_settings.update()
                .where(message_settings.c.account_id == item.account_id)
                .values(**values)
            )
        return read_message_settings(connection, item.account_id)
