"""Bearer API keys: missing, malformed, unknown, revoked keys; suspended accounts; key usage."""

from __future__ import annotations

from typing import Any

import pytest
from sender_accounts import TEST_ACTOR


@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "",
        "Bearer",
        "Bearer ",
        "Basic dXNlcjpwYXNz",
        "Bearer psk_not_a_key",
        "Bearer psk_01J00000000000000000000000.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "Bearer " + "k" * 5000,
    ],
)
async def test_requests_without_a_valid_key_are_unauthorized(
    api: Any, error_of: Any, authorization: str | None
) -> None:
    headers = {"Authorization": authorization} if authorization is not None else {}

    response = await api.anonymous.get("/v1/templates", headers=headers)

    error_of(response, 401, "unauthorized")
    assert response.headers["www-authenticate"] == "Bearer"


async def test_a_tampered_secret_is_unauthorized(api: Any, error_of: Any) -> None:
    tampered = api.alpha.key[:-1] + ("A" if api.alpha.key[-1] != "A" else "B")

    response = await api.anonymous.get(
        "/v1/balance", headers={"Authorization": f"Bearer {tampered}"}
    )

    error_of(response, 401, "unauthorized")


async def test_the_scheme_name_is_case_insensitive(api: Any) -> None:
    response = await api.anonymous.get(
        "/v1/balance", headers={"Authorization": f"bearer {api.alpha.key}"}
    )

    assert response.status_code == 200


async def test_a_revoked_key_is_refused(uncached_api: Any, error_of: Any) -> None:
    api = uncached_api
    assert (await api.alpha.client.get("/v1/balance")).status_code == 200

    await api.storage.accounts.revoke_key(api.alpha.key_id, TEST_ACTOR, api.alpha.account_id)

    error_of(await api.alpha.client.get("/v1/balance"), 401, "unauthorized")


async def test_a_suspended_account_is_forbidden_and_can_act_again_when_reactivated(
    uncached_api: Any, error_of: Any
) -> None:
    api = uncached_api
    await api.storage.accounts.suspend_account(api.alpha.account_id, "test", TEST_ACTOR)

    suspended = await api.alpha.client.post(
        "/v1/messages",
        json={"to": "+447400123456", "template": "shipped", "params": {"tracking": "X"}},
    )
    await api.storage.accounts.reactivate_account(api.alpha.account_id, TEST_ACTOR)
    active = await api.alpha.client.get("/v1/balance")

    error_of(suspended, 403, "account_suspended")
    assert active.status_code == 200


async def test_a_key_works_only_for_its_own_account(api: Any) -> None:
    alpha = (await api.alpha.client.get("/v1/templates")).json()["data"]
    beta = (await api.beta.client.get("/v1/templates")).json()["data"]

    assert alpha
    assert beta == []


async def test_key_usage_is_recorded_in_the_background(api: Any) -> None:
    assert (await api.alpha.client.get("/v1/balance")).status_code == 200
    await api.app.state.authenticator.drain()

    keys = await api.storage.accounts.list_keys(api.alpha.account_id)
    assert keys[0].last_used_at is not None


async def test_a_second_client_with_the_same_key_is_the_same_caller(api: Any) -> None:
    response = await api.anonymous.get(
        "/v1/balance", headers={"Authorization": f"Bearer {api.alpha.key}"}
    )

    assert response.status_code == 200
    assert response.json()["currency"] == "EUR"
