"""The operator's routes through the HTTP API of the real composition root: stored, audited,
applied to the next message, explained, and shown to senders as their coverage."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from secured_platform import RunningPlatform, running_platform

from parcelsms.pipeline.account_security_ports import AuditFilter

GB = "+447400123456"
US_NUMBER = "+12025550101"  # the simulator delivers it
ONLY_GB = """
[[routes]]
countries = ["GB"]
channels = ["simulator"]
"""


def shipped(to: str) -> dict[str, Any]:
    return {"to": to, "template": "shipped", "params": {"tracking": "T1"}}


def route(**fields: Any) -> dict[str, Any]:
    return {"channels": ["simulator"], **fields}


@pytest.fixture
async def running(tmp_path: Path) -> AsyncIterator[RunningPlatform]:
    async with running_platform(tmp_path, ONLY_GB) as platform:
        yield platform


async def test_an_operator_creates_replaces_reorders_and_deletes_routes_each_change_audited(
    running: RunningPlatform,
) -> None:
    operator_key_id, operator = await running.operator()

    first = await operator.post("/admin/v1/routes", json=route(countries=["US"]))
    second = await operator.post(
        "/admin/v1/routes", json=route(prefixes=["+4477"], description="UK mobiles", position=0)
    )
    first_id, second_id = first.json()["id"], second.json()["id"]
    listed = (await operator.get("/admin/v1/routes")).json()
    replaced = await operator.put(
        f"/admin/v1/routes/{first_id}", json=route(countries=["US", "CA"])
    )
    reordered = await operator.post("/admin/v1/routes/reorder", json={"ids": [first_id, second_id]})
    deleted = await operator.delete(f"/admin/v1/routes/{second_id}")
    gone = await operator.delete(f"/admin/v1/routes/{second_id}")
    final = (await operator.get("/admin/v1/routes")).json()
    audit = await running.storage.accounts.list_audit(AuditFilter(actor_key_id=operator_key_id))

    assert (first.status_code, second.status_code) == (201, 201)
    assert [(item["id"], item["position"]) for item in listed["data"]] == [
        (second_id, 0),
        (first_id, 1),
    ]
    assert listed["data"][0]["description"] == "UK mobiles"
    assert listed["file_routes"] == [
        {
            "channels": ["simulator"],
            "countries": ["GB"],
            "accounts": [],
            "prefixes": [],
            "carriers": [],
            "sender_ids": [],
            "strategy": "priority",
            "weights": [],
            "delivery_floor": 0.0,
            "description": "",
            "name": "routes[0]",
        }
    ]
    assert replaced.status_code == 200
    assert replaced.json()["countries"] == ["US", "CA"]
    assert [item["id"] for item in reordered.json()["data"]] == [first_id, second_id]
    assert (deleted.status_code, gone.status_code) == (204, 404)
    assert [(item["id"], item["position"]) for item in final["data"]] == [(first_id, 0)]
    assert [(entry.action, entry.target_id) for entry in reversed(audit.items)] == [
        ("route.create", first_id),
        ("route.create", second_id),
        ("route.replace", first_id),
        ("route.reorder", None),
        ("route.delete", second_id),
    ]
    replace_entry = next(entry for entry in audit.items if entry.action == "route.replace")
    assert replace_entry.before is not None
    assert replace_entry.before["countries"] == ["US"]
    assert replace_entry.after is not None
    assert replace_entry.after["countries"] == ["US", "CA"]


@pytest.mark.parametrize(
    ("body", "status", "code", "field"),
    [
        (route(channels=["nowhere"]), 422, "invalid_route", "channels"),
        (route(channels=["simulator", "simulator"]), 422, "invalid_route", "channels"),
        (route(countries=["UK"]), 422, "invalid_route", "countries"),
        (route(prefixes=["5511"]), 422, "invalid_route", "prefixes[0]"),
        (route(strategy="weighted", weights=[1, 2]), 422, "invalid_route", "weights"),
        (route(strategy="least_cost", delivery_floor=2), 422, "invalid_request", "delivery_floor"),
        (route(strategy="fastest"), 422, "invalid_request", "strategy"),
        (route(colour="blue"), 422, "invalid_request", "colour"),
        ({"countries": ["US"]}, 422, "invalid_request", "channels"),
    ],
)
async def test_a_route_that_cannot_be_used_is_refused_naming_its_field(
    running: RunningPlatform, body: dict[str, Any], status: int, code: str, field: str
) -> None:
    _, operator = await running.operator()

    response = await operator.post("/admin/v1/routes", json=body)
    listed = (await operator.get("/admin/v1/routes")).json()

    assert response.status_code == status, response.text
    assert response.json()["error"]["code"] == code
    assert response.json()["error"]["field"] == field
    assert listed["data"] == []


async def test_reordering_must_name_every_route_once_and_a_missing_route_is_not_found(
    running: RunningPlatform,
) -> None:
    _, operator = await running.operator()
    created = (await operator.post("/admin/v1/routes", json=route(countries=["US"]))).json()

    partial = await operator.post("/admin/v1/routes/reorder", json={"ids": []})
    twice = await operator.post(
        "/admin/v1/routes/reorder", json={"ids": [created["id"], created["id"]]}
    )
    missing = await operator.put("/admin/v1/routes/rte_missing", json=route())

    for response in (partial, twice):
        assert response.status_code == 422
        assert response.json()["error"]["field"] == "ids"
        assert response.json()["error"]["code"] == "invalid_route"
    assert missing.status_code == 404


async def test_a_stored_route_serves_the_next_message_and_deleting_it_stops_that(
    running: RunningPlatform,
) -> None:
    shop = await running.sender("shop")
    _, operator = await running.operator()

    before = await shop.client.post("/v1/messages", json=shipped(US_NUMBER))
    created = (await operator.post("/admin/v1/routes", json=route(countries=["US"]))).json()
    served = await shop.client.post("/v1/messages", json=shipped(US_NUMBER))
    await operator.delete(f"/admin/v1/routes/{created['id']}")
    after = await shop.client.post("/v1/messages", json=shipped(US_NUMBER))

    assert before.status_code == 422
    assert before.json()["error"]["code"] == "unsupported_country"
    assert served.status_code == 202, served.text
    assert await running.final_status(shop.client, served.json()["id"]) == "delivered"
    assert after.status_code == 422
    assert after.json()["error"]["code"] == "unsupported_country"


async def test_a_route_for_one_account_serves_that_account_alone(
    running: RunningPlatform,
) -> None:
    shop = await running.sender("shop")
    other = await running.sender("other")
    _, operator = await running.operator()
    await operator.post(
        "/admin/v1/routes", json=route(countries=["US"], accounts=[shop.account_id])
    )

    mine = await shop.client.post("/v1/messages", json=shipped(US_NUMBER))
    theirs = await other.client.post("/v1/messages", json=shipped(US_NUMBER))

    assert mine.status_code == 202
    assert theirs.json()["error"]["code"] == "unsupported_country"


async def test_explain_shows_which_route_matches_why_the_others_do_not_and_the_plan(
    running: RunningPlatform,
) -> None:
    _, operator = await running.operator()
    shop_route = (
        await operator.post("/admin/v1/routes", json=route(countries=["GB"], accounts=["acc_shop"]))
    ).json()
    await operator.put(
        "/admin/v1/channel_costs",
        json={"channel": "simulator", "country": "GB", "amount": "0.012"},
    )

    other = await operator.get("/admin/v1/routes/explain", params={"to": GB})
    # The plan shows the channels' health as last published (about every second): a
    # snapshot from before the bind came up may still say "down" for a moment.
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 10
    while True:
        shop = await operator.get(
            "/admin/v1/routes/explain", params={"to": GB, "account": "acc_shop"}
        )
        if not shop.json()["plan"][0]["down"] or loop.time() > deadline:
            break
        await asyncio.sleep(0.2)
    bad = await operator.get("/admin/v1/routes/explain", params={"to": "+44"})

    assert other.status_code == 200
    body = other.json()
    assert (body["country"], body["matched"], body["strategy"]) == ("GB", "routes[0]", "priority")
    assert body["routes"] == [
        {
            "route": shop_route["id"],
            "verdict": "failed",
            "failed_filter": "accounts",
            "reason": "account (none) is not listed",
        },
        {"route": "routes[0]", "verdict": "matched", "failed_filter": None, "reason": None},
    ]
    assert body["plan"][0]["channel"] == "simulator"
    assert shop.json()["matched"] == shop_route["id"]
    assert [item["verdict"] for item in shop.json()["routes"]] == ["matched", "shadowed"]
    assert shop.json()["plan"] == [
        {"channel": "simulator", "down": False, "cost": "0.012", "delivery_rate": None}
    ]
    assert bad.status_code == 422
    assert bad.json()["error"]["field"] == "to"


async def test_coverage_lists_the_countries_a_sender_can_reach_with_the_price(
    running: RunningPlatform,
) -> None:
    shop = await running.sender("shop")
    other = await running.sender("other")
    _, operator = await running.operator()
    await operator.put("/admin/v1/prices/GB", json={"amount": "0.031"})
    await operator.post(
        "/admin/v1/routes",
        json=route(countries=["BR"], prefixes=["+5511"], accounts=[shop.account_id]),
    )

    mine = await shop.client.get("/v1/coverage")
    theirs = await other.client.get("/v1/coverage")

    assert mine.status_code == 200
    assert mine.json()["data"] == [
        {"country": "BR", "partial": True, "price_per_segment": "0.05", "currency": "EUR"},
        {"country": "GB", "partial": False, "price_per_segment": "0.031", "currency": "EUR"},
    ]
    assert [item["country"] for item in theirs.json()["data"]] == ["GB"]
