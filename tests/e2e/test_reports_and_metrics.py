"""``parcelsms serve`` as a process: messages delivered through the embedded simulator show in
the sender's report, and ``/metrics`` shows the SMPP session, the submit latency (through
prometheus-client's multiprocess files), the queue workers of the pipeline and webhook
processes and the day's deliveries by country."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Awaitable, Callable
from contextlib import closing
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from platform_process import mobile_numbers, start_serve
from prometheus_client.parser import text_string_to_metric_families

pytestmark = pytest.mark.slow

TOKEN = "operator-token-for-the-e2e-metrics-0123456789"
CONFIG = f"""
[server]
host = "127.0.0.1"
port = 0

[database]
url = "sqlite+aiosqlite:///./parcelsms.db"

[security]
admin_token = "{TOKEN}"

[simulator]
scenario = "scenario.toml"

[metrics]
sample_interval = 0.05
"""
SCENARIO = """
name = "reports"
seed = 3

[defaults]
outcomes = { DELIVRD = 1.0 }
receipt_delay = 0.01
"""


async def _until(condition: Callable[[], Awaitable[bool]], timeout: float = 30.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not await condition():
        if loop.time() > deadline:
            raise TimeoutError("condition not met")
        await asyncio.sleep(0.05)


def _values(text: str, name: str) -> dict[tuple[tuple[str, str], ...], float]:
    return {
        tuple(sorted(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == name
    }


async def test_delivered_messages_show_in_the_report_and_the_metrics(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "prometheus").mkdir()
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path / "prometheus"))
    (tmp_path / "scenario.toml").write_text(SCENARIO)
    config = tmp_path / "parcelsms.toml"
    config.write_text(CONFIG)
    serve = await start_serve(config, demo=True)
    try:
        assert serve.api_key, serve.stdout_lines
        sender = httpx.AsyncClient(
            base_url=serve.base_url, headers={"Authorization": f"Bearer {serve.api_key}"}
        )
        operator = httpx.AsyncClient(
            base_url=serve.base_url, headers={"Authorization": f"Bearer {TOKEN}"}
        )
        async with sender, operator:
            for number in mobile_numbers("ES", 3):
                params = {"shop": "Shop", "tracking_number": "T1"}
                body = {"to": number, "template": "in_customs", "params": params}
                sent = await sender.post("/v1/messages", json={**body, "language": "es"})
                assert sent.status_code == 202, sent.text

            async def folded_by_the_pipeline() -> bool:
                # Read beside the platform, not through a report (a report folds itself):
                # the pipeline's own round adds the pending changes to the tables.
                with closing(sqlite3.connect(tmp_path / "parcelsms.db")) as database:
                    (pending,) = database.execute("SELECT count(*) FROM report_pending").fetchone()
                    (delivered,) = database.execute(
                        "SELECT coalesce(sum(messages), 0) FROM report_rollups"
                        " WHERE status = 'delivered'"
                    ).fetchone()
                return bool(pending == 0 and delivered == 3)

            await _until(folded_by_the_pipeline)
            today = datetime.now(UTC).date()
            period = {
                "since": today.isoformat(),
                "until": (today + timedelta(days=1)).isoformat(),
                "group_by": "country",
            }

            async def all_delivered() -> bool:
                report = (await sender.get("/v1/reports/summary", params=period)).json()
                return [(row["group"], row["delivered"]) for row in report["data"]] == [("ES", 3)]

            await _until(all_delivered)
            scraped = ""

            async def sampled() -> bool:
                nonlocal scraped
                scraped = (await operator.get("/metrics")).text
                claimed = _values(scraped, "parcelsms_worker_claimed_total")
                waiting = _values(scraped, "parcelsms_worker_waiting_seconds_total")
                return bool(
                    _values(scraped, "parcelsms_smpp_sessions_bound")
                    and claimed.get((("worker", "dispatcher"),), 0) >= 3
                    and waiting.get((("on", "idle"), ("worker", "webhooks")), 0) > 0
                )

            await _until(sampled)

        delivered = _values(scraped, "parcelsms_messages_last_24h")
        assert (
            delivered[(("channel", "simulator"), ("country", "ES"), ("status", "delivered"))] == 3
        )
        submits = _values(scraped, "parcelsms_submit_latency_seconds_count")
        assert sum(submits.values()) >= 3
        bound = _values(scraped, "parcelsms_smpp_sessions_bound")
        assert sum(bound.values()) >= 1
        # The dispatcher of the pipeline process, the worker of the webhooks process (idle:
        # no endpoint is set), each sampled in its own process.
        assert _values(scraped, "parcelsms_worker_claimed_total")[(("worker", "dispatcher"),)] >= 3
        held = _values(scraped, "parcelsms_worker_in_flight")
        assert (("stage", "working"), ("worker", "dispatcher")) in held
        assert (("stage", "recording"), ("worker", "webhooks")) in held
        assert list((tmp_path / "prometheus").glob("*.db"))  # the multiprocess files
        assert serve.error_lines() == []
    finally:
        await serve.stop()
