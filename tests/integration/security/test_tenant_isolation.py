"""Tenant isolation: every route of the API, called by account beta with account alpha's ids.

The route list is the application's own route table, so a new route is covered (or fails
here, asking for an id or a body) the day it is added. Expected:

* a route with an ``{id}`` of alpha's: ``404 not_found`` — never 403, never alpha's data;
* any other route: beta's own answer, in which nothing of alpha's appears;
* ``/admin/v1`` routes: ``403 forbidden`` for beta's sender key (it lacks ``admin``), again
  without anything of alpha's;
* afterwards alpha's state, read through alpha's own key and the audit log, is unchanged.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from secured_platform import TEST_ACTOR, RunningPlatform, Sender, running_platform

from parcelsms.api.route_table import ApiRoute
from parcelsms.pipeline.account_security_ports import AuditFilter
from parcelsms.pipeline.billing_ports import PackageSpec

ALPHA_PHONE = "+447700100321"
ALPHA_SUPPRESSED = "+447700100777"
ALPHA_SECRET_TEXT = "Alpha's private template about {tracking}."
DETAILS = {
    "legal_name": "Alpha Logistics GmbH",
    "registration_number": "HRB 123456",
    "country": "DE",
    "contact_name": "Ada Alpha",
    "contact_email": "ada@alpha.example",
    "contact_phone": "+49 30 901820",
}
# Bodies for routes that need one, so a request reaches the id lookup (or beta's own data).
BODIES: dict[tuple[str, str], Any] = {
    ("POST", "/v1/templates"): {"name": "beta_note", "language": "en", "body": "Hi {name}."},
    ("POST", "/v1/sender_ids"): {"sender_id": "BETA", "country": "GB"},
    ("POST", "/v1/message_settings"): {"smart_encoding": True},
    ("POST", "/v1/messages/preview"): {
        "to": "+12025550100",
        "template": "shipped",
        "params": {"tracking": "B"},
    },
    ("POST", "/v1/messages"): {
        "to": "+12025550100",
        "template": "shipped",
        "params": {"tracking": "B"},
    },
    ("POST", "/v1/messages/batch"): {
        "template": "shipped",
        "messages": [{"to": "+12025550101", "params": {"tracking": "B"}}],
    },
    ("POST", "/v1/webhooks"): {"url": "https://203.0.113.50/beta-hooks"},
    ("POST", "/v1/webhooks/endpoints"): {"url": "https://203.0.113.51/beta-hooks"},
    ("PUT", "/v1/webhooks/endpoints/{id}"): {
        "url": "https://203.0.113.52/beta-hooks",
        "event_types": ["message.final"],
    },
    ("POST", "/v1/webhooks/endpoints/{id}/replay"): {"since": "2020-01-01T00:00:00Z"},
    ("POST", "/v1/account/verification"): {**DETAILS, "legal_name": "Beta Ltd", "country": "GB"},
    ("POST", "/v1/test_numbers"): {"number": "+447700100999"},
    ("POST", "/v1/test_numbers/{id}/confirm"): {"code": "123456"},
    ("POST", "/v1/keys"): {"label": "beta second key"},
    ("POST", "/v1/balance/alerts"): {"threshold": "1.5"},
}
UNAUTHENTICATED = {"/healthz", "/openapi.json", "/docs"}


@dataclass
class Alpha:
    sender: Sender
    ids: dict[str, str]  # path prefix of a resource -> alpha's id there
    secrets: list[str]  # strings that must never reach beta


@pytest.fixture
async def running(tmp_path: Path) -> AsyncIterator[RunningPlatform]:
    async with running_platform(tmp_path) as platform:
        yield platform


async def _alpha(running: RunningPlatform) -> Alpha:
    alpha = await running.sender("alpha")
    client = alpha.client
    template = await running.storage.content.create_template(
        alpha.account_id, "private_note", "en", ALPHA_SECRET_TEXT
    )
    package = await running.storage.billing.grant_package(
        alpha.account_id,
        PackageSpec(
            name="Alpha secret bundle",
            region="countries",
            countries=("NO",),
            segments=7,
            expires_at=datetime.now(UTC) + timedelta(days=3),
        ),
        TEST_ACTOR,
    )
    # Before the message, so that its status changes are webhook deliveries of alpha's.
    await client.post("/v1/webhooks", json={"url": "https://203.0.113.9/alpha-hooks"})
    # Above the balance: the message below crosses it, so alpha gets a notification.
    await client.post("/v1/balance/alerts", json={"threshold": "100.01"})
    sent = await client.post(
        "/v1/messages",
        json={"to": "+12025550105", "template": "shipped", "params": {"tracking": "ALPHA-77"}},
    )
    sender_id = await client.post("/v1/sender_ids", json={"sender_id": "ALPHA", "country": "GB"})
    endpoints = (await client.get("/v1/webhooks/endpoints")).json()["data"]
    deliveries = (await client.get("/v1/webhooks/deliveries")).json()["data"]
    second_key = await client.post("/v1/keys", json={"label": "alpha reader"})
    number = await client.post("/v1/test_numbers", json={"number": ALPHA_PHONE})
    suppressed = await client.post("/v1/suppressions", json={"number": ALPHA_SUPPRESSED})
    assert suppressed.status_code == 201, suppressed.text
    await client.post("/v1/account/verification", json=DETAILS)
    for response in (sent, sender_id, second_key, number):
        assert response.status_code in (201, 202), response.text
    ids = {
        "/v1/messages": sent.json()["id"],
        "/v1/templates": template.id,
        "/v1/sender_ids": sender_id.json()["id"],
        "/v1/keys": second_key.json()["id"],
        "/v1/test_numbers": number.json()["id"],
        "/admin/v1/templates": template.id,
        "/admin/v1/sender_ids": sender_id.json()["id"],
        "/admin/v1/accounts": alpha.account_id,
        "/admin/v1/keys": alpha.key_id,
        "/admin/v1/messages": sent.json()["id"],
        "/v1/webhooks/endpoints": endpoints[0]["id"],
        "/v1/webhooks/deliveries": deliveries[0]["id"],
        "/v1/suppressions": ALPHA_SUPPRESSED,
        # The operator's blacklist is global: beta's key is refused before any lookup.
        "/admin/v1/blacklist": ALPHA_SUPPRESSED,
        # So are the operator's routes (no account owns one).
        "/admin/v1/routes": "rte_operator_route",
    }
    notifications = (await client.get("/v1/notifications")).json()["data"]
    assert [item["kind"] for item in notifications] == ["balance.low"]
    secrets = [
        *ids.values(),
        alpha.account_id,
        alpha.key_id,
        alpha.key,
        second_key.json()["key"],
        "ALPHA-77",
        "alpha-hooks",
        "Alpha's private template",
        "Alpha Logistics",
        ALPHA_PHONE,
        "+12025550105",
        package.id,
        "Alpha secret bundle",
        notifications[0]["id"],
        "100.01",
    ]
    return Alpha(alpha, ids, secrets)


async def _state_of(running: RunningPlatform, alpha: Alpha) -> list[Any]:
    """Everything alpha can read about itself, and its audit trail."""
    client = alpha.sender.client
    reads = [
        "/v1/account",
        "/v1/balance",
        "/v1/messages",
        f"/v1/messages/{alpha.ids['/v1/messages']}",
        "/v1/templates",
        "/v1/sender_ids",
        "/v1/message_settings",
        "/v1/webhooks",
        "/v1/webhooks/endpoints",
        "/v1/keys",
        "/v1/test_numbers",
        "/v1/ledger",
        "/v1/packages",
        "/v1/notifications",
        "/v1/limits",
        "/v1/balance/alerts",
        "/v1/suppressions",
        "/v1/inbound",
        "/v1/events",
    ]
    state: list[Any] = []
    for path in reads:
        body = (await client.get(path)).json()
        state.append(_without_volatile(body))
    audit = await running.storage.accounts.list_audit(
        AuditFilter(account_id=alpha.sender.account_id)
    )
    state.append([entry.id for entry in audit.items])
    state.append((await client.get("/v1/ledger.csv")).text)
    return state


def _without_volatile(value: Any) -> Any:
    # last_used_at changes whenever alpha itself reads; message status moves on its own; the
    # events cursor moves past the rows other accounts write.
    if isinstance(value, dict):
        return {
            key: _without_volatile(item)
            for key, item in value.items()
            if key
            not in (
                "last_used_at",
                "status",
                "updated_at",
                "final_at",
                "submitted_at",
                "history",
                "events",
                "parts",
                "reserved",
                "available",
                "next_cursor",
            )
        }
    if isinstance(value, list):
        return [_without_volatile(item) for item in value]
    return value


_PATH_KEYS = ("{id}", "{number}")


def _path_key(path: str) -> str | None:
    return next((key for key in _PATH_KEYS if key in path), None)


def _target(route: ApiRoute, alpha: Alpha) -> str:
    key = _path_key(route.path)
    if key is None:
        return route.path
    prefix = route.path.split(f"/{key}")[0]
    assert prefix in alpha.ids, f"add an id of alpha's for {route.method} {route.path}"
    return route.path.replace(key, alpha.ids[prefix].replace("+", "%2B"))


async def _call(client: httpx.AsyncClient, route: ApiRoute, alpha: Alpha) -> httpx.Response:
    body = BODIES.get((route.method, route.path))
    if body is None and route.request is not None:
        body = {}
    return await client.request(route.method, _target(route, alpha), json=body)


async def test_no_route_shows_or_changes_another_accounts_data(running: RunningPlatform) -> None:
    alpha = await _alpha(running)
    beta = await running.sender("beta")
    await running.wait_for(lambda: len(running.submits_to(ALPHA_PHONE)) == 1)
    # Final, so that no settlement moves alpha's ledger while the routes are tried.
    await running.final_status(alpha.sender.client, alpha.ids["/v1/messages"])
    before = await _state_of(running, alpha)
    table: list[ApiRoute] = running.platform.app.state.route_table

    checked = 0
    for route in table:
        if route.path in UNAUTHENTICATED:
            continue
        response = await _call(beta.client, route, alpha)
        where = f"{route.method} {route.path} -> {response.status_code} {response.text[:200]}"
        assert response.status_code < 500, where
        for secret in alpha.secrets:
            assert secret not in response.text, f"{where} leaks {secret!r}"
        if route.path.startswith("/admin/"):
            assert response.status_code == 403, where
            assert response.json()["error"]["code"] == "forbidden", where
        elif _path_key(route.path) is not None:
            assert response.status_code == 404, where
            assert response.json()["error"]["code"] == "not_found", where
        checked += 1

    after = await _state_of(running, alpha)
    assert checked == len(table) - len(UNAUTHENTICATED)
    assert checked >= 70  # every route, with the billing routes (issue 5 part B)
    assert after == before


async def test_alphas_key_works_for_alpha_and_only_alpha(running: RunningPlatform) -> None:
    alpha = await _alpha(running)
    beta = await running.sender("beta")

    own = await alpha.sender.client.get(f"/v1/messages/{alpha.ids['/v1/messages']}")
    with_beta_key = await beta.client.get(f"/v1/messages/{alpha.ids['/v1/messages']}")
    beta_listing = (await beta.client.get("/v1/messages")).json()

    assert own.status_code == 200
    assert with_beta_key.status_code == 404
    assert beta_listing["data"] == []
    assert re.search(r"ALPHA-77", own.text)
