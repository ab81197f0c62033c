"""The whole platform as a user runs it: ``parcelsms serve`` (a real process) with its
embedded carrier simulator, the HTTP API, SMPP over TCP, receipts, and signed webhooks
posted to a real HTTP receiver."""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from decimal import Decimal
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web
from database_peek import peek
from platform_process import ServeProcess, mobile_numbers, start_serve
from standardwebhooks.webhooks import Webhook

pytestmark = pytest.mark.slow

SCENARIO = """
name = "e2e"
seed = 11
message_id_style = "hex_padded_decimal_receipt"

[defaults]
outcomes = { DELIVRD = 1.0 }
receipt_delay = [0.01, 0.2]

[[rules]]
prefix = "44"
outcomes = { UNDELIV = 1.0 }
receipt_delay = 0.05

[[rules]]
prefix = "49"
outcomes = { EXPIRED = 1.0 }
receipt_delay = 0.05

[[rules]]
prefix = "33"
outcomes = { REJECTD = 1.0 }
receipt_delay = 0.05

[[rules]]
prefix = "52"
outcomes = { DELIVRD = 1.0 }
receipt_delay = 0.05
receipt_before_response_rate = 0.5
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

[prices]
default = "0.05"

[prices.countries]
ES = "0.04"
MX = "0.031"

[logging]
level = "info"
format = "json"
"""

# (region, count, language, template, expected final status)
PLAN = [
    ("ES", 300, "es", "in_customs", "delivered"),  # "está": UCS-2
    ("MX", 150, "es", "delivered", "delivered"),  # receipts before responses
    ("GB", 150, "en", "shipped", "undelivered"),
    ("DE", 150, "en", "out_for_delivery", "expired"),
    ("FR", 100, "en", "delayed", "rejected"),
    ("US", 150, "en", "shipped", "delivered"),
]
PARAMS = {
    "shipped": {"shop": "Acme", "tracking_number": "1Z999AA1", "carrier": "DHL", "eta": "2 Dec"},
    "in_customs": {"shop": "Acme", "tracking_number": "1Z999AA2"},
    "out_for_delivery": {"shop": "Acme", "tracking_number": "1Z999AA3", "carrier": "UPS"},
    "delivered": {"shop": "Acme", "tracking_number": "1Z999AA4"},
    "delayed": {
        "shop": "Acme",
        "tracking_number": "1Z999AA5",
        "reason": "address incomplete",
        "action": "reply with your street number",
    },
}
FINAL = {"delivered", "undelivered", "expired", "rejected", "failed"}


class WebhookReceiver:
    """A real HTTP server that records every webhook POSTed to it."""

    def __init__(self) -> None:
        self.received: list[tuple[dict[str, str], bytes]] = []
        self.final_for: dict[str, str] = {}
        self.all_final = asyncio.Event()
        self.expected = 0
        self._runner: web.AppRunner | None = None
        self.url = ""

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/hooks", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.url = f"http://127.0.0.1:{port}/hooks"

    async def _handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        self.received.append((dict(request.headers), body))
        data = json.loads(body)["data"]
        if data["status"] in FINAL:
            self.final_for[data["id"]] = data["status"]
            if self.expected and len(self.final_for) >= self.expected:
                self.all_final.set()
        return web.Response(status=204)

    async def close(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()


async def _send_batches(
    session: aiohttp.ClientSession, serve: ServeProcess
) -> tuple[dict[str, str], dict[str, str]]:
    """Send PLAN through the batch API; returns message id -> expected status, -> price."""
    headers = {"Authorization": f"Bearer {serve.api_key}"}
    expected: dict[str, str] = {}
    prices: dict[str, str] = {}
    for region, count, language, template, status in PLAN:
        numbers = mobile_numbers(region, count)
        for start in range(0, count, 100):
            chunk = numbers[start : start + 100]
            payload = {
                "template": template,
                "language": language,
                "messages": [
                    {"to": number, "params": PARAMS[template], "client_ref": f"{region}-{i}"}
                    for i, number in enumerate(chunk, start)
                ],
            }
            async with session.post(
                f"{serve.base_url}/v1/messages/batch", json=payload, headers=headers
            ) as response:
                assert response.status == 200, await response.text()
                body = await response.json()
            assert body["rejected"] == 0, body
            for result in body["results"]:
                message = result["message"]
                expected[message["id"]] = status
                prices[message["id"]] = message["price"]
    return expected, prices


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest) -> str:
    """The platform's database: a SQLite file beside the config, or a migrated database of
    the throwaway PostgreSQL cluster (the API processes and the pipeline share it)."""
    if request.param == "postgresql":
        url: str = request.getfixturevalue("postgres_database_url")
        return url
    return "sqlite+aiosqlite:///./parcelsms.db"


async def test_thousand_messages_reach_their_scenario_outcome_with_signed_webhooks(
    tmp_path: Path, database_url: str
) -> None:
    (tmp_path / "scenario.toml").write_text(SCENARIO)
    config = tmp_path / "parcelsms.toml"
    config.write_text(CONFIG.replace("sqlite+aiosqlite:///./parcelsms.db", database_url))
    receiver = WebhookReceiver()
    await receiver.start()
    serve = await start_serve(config, demo=True)
    try:
        assert serve.api_key, serve.stdout_lines
        headers = {"Authorization": f"Bearer {serve.api_key}"}
        async with aiohttp.ClientSession() as session:
            async with session.post(
                f"{serve.base_url}/v1/webhooks", json={"url": receiver.url}, headers=headers
            ) as response:
                assert response.status == 201, await response.text()
                secret = (await response.json())["secret"]

            expected, prices = await _send_batches(session, serve)
            assert len(expected) == 1000
            receiver.expected = len(expected)
            await asyncio.wait_for(receiver.all_final.wait(), 180)

            # Every message ended as the scenario dictates for its country.
            assert receiver.final_for == expected

            # Every webhook carries a valid Standard Webhooks signature.
            verifier = Webhook(secret)
            for received_headers, body in receiver.received:
                lowered = {k.lower(): v for k, v in received_headers.items()}
                verifier.verify(body, lowered)
            kinds = Counter(json.loads(body)["data"]["status"] for _, body in receiver.received)
            assert kinds["submitted"] == 1000

            # A message's history shows each status change with the carrier's raw values.
            undelivered = next(i for i, s in expected.items() if s == "undelivered")
            async with session.get(
                f"{serve.base_url}/v1/messages/{undelivered}", headers=headers
            ) as response:
                detail = await response.json()
            statuses = [entry["status"] for entry in detail["history"]]
            assert statuses == ["queued", "submitted", "undelivered"]
            assert "UNDELIV" in json.dumps(detail["history"][-1])

            # Ledger: everything reached a carrier, so every price was settled and nothing
            # stays reserved.
            async with session.get(f"{serve.base_url}/v1/balance", headers=headers) as response:
                balance = await response.json()
            spent = sum(Decimal(p) for p in prices.values())
            assert Decimal(balance["available"]) == Decimal("100") - spent
            assert Decimal(balance["reserved"]) == 0
    finally:
        code = await serve.stop()
        await receiver.close()
    assert code == 0, serve.stderr_lines[-20:]
    assert serve.error_lines() == [], serve.stderr_lines[-60:]
    # The messages are where the configuration said the database is.
    stored = database_url.replace("./", f"{tmp_path}/").replace("+aiosqlite", "")
    with peek(stored) as database:
        assert database.execute("SELECT count(*) FROM messages").fetchone() == (1000,)
