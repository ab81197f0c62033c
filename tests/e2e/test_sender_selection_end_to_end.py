"""Sender IDs and country rules in the running platform: ``parcelsms serve`` (a real
process) with its embedded carrier simulator, an operator's edited country registry, and
the operator's review through the admin API.

A message to a US number asking for an alphanumeric sender is refused until the account
has an approved US number, then goes out from that number and is delivered.
"""

from __future__ import annotations

import asyncio
import re
import time
from importlib import resources
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from platform_process import ServeProcess, mobile_numbers, start_serve

pytestmark = pytest.mark.slow

ADMIN_TOKEN = "e2e-operator-token-0123456789abcdef0123"
CONFIG = f"""
[server]
host = "127.0.0.1"
port = 0

[database]
url = "sqlite+aiosqlite:///./parcelsms.db"

[security]
admin_token = "{ADMIN_TOKEN}"

[countries]
file = "countries.toml"

[logging]
level = "info"
format = "json"
"""
FINAL = {"delivered", "undelivered", "expired", "rejected", "failed", "canceled"}


def edited_registry() -> str:
    """The packaged registry with the United Kingdom refusing alphanumeric senders."""
    text = resources.files("parcelsms.data").joinpath("country_rules.toml").read_text("utf-8")
    edited, count = re.subn(
        r'(code = "GB"\nname = "United Kingdom"\nalphanumeric_sender = )"supported"',
        r'\1"not_supported"',
        text,
    )
    assert count == 1
    return edited


async def call(
    session: aiohttp.ClientSession,
    serve: ServeProcess,
    method: str,
    path: str,
    token: str,
    body: dict[str, Any] | None = None,
) -> tuple[int, Any]:
    headers = {"Authorization": f"Bearer {token}"}
    async with session.request(
        method, f"{serve.base_url}{path}", json=body, headers=headers
    ) as response:
        return response.status, await response.json()


async def final_state(
    session: aiohttp.ClientSession, serve: ServeProcess, key: str, message_id: str
) -> dict[str, Any]:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        _, message = await call(session, serve, "GET", f"/v1/messages/{message_id}", key)
        if message["status"] in FINAL:
            return dict(message)
        await asyncio.sleep(0.1)
    raise AssertionError(f"message {message_id} did not reach a final state: {message}")


async def test_a_us_message_with_a_name_goes_out_from_the_approved_us_number(
    tmp_path: Path,
) -> None:
    (tmp_path / "parcelsms.toml").write_text(CONFIG)
    (tmp_path / "countries.toml").write_text(edited_registry())
    (us_number,) = mobile_numbers("US", 1)
    (gb_number,) = mobile_numbers("GB", 1)
    serve = await start_serve(tmp_path / "parcelsms.toml", demo=True)
    try:
        assert serve.api_key, serve.stdout_lines
        key = serve.api_key
        message = {
            "to": us_number,
            "template": "shipped",
            "sender_id": "ACME",
            "params": {
                "shop": "ACME",
                "tracking_number": "LX123456789CN",
                "carrier": "USPS",
                "eta": "Friday",
            },
        }
        async with aiohttp.ClientSession() as session:
            refused_status, refused = await call(
                session, serve, "POST", "/v1/messages", key, message
            )

            status, registration = await call(
                session,
                serve,
                "POST",
                "/v1/sender_ids",
                key,
                {"sender_id": "+12015550100", "country": "US"},
            )
            assert status == 201, registration
            status, reviewed = await call(
                session,
                serve,
                "POST",
                f"/admin/v1/sender_ids/{registration['id']}/approve",
                ADMIN_TOKEN,
            )
            assert status == 200, reviewed
            status, preview = await call(
                session, serve, "POST", "/v1/messages/preview", key, message
            )
            assert status == 200, preview
            status, accepted = await call(session, serve, "POST", "/v1/messages", key, message)
            assert status == 202, accepted
            delivered = await final_state(session, serve, key, accepted["id"])

            # The operator's copy of the registry says the UK refuses names too.
            status, uk_registration = await call(
                session,
                serve,
                "POST",
                "/v1/sender_ids",
                key,
                {"sender_id": "ACME", "country": "GB"},
            )
            uk_status, uk_refused = await call(
                session, serve, "POST", "/v1/messages", key, {**message, "to": gb_number}
            )
    finally:
        await serve.stop()

    assert refused_status == 422
    assert refused["error"]["code"] == "sender_not_allowed"
    assert (refused["error"]["country"], refused["error"]["reason"]) == (
        "US",
        "alphanumeric_not_supported",
    )
    assert preview["sender"]["sender_id"] == "12015550100"
    assert preview["sender"]["fallback_reason"].startswith("Alphanumeric sender IDs are not")
    assert delivered["sender_id"] == "12015550100"
    assert delivered["status"] == "delivered"
    assert status == 422
    assert uk_registration["error"]["code"] == "sender_not_allowed"
    assert uk_status == 422
    assert uk_refused["error"]["country"] == "GB"
    assert serve.error_lines() == []
