"""/v1/webhooks/endpoints and /v1/webhooks/deliveries over HTTP (the app on a real SQLite file)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from outbox_messages import submitted_messages

from parcelsms.api.resources.webhooks.endpoints import MAX_ENDPOINTS
from parcelsms.pipeline.webhook_ports import WebhookResult

ENDPOINTS = "/v1/webhooks/endpoints"


async def test_an_endpoint_is_created_with_its_event_types_and_shows_its_secret_once(
    api: Any,
) -> None:
    client = api.alpha.client
    created = await client.post(
        ENDPOINTS,
        json={"url": "https://crm.example/final", "event_types": ["message.final"]},
    )
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["secret"].startswith("whsec_")
    assert body["event_types"] == ["message.final"]
    assert (body["is_default"], body["enabled"]) == (False, True)
    assert created.headers["location"] == f"{ENDPOINTS}/{body['id']}"

    shown = (await client.get(f"{ENDPOINTS}/{body['id']}")).json()
    assert "secret" not in shown
    assert shown["url"] == "https://crm.example/final"
    listed = (await client.get(ENDPOINTS)).json()["data"]
    assert [item["id"] for item in listed] == [body["id"]]


async def test_without_event_types_an_endpoint_receives_what_one_endpoint_always_did(
    api: Any,
) -> None:
    body = (await api.alpha.client.post(ENDPOINTS, json={"url": "https://crm.example/all"})).json()
    assert body["event_types"] == [
        "message.status",
        "message.inbound",
        "balance.low",
        "limit.warning",
    ]


async def test_the_default_endpoint_of_v1_webhooks_is_one_of_the_endpoints(api: Any) -> None:
    client = api.alpha.client
    await client.post("/v1/webhooks", json={"url": "https://shop.example/hooks"})
    (default,) = (await client.get(ENDPOINTS)).json()["data"]
    assert (default["url"], default["is_default"]) == ("https://shop.example/hooks", True)
    assert "message.status" in default["event_types"]


async def test_the_default_endpoint_cannot_be_deleted_but_can_be_disabled(
    api: Any, error_of: Any
) -> None:
    client = api.alpha.client
    await client.post("/v1/webhooks", json={"url": "https://shop.example/hooks"})
    (default,) = (await client.get(ENDPOINTS)).json()["data"]
    error_of(await client.delete(f"{ENDPOINTS}/{default['id']}"), 409, "default_webhook_endpoint")
    disabled = await client.put(
        f"{ENDPOINTS}/{default['id']}",
        json={"url": default["url"], "event_types": default["event_types"], "enabled": False},
    )
    assert disabled.json()["enabled"] is False
    assert (await client.get("/v1/webhooks")).status_code == 200


async def test_the_old_limit_warning_name_is_accepted_and_answered_canonically(api: Any) -> None:
    body = (
        await api.alpha.client.post(
            ENDPOINTS,
            json={"url": "https://crm.example/x", "event_types": ["account.threshold_warning"]},
        )
    ).json()
    assert body["event_types"] == ["limit.warning"]


async def test_unknown_event_types_and_private_urls_are_refused(api: Any, error_of: Any) -> None:
    client = api.alpha.client
    unknown = await client.post(
        ENDPOINTS, json={"url": "https://crm.example/x", "event_types": ["message.read"]}
    )
    assert unknown.status_code == 422, unknown.text
    assert unknown.json()["error"]["field"].startswith("event_types")
    empty = await client.post(ENDPOINTS, json={"url": "https://crm.example/x", "event_types": []})
    assert empty.status_code == 422, empty.text
    error_of(
        await client.post(ENDPOINTS, json={"url": "http://127.0.0.1/hook"}),
        422,
        "invalid_webhook_url",
        "url",
    )
    assert (await client.get(ENDPOINTS)).json()["data"] == []


async def test_an_account_has_a_bounded_number_of_endpoints(api: Any, error_of: Any) -> None:
    client = api.alpha.client
    for n in range(MAX_ENDPOINTS):
        response = await client.post(ENDPOINTS, json={"url": f"https://crm.example/{n}"})
        assert response.status_code == 201, response.text
    error_of(
        await client.post(ENDPOINTS, json={"url": "https://crm.example/one-more"}),
        422,
        "resource_limit",
    )


async def test_an_endpoint_is_changed_disabled_and_deleted(api: Any, error_of: Any) -> None:
    client = api.alpha.client
    created = (await client.post(ENDPOINTS, json={"url": "https://crm.example/a"})).json()
    item = f"{ENDPOINTS}/{created['id']}"
    changed = await client.put(
        item,
        json={
            "url": "https://crm.example/b",
            "event_types": ["message.submitted", "message.final"],
            "enabled": False,
        },
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["event_types"] == ["message.submitted", "message.final"]
    assert (changed.json()["url"], changed.json()["enabled"]) == ("https://crm.example/b", False)

    assert (await client.delete(item)).status_code == 204
    error_of(await client.get(item), 404, "not_found")
    error_of(await client.delete(item), 404, "not_found")


async def test_a_rotation_shows_the_new_secret_and_how_long_the_old_one_signs(api: Any) -> None:
    client = api.alpha.client
    created = (await client.post(ENDPOINTS, json={"url": "https://crm.example/a"})).json()
    before = datetime.now(UTC)
    rotated = await client.post(
        f"{ENDPOINTS}/{created['id']}/rotate-secret", json={"overlap_seconds": 3600}
    )
    assert rotated.status_code == 200, rotated.text
    body = rotated.json()
    assert body["secret"] != created["secret"]
    expires = datetime.fromisoformat(body["previous_secret_expires_at"])
    assert before + timedelta(minutes=59) < expires < before + timedelta(minutes=61)
    stored = await api.storage.webhook_endpoints.get_endpoint(api.alpha.account_id, created["id"])
    assert (stored.secret, stored.previous_secret) == (body["secret"], created["secret"])

    # An empty body: a day's overlap.
    again = await client.post(f"{ENDPOINTS}/{created['id']}/rotate-secret")
    assert again.status_code == 200, again.text


async def test_deliveries_are_listed_retried_and_replayed(api: Any, error_of: Any) -> None:
    client = api.alpha.client
    created = (
        await client.post(
            ENDPOINTS,
            json={"url": "https://crm.example/a", "event_types": ["message.submitted"]},
        )
    ).json()
    await submitted_messages(api.storage, api.alpha.account_id, 3)
    outbox = api.storage.webhook_outbox
    rows = await outbox.claim_due_webhooks(10, datetime.now(UTC) + timedelta(days=1), 5)
    await outbox.record_webhook_results(
        [WebhookResult(id=row.id, ok=False, status=410, error="http_410") for row in rows]
    )

    listed = await client.get(
        "/v1/webhooks/deliveries",
        params={"endpoint_id": created["id"], "status": "dead", "limit": "2"},
    )
    assert listed.status_code == 200, listed.text
    page = listed.json()
    assert len(page["data"]) == 2
    first = page["data"][0]
    assert (first["event_type"], first["last_status_code"], first["attempts"]) == (
        "message.submitted",
        410,
        1,
    )
    rest = (
        await client.get("/v1/webhooks/deliveries", params={"cursor": page["next_cursor"]})
    ).json()
    assert len(rest["data"]) == 1

    retried = await client.post(f"/v1/webhooks/deliveries/{first['id']}/retry")
    assert retried.status_code == 202, retried.text
    assert (retried.json()["status"], retried.json()["attempts"]) == ("pending", 0)

    replayed = await client.post(
        f"{ENDPOINTS}/{created['id']}/replay", json={"since": "2000-01-01T00:00:00Z"}
    )
    assert replayed.status_code == 202, replayed.text
    assert replayed.json() == {"replayed": 2}  # the third was pending already
    error_of(
        await client.get("/v1/webhooks/deliveries", params={"status": "lost"}),
        400,
        "invalid_filter",
        "status",
    )
    error_of(await client.post("/v1/webhooks/deliveries/evt_nothing/retry"), 404, "not_found")
