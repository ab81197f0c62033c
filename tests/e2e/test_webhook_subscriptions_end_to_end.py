"""Webhook subscriptions with ``parcelsms serve`` (a real process), its embedded carrier
simulator over SMPP, and two real receivers: one endpoint subscribed to final statuses
only gets exactly one signed POST per message; one subscribed to every change gets each."""

from __future__ import annotations

import asyncio
import json
import time
from collections import Counter
from pathlib import Path

import aiohttp
import pytest
from platform_process import mobile_numbers, start_serve
from standardwebhooks.webhooks import Webhook
from webhook_receiver import WebhookReceiver

pytestmark = pytest.mark.slow

SCENARIO = """
name = "final-only"
seed = 5

[defaults]
outcomes = { DELIVRD = 1.0 }
receipt_delay = [0.01, 0.1]
"""

CONFIG = """
[server]
host = "127.0.0.1"
port = 0

[database]
url = "sqlite+aiosqlite:///./parcelsms.db"

[simulator]
scenario = "scenario.toml"

[webhooks]
allow_private_targets = true

[logging]
level = "info"
format = "json"
"""
COUNT = 200
PARAMS = {"shop": "Acme", "tracking_number": "1Z999AA1", "carrier": "DHL", "eta": "2 Dec"}


async def test_a_final_only_endpoint_gets_exactly_one_post_per_message(tmp_path: Path) -> None:
    (tmp_path / "scenario.toml").write_text(SCENARIO)
    config = tmp_path / "parcelsms.toml"
    config.write_text(CONFIG)
    final_only = WebhookReceiver()
    every_change = WebhookReceiver()
    await final_only.start()
    await every_change.start()
    serve = await start_serve(config, demo=True)
    try:
        assert serve.api_key, serve.stdout_lines
        base = f"{serve.base_url}/v1"
        async with aiohttp.ClientSession(
            headers={"Authorization": f"Bearer {serve.api_key}"}
        ) as session:
            secrets = {}
            for receiver, types in ((final_only, ["message.final"]), (every_change, None)):
                body: dict[str, object] = {"url": receiver.url}
                if types is not None:
                    body["event_types"] = types
                async with session.post(f"{base}/webhooks/endpoints", json=body) as response:
                    assert response.status == 201, await response.text()
                    created = await response.json()
                secrets[receiver.url] = (created["id"], created["secret"])

            numbers = mobile_numbers("US", COUNT)
            sent: set[str] = set()
            for start in range(0, COUNT, 100):
                payload = {
                    "template": "shipped",
                    "language": "en",
                    "messages": [{"to": n, "params": PARAMS} for n in numbers[start : start + 100]],
                }
                async with session.post(f"{base}/messages/batch", json=payload) as response:
                    assert response.status == 200, await response.text()
                    result = await response.json()
                assert result["rejected"] == 0, result
                sent.update(item["message"]["id"] for item in result["results"])

            await final_only.wait_for(lambda: len(final_only.received) >= COUNT, 120)
            # The other endpoint got both changes of every message: by then every final
            # outbox row of the same transactions exists too.
            await every_change.wait_for(lambda: len(every_change.received) >= 2 * COUNT, 120)

            final_id, final_secret = secrets[final_only.url]

            async def deliveries() -> list[dict[str, object]]:
                listed: list[dict[str, object]] = []
                cursor: str | None = None
                while True:
                    params = {"endpoint_id": final_id, "limit": "500"}
                    if cursor:
                        params["cursor"] = cursor
                    async with session.get(
                        f"{base}/webhooks/deliveries", params=params
                    ) as response:
                        page = await response.json()
                    listed += page["data"]
                    cursor = page["next_cursor"]
                    if cursor is None:
                        return listed

            # The receiver has a POST a moment before the worker records its answer.
            deadline = time.monotonic() + 30
            listed = await deliveries()
            while any(item["status"] == "pending" for item in listed):
                assert time.monotonic() < deadline, Counter(item["status"] for item in listed)
                await asyncio.sleep(0.1)
                listed = await deliveries()
    finally:
        code = await serve.stop()
        await final_only.close()
        await every_change.close()

    # One outbox row, one POST per message: nothing written for the submissions.
    assert len(listed) == COUNT
    assert Counter(item["status"] for item in listed) == Counter({"delivered": COUNT})
    assert len(final_only.received) == COUNT
    finals = [request.json() for request in final_only.received]
    assert Counter(body["data"]["id"] for body in finals) == Counter(dict.fromkeys(sent, 1))
    assert {body["data"]["status"] for body in finals} == {"delivered"}
    verifier = Webhook(final_secret)
    for request in final_only.received:
        verifier.verify(request.body, request.headers)
    statuses = Counter(json.loads(r.body)["data"]["status"] for r in every_change.received)
    assert statuses == Counter({"submitted": COUNT, "delivered": COUNT})
    assert code == 0, serve.stderr_lines[-20:]
    assert serve.error_lines() == [], serve.stderr_lines[-60:]
