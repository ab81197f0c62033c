"""POST/GET /v1/webhooks and GET /v1/balance."""

from __future__ import annotations

import base64
from typing import Any

import pytest


async def test_registering_a_webhook_returns_its_signing_secret_once(api: Any) -> None:
    response = await api.alpha.client.post(
        "/v1/webhooks", json={"url": "https://shop.example/sms-events"}
    )

    assert response.status_code == 201, response.text
    created = response.json()
    assert created["url"] == "https://shop.example/sms-events"
    assert created["secret"].startswith("whsec_")
    # Standard Webhooks: the secret is base64 of 24 to 64 random bytes.
    assert 24 <= len(base64.b64decode(created["secret"].removeprefix("whsec_"))) <= 64
    shown = (await api.alpha.client.get("/v1/webhooks")).json()
    assert shown == {"url": created["url"], "created_at": created["created_at"]}
    stored = await api.storage.webhook_endpoints.get_webhook_endpoint(api.alpha.account_id)
    assert stored is not None
    assert stored.secret == created["secret"]


async def test_registering_again_replaces_the_url_and_the_secret(api: Any) -> None:
    first = (
        await api.alpha.client.post("/v1/webhooks", json={"url": "https://a.example/hook"})
    ).json()
    second = (
        await api.alpha.client.post("/v1/webhooks", json={"url": "https://b.example/hook"})
    ).json()

    assert second["secret"] != first["secret"]
    assert (await api.alpha.client.get("/v1/webhooks")).json()["url"] == "https://b.example/hook"
    stored = await api.storage.webhook_endpoints.get_webhook_endpoint(api.alpha.account_id)
    assert stored is not None
    assert stored.secret == second["secret"]


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8080/hook",
        "http://localhost/hook",
        "https://10.1.2.3/hook",
        "http://[::1]/hook",
        "ftp://example.com/hook",
        "https://user:pass@example.com/hook",
        "not a url",
        "",
    ],
)
async def test_webhook_urls_that_must_not_be_called_are_refused(
    api: Any, error_of: Any, url: str
) -> None:
    response = await api.alpha.client.post("/v1/webhooks", json={"url": url})

    error_of(response, 422, "invalid_webhook_url", "url")
    assert await api.storage.webhook_endpoints.get_webhook_endpoint(api.alpha.account_id) is None


async def test_no_webhook_registered_is_not_found(api: Any, error_of: Any) -> None:
    error_of(await api.alpha.client.get("/v1/webhooks"), 404, "not_found")


async def test_webhook_endpoints_are_per_account(api: Any, error_of: Any) -> None:
    await api.alpha.client.post("/v1/webhooks", json={"url": "https://a.example/hook"})

    error_of(await api.beta.client.get("/v1/webhooks"), 404, "not_found")


async def test_balance_moves_from_available_to_reserved_when_a_message_is_accepted(
    api: Any,
) -> None:
    before = (await api.alpha.client.get("/v1/balance")).json()
    await api.alpha.client.post(
        "/v1/messages",
        json={"to": "+447400123456", "template": "shipped", "params": {"tracking": "X"}},
    )
    after = (await api.alpha.client.get("/v1/balance")).json()

    unchanged = {"low_balance_threshold": None, "package_only": False, "packages": []}
    assert before == {"currency": "EUR", "available": "100", "reserved": "0", **unchanged}
    assert after == {"currency": "EUR", "available": "99.96", "reserved": "0.04", **unchanged}
