"""Backups that are tested: ``parcelsms backup`` while the platform accepts messages, then a
new platform started on the restored copy — the API key still works, every message in the
copy is there and moves on, the ledger adds up, nothing is billed twice.

SQLite: the online copy (``VACUUM INTO``) and ``parcelsms restore``. PostgreSQL: the same
command runs ``pg_dump``; the dump is restored with ``pg_restore`` into an empty database of
the throwaway cluster, as docs/deployment.md tells an operator to."""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import sqlite3
import stat
import sys
from collections.abc import Awaitable, Callable
from decimal import Decimal
from pathlib import Path

import aiohttp
import pytest
from database_peek import peek
from ledger_audit import double_billed_messages, unbalanced_accounts
from platform_process import ServeProcess, message_statuses, mobile_numbers, start_serve

from parcelsms.adapters.storage.engine.backups import check_sqlite_copy

pytestmark = [pytest.mark.slow, pytest.mark.timeout(240)]

CONFIG = """
[server]
host = "127.0.0.1"
port = 0

[database]
url = "{url}"

[prices]
default = "0.01"

[logging]
level = "warning"
{extra}
"""
PEPPER = "backup-test-pepper-0123456789abcdef"
PARAMS = {"shop": "Acme", "tracking_number": "1Z999AA1", "carrier": "DHL", "eta": "2 Dec"}
SENT = {"submitted", "delivered", "undelivered", "expired", "rejected", "failed"}


