"""No secret, password or full phone number in any log line.

The platform runs with the command's own logging set-up at DEBUG (JSON lines), real traffic
goes through it — sends to many numbers, refusals, signed and replayed requests, bad keys,
webhooks to a target that refuses connections, a test-number code — and every captured line
is scanned for the numbers and secrets involved.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from secured_platform import ADMIN_TOKEN, PEPPER, running_platform
from signing_client import signed_headers

from parcelsms.cli.logging_setup import configure_logging

NUMBERS = ["+447700100401", "+34612345678", "+8613800138000", "+12025550113", "+12025550131"]
TEST_NUMBER = "+447700100402"


@pytest.fixture
def captured_logs() -> Iterator[io.StringIO]:
    root = logging.getLogger()
    saved_handlers, saved_level = root.handlers[:], root.level
    buffer = io.StringIO()
    configure_logging("debug", "json")
    handler = root.handlers[0]
    assert isinstance(handler, logging.StreamHandler)
    handler.setStream(buffer)
    try:
        yield buffer
    finally:
        root.handlers[:] = saved_handlers
        root.setLevel(saved_level)


async def test_traffic_leaves_no_number_or_secret_in_the_logs(
    tmp_path: Path, captured_logs: io.StringIO
) -> None:
    secrets: list[str] = [PEPPER, ADMIN_TOKEN]
    async with running_platform(tmp_path) as running:
        shop = await running.sender("shop")
        secrets += [shop.key, shop.key.split(".", 1)[1]]
        webhook = await shop.client.post(
            "/v1/webhooks", json={"url": f"http://127.0.0.1:9/hooks?to={NUMBERS[0]}"}
        )
        secrets.append(webhook.json()["secret"])
        ids = []
        for number in NUMBERS:
            response = await shop.client.post(
                "/v1/messages",
                json={
                    "to": number,
                    "template": "shipped",
                    "params": {"tracking": "L1"},
                    "callback_url": f"http://127.0.0.1:9/cb/{number}",
                },
            )
            assert response.status_code == 202, response.text
            ids.append(response.json()["id"])
        await shop.client.post(
            "/v1/messages/batch",
            json={
                "template": "shipped",
                "messages": [
                    {"to": "+4479111234", "params": {"tracking": "x"}},
                    {"to": NUMBERS[1], "params": {"wrong": "x"}},
                ],
            },
        )
        signed = signed_headers(shop.key, "GET", "/v1/balance")
        await running.client().get("/v1/balance", headers=signed)
        await running.client().get("/v1/balance", headers=signed)  # a replay
        await running.client(shop.key[:-2] + "xx").get("/v1/balance")
        await running.client("Bearer " + shop.key).get("/v1/balance")
        unverified = await running.sender("new shop", verified=False)
        await unverified.client.post(
            "/v1/messages",
            json={"to": NUMBERS[0], "template": "shipped", "params": {"tracking": "L2"}},
        )
        await unverified.client.post("/v1/test_numbers", json={"number": TEST_NUMBER})
        await running.wait_for(lambda: len(running.submits_to(TEST_NUMBER)) == 1)
        code_text = running.submits_to(TEST_NUMBER)[0].text
        _, operator = await running.operator()
        created = await operator.post(
            f"/admin/v1/accounts/{unverified.account_id}/keys", json={"label": "k"}
        )
        secrets.append(created.json()["key"])
        for message_id in ids:
            await running.final_status(shop.client, message_id)
        # Request lines quoting a number (httpx logs them), and a library's message: the
        # safety net masks both.
        await shop.client.get("/v1/messages", params={"to": NUMBERS[3]})
        logging.getLogger("some.library").warning("could not reach %s", NUMBERS[2])

    lines = captured_logs.getvalue().splitlines()
    assert len(lines) > 5
    assert any("+861380****000" in line for line in lines)
    assert any("/v1/messages?to=" in line and "****" in line for line in lines)
    for line in lines:
        for number in [*NUMBERS, TEST_NUMBER]:
            assert number not in line, line
            assert number.lstrip("+") not in line, line
        for secret in secrets:
            assert secret not in line, line
        assert code_text not in line
        assert "psk_" not in line, line
        assert "whsec_" not in line, line
