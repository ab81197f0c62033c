"""Console users: create them, check a password, change it, and the sessions of a browser.

Passwords are hashed with argon2id (argon2-cffi's defaults, ~50-150 ms); a log-in with an
unknown e-mail still verifies against a dummy hash so that timing does not tell which
e-mails exist. Session tokens are 32 random bytes; storage keeps their SHA-256 only, so a
stolen database copy opens no browser session.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from parcelsms.domain.error_catalogue import error
from parcelsms.domain.time_zones import check_time_zone
from parcelsms.pipeline.console_user_ports import (
    ACCOUNT_ROLES,
    ConsoleRole,
    ConsoleUser,
    ConsoleUserStore,
    NewConsoleUser,
)

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 1024
DEFAULT_SESSION_LIFETIME = timedelta(hours=12)


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _check_password(password: str, field: str) -> None:
    if not MIN_PASSWORD_LENGTH <= len(password) <= MAX_PASSWORD_LENGTH:
        raise error(
            "weak_password",
            f"The password needs {MIN_PASSWORD_LENGTH} to {MAX_PASSWORD_LENGTH} characters.",
            field=field,
        )


def token_hash(token: str) -> str:
    """What storage keeps of a session token."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class ConsoleUsers:
    """The console's log-in rules on a :class:`ConsoleUserStore`."""

    def __init__(
        self,
        store: ConsoleUserStore,
        *,
        hasher: PasswordHasher | None = None,
        session_lifetime: timedelta = DEFAULT_SESSION_LIFETIME,
        clock: Callable[[], datetime] = _utc_now,
    ) -> None:
        self._store = store
        self._hasher = hasher or PasswordHasher()
        self._dummy_hash = self._hasher.hash(secrets.token_hex(16))
        self.session_lifetime = session_lifetime
        self._clock = clock

    async def add_user(
        self,
        email: str,
        password: str,
        *,
        account_id: str | None,
        role: str,
        time_zone: str | None = None,
    ) -> ConsoleUser:
        """A new user of ``account_id`` with ``role``, or an operator (``account_id`` None,
        role ``operator``). Raises catalogued errors for a taken e-mail, a short password, a
        role that does not fit, an unknown time zone. Without ``time_zone`` the user sees
        times in the account's zone (UTC for operators)."""
        operator = account_id is None
        if (operator and role != "operator") or (not operator and role not in ACCOUNT_ROLES):
            raise error("invalid_console_role", field="role")
        _check_password(password, "password")
        typed_role: ConsoleRole = role  # type: ignore[assignment]  # checked just above
        return await self._store.create_console_user(
            NewConsoleUser(
                email=normalized_email(email),
                account_id=account_id,
                role=typed_role,
                password_hash=self._hasher.hash(password),
                time_zone=None if time_zone is None else check_time_zone(time_zone),
            )
        )

    async def authenticate(self, email: str, password: str) -> ConsoleUser | None:
        """The user when the password is theirs; ``None`` otherwise (whatever the reason)."""
        user = await self._store.find_console_user(normalized_email(email))
        if user is None:
            self._verify(self._dummy_hash, password)
            return None
        return user if self._verify(user.password_hash, password) else None

    async def change_password(self, user: ConsoleUser, current: str, new: str) -> None:
        """Replace the password (``current`` must match); every session of the user ends."""
        if not self._verify(user.password_hash, current):
            raise error("wrong_password", field="current_password")
        _check_password(new, "new_password")
        await self._store.set_console_password(user.id, self._hasher.hash(new))

    async def set_time_zone(self, user: ConsoleUser, time_zone: str | None) -> None:
        """The user's own zone; ``None`` or ``""``: follow the account's from now on."""
        chosen = check_time_zone(time_zone) if time_zone else None
        await self._store.set_console_time_zone(user.id, chosen)

    async def list_users(self, account_id: str | None) -> list[ConsoleUser]:
        return await self._store.list_console_users(account_id)

    async def start_session(self, user: ConsoleUser) -> str:
        """A new session of ``user``: the token its cookie carries."""
        token = secrets.token_urlsafe(32)
        expires_at = self._clock() + self.session_lifetime
        await self._store.start_console_session(user.id, token_hash(token), expires_at)
        return token

    async def resume_session(self, token: str) -> ConsoleUser | None:
        return await self._store.resume_console_session(token_hash(token), self._clock())

    async def end_session(self, token: str) -> None:
        await self._store.end_console_session(token_hash(token))

    def now(self) -> datetime:
        """The clock sessions expire by (pages compare package expiry with it too)."""
        return self._clock()

    def _verify(self, password_hash: str, password: str) -> bool:
        try:
            return self._hasher.verify(password_hash, password)
        except (VerificationError, InvalidHashError):
            return False


def normalized_email(email: str) -> str:
    return email.strip().lower()
