"""``parcelsms receipts``: what the operator sees of receipts that matched no submission."""

from __future__ import annotations

import click

from parcelsms.adapters.storage import SqlStorage
from parcelsms.cli.operator_commands import with_storage
from parcelsms.cli.settings_loader import config_option
from parcelsms.pipeline.receipt_ports import UnmatchedReceipt


@click.group("receipts")
def receipts() -> None:
    """Delivery receipts (docs/smpp.md, "Message ids and correlation")."""


@receipts.command("unmatched")
@click.option("--channel", help="Only receipts of this channel.")
@click.option("--limit", type=click.IntRange(1, 10_000), default=100, show_default=True)
@config_option
def unmatched(channel: str | None, limit: int, config_path: str | None) -> None:
    """List receipts set aside after matching no submission, newest first."""

    async def work(storage: SqlStorage) -> list[UnmatchedReceipt]:
        return await storage.receipts.list_unmatched_receipts(
            channel=channel, limit=limit, before=None
        )

    found = with_storage(config_path, work)
    if not found:
        click.echo("no unmatched receipts")
    for item in found:
        click.echo(
            f"{item.received_at.isoformat()}  {item.channel}  id {item.carrier_id!r}  "
            f"stat {item.stat}  set aside {item.moved_at.isoformat()}\n    {item.raw}"
        )
