"""Console users and sessions as rows: the writes (one item at a time inside the writer's
group) and the reads."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import msgspec
from sqlalchemy import delete, select
from sqlalchemy.engine import Connection

from parcelsms.adapters.storage.context import StorageContext
from parcelsms.adapters.storage.engine.schema.console_tables import (
    console_sessions,
    console_users,
)
from parcelsms.domain.error_catalogue import error
from parcelsms.domain.ids import new_id
from parcelsms.errors import CatalogueError
from parcelsms.pipeline.console_user_ports import ConsoleUser, NewConsoleUser


@dataclass(frozen=True, slots=True)
class PasswordChange:
    user_id: str
    password_hash: str


@dataclass(frozen=True, slots=True)
class TimeZoneChange:
    user_id: str
    time_zone: str | None


@dataclass(frozen=True, slots=True)
class SessionStart:
    user_id: str
    token_hash: str
    expires_at: datetime


def _user(row: Any) -> ConsoleUser:
    return ConsoleUser(
        id=row.id,
        email=row.email,
        account_id=row.account_id,
        role=row.role,
        password_hash=row.password_hash,
        # Stored as "" when the user follows the account's zone (the column predates the
        # account time zone and is NOT NULL; migration 0016).
        time_zone=row.time_zone or None,
        created_at=row.created_at,
        password_changed_at=row.password_changed_at,
    )


class ConsoleUserOperations:
    """Bulk functions for console user and session writes."""

    def __init__(self, context: StorageContext) -> None:
        self._context = context

    def create(
        self, connection: Connection, items: list[NewConsoleUser]
    ) -> Sequence[ConsoleUser | CatalogueError]:
        results: list[ConsoleUser | CatalogueError] = []
        for item in items:
            if read_user_by_email(connection, item.email) is not None:
                results.append(
                    error("console_user_exists", f"{item.email} already has a console log-in.")
                )
                continue
            now = self._context.clock()
            user = ConsoleUser(
                id=new_id("cus"),
                email=item.email,
                account_id=item.account_id,
                role=item.role,
                password_hash=item.password_hash,
                time_zone=item.time_zone,
                created_at=now,
                password_changed_at=now,
            )
            connection.execute(
                console_users.insert().values(
                    {**msgspec.structs.asdict(user), "time_zone": user.time_zone or ""}
                )
            )
            results.append(user)
        return results

    def set_password(self, connection: Connection, items: list[PasswordChange]) -> Sequence[None]:
        for item in items:
            connection.execute(
                console_users.update()
                .where(console_users.c.id == item.user_id)
                .values(password_hash=item.password_hash, password_changed_at=self._context.clock())
            )
            # A new password signs out every browser, the attacker's included.
            connection.execute(
                delete(console_sessions).where(console_sessions.c.user_id == item.user_id)
            )
        return [None] * len(items)

    def set_time_zone(self, connection: Connection, items: list[TimeZoneChange]) -> Sequence[None]:
        for item in items:
            connection.execute(
                console_users.update()
                .where(console_users.c.id == item.user_id)
                .values(time_zone=item.time_zone or "")
            )
        return [None] * len(items)

    def start_session(self, connection: Connection, items: list[SessionStart]) -> Sequence[None]:
        now = self._context.clock()
        for item in items:
            # Expired sessions of the user go when a new one starts: the table stays small
            # without a sweeper.
            connection.execute(
                delete(console_sessions).where(
                    console_sessions.c.user_id == item.user_id,
                    console_sessions.c.expires_at <= now,
                )
            )
            connection.execute(
                console_sessions.insert().values(
                    token_hash=item.token_hash,
                    user_id=item.user_id,
                    created_at=now,
                    expires_at=item.expires_at,
                )
            )
        return [None] * len(items)

    def end_session(self, connection: Connection, token_hashes: list[str]) -> Sequence[None]:
        for token_hash in token_hashes:
            connection.execute(
                delete(console_sessions).where(console_sessions.c.token_hash == token_hash)
            )
        return [None] * len(token_hashes)


def read_user_by_email(connection: Connection, email: str) -> ConsoleUser | None:
    row = connection.execute(select(console_users).where(console_users.c.email == email)).first()
    return None if row is None else _user(row)


def read_users(connection: Connection, account_id: str | None) -> list[ConsoleUser]:
    account = (
        console_users.c.account_id.is_(None)
        if account_id is None
        else console_users.c.account_id == account_id
    )
    rows = connection.execute(
        select(console_users).where(account).order_by(console_users.c.created_at)
    )
    return [_user(row) for row in rows]


def read_session_user(connection: Connection, token_hash: str, now: datetime) -> ConsoleUser | None:
    row = connection.execute(
        select(console_users)
        .join(console_sessions, console_sessions.c.user_id == console_users.c.id)
        .where(console_sessions.c.token_hash == token_hash, console_sessions.c.expires_at > now)
    ).first()
    return None if row is None else _user(row)
