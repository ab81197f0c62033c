"""Test numbers: a code goes out by SMS (read here from the simulated carrier, as a phone
would), confirming it lets an unverified account send to the number."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from secured_platform import RunningPlatform, Sender, running_platform

PHONE = "+447700100123"  # a valid GB mobile number
CODE = re.compile(r"verification code is (\d{6})\.")


@pytest.fixture
async def running(tmp_path: Path) -> AsyncIterator[RunningPlatform]:
    config = "[verification]\ntest_numbers_per_account = 2\ncode_attempts = 3\n"
    async with running_platform(tmp_path, config) as platform:
        yield platform


async def received_code(running: RunningPlatform, number: str, count: int = 1) -> str:
    """The code in the ``count``-th SMS the carrier received for ``number``."""
    await running.wait_for(lambda: len(running.submits_to(number)) >= count)
    match = CODE.search(running.submits_to(number)[count - 1].text)
    assert match is not None
    return match.group(1)


async def add(shop: Sender, number: str = PHONE) -> dict[str, object]:
    response = await shop.client.post("/v1/test_numbers", json={"number": number})
    assert response.status_code == 201, response.text
    body: dict[str, object] = response.json()
    return body


async def test_a_confirmed_number_may_receive_messages_from_an_unverified_account(
    running: RunningPlatform,
) -> None:
    shop = await running.sender("shop", verified=False)
    before = (await shop.client.post("/v1/messages", json=message(PHONE))).status_code

    added = await add(shop, "+44 7700 100123")
    code = await received_code(running, PHONE)
    confirmed = await shop.client.post(
        f"/v1/test_numbers/{added['id']}/confirm", json={"code": code}
    )
    after = await shop.client.post("/v1/messages", json=message(PHONE))

    assert before == 403
    assert added["status"] == "pending"
    assert added["number"] == PHONE
    assert confirmed.json()["status"] == "verified"
    assert after.status_code == 202


def message(to: str) -> dict[str, object]:
    return {"to": to, "template": "shipped", "params": {"tracking": "T1"}}


async def test_the_code_is_free_and_invisible_to_the_sender(running: RunningPlatform) -> None:
    shop = await running.sender("shop", verified=False)

    await add(shop)
    code = await received_code(running, PHONE)
    messages = (await shop.client.get("/v1/messages")).json()["data"]
    balance = (await shop.client.get("/v1/balance")).json()

    assert messages == []
    assert (balance["available"], balance["reserved"], balance["packages"]) == ("100", "0", [])
    assert code not in (await shop.client.get("/v1/test_numbers")).text


async def test_wrong_codes_count_down_then_the_code_is_used_up(running: RunningPlatform) -> None:
    shop = await running.sender("shop", verified=False)
    added = await add(shop)
    code = await received_code(running, PHONE)
    wrong = "000000" if code != "000000" else "111111"
    url = f"/v1/test_numbers/{added['id']}/confirm"

    first = await shop.client.post(url, json={"code": wrong})
    second = await shop.client.post(url, json={"code": wrong})
    third = await shop.client.post(url, json={"code": wrong})
    right_too_late = await shop.client.post(url, json={"code": code})

    assert first.json()["error"]["code"] == "invalid_code"
    assert "2 attempts left" in first.json()["error"]["message"]
    assert "1 attempt left" in second.json()["error"]["message"]
    assert third.json()["error"]["code"] == "invalid_code"
    assert right_too_late.json()["error"]["code"] == "code_expired"


async def test_a_malformed_code_uses_no_attempt(running: RunningPlatform) -> None:
    shop = await running.sender("shop", verified=False)
    added = await add(shop)
    code = await received_code(running, PHONE)
    url = f"/v1/test_numbers/{added['id']}/confirm"

    malformed = [await shop.client.post(url, json={"code": text}) for text in ("12ab56", "1", "")]
    confirmed = await shop.client.post(url, json={"code": code})

    assert {response.json()["error"]["code"] for response in malformed} == {"invalid_request"}
    assert confirmed.json()["status"] == "verified"


async def test_a_new_code_waits_for_the_resend_interval(running: RunningPlatform) -> None:
    shop = await running.sender("shop", verified=False)
    await add(shop)

    again = await shop.client.post("/v1/test_numbers", json={"number": PHONE})

    assert again.status_code == 429
    assert again.json()["error"]["code"] == "rate_limited"
    assert 1 <= int(again.headers["retry-after"]) <= 60
    await received_code(running, PHONE)
    assert len(running.submits_to(PHONE)) == 1


async def test_adding_a_confirmed_number_again_sends_nothing(running: RunningPlatform) -> None:
    shop = await running.sender("shop", verified=False)
    added = await add(shop)
    code = await received_code(running, PHONE)
    await shop.client.post(f"/v1/test_numbers/{added['id']}/confirm", json={"code": code})

    again = await shop.client.post("/v1/test_numbers", json={"number": PHONE})

    assert again.status_code == 200
    assert again.json()["status"] == "verified"
    assert len(running.submits_to(PHONE)) == 1


async def test_the_number_of_test_numbers_is_limited(running: RunningPlatform) -> None:
    shop = await running.sender("shop", verified=False)
    await add(shop, "+447700100001")
    await add(shop, "+447700100002")

    third = await shop.client.post("/v1/test_numbers", json={"number": "+447700100003"})

    assert third.status_code == 422
    assert third.json()["error"]["code"] == "resource_limit"


@pytest.mark.parametrize(
    ("number", "code"),
    [("+44 20 7946 0000", "not_mobile"), ("07911 123456", "invalid_number")],
)
async def test_a_number_that_cannot_receive_sms_is_refused(
    running: RunningPlatform, number: str, code: str
) -> None:
    shop = await running.sender("shop", verified=False)

    response = await shop.client.post("/v1/test_numbers", json={"number": number})

    assert response.json()["error"]["code"] == code
    assert response.json()["error"]["field"] == "number"


async def test_a_deleted_test_number_may_no_longer_receive(running: RunningPlatform) -> None:
    shop = await running.sender("shop", verified=False)
    added = await add(shop)
    code = await received_code(running, PHONE)
    await shop.client.post(f"/v1/test_numbers/{added['id']}/confirm", json={"code": code})

    deleted = await shop.client.delete(f"/v1/test_numbers/{added['id']}")
    refused = await shop.client.post("/v1/messages", json=message(PHONE))

    assert deleted.status_code == 204
    assert refused.json()["error"]["code"] == "account_unverified"
    assert (await shop.client.get(f"/v1/test_numbers/{added['id']}")).status_code == 404
