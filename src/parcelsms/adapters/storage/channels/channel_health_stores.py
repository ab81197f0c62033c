"""The channel-health port on SQL: one upserted row per channel, its snapshot as JSON."""

from __future__ import annotations

from collections.abc import Sequence

import msgspec
from sqlalchemy import select
from sqlalchemy.engine import Connection

from parcelsms.adapters.storage.engine.runner import SqlRunner
from parcelsms.adapters.storage.engine.schema.channel_tables import channel_health
from parcelsms.pipeline.channel_health import ChannelHealthSnapshot

_encoder = msgspec.json.Encoder()
_decoder = msgspec.json.Decoder(ChannelHealthSnapshot)


class SaveHealthOperation:
    """Upserts snapshots (update, else insert: the same on every backend)."""

    def __call__(
        self, connection: Connection, batches: list[Sequence[ChannelHealthSnapshot]]
    ) -> Sequence[None]:
        for snapshots in batches:
            for snapshot in snapshots:
                values = {
                    "updated_at": snapshot.updated_at,
                    "breaker": snapshot.breaker,
                    "snapshot": _encoder.encode(snapshot).decode("utf-8"),
                }
                updated = connection.execute(
                    channel_health.update()
                    .where(channel_health.c.channel == snapshot.channel)
                    .values(**values)
                )
                if updated.rowcount == 0:
                    connection.execute(
                        channel_health.insert().values(channel=snapshot.channel, **values)
                    )
        return [None] * len(batches)


def read_health(connection: Connection) -> list[ChannelHealthSnapshot]:
    rows = connection.execute(select(channel_health.c.snapshot).order_by(channel_health.c.channel))
    return [_decoder.decode(row.snapshot) for row in rows]


class SqlChannelHealthStore:
    """Implements ``ChannelHealthStore``."""

    def __init__(self, runner: SqlRunner) -> None:
        self._runner = runner
        self._save = SaveHealthOperation()

    async def save_channel_health(self, snapshots: Sequence[ChannelHealthSnapshot]) -> None:
        if snapshots:
            await self._runner.writer.run(self._save, snapshots)

    async def list_channel_health(self) -> list[ChannelHealthSnapshot]:
        return await self._runner.read(read_health)
