"""Sending limits through the real composition root: per recipient (429 ``rate_limited``
with ``Retry-After``), per account and UTC day (429 ``daily_limit_reached``, a warning at
80 %), configurable per account, and kept across a restart."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from secured_platform import RunningPlatform, running_platform

GB = "+447400123456"


def shipped(to: str = GB, tracking: str = "T1") -> dict[str, Any]:
    return {"to": to, "template": "shipped", "params": {"tracking": tracking}}


@pytest.fixture
async def running(tmp_path: Path) -> AsyncIterator[RunningPlatform]:
    async with running_platform(tmp_path) as platform:
        yield platform


async def test_the_same_text_to_the_same_number_is_refused_with_retry_after(
    running: RunningPlatform,
) -> None:
    shop = await running.sender("shop")

    first = await shop.client.post("/v1/messages", json=shipped())
    repeat = await shop.client.post("/v1/messages", json=shipped())
    other_text = await shop.client.post("/v1/messages", json=shipped(tracking="T2"))

    assert first.status_code == 202
    assert repeat.status_code == 429
    assert repeat.json()["error"]["code"] == "rate_limited"
    assert repeat.json()["error"]["field"] == "to"
    assert 1 <= int(repeat.headers["retry-after"]) <= 30
    assert other_text.status_code == 202


async def test_an_accounts_own_per_hour_limit_applies_and_is_shown(
    running: RunningPlatform,
) -> None:
    shop = await running.sender("shop")
    _, operator = await running.operator()
    set_limits = await operator.put(
        f"/admin/v1/accounts/{shop.account_id}/limits", json={"recipient_per_hour": 2}
    )

    statuses = [
        (await shop.client.post("/v1/messages", json=shipped(tracking=f"H{n}"))).status_code
        for n in range(3)
    ]
    batch = await shop.client.post(
        "/v1/messages/batch",
        json={"template": "shipped", "messages": [{"to": GB, "params": {"tracking": "H9"}}]},
    )
    limits = (await shop.client.get("/v1/limits")).json()

    assert set_limits.json()["own"]["recipient_per_hour"] == 2
    assert statuses == [202, 202, 429]
    item = batch.json()["results"][0]
    assert (item["error"]["code"], item["error"]["field"]) == ("rate_limited", "messages[0].to")
    assert limits["recipient_per_hour"] == 2
    assert limits["recipient_per_day"] == 30  # the configured default


async def test_a_daily_limit_warns_at_eighty_percent_and_stops_at_the_limit(
    running: RunningPlatform,
) -> None:
    shop = await running.sender("shop")
    _, operator = await running.operator()
    await operator.put(f"/admin/v1/accounts/{shop.account_id}/limits", json={"daily_messages": 5})

    statuses = []
    for n in range(6):
        sent = await shop.client.post("/v1/messages", json=shipped(f"+4474001234{n:02d}"))
        statuses.append(sent.status_code)

    async def warned() -> bool:
        notices = (await shop.client.get("/v1/notifications")).json()["data"]
        return bool(notices)

    await running.wait_for(warned)
    notices = (await shop.client.get("/v1/notifications")).json()["data"]

    assert statuses == [202, 202, 202, 202, 202, 429]
    assert sent.json()["error"]["code"] == "daily_limit_reached"
    assert int(sent.headers["retry-after"]) <= 86_400
    assert [(n["kind"], n["data"]["used"], n["data"]["limit_value"]) for n in notices] == [
        ("account.threshold_warning", 4, 5)
    ]


async def test_counters_survive_a_restart(tmp_path: Path) -> None:
    async with running_platform(tmp_path, "[limits]\ndaily_messages = 2\n") as first:
        shop = await first.sender("shop")
        key = shop.key
        assert (await shop.client.post("/v1/messages", json=shipped())).status_code == 202
        other = shipped("+447400123499")
        assert (await shop.client.post("/v1/messages", json=other)).status_code == 202

    async with running_platform(tmp_path, "[limits]\ndaily_messages = 2\n") as second:
        client = second.client(key)
        repeat = await client.post("/v1/messages", json=shipped())
        third = await client.post("/v1/messages", json=shipped("+447400123498"))

    assert repeat.status_code == 429
    assert repeat.json()["error"]["code"] == "rate_limited"
    assert third.status_code == 429
    assert third.json()["error"]["code"] == "daily_limit_reached"


async def test_a_daily_limit_set_during_the_day_counts_the_messages_sent_before_it(
    running: RunningPlatform,
) -> None:
    shop = await running.sender("shop")
    _, operator = await running.operator()
    before = [
        (await shop.client.post("/v1/messages", json=shipped(f"+4474001230{n:02d}"))).status_code
        for n in range(3)
    ]
    await operator.put(f"/admin/v1/accounts/{shop.account_id}/limits", json={"daily_messages": 6})

    after = [
        (await shop.client.post("/v1/messages", json=shipped(f"+4474001231{n:02d}"))).status_code
        for n in range(4)
    ]

    assert before == [202, 202, 202]
    assert after == [202, 202, 202, 429]


async def test_a_per_recipient_limit_set_later_counts_the_messages_sent_before_it(
    tmp_path: Path,
) -> None:
    no_limits = "[limits]\nrecipient_per_hour = 0\nrecipient_per_day = 0\nduplicate_window = 0\n"
    async with running_platform(tmp_path, no_limits) as running:
        shop = await running.sender("shop")
        _, operator = await running.operator()
        first = await shop.client.post("/v1/messages", json=shipped(tracking="R1"))
        second = await shop.client.post("/v1/messages", json=shipped(tracking="R2"))
        await operator.put(
            f"/admin/v1/accounts/{shop.account_id}/limits", json={"recipient_per_hour": 2}
        )

        third = await shop.client.post("/v1/messages", json=shipped(tracking="R3"))

    assert (first.status_code, second.status_code) == (202, 202)
    assert third.status_code == 429
    assert third.json()["error"]["code"] == "rate_limited"


async def test_an_idempotent_retry_is_answered_before_the_duplicate_text_guard(
    running: RunningPlatform,
) -> None:
    shop = await running.sender("shop")
    key = {"Idempotency-Key": "order-1-shipped"}

    first = await shop.client.post("/v1/messages", json=shipped(), headers=key)
    retry = await shop.client.post("/v1/messages", json=shipped(), headers=key)
    other_body = await shop.client.post("/v1/messages", json=shipped(tracking="T2"), headers=key)
    without_key = await shop.client.post("/v1/messages", json=shipped())

    assert first.status_code == 202
    assert "idempotent-replayed" not in first.headers
    assert retry.status_code == 202, retry.text
    assert retry.headers["idempotent-replayed"] == "true"
    assert retry.json()["id"] == first.json()["id"]
    assert other_body.status_code == 409
    assert other_body.json()["error"]["code"] == "idempotency_conflict"
    assert other_body.json()["error"]["field"] == "Idempotency-Key"
    assert without_key.status_code == 429


async def test_an_idempotent_retry_is_answered_after_the_daily_limit_is_reached(
    running: RunningPlatform,
) -> None:
    shop = await running.sender("shop")
    _, operator = await running.operator()
    await operator.put(f"/admin/v1/accounts/{shop.account_id}/limits", json={"daily_messages": 1})
    key = {"Idempotency-Key": "only-one"}

    first = await shop.client.post("/v1/messages", json=shipped(), headers=key)
    retry = await shop.client.post("/v1/messages", json=shipped(), headers=key)
    other = await shop.client.post("/v1/messages", json=shipped("+447400123400"))

    assert first.status_code == 202
    assert (retry.status_code, retry.json()["id"]) == (202, first.json()["id"])
    assert retry.headers["idempotent-replayed"] == "true"
    assert other.json()["error"]["code"] == "daily_limit_reached"
