"""Signed requests: accepted when signed as documented; refused when replayed, stale, from
the future, tampered with, or signed with the wrong key."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from secured_platform import RunningPlatform, Sender, running_platform
from signing_client import signed_headers

from parcelsms.pipeline.account_security_ports import KeySpec

BODY = json.dumps(
    {"to": "+447400123456", "template": "shipped", "params": {"tracking": "S1"}}
).encode()


@pytest.fixture
async def running(tmp_path: Path) -> AsyncIterator[RunningPlatform]:
    async with running_platform(tmp_path) as platform:
        yield platform


@pytest.fixture
async def shop(running: RunningPlatform) -> Sender:
    return await running.sender("shop")


async def post_signed(
    running: RunningPlatform,
    headers: dict[str, str],
    body: bytes = BODY,
    target: str = "/v1/messages",
) -> tuple[int, dict[str, object]]:
    client = running.client()
    response = await client.post(
        target, content=body, headers={**headers, "Content-Type": "application/json"}
    )
    return response.status_code, response.json()


async def test_a_signed_post_is_accepted_without_a_bearer_key(
    running: RunningPlatform, shop: Sender
) -> None:
    status, body = await post_signed(
        running, signed_headers(shop.key, "POST", "/v1/messages", BODY)
    )

    assert status == 202, body
    assert body["to"] == "+447400123456"


async def test_a_signed_get_covers_the_query_string(running: RunningPlatform, shop: Sender) -> None:
    target = "/v1/messages?status=queued&limit=5"
    good = signed_headers(shop.key, "GET", target)
    bad = signed_headers(shop.key, "GET", "/v1/messages?status=queued&limit=6")

    accepted = await running.client().get(target, headers=good)
    refused = await running.client().get(target, headers=bad)

    assert accepted.status_code == 200
    assert refused.status_code == 401
    assert refused.json()["error"]["code"] == "unauthorized"


async def test_a_replayed_signed_request_is_refused(running: RunningPlatform, shop: Sender) -> None:
    headers = signed_headers(shop.key, "POST", "/v1/messages", BODY)

    first, _ = await post_signed(running, headers)
    second, body = await post_signed(running, headers)

    assert first == 202
    assert second == 401
    assert body["error"]["code"] == "replayed_request"  # type: ignore[index]
    assert len((await shop.client.get("/v1/messages")).json()["data"]) == 1


@pytest.mark.parametrize("offset", [-301, 301, -86_400])
async def test_a_timestamp_outside_five_minutes_is_refused(
    running: RunningPlatform, shop: Sender, offset: int
) -> None:
    headers = signed_headers(
        shop.key, "POST", "/v1/messages", BODY, timestamp=int(time.time()) + offset
    )

    status, body = await post_signed(running, headers)

    assert status == 401
    assert body["error"]["code"] == "signature_expired"  # type: ignore[index]


async def test_a_timestamp_a_little_off_is_accepted(running: RunningPlatform, shop: Sender) -> None:
    headers = signed_headers(
        shop.key, "POST", "/v1/messages", BODY, timestamp=int(time.time()) - 240
    )

    status, _ = await post_signed(running, headers)

    assert status == 202


async def test_a_tampered_body_is_refused_and_leaves_the_nonce_unused(
    running: RunningPlatform, shop: Sender
) -> None:
    headers = signed_headers(shop.key, "POST", "/v1/messages", BODY)
    tampered = BODY.replace(b"+447400123456", b"+447400123457")

    refused, body = await post_signed(running, headers, tampered)
    original, _ = await post_signed(running, headers)

    assert refused == 401
    assert body["error"]["code"] == "unauthorized"  # type: ignore[index]
    assert original == 202


async def test_a_signature_made_with_another_key_is_refused(
    running: RunningPlatform, shop: Sender
) -> None:
    other = await running.sender("other")
    headers = signed_headers(other.key, "POST", "/v1/messages", BODY)
    headers["X-Parcelsms-Key-Id"] = shop.key_id

    status, body = await post_signed(running, headers)

    assert status == 401
    assert body["error"]["code"] == "unauthorized"  # type: ignore[index]


@pytest.mark.parametrize(
    ("header", "value"),
    [
        ("X-Parcelsms-Nonce", "short"),
        ("X-Parcelsms-Timestamp", "yesterday"),
        ("X-Parcelsms-Signature", "ABC"),
        ("X-Parcelsms-Key-Id", "key_" + "Z" * 200),
    ],
)
async def test_malformed_signing_headers_are_unauthorized(
    running: RunningPlatform, shop: Sender, header: str, value: str
) -> None:
    headers = signed_headers(shop.key, "POST", "/v1/messages", BODY)
    headers[header] = value

    status, body = await post_signed(running, headers)

    assert status == 401
    assert body["error"]["code"] == "unauthorized"  # type: ignore[index]


async def test_a_key_that_must_sign_is_refused_as_bearer(
    running: RunningPlatform, shop: Sender
) -> None:
    _, key = await running.key_for(
        shop.account_id, KeySpec(scopes=("messages:send",), require_signature=True)
    )

    as_bearer = await running.client(key).post(
        "/v1/messages", content=BODY, headers={"Content-Type": "application/json"}
    )
    signed, _ = await post_signed(running, signed_headers(key, "POST", "/v1/messages", BODY))

    assert as_bearer.status_code == 401
    assert "must sign" in as_bearer.json()["error"]["message"]
    assert signed == 202


async def test_nonces_outlive_a_restart(tmp_path: Path) -> None:
    headers: dict[str, str] = {}
    async with running_platform(tmp_path) as first:
        shop = await first.sender("shop")
        headers = signed_headers(shop.key, "GET", "/v1/balance")
        assert (await first.client().get("/v1/balance", headers=headers)).status_code == 200

    async with running_platform(tmp_path) as second:
        replay = await second.client().get("/v1/balance", headers=headers)

    assert replay.status_code == 401
    assert replay.json()["error"]["code"] == "replayed_request"


async def test_a_signing_key_revoked_through_the_api_is_refused_at_once(
    running: RunningPlatform, shop: Sender
) -> None:
    key_id, key = await running.key_for(shop.account_id, KeySpec(scopes=("messages:send",)))
    first, _ = await post_signed(running, signed_headers(key, "POST", "/v1/messages", BODY))
    assert first == 202  # its signing grant is now in the API's cache

    revoked = await shop.client.delete(f"/v1/keys/{key_id}")
    after, body = await post_signed(running, signed_headers(key, "POST", "/v1/messages", BODY))

    assert revoked.status_code == 200
    assert (after, body["error"]["code"]) == (401, "unauthorized")  # type: ignore[index]
