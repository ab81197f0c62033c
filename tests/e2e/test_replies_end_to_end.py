"""Replies, opt-outs and the blacklist as a user meets them: ``parcelsms serve`` (a real
process) with its embedded carrier simulator over SMPP, the HTTP API, and a real webhook
receiver.

The scenario makes handsets answer: Spanish numbers with a long Chinese text sent in three
UDH parts, British numbers with "STOP" and, seconds later, "START".
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from platform_process import ServeProcess, mobile_numbers, start_serve

pytestmark = pytest.mark.slow

CHINESE = "您好，我的包裹显示已经到达本地分拣中心，但是三天了还没有派送。" * 5
ADMIN_TOKEN = "e2e-operator-token-for-replies-0123456789"
SCENARIO = f"""
name = "replies"
seed = 3

[defaults]
outcomes = {{ DELIVRD = 1.0 }}
receipt_delay = 0.05

[[rules]]
prefix = "34"
mo_replies = [{{ text = "{CHINESE}", rate = 1.0, after = 0.05, concatenation = "udh8" }}]

[[rules]]
prefix = "44"
mo_replies = [
  {{ text = "Stop", rate = 1.0, after = 0.05 }},
  {{ text = "START", rate = 1.0, after = 8.0 }},
]
"""
CONFIG = f"""
[server]
host = "127.0.0.1"
port = 0

[database]
url = "sqlite:///./parcelsms.db"

[security]
admin_token = "{ADMIN_TOKEN}"

[simulator]
scenario = "scenario.toml"

[webhooks]
allow_private_targets = true

