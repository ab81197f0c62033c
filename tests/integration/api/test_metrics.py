"""``/metrics``: the operator scrapes queue, volume by country and channel, and webhooks."""

from __future__ import annotations

import asyncio
import json
import os
import re
import subprocess
import sys
from pathlib import Path

from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families

from parcelsms.adapters.metrics.sampler import MetricsSampler
from parcelsms.adapters.storage.engine.batching_writer import WriterStatistics
from parcelsms.pipeline.claim_loop import ClaimLoop

from .conftest import build_api, client_for, close_api, shipped_body

TOKEN = "operator-token-for-the-metrics-0123456789"


def _samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


async def test_the_operator_scrapes_the_queue_and_the_days_messages(tmp_path: Path) -> None:
    api = await build_api(tmp_path, admin_token=TOKEN)
    operator = client_for(api.app, TOKEN)
    try:
        for to in (shipped_body(), shipped_body("+34612345678")):
            assert (await api.alpha.client.post("/v1/messages", json=to)).status_code == 202

        scraped = await operator.get("/metrics")
        refused = await api.alpha.client.get("/metrics")
        anonymous = await api.anonymous.get("/metrics")

        assert scraped.status_code == 200, scraped.text
        assert scraped.headers["content-type"].startswith("text/plain")
        samples = _samples(scraped.text)
        assert samples[("parcelsms_queue_messages", ())] == 2
        queued_gb = (("channel", ""), ("country", "GB"), ("status", "queued"))
        assert samples[("parcelsms_messages_last_24h", queued_gb)] == 1
        assert samples[("parcelsms_webhooks_pending", ())] == 0
        assert ("parcelsms_time_to_delivery_seconds_bucket", (("le", "+Inf"),)) in samples
        assert (refused.status_code, anonymous.status_code) == (403, 401)
    finally:
        await operator.aclose()
        await close_api(api)


async def test_metrics_can_be_public_for_an_api_on_a_private_address(tmp_path: Path) -> None:
    api = await build_api(tmp_path, metrics_public=True)
    try:
        scraped = await api.anonymous.get("/metrics")

        assert scraped.status_code == 200
        assert "parcelsms_queue_messages 0.0" in scraped.text
    finally:
        await close_api(api)


def test_the_sampler_counts_writer_batches_and_items_once() -> None:
    statistics = WriterStatistics()
    sampler = MetricsSampler(statistics, {})
    before = REGISTRY.get_sample_value("parcelsms_writer_items_total") or 0.0

    statistics.flushes, statistics.items, statistics.largest_flush = 3, 70, 40
    sampler.sample()
    sampler.sample()  # nothing new: nothing added

    assert REGISTRY.get_sample_value("parcelsms_writer_items_total") == before + 70
    assert REGISTRY.get_sample_value("parcelsms_writer_largest_batch") == 40


async def test_the_sampler_shows_where_a_queue_worker_waits_and_what_it_holds() -> None:
    """The loop's counters are added once per sample; its items are shown by stage."""
    release = asyncio.Event()
    all_working = asyncio.Event()
    waiting = [1, 2, 3]
    working: list[int] = []

    async def claim(limit: int) -> list[int]:
        items, waiting[:] = waiting[:limit], waiting[limit:]
        return items

    async def held(item: int) -> int:
        working.append(item)
        if len(working) == 3:
            all_working.set()
        await release.wait()
        return item

    async def record(results: list[int]) -> None:
        await asyncio.sleep(0)

    loop: ClaimLoop[int, int] = ClaimLoop(
        name="sampled",
        claim=claim,
        work=held,
        record=record,
        item_key=int,
        result_key=int,
        batch_size=3,
        max_in_flight=3,
        min_claim=1,
        idle_poll_seconds=60.0,
        unrecorded="left to recovery",
    )
    sampler = MetricsSampler(None, {}, workers={"sampled": loop})
    running = asyncio.create_task(loop.run())
    async with asyncio.timeout(5):
        await all_working.wait()

    def value(name: str, **labels: str) -> float:
        return REGISTRY.get_sample_value(name, {"worker": "sampled", **labels}) or 0.0

    claimed = value("parcelsms_worker_claimed_total")
    full = value("parcelsms_worker_waiting_seconds_total", on="full")
    await asyncio.sleep(0.2)  # every slot is taken: the loop waits, and the wait shows
    sampler.sample()
    shown = value("parcelsms_worker_waiting_seconds_total", on="full") - full
    sampler.sample()  # the same wait a moment later: only the moment is added
    assert value("parcelsms_worker_claimed_total") - claimed == 3
    assert 0.2 <= shown < 5
    assert value("parcelsms_worker_waiting_seconds_total", on="full") - full - shown < 0.1
    assert value("parcelsms_worker_in_flight", stage="working") == 3
    assert value("parcelsms_worker_in_flight", stage="recording") == 0

    release.set()
    await loop.stop(drain_seconds=5)
    await running
    sampler.sample()
    assert value("parcelsms_worker_in_flight", stage="working") == 0


def test_instruments_of_another_process_show_in_multiprocess_mode(tmp_path: Path) -> None:
    environment = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}
    observe = (
        "from parcelsms.adapters.metrics.instruments import SUBMIT_LATENCY\n"
        "SUBMIT_LATENCY.labels('eu-carrier').observe(0.02)\n"
    )
    subprocess.run([sys.executable, "-c", observe], env=environment, check=True)
    render = (
        "import asyncio\n"
        "from parcelsms.adapters.metrics.exposition import MetricsExposition\n"
        "from parcelsms.pipeline.metrics_ports import PlatformFigures\n"
        "class Figures:\n"
        "    async def read_platform_figures(self, now):\n"
        "        return PlatformFigures(queued=0, oldest_due_seconds=None, recent=[],\n"
        "            delivery_latency=(0,) * 16, webhooks_pending=0,\n"
        "            oldest_webhook_seconds=None, webhooks_finished={})\n"
        "print(asyncio.run(MetricsExposition(Figures()).render()).decode())\n"
    )
    text = subprocess.run(
        [sys.executable, "-c", render], env=environment, check=True, capture_output=True, text=True
    ).stdout

    samples = _samples(text)
    assert samples[("parcelsms_submit_latency_seconds_count", (("channel", "eu-carrier"),))] == 1


async def test_every_metric_of_the_grafana_dashboard_is_served(tmp_path: Path) -> None:
    dashboard = json.loads(
        (Path(__file__).parents[3] / "examples" / "grafana-dashboard.json").read_text()
    )
    expressions = [target["expr"] for panel in dashboard["panels"] for target in panel["targets"]]
    # A histogram is declared under its base name; a counter keeps its _total.
    used = {
        re.sub(r"_bucket$", "", name)
        for expression in expressions
        for name in re.findall(r"parcelsms_[a-z0-9_]+", expression)
    }
    api = await build_api(tmp_path, admin_token=TOKEN)
    operator = client_for(api.app, TOKEN)
    try:
        served = (await operator.get("/metrics")).text
    finally:
        await operator.aclose()
        await close_api(api)

    missing = sorted(name for name in used if f"# TYPE {name} " not in served)
    assert used
    assert missing == []
