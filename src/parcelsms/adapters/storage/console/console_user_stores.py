"""The console user port on SQL."""

from __future__ import annotations

from datetime import datetime

from parcelsms.adapters.storage.console import console_user_rows as rows
from parcelsms.adapters.storage.engine.runner import SqlRunner, raised
from parcelsms.pipeline.console_user_ports import ConsoleUser, NewConsoleUser


class SqlConsoleUserStore:
    """Implements ``ConsoleUserStore``."""

    def __init__(self, runner: SqlRunner) -> None:
        self._runner = runner
        self._writer = runner.writer
        self._operations = rows.ConsoleUserOperations(runner.context)

    async def create_console_user(self, new: NewConsoleUser) -> ConsoleUser:
        return raised(await self._writer.run(self._operations.create, new))

    async def find_console_user(self, email: str) -> ConsoleUser | None:
        return await self._runner.read(rows.read_user_by_email, email)

    async def list_console_users(self, account_id: str | None) -> list[ConsoleUser]:
        return await self._runner.read(rows.read_users, account_id)

    async def set_console_password(self, user_id: str, password_hash: str) -> None:
        await self._writer.run(
            self._operations.set_password, rows.PasswordChange(user_id, password_hash)
        )

    async def set_console_time_zone(self, user_id: str, time_zone: str | None) -> None:
        await self._writer.run(
            self._operations.set_time_zone, rows.TimeZoneChange(user_id, time_zone)
        )

    async def start_console_session(
        self, user_id: str, token_hash: str, expires_at: datetime
    ) -> None:
        item = rows.SessionStart(user_id, token_hash, expires_at)
        await self._writer.run(self._operations.start_session, item)

    async def resume_console_session(self, token_hash: str, now: datetime) -> ConsoleUser | None:
        return await self._runner.read(rows.read_session_user, token_hash, now)

    async def end_console_session(self, token_hash: str) -> None:
        await self._writer.run(self._operations.end_session, token_hash)
