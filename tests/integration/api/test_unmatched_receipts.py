"""The operator sees receipts that matched no submission: API and command line."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

from click.testing import CliRunner
from receipt_records import receipt_record

from parcelsms.cli.main import main

from .conftest import build_api, client_for, close_api

TOKEN = "operator-token-for-unmatched-receipts-0123456789"


async def _set_aside(storage: object, carrier_id: str, channel: str) -> None:
    long_ago = datetime.now(UTC) - timedelta(hours=73)
    await storage.receipts.apply_receipts(  # type: ignore[attr-defined]
        [receipt_record(carrier_id, "delivered", long_ago, channel=channel)]
    )
    assert (
        await storage.receipts.sweep_pending_receipts(  # type: ignore[attr-defined]
            datetime.now(UTC), timedelta(hours=72)
        )
        == 1
    )


async def test_the_operator_lists_unmatched_receipts_newest_first_by_channel(
    tmp_path: Path,
) -> None:
    api = await build_api(tmp_path, admin_token=TOKEN)
    operator = client_for(api.app, TOKEN)
    try:
        await _set_aside(api.storage, "404a", "sim")
        await _set_aside(api.storage, "404b", "other")
        await _set_aside(api.storage, "404c", "sim")

        listed = await operator.get("/admin/v1/receipts/unmatched", params={"channel": "sim"})
        assert listed.status_code == 200
        body = listed.json()
        assert [item["carrier_id"] for item in body["data"]] == ["404c", "404a"]
        assert body["data"][0]["raw"] == "id:404c stat:DELIVRD"
        assert body["next_cursor"] is None

        first = await operator.get("/admin/v1/receipts/unmatched", params={"limit": "1"})
        assert [item["carrier_id"] for item in first.json()["data"]] == ["404c"]
        second = await operator.get(
            "/admin/v1/receipts/unmatched",
            params={"limit": "1", "cursor": first.json()["next_cursor"]},
        )
        assert [item["carrier_id"] for item in second.json()["data"]] == ["404b"]

        refused = await api.alpha.client.get("/admin/v1/receipts/unmatched")
        assert refused.status_code == 403
        bad = await operator.get("/admin/v1/receipts/unmatched", params={"limit": "0"})
        assert (bad.status_code, bad.json()["error"]["code"]) == (400, "invalid_filter")
    finally:
        await operator.aclose()
        await close_api(api)


def test_the_command_line_lists_them_too(tmp_path: Path) -> None:
    async def prepare() -> None:
        api = await build_api(tmp_path)
        try:
            await _set_aside(api.storage, "77ff", "sim")
        finally:
            await close_api(api)

    asyncio.run(prepare())
    config = tmp_path / "cli.toml"
    config.write_text(f'[database]\nurl = "sqlite:///{tmp_path / "api.db"}"\n')
    result = CliRunner().invoke(main, ["receipts", "unmatched", "--config", str(config)])
    assert result.exit_code == 0, result.output
    assert "sim  id '77ff'  stat DELIVRD" in result.output
    assert "id:77ff stat:DELIVRD" in result.output