[logging]
level = "info"
format = "json"
"""
PARAMS = {"shop": "Acme", "tracking_number": "1Z999AA1", "carrier": "DHL", "eta": "2 Dec"}


class Receiver:
    """A real HTTP server keeping every webhook body POSTed to it."""

    def __init__(self) -> None:
        self.bodies: list[dict[str, Any]] = []
        self.url = ""
        self._runner: web.AppRunner | None = None

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/hooks", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        self.url = f"http://127.0.0.1:{self._runner.addresses[0][1]}/hooks"

    async def _handle(self, request: web.Request) -> web.Response:
        self.bodies.append(json.loads(await request.read()))
        return web.Response(status=204)

    async def close(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()


async def _until(check: Callable[[], Awaitable[Any]], timeout: float = 30.0) -> Any:
    """Poll ``check`` until it returns something truthy (the API has no event to await)."""
    async with asyncio.timeout(timeout):
        while not (result := await check()):  # noqa: ASYNC110 - a server across HTTP
            await asyncio.sleep(0.05)
        return result


class Api:
    def __init__(self, session: aiohttp.ClientSession, serve: ServeProcess) -> None:
        self._session = session
        self._base = serve.base_url
        self._sender = {"Authorization": f"Bearer {serve.api_key}"}
        self._operator = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
        self._sent = 0

    async def call(
        self, method: str, path: str, *, operator: bool = False, **options: Any
    ) -> tuple[int, Any]:
        headers = self._operator if operator else self._sender
        async with self._session.request(
            method, self._base + path, headers=headers, **options
        ) as response:
            text = await response.text()
            return response.status, json.loads(text) if text else None

    async def send(self, to: str, client_ref: str | None = None) -> tuple[int, Any]:
        # A new tracking number each time: the same text again would meet the duplicate guard.
        self._sent += 1
        params = {**PARAMS, "tracking_number": f"1Z999AA{self._sent}"}
        body = {"to": to, "template": "shipped", "language": "en", "params": params}
        if client_ref is not None:
            body["client_ref"] = client_ref
        return await self.call("POST", "/v1/messages", json=body)


async def test_replies_reach_the_sender_and_opt_outs_and_the_blacklist_refuse_sends(
    tmp_path: Path,
) -> None:
    (tmp_path / "scenario.toml").write_text(SCENARIO)
    config = tmp_path / "parcelsms.toml"
    config.write_text(CONFIG)
    receiver = Receiver()
    await receiver.start()
    serve = await start_serve(config, demo=True)
    spanish, british, blocked, other = (
        *mobile_numbers("ES", 1),
        *mobile_numbers("GB", 1),
        *mobile_numbers("US", 2),
    )
    try:
        async with aiohttp.ClientSession() as session:
            api = Api(session, serve)
            status, _ = await api.call("POST", "/v1/webhooks", json={"url": receiver.url})
            assert status == 201

            # A three-part UCS-2 reply reaches GET /v1/inbound tied to its message...
            status, sent = await api.send(spanish, client_ref="ORDER-34")
            assert status == 202, sent

            async def reply_listed() -> Any:
                _, page = await api.call("GET", f"/v1/inbound?message_id={sent['id']}")
                return page["data"]

            [reply] = await _until(reply_listed)
            assert (reply["from"], reply["client_ref"], reply["complete"]) == (
                spanish,
                "ORDER-34",
                True,
            )
            assert reply["text"] == CHINESE

            # ... and the account's webhook as a message.inbound event.
            async def inbound_posted() -> dict[str, Any] | None:
                return _matching(receiver.bodies, "message.inbound", sent["id"])

            inbound = await _until(inbound_posted)
            assert inbound["data"]["text"] == CHINESE
            # The message's final status carries its delivery confidence.
            _, view = await api.call("GET", f"/v1/messages/{sent['id']}")
            assert view["status"] == "delivered"
            assert view["delivery_confidence"] == "handset"

            async def final_posted() -> dict[str, Any] | None:
                for body in receiver.bodies:
                    data = body["data"]
                    if data.get("id") == sent["id"] and data.get("status") == "delivered":
                        return body
                return None

            final = await _until(final_posted)
            assert final["data"]["delivery_confidence"] == "handset"

            # "Stop" puts the number on the suppression list: the next send is refused.
            status, first = await api.send(british)
            assert status == 202, first

            async def suppressed() -> bool:
                _, page = await api.call("GET", "/v1/suppressions")
                return british in [item["number"] for item in page["data"]]

            await _until(suppressed)
            status, refused = await api.send(british)
            assert status == 422, refused
            assert refused["error"]["code"] == "recipient_opted_out"

            # "START" a few seconds later takes it off again.
            await _until(lambda: _not(suppressed))
            status, again = await api.send(british)
            assert status == 202, again

            # A blacklisted number is refused in a batch; the other items are accepted.
            status, _ = await api.call(
                "POST", "/admin/v1/blacklist", operator=True, json={"number": blocked}
            )
            assert status == 201
            status, batch = await api.call(
                "POST",
                "/v1/messages/batch",
                json={
                    "template": "shipped",
                    "language": "en",
                    "messages": [{"to": n, "params": PARAMS} for n in (other, blocked)],
                },
            )
            assert status == 200, batch
            assert [r["status"] for r in batch["results"]] == ["accepted", "rejected"]
            assert batch["results"][1]["error"]["code"] == "recipient_blacklisted"

            # The events feed has the reply and the status changes, in order, once each.
            _, events = await api.call("GET", "/v1/events?limit=500")
            keys = [
                (e["type"], e.get("message_id"), e.get("status"), e["at"], e.get("inbound"))
                for e in events["data"]
            ]
            assert ("message.inbound", None, None, reply["received_at"], reply) in keys
            assert len({json.dumps(key) for key in keys}) == len(keys)
    finally:
        code = await serve.stop()
        await receiver.close()
    assert code == 0, serve.stderr_lines[-20:]
    assert serve.error_lines() == [], serve.stderr_lines[-60:]


def _matching(bodies: list[dict[str, Any]], kind: str, message_id: str) -> dict[str, Any] | None:
    for body in bodies:
        if body.get("type") == kind and body["data"].get("message_id") == message_id:
            return body
    return None


async def _not(check: Callable[[], Awaitable[bool]]) -> bool:
    return not await check()
