"""Billing through the HTTP API of the real composition root: prices edited by the operator,
packages, the ledger (JSON and CSV), low-balance alerts as signed webhooks and notifications,
and the margins report."""

from __future__ import annotations

import asyncio
import csv
import io
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from secured_platform import RunningPlatform, running_platform
from standardwebhooks.webhooks import Webhook

from parcelsms.pipeline.account_security_ports import AuditFilter

GB = "+447400123456"
US_MAGIC = "+12025550100"


def shipped(to: str = GB, tracking: str = "T1") -> dict[str, Any]:
    return {"to": to, "template": "shipped", "params": {"tracking": tracking}}


@pytest.fixture
async def running(tmp_path: Path) -> AsyncIterator[RunningPlatform]:
    async with running_platform(tmp_path) as platform:
        yield platform


class Receiver:
    """A webhook endpoint on loopback that keeps what it receives."""

    def __init__(self) -> None:
        self.received: list[tuple[dict[str, str], bytes]] = []
        self.arrived = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self.url = ""

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/hooks", self._handle)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.url = f"http://127.0.0.1:{port}/hooks"

    async def _handle(self, request: web.Request) -> web.Response:
        self.received.append((dict(request.headers), await request.read()))
        self.arrived.set()
        return web.Response(status=204)

    async def close(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()


async def test_an_operator_price_change_prices_the_next_message_and_is_audited(
    running: RunningPlatform,
) -> None:
    shop = await running.sender("shop")
    operator_key_id, operator = await running.operator()

    before = await shop.client.post("/v1/messages", json=shipped(tracking="A"))
    changed = await operator.put("/admin/v1/prices/GB", json={"amount": "0.031"})
    after = await shop.client.post("/v1/messages", json=shipped(tracking="B"))
    listed = (await operator.get("/admin/v1/prices")).json()
    removed = await operator.delete("/admin/v1/prices/GB")
    again = await shop.client.post("/v1/messages", json=shipped(tracking="C"))
    audit = await running.storage.accounts.list_audit(AuditFilter(actor_key_id=operator_key_id))

    assert before.json()["price"] == "0.05"  # the seeded [prices] default
    assert changed.status_code == 200
    assert after.json()["price"] == "0.031"
    assert listed["countries"] == {"GB": "0.031"}
    assert listed["default"] == "0.05"
    assert removed.status_code == 204
    assert again.json()["price"] == "0.05"
    assert [(entry.action, entry.target_id) for entry in audit.items] == [
        ("price.remove", "GB"),
        ("price.set", "GB"),
    ]


async def test_a_sender_key_cannot_edit_prices(running: RunningPlatform) -> None:
    shop = await running.sender("shop")

    response = await shop.client.put("/admin/v1/prices/default", json={"amount": "0"})

    assert response.status_code == 403


async def test_a_granted_package_pays_and_shows_in_balance_and_packages(
    running: RunningPlatform,
) -> None:
    shop = await running.sender("shop")
    _, operator = await running.operator()
    granted = await operator.post(
        f"/admin/v1/accounts/{shop.account_id}/packages",
        json={
            "name": "UK bundle",
            "region": "countries",
            "countries": ["gb"],
            "segments": 2,
            "expires_at": "2099-01-01T00:00:00Z",
        },
    )

    paid = await shop.client.post("/v1/messages", json=shipped())
    abroad = await shop.client.post("/v1/messages", json=shipped(US_MAGIC))
    balance = (await shop.client.get("/v1/balance")).json()
    packages = (await shop.client.get("/v1/packages")).json()["data"]
    uses = (await shop.client.get("/v1/ledger?kind=package_use")).json()["data"]

    assert granted.status_code == 201, granted.text
    assert paid.json()["price"] == "0"
    assert abroad.json()["price"] == "0.05"
    assert balance["available"] == "99.95"
    assert [(p["name"], p["remaining_segments"], p["status"]) for p in balance["packages"]] == [
        ("UK bundle", 1, "active")
    ]
    assert packages[0]["countries"] == ["GB"]
    assert [(use["message_id"], use["segments"]) for use in uses] == [(paid.json()["id"], -1)]


async def test_a_package_only_account_is_told_how_many_segments_are_missing(
    running: RunningPlatform,
) -> None:
    shop = await running.sender("shop")
    _, operator = await running.operator()
    settings = await operator.put(
        f"/admin/v1/accounts/{shop.account_id}/billing", json={"package_only": True}
    )

    refused = await shop.client.post("/v1/messages", json=shipped())

    assert settings.json()["package_only"] is True
    assert refused.status_code == 402
    error = refused.json()["error"]
    assert (error["code"], error["missing_segments"], error["country"]) == (
        "no_package_for_region",
        1,
        "GB",
    )


async def test_the_ledger_pages_and_its_csv_export_has_the_same_rows(
    running: RunningPlatform,
) -> None:
    shop = await running.sender("shop")
    for number in range(3):
        sent = await shop.client.post("/v1/messages", json=shipped(tracking=f"L{number}"))
        await running.final_status(shop.client, sent.json()["id"])

    listed: list[dict[str, Any]] = []
    cursor = ""
    while True:
        page = (await shop.client.get(f"/v1/ledger?limit=2{cursor}")).json()
        listed += page["data"]
        if page["next_cursor"] is None:
            break
        cursor = f"&cursor={page['next_cursor']}"
    export = await shop.client.get("/v1/ledger.csv")
    reserves = await shop.client.get("/v1/ledger.csv?kind=reserve")
    bad = await shop.client.get("/v1/ledger?kind=gift")

    rows = list(csv.DictReader(io.StringIO(export.text)))
    assert export.headers["content-type"].startswith("text/csv")
    assert [row["id"] for row in rows] == [entry["id"] for entry in reversed(listed)]
    assert [row["kind"] for row in rows] == ["topup", *["reserve", "settle"] * 3]
    assert [row["amount"] for row in rows] == ["100", *["-0.05", "0"] * 3]
    assert [row["reserved"] for row in rows[1:3]] == ["0.05", "-0.05"]
    assert {row["currency"] for row in rows} == {"EUR"}
    assert len(list(csv.DictReader(io.StringIO(reserves.text)))) == 3
    assert bad.status_code == 400
    assert bad.json()["error"]["field"] == "kind"


async def test_a_low_balance_alert_is_a_signed_webhook_and_a_notification(
    running: RunningPlatform,
) -> None:
    receiver = Receiver()
    await receiver.start()
    try:
        shop = await running.sender("shop", balance_micros=120_000)
        hook = (await shop.client.post("/v1/webhooks", json={"url": receiver.url})).json()
        alert = await shop.client.post("/v1/balance/alerts", json={"threshold": "0.1"})

        await shop.client.post("/v1/messages", json=shipped(tracking="A"))  # 0.07 left
        await shop.client.post("/v1/messages", json=shipped(tracking="B"))  # 0.02: no repeat
        notices = (await shop.client.get("/v1/notifications")).json()["data"]

        async def balance_hook() -> bool:
            return any(b'"balance.low"' in body for _, body in receiver.received)

        await running.wait_for(balance_hook)
    finally:
        await receiver.close()

    assert alert.json() == {"currency": "EUR", "threshold": "0.1"}
    assert [notice["kind"] for notice in notices] == ["balance.low"]
    assert notices[0]["data"]["available"] == "0.07"
    assert notices[0]["subject"] == "parcelsms: balance below 0.1 EUR"
    headers, body = next(
        (headers, body) for headers, body in receiver.received if b'"balance.low"' in body
    )
    Webhook(hook["secret"]).verify(body, headers)  # raises when the signature is wrong
    payload = json.loads(body)
    assert payload["id"] == notices[0]["id"] == headers["webhook-id"]
    assert payload["data"]["threshold"] == "0.1"


async def test_an_unverified_account_tries_magic_numbers_for_free(
    running: RunningPlatform,
) -> None:
    shop = await running.sender("shop", verified=False)

    sent = await shop.client.post("/v1/messages", json=shipped(US_MAGIC))
    balance = (await shop.client.get("/v1/balance")).json()

    assert sent.status_code == 202, sent.text
    assert sent.json()["price"] == "0"
    assert (balance["available"], balance["reserved"]) == ("100", "0")


async def test_the_margins_report_prices_delivered_messages_against_channel_costs(
    running: RunningPlatform,
) -> None:
    shop = await running.sender("shop")
    _, operator = await running.operator()
    await operator.put(
        "/admin/v1/channel_costs", json={"channel": "simulator", "country": "US", "amount": "0.02"}
    )
    sent = await shop.client.post("/v1/messages", json=shipped(US_MAGIC))
    await running.final_status(shop.client, sent.json()["id"])

    report = await operator.get(
        "/admin/v1/reports/margins",
        params={"since": "2000-01-01T00:00:00Z", "until": "2100-01-01T00:00:00Z"},
    )
    missing = await operator.get("/admin/v1/reports/margins", params={"since": "2000-01-01Z"})

    assert report.status_code == 200, report.text
    assert report.json()["data"] == [
        {
            "country": "US",
            "channel": "simulator",
            "currency": "EUR",
            "messages": 1,
            "segments": 1,
            "package_segments": 0,
            "revenue": "0.05",
            "cost": "0.02",
            "margin": "0.03",
            "failover_segments": 0,
        }
    ]
    assert missing.status_code == 400
