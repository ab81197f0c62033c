"""POST /v1/messages/batch: one result per item; one bad item never affects the others."""

from __future__ import annotations

import json
from typing import Any

GB_MOBILE = "+447400123456"
ES_MOBILE = "+34612345678"


def item(to: str = GB_MOBILE, tracking: Any = "PX1", **fields: Any) -> dict[str, Any]:
    return {"to": to, "params": {"tracking": tracking}, **fields}


async def test_mixed_batch_accepts_the_good_items_and_rejects_each_bad_one_with_its_field(
    api: Any,
) -> None:
    messages: list[Any] = [
        item(client_ref="good-0"),
        item(to="+4412"),
        {"to": GB_MOBILE, "params": {"tracking": "PX"}, "colour": "red"},
        item(to=ES_MOBILE, client_ref="good-3"),
        {"to": 447400123456, "params": {"tracking": "PX"}},
        "not even an object",
        item(tracking="x" * 81),
        {"params": {"tracking": "PX"}},
        item(to="(+86) 138-0013-8000", client_ref="good-8"),
    ]

    response = await api.alpha.client.post(
        "/v1/messages/batch", json={"template": "shipped", "messages": messages}
    )

    assert response.status_code == 200, response.text
    body = response.json()
    results = body["results"]
    assert [result["index"] for result in results] == list(range(len(messages)))
    statuses = [result["status"] for result in results]
    assert statuses == [
        "accepted",
        "rejected",
        "rejected",
        "accepted",
        "rejected",
        "rejected",
        "rejected",
        "rejected",
        "accepted",
    ]
    assert body["accepted"] == 3
    assert body["rejected"] == 6
    errors = {result["index"]: result["error"] for result in results if "error" in result}
    assert errors[1]["code"] == "invalid_number"
    assert errors[1]["field"] == "messages[1].to"
    assert errors[2] == {
        "code": "invalid_request",
        "message": errors[2]["message"],
        "field": "messages[2].colour",
    }
    assert errors[4]["field"] == "messages[4].to"
    assert errors[4]["code"] == "invalid_request"
    assert errors[5]["code"] == "invalid_request"
    assert errors[5]["field"] == "messages[5]"
    assert errors[6]["code"] == "param_too_long"
    assert errors[6]["field"] == "messages[6].params.tracking"
    assert errors[7]["field"] == "messages[7].to"
    accepted = {result["index"]: result["message"] for result in results if "message" in result}
    assert accepted[0]["client_ref"] == "good-0"
    assert accepted[3]["to"] == ES_MOBILE
    assert accepted[8]["to"] == "+8613800138000"
    assert accepted[8]["country"] == "CN"
    listing = await api.alpha.client.get("/v1/messages")
    assert {message["id"] for message in listing.json()["data"]} == {
        message["id"] for message in accepted.values()
    }


async def test_items_the_balance_no_longer_covers_are_rejected_alone(api: Any) -> None:
    poor = await api.new_tenant("poor", balance_micros=100_000)
    template = await api.storage.content.create_template(poor.account_id, "note", "en", "Note {n}.")
    await api.storage.content.set_template_review(template.id, approved=True)
    # 0.04 per GB message against 0.10: two fit, the third does not; a bad item in between.
    messages = [
        {"to": GB_MOBILE, "params": {"n": 1}},
        {"to": "+4412", "params": {"n": 2}},
        {"to": GB_MOBILE, "params": {"n": 3}},
        {"to": GB_MOBILE, "params": {"n": 4}},
    ]

    response = await poor.client.post(
        "/v1/messages/batch", json={"template": "note", "messages": messages}
    )

    results = response.json()["results"]
    assert [result["status"] for result in results] == [
        "accepted",
        "rejected",
        "accepted",
        "rejected",
    ]
    assert results[3]["error"]["code"] == "insufficient_balance"
    assert results[3]["error"]["missing"] == "0.02"
    balance = (await poor.client.get("/v1/balance")).json()
    assert balance | {"packages": []} == {
        "currency": "EUR",
        "available": "0.02",
        "reserved": "0.08",
        "low_balance_threshold": None,
        "package_only": False,
        "packages": [],
    }


async def test_template_problems_are_reported_per_item_with_the_items_index(api: Any) -> None:
    response = await api.alpha.client.post(
        "/v1/messages/batch",
        json={"template": "pending", "messages": [{"to": "bad"}, item(), item()]},
    )

    results = response.json()["results"]
    assert results[0]["error"]["code"] == "invalid_number"
    assert [result["error"]["code"] for result in results[1:]] == ["template_not_approved"] * 2
    assert [result["error"]["field"] for result in results[1:]] == [
        "messages[1].template",
        "messages[2].template",
    ]


async def test_batch_level_sender_id_and_callback_url_are_checked_once_for_the_request(
    api: Any, error_of: Any
) -> None:
    bad_sender = await api.alpha.client.post(
        "/v1/messages/batch",
        json={"template": "shipped", "sender_id": "Way too long name", "messages": [item()]},
    )
    bad_callback = await api.alpha.client.post(
        "/v1/messages/batch",
        json={"template": "shipped", "callback_url": "http://10.0.0.1/", "messages": [item()]},
    )

    error_of(bad_sender, 422, "invalid_sender_id", "sender_id")
    error_of(bad_callback, 422, "invalid_callback_url", "callback_url")
    assert (await api.alpha.client.get("/v1/messages")).json()["data"] == []


async def test_more_than_1000_items_is_batch_too_large_before_any_item_is_checked(
    api: Any, error_of: Any
) -> None:
    # Every item is malformed: had they been decoded, each would be its own error.
    messages = [{"wrong": index} for index in range(1001)]

    response = await api.alpha.client.post(
        "/v1/messages/batch", json={"template": "shipped", "messages": messages}
    )

    error_of(response, 422, "batch_too_large", "messages")


async def test_exactly_1000_items_are_accepted(api: Any) -> None:
    messages = [item(tracking=f"T{index}") for index in range(1000)]

    response = await api.alpha.client.post(
        "/v1/messages/batch", json={"template": "shipped", "messages": messages}
    )

    body = response.json()
    assert response.status_code == 200
    assert body["accepted"] == 1000
    assert len({result["message"]["id"] for result in body["results"]}) == 1000


async def test_batch_envelope_problems_fail_the_whole_request(api: Any, error_of: Any) -> None:
    not_a_list = await api.alpha.client.post(
        "/v1/messages/batch", json={"template": "shipped", "messages": {"to": GB_MOBILE}}
    )
    unknown_field = await api.alpha.client.post(
        "/v1/messages/batch", json={"template": "shipped", "messages": [], "to": GB_MOBILE}
    )
    broken = await api.alpha.client.post(
        "/v1/messages/batch",
        content=b'{"template": "shipped", "messages": [{"to": "\xff"}]}',
        headers={"Content-Type": "application/json"},
    )

    error_of(not_a_list, 422, "invalid_request", "messages")
    error_of(unknown_field, 422, "invalid_request", "to")
    error_of(broken, 400, "invalid_json")


async def test_empty_batch_answers_no_results(api: Any) -> None:
    response = await api.alpha.client.post(
        "/v1/messages/batch",
        content=json.dumps({"template": "shipped", "messages": []}),
        headers={"Content-Type": "application/json"},
    )

    assert response.json() == {"results": [], "accepted": 0, "rejected": 0}