async def _cli(config: Path, *args: str) -> tuple[int, str]:
    """``parcelsms ARGS --config CONFIG`` as its own process, in the configuration's directory
    (as serve runs): (exit status, stdout and stderr)."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "parcelsms.cli.main",
        *args,
        "--config",
        str(config),
        cwd=config.parent,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await process.communicate()
    return process.returncode or 0, output.decode()


async def _send(
    session: aiohttp.ClientSession, serve: ServeProcess, numbers: list[str]
) -> set[str]:
    payload = {
        "template": "shipped",
        "language": "en",
        "messages": [{"to": number, "params": PARAMS} for number in numbers],
    }
    async with session.post(
        f"{serve.base_url}/v1/messages/batch",
        json=payload,
        headers={"Authorization": f"Bearer {serve.api_key}"},
    ) as response:
        assert response.status == 200, await response.text()
        body = await response.json()
    assert body["rejected"] == 0, body
    return {result["message"]["id"] for result in body["results"]}


async def _backup_while_accepting(
    serve: ServeProcess, backup: Callable[[], Awaitable[None]]
) -> set[str]:
    """Send batches before, during and after ``backup()``; the ids the API accepted."""
    numbers = mobile_numbers("ES", 1000) + mobile_numbers("US", 1000)
    batches = [numbers[start : start + 20] for start in range(0, len(numbers), 20)]
    accepted: set[str] = set()
    async with aiohttp.ClientSession() as session:
        for batch in batches[:10]:
            accepted |= await _send(session, serve, batch)
        backed_up = asyncio.Event()
        after_backup = 0

        async def keep_sending() -> None:
            nonlocal after_backup
            for batch in batches[10:]:
                accepted.update(await _send(session, serve, batch))
                if backed_up.is_set():
                    after_backup += 1
                    if after_backup >= 2:
                        return
                await asyncio.sleep(0.05)  # a steady trickle, not a race to the end

        sending = asyncio.create_task(keep_sending())
        await backup()
        backed_up.set()
        await sending
    assert after_backup >= 1, "the platform must go on accepting after the backup"
    return accepted


async def _check_restored_platform(serve: ServeProcess, copied: set[str]) -> Decimal:
    """The demo key works, the platform lists exactly the copied messages and sends those
    the copy holds unsent; returns the available balance it shows at the end.

    A message the copy holds as ``submitted`` stays so: its receipt went to the platform
    the copy was taken from (a point-in-time copy cannot hold what came after it), and it
    ends ``expired`` at its validity, settled by the rules of docs/billing.md."""
    async with aiohttp.ClientSession() as session:
        deadline = asyncio.get_running_loop().time() + 90
        while True:
            statuses = await message_statuses(session, serve)
            pending = [i for i in copied if statuses.get(i) not in SENT]
            if not pending or asyncio.get_running_loop().time() > deadline:
                break
            await asyncio.sleep(0.3)
        async with session.get(
            f"{serve.base_url}/v1/balance", headers={"Authorization": f"Bearer {serve.api_key}"}
        ) as response:
            assert response.status == 200, await response.text()
            balance = await response.json()
    assert set(statuses) == copied
    assert pending == [], [statuses.get(i) for i in pending]
    return Decimal(balance["available"])


async def test_a_backup_taken_while_sending_restores_into_a_working_platform(
    tmp_path: Path,
) -> None:
    live, restored = tmp_path / "live", tmp_path / "restored"
    live.mkdir()
    restored.mkdir()
    for directory in (live, restored):
        (directory / "parcelsms.toml").write_text(
            CONFIG.format(url="sqlite:///./parcelsms.db", extra="")
        )
    copy = tmp_path / "backups" / "parcelsms-copy.db"
    copy.parent.mkdir()
    serve = await start_serve(live / "parcelsms.toml", "--api-workers", "2", demo=True)
    api_key = serve.api_key
    try:

        async def backup() -> None:
            status, output = await _cli(live / "parcelsms.toml", "backup", str(copy))
            assert status == 0, output
            assert "checked" in output, output
            assert "parcelsms.pepper" in output, output

        accepted = await _backup_while_accepting(serve, backup)
        refused, output = await _cli(live / "parcelsms.toml", "restore", str(copy))
        assert refused != 0
        assert "stop the platform" in output
    finally:
        await serve.stop()
    assert serve.error_lines() == []

    assert stat.S_IMODE(copy.stat().st_mode) == 0o600
    assert check_sqlite_copy(copy).integrity == "ok"
    with contextlib.closing(sqlite3.connect(copy)) as database:
        copied = {row[0] for row in database.execute("SELECT id FROM messages")}
        assert double_billed_messages(database) == []
        assert unbalanced_accounts(database) == []
    assert 200 <= len(copied) < len(accepted)
    assert copied <= accepted

    # What an operator restores: the database copy, and the pepper kept apart from it.
    shutil.copy2(live / "parcelsms.pepper", restored / "parcelsms.pepper")
    status, output = await _cli(restored / "parcelsms.toml", "restore", str(copy))
    assert status == 0, output
    second = await start_serve(restored / "parcelsms.toml")
    second.api_key = api_key
    try:
        shown = await _check_restored_platform(second, copied)
    finally:
        await second.stop()
    assert second.error_lines() == []
    with contextlib.closing(sqlite3.connect(restored / "parcelsms.db")) as database:
        assert database.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert double_billed_messages(database) == []
        assert unbalanced_accounts(database) == []
        stored = database.execute(
            "SELECT balance_micros FROM accounts WHERE name = 'demo'"
        ).fetchone()[0]
    assert shown * 1_000_000 == stored


@pytest.mark.postgres
async def test_a_pg_dump_taken_while_sending_restores_into_a_working_platform(
    tmp_path: Path, postgres_database_url: str, empty_postgres_database_url: str
) -> None:
    pg_restore = shutil.which("pg_restore")
    if pg_restore is None or shutil.which("pg_dump") is None:
        pytest.skip("pg_dump/pg_restore are not on PATH")
    extra = f'[security]\npepper = "{PEPPER}"\n'
    live, restored = tmp_path / "live", tmp_path / "restored"
    for directory, url in ((live, postgres_database_url), (restored, empty_postgres_database_url)):
        directory.mkdir()
        (directory / "parcelsms.toml").write_text(CONFIG.format(url=url, extra=extra))
    dump = tmp_path / "parcelsms.pgdump"
    serve = await start_serve(live / "parcelsms.toml", "--api-workers", "2", demo=True)
    api_key = serve.api_key
    try:

        async def backup() -> None:
            status, output = await _cli(live / "parcelsms.toml", "backup", str(dump))
            assert status == 0, output
            assert "[security] pepper" in output, output

        accepted = await _backup_while_accepting(serve, backup)
    finally:
        await serve.stop()
    assert serve.error_lines() == []
    assert stat.S_IMODE(dump.stat().st_mode) == 0o600

    target = empty_postgres_database_url.replace("postgresql+psycopg://", "postgresql://", 1)
    restoring = await asyncio.create_subprocess_exec(
        pg_restore, "--no-owner", "--exit-on-error", f"--dbname={target}", str(dump)
    )
    assert await restoring.wait() == 0
    with peek(empty_postgres_database_url) as database:
        copied = {row[0] for row in database.execute("SELECT id FROM messages").fetchall()}
    assert 200 <= len(copied) < len(accepted)
    assert copied <= accepted

    second = await start_serve(restored / "parcelsms.toml")
    second.api_key = api_key
    try:
        shown = await _check_restored_platform(second, copied)
    finally:
        await second.stop()
    assert second.error_lines() == []
    with peek(empty_postgres_database_url) as database:
        assert double_billed_messages(database) == []  # type: ignore[arg-type]
        assert unbalanced_accounts(database) == []  # type: ignore[arg-type]
        stored = database.execute(
            "SELECT balance_micros FROM accounts WHERE name = 'demo'"
        ).fetchone()[0]
    assert shown * 1_000_000 == stored
