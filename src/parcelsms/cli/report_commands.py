"""``parcelsms reports``: the report rollups (docs/reports.md)."""

from __future__ import annotations

import time

import click

from parcelsms.adapters.storage import SqlStorage
from parcelsms.cli.operator_commands import with_storage
from parcelsms.cli.settings_loader import config_option


@click.group("reports")
def reports() -> None:
    """Reports and the rollups they read (docs/reports.md)."""


@reports.command("rebuild")
@config_option
def rebuild(config_path: str | None) -> None:
    """Recompute the report rollups from the message table.

    Runs as one transaction: other writes wait until it ends (about a minute per few
    million messages). The rollups are kept with every status change, so this is for a
    database restored from pieces or a suspected drift, not routine use.
    """

    async def work(storage: SqlStorage) -> int:
        return await storage.reports.rebuild_rollups()

    started = time.monotonic()
    rows = with_storage(config_path, work)
    click.echo(f"rebuilt {rows} rollup rows in {time.monotonic() - started:.1f} s")
