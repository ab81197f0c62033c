"""The port the web console's users and sessions are kept behind.

A console user is a person with an e-mail and a password: a member of one sender account
with a role, or an operator. A session is one signed-in browser; the cookie carries its
token and storage keeps only the token's hash.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal, Protocol

import msgspec

ConsoleRole = Literal["owner", "developer", "viewer", "operator"]
ACCOUNT_ROLES: tuple[ConsoleRole, ...] = ("owner", "developer", "viewer")


class ConsoleUser(msgspec.Struct, frozen=True, kw_only=True):
    """A console user. ``account_id`` is ``None`` exactly when ``role`` is ``operator``.

    ``time_zone``: the IANA zone the user chose for the times the console shows them;
    ``None``: their account's time zone (UTC for operators)."""

    id: str
    email: str
    account_id: str | None
    role: ConsoleRole
    password_hash: str
    time_zone: str | None
    created_at: datetime
    password_changed_at: datetime

    @property
    def is_operator(self) -> bool:
        return self.role == "operator"


class NewConsoleUser(msgspec.Struct, frozen=True, kw_only=True):
    """What creating a user needs (the password already hashed)."""

    email: str
    account_id: str | None
    role: ConsoleRole
    password_hash: str
    time_zone: str | None = None


class ConsoleUserStore(Protocol):
    """Console users and their sessions."""

    async def create_console_user(self, new: NewConsoleUser) -> ConsoleUser:
        """Raises ``CatalogueError`` ``console_user_exists`` when the e-mail is taken."""
        ...

    async def find_console_user(self, email: str) -> ConsoleUser | None:
        """By e-mail (lower-cased by the caller)."""
        ...

    async def list_console_users(self, account_id: str | None) -> list[ConsoleUser]:
        """An account's users, oldest first; ``None``: the operators."""
        ...

    async def set_console_password(self, user_id: str, password_hash: str) -> None:
        """Replace the hash and end every session of the user."""
        ...

    async def set_console_time_zone(self, user_id: str, time_zone: str | None) -> None:
        """The user's own time zone; ``None``: follow the account's."""
        ...

    async def start_console_session(
        self, user_id: str, token_hash: str, expires_at: datetime
    ) -> None: ...

    async def resume_console_session(self, token_hash: str, now: datetime) -> ConsoleUser | None:
        """The session's user, or ``None`` when the session is unknown or expired."""
        ...

    async def end_console_session(self, token_hash: str) -> None: ...
