"""Keys: scopes, IP allowlists, revocation at once, request rates, the key API, operator keys."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from secured_platform import ADMIN_TOKEN, RunningPlatform, Sender, running_platform

from parcelsms.pipeline.account_security_ports import KeySpec

MESSAGE = {"to": "+447400123456", "template": "shipped", "params": {"tracking": "K1"}}


@pytest.fixture
async def running(tmp_path: Path) -> AsyncIterator[RunningPlatform]:
    async with running_platform(tmp_path) as platform:
        yield platform


@pytest.fixture
async def shop(running: RunningPlatform) -> Sender:
    return await running.sender("shop")


@pytest.mark.parametrize(
    ("method", "path", "scope"),
    [
        ("POST", "/v1/messages", "messages:send"),
        ("GET", "/v1/messages", "messages:read"),
        ("GET", "/v1/templates", "templates"),
        ("GET", "/v1/webhooks", "webhooks"),
        ("GET", "/v1/balance", "billing:read"),
        ("GET", "/v1/account", "account"),
        ("GET", "/v1/keys", "keys"),
        ("GET", "/admin/v1/accounts", "admin"),
    ],
)
async def test_a_key_without_the_scope_is_forbidden_and_told_which(
    running: RunningPlatform, shop: Sender, method: str, path: str, scope: str
) -> None:
    others = tuple(s for s in ("messages:send", "messages:read", "account") if s != scope)
    _, key = await running.key_for(shop.account_id, KeySpec(scopes=others))

    response = await running.client(key).request(
        method, path, json=MESSAGE if method == "POST" else None
    )

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "forbidden"
    assert f"`{scope}`" in response.json()["error"]["message"]


async def test_a_send_only_key_sends(running: RunningPlatform, shop: Sender) -> None:
    _, key = await running.key_for(shop.account_id, KeySpec(scopes=("messages:send",)))

    response = await running.client(key).post("/v1/messages", json=MESSAGE)

    assert response.status_code == 202


async def test_a_key_revoked_through_the_api_is_refused_at_once(
    running: RunningPlatform, shop: Sender
) -> None:
    key_id, key = await running.key_for(shop.account_id, KeySpec(scopes=("messages:read",)))
    victim = running.client(key)
    assert (await victim.get("/v1/messages")).status_code == 200  # now cached

    revoked = await shop.client.delete(f"/v1/keys/{key_id}")
    after = await victim.get("/v1/messages")

    assert revoked.json()["revoked_at"] is not None
    assert after.status_code == 401
    assert after.json()["error"]["code"] == "unauthorized"


async def test_a_key_revoked_by_the_operator_is_refused_at_once(
    running: RunningPlatform, shop: Sender
) -> None:
    assert (await shop.client.get("/v1/balance")).status_code == 200
    _, operator = await running.operator()

    await operator.delete(f"/admin/v1/keys/{shop.key_id}")

    assert (await shop.client.get("/v1/balance")).status_code == 401


@pytest.mark.parametrize(
    ("networks", "address", "allowed"),
    [
        (["203.0.113.0/24"], "203.0.113.77", True),
        (["203.0.113.0/24"], "198.51.100.1", False),
        (["2001:db8::/32"], "2001:db8:5::1", True),
        (["2001:db8::/32"], "2001:db9::1", False),
        (["203.0.113.0/24"], "::ffff:203.0.113.9", True),
        (["10.0.0.0/8", "192.0.2.7/32"], "192.0.2.7", True),
    ],
)
async def test_a_key_is_accepted_only_from_its_allowed_networks(
    running: RunningPlatform, shop: Sender, networks: list[str], address: str, allowed: bool
) -> None:
    _, key = await running.key_for(
        shop.account_id, KeySpec(scopes=("billing:read",), allowed_networks=tuple(networks))
    )

    response = await running.client(key, address=address).get("/v1/balance")

    if allowed:
        assert response.status_code == 200
    else:
        assert response.status_code == 403
        assert response.json()["error"]["code"] == "forbidden"


async def test_a_key_over_its_rate_is_told_when_to_retry(
    running: RunningPlatform, shop: Sender
) -> None:
    _, key = await running.key_for(
        shop.account_id, KeySpec(scopes=("billing:read",), rate_per_second=0.5, rate_burst=3)
    )
    client = running.client(key)

    statuses = [(await client.get("/v1/balance")).status_code for _ in range(3)]
    limited = await client.get("/v1/balance")

    assert statuses == [200, 200, 200]
    assert limited.status_code == 429
    assert limited.json()["error"]["code"] == "rate_limited"
    assert limited.headers["retry-after"] == "2"
    assert (await shop.client.get("/v1/balance")).status_code == 200  # other keys unaffected


async def test_the_default_rate_applies_to_keys_without_their_own(tmp_path: Path) -> None:
    async with running_platform(tmp_path, security="key_rate_limit = 1\nkey_rate_burst = 2") as p:
        shop = await p.sender("shop")
        statuses = [(await shop.client.get("/v1/balance")).status_code for _ in range(3)]

    assert statuses == [200, 200, 429]


async def test_keys_are_created_within_the_creators_scopes(
    running: RunningPlatform, shop: Sender
) -> None:
    _, limited_key = await running.key_for(
        shop.account_id, KeySpec(scopes=("keys", "messages:read"))
    )
    limited = running.client(limited_key)

    default = await limited.post("/v1/keys", json={"label": "reader"})
    wider = await limited.post("/v1/keys", json={"scopes": ["messages:send"]})
    admin = await shop.client.post("/v1/keys", json={"scopes": ["admin"]})
    unknown = await shop.client.post("/v1/keys", json={"scopes": ["everything"]})

    assert default.status_code == 201
    assert default.json()["scopes"] == ["messages:read", "keys"]
    assert default.json()["key"].startswith("psk_")
    assert wider.status_code == 403
    assert admin.status_code == 403
    assert unknown.status_code == 422
    assert unknown.json()["error"]["field"] == "scopes"


async def test_the_key_api_lists_without_secrets_and_records_last_use(
    running: RunningPlatform, shop: Sender
) -> None:
    created = (
        await shop.client.post(
            "/v1/keys",
            json={
                "label": "warehouse",
                "scopes": ["messages:send"],
                "allowed_networks": ["203.0.113.0/24", "2001:db8::/32"],
                "rate_limit": {"per_second": 5, "burst": 10},
            },
        )
    ).json()
    await running.platform.app.state.authenticator.drain()

    listed = (await shop.client.get("/v1/keys")).json()["data"]
    own = next(key for key in listed if key["id"] == shop.key_id)

    assert created["allowed_networks"] == ["203.0.113.0/24", "2001:db8::/32"]
    assert created["rate_limit"] == {"per_second": 5.0, "burst": 10}
    assert created["can_sign"] is True
    assert all("key" not in key for key in listed)
    assert created["key"] not in str(listed)
    assert own["last_used_at"] is not None


async def test_a_bad_network_is_named(running: RunningPlatform, shop: Sender) -> None:
    response = await shop.client.post(
        "/v1/keys", json={"allowed_networks": ["203.0.113.0/24", "10.0.0.1/8"]}
    )

    assert response.status_code == 422
    assert response.json()["error"]["field"] == "allowed_networks[1]"


async def test_operator_keys_reach_the_admin_api_and_nothing_else(
    running: RunningPlatform, shop: Sender
) -> None:
    _, operator = await running.operator()

    admin = await operator.get("/admin/v1/accounts")
    send = await operator.post("/v1/messages", json=MESSAGE)
    sender_on_admin = await shop.client.get("/admin/v1/accounts")

    assert admin.status_code == 200
    assert send.status_code == 403
    assert sender_on_admin.status_code == 403


async def test_operator_keys_are_created_through_the_admin_api(running: RunningPlatform) -> None:
    _, operator = await running.operator()

    created = await operator.post("/admin/v1/operator_keys", json={"label": "second"})
    second = running.client(created.json()["key"])

    assert created.json()["scopes"] == ["admin"]
    assert (await second.get("/admin/v1/audit")).status_code == 200


async def test_the_bootstrap_token_opens_only_the_admin_api(
    running: RunningPlatform, shop: Sender
) -> None:
    token = running.client(ADMIN_TOKEN)

    admin = await token.get("/admin/v1/accounts")
    sender_api = await token.get("/v1/balance")
    audit = (
        await token.post(
            f"/admin/v1/accounts/{shop.account_id}/suspend", json={"reason": "checking"}
        )
    ).json()
    entries = (await token.get("/admin/v1/audit", params={"action": "account.suspend"})).json()

    assert admin.status_code == 200
    assert sender_api.status_code == 401
    assert audit["status"] == "suspended"
    assert entries["data"][0]["actor"] == "admin_token"
    assert entries["data"][0]["actor_key_id"] is None


async def test_openapi_names_the_scope_of_every_authenticated_operation(
    running: RunningPlatform,
) -> None:
    document = (await running.client().get("/openapi.json")).json()

    operations = [
        (path, method, operation)
        for path, methods in document["paths"].items()
        for method, operation in methods.items()
    ]
    authenticated = [op for op in operations if op[2].get("security") != []]

    assert len(authenticated) > 30
    for path, method, operation in authenticated:
        scope = operation["x-required-scope"]
        assert {"bearerAuth": [scope]} in operation["security"], (method, path)
        assert f"Required scope: `{scope}`" in operation["description"]
    assert document["paths"]["/v1/messages"]["post"]["x-required-scope"] == "messages:send"
    assert document["paths"]["/admin/v1/audit"]["get"]["x-required-scope"] == "admin"


async def test_operator_reviews_without_their_own_audit_get_a_generic_entry(
    running: RunningPlatform, shop: Sender
) -> None:
    operator_key_id, operator = await running.operator()
    template = await running.storage.content.create_template(
        shop.account_id, "delayed", "en", "Parcel {tracking} is delayed."
    )

    approved = await operator.post(f"/admin/v1/templates/{template.id}/approve")
    entries = await operator.get("/admin/v1/audit", params={"actor_key_id": operator_key_id})

    assert approved.status_code == 200, approved.text
    (entry,) = entries.json()["data"]
    assert entry["action"].startswith("admin.")
    assert entry["target_id"] == template.id
    assert entry["after"]["status"] == "approved"
