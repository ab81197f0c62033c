"""``parcelsms reports rebuild`` recomputes lost or damaged rollups from the messages."""

from __future__ import annotations

import asyncio
from pathlib import Path

from click.testing import CliRunner
from database_peek import peek
from sender_accounts import new_account

from parcelsms.adapters.storage.sql_storage import open_storage
from parcelsms.cli.main import main
from parcelsms.pipeline.webhook_policy import StatusWebhookPolicy

from .conftest import json_payload, message

PEPPER = "reports-cli-pepper-0123"


def _rollups(url: str) -> list[tuple[object, ...]]:
    with peek(url) as connection:
        return connection.execute(
            "SELECT * FROM report_rollups WHERE messages != 0 ORDER BY 1, 2, 3, 4, 5, 6, 7"
        ).fetchall()


async def _accept_three_messages(url: str) -> None:
    storage = await open_storage(
        url,
        webhook_policy=StatusWebhookPolicy(json_payload),
        pepper=PEPPER.encode(),
    )
    try:
        account = await new_account(storage, "shop", balance_micros=10_000_000)
        await storage.messages.accept_messages(
            [message(account.id, country=country) for country in ("GB", "GB", "DE")]
        )
        await storage.reports.fold_pending()
    finally:
        await storage.close()


def test_rebuild_restores_the_rollups_from_the_messages(tmp_path: Path, database_url: str) -> None:
    asyncio.run(_accept_three_messages(database_url))
    kept = _rollups(database_url)
    with peek(database_url) as connection:
        connection.execute("DELETE FROM report_rollups WHERE country = 'GB'")
        connection.execute("UPDATE report_rollups SET messages = 7")
    config = tmp_path / "cli.toml"
    config.write_text(f'[database]\nurl = "{database_url}"\n[security]\npepper = "{PEPPER}"\n')

    result = CliRunner().invoke(main, ["reports", "rebuild", "--config", str(config)])

    assert result.exit_code == 0, result.output
    assert result.output.startswith("rebuilt 2 rollup rows")
    assert [row[6] for row in kept] == ["queued", "queued"]
    assert _rollups(database_url) == kept
