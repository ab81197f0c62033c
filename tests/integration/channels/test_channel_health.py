"""Channel health, live: the pipeline stores snapshots that the operator API and
``parcelsms channels`` show."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

from click.testing import CliRunner
from secured_platform import running_platform

from parcelsms.adapters.storage.sql_storage import open_storage
from parcelsms.cli.main import main
from parcelsms.pipeline.channel_health import (
    ChannelHealthBoard,
    ChannelHealthPublisher,
    ChannelLiveState,
)
from parcelsms.pipeline.channel_port import SendResultKind
from parcelsms.pipeline.webhook_payload import build_webhook_payload
from parcelsms.pipeline.webhook_policy import StatusWebhookPolicy


async def test_the_operator_sees_each_channels_stored_health(tmp_path: Path) -> None:
    async with running_platform(tmp_path) as platform:
        assert platform.platform.pipeline is not None
        publisher = platform.platform.pipeline.health_publisher
        assert publisher is not None
        sender = await platform.sender("shop")
        response = await sender.client.post(
            "/v1/messages",
            json={
                "to": "+447400123456",
                "template": "shipped",
                "params": {"tracking": "PX1"},
            },
        )
        assert response.status_code == 202, response.text
        await platform.final_status(sender.client, response.json()["id"])
        await publisher.publish()  # what the running loop does every second
        _, operator = await platform.operator()
        listed = await operator.get("/admin/v1/channels")
        refused = await sender.client.get("/admin/v1/channels")

    assert refused.status_code == 403
    assert listed.status_code == 200, listed.text
    (channel,) = listed.json()["data"]
    assert channel["name"] == "simulator"
    assert (channel["state"], channel["breaker"], channel["stale"]) == ("up", "closed", False)
    assert channel["binds"]["bound"] == channel["binds"]["binds"] == 1
    total = channel["window"]["total"]
    assert (total["submits"], total["accepted"]) == (1, 1)
    assert total["latency_p50_ms"] is not None
    assert channel["window"]["countries"]["GB"]["receipts"] == 1
    assert channel["window"]["countries"]["GB"]["receipt_delivery_rate"] == 1.0


def test_the_command_line_shows_the_channels_too(tmp_path: Path) -> None:
    database = tmp_path / "cli.db"

    async def prepare() -> None:
        storage = await open_storage(
            f"sqlite+aiosqlite:///{database}",
            pepper=b"pepper",
            webhook_policy=StatusWebhookPolicy(build_webhook_payload),
        )
        try:
            board = ChannelHealthBoard(["carrier-a"])
            for _ in range(3):
                board.record_submit("carrier-a", "MX", SendResultKind.ACCEPTED, 0.004)
            board.record_submit("carrier-a", "MX", SendResultKind.THROTTLED, 0.004)
            live = ChannelLiveState(
                binds=2,
                bound=1,
                configured_tps=100.0,
                current_tps=42.5,
                reconnects=1,
                recycles=0,
                last_error="ConnectionRefusedError: refused",
            )
            publisher = ChannelHealthPublisher(
                board,
                storage.channel_health,
                lambda: {"carrier-a": live},
                clock=lambda: datetime.now(UTC),
            )
            await publisher.publish()
            await publisher.publish()  # upserted: still one row
        finally:
            await storage.close()

    asyncio.run(prepare())
    config = tmp_path / "cli.toml"
    config.write_text(f'[database]\nurl = "sqlite:///{database}"\n')
    result = CliRunner().invoke(main, ["channels", "--countries", "--config", str(config)])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith(
        "carrier-a  degraded  binds 1/2  rate 42.5/s (configured 100/s)  breaker closed"
    )
    assert lines[1] == "    last error: ConnectionRefusedError: refused"
    assert "4 submits, errors 0.0%, throttled 25.0%" in lines[2]
    assert lines[3].startswith("      MX: 4 submits")
    assert len(lines) == 4
