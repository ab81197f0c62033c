"""Console log-ins for tests, made with the use case production uses."""

from __future__ import annotations

from typing import Any

from parcelsms.pipeline.console_user_ports import ConsoleUser
from parcelsms.pipeline.console_users import ConsoleUsers

CONSOLE_PASSWORD = "correct horse battery staple"


async def add_console_user(
    storage: Any, email: str, *, account_id: str | None, role: str
) -> ConsoleUser:
    """A console user with :data:`CONSOLE_PASSWORD`."""
    users = ConsoleUsers(storage.console_users)
    return await users.add_user(email, CONSOLE_PASSWORD, account_id=account_id, role=role)
