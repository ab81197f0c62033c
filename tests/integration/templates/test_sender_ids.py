"""Sender IDs over the API: registration, review, and the sender each message goes out with.

The country rules come from the packaged registry: the US takes no alphanumeric sender IDs
and wants a local number registered for it; the UK and Germany take any name; India wants
names registered for it; Saudi Arabia delivers no numeric senders.
"""

from __future__ import annotations

from typing import Any

import pytest
from content_platform import NUMBERS, Platform

BODY = "Your parcel {tracking_number} has shipped."
PARAMS = {"tracking_number": "LX123456789CN"}


@pytest.fixture
async def shipped(platform: Platform) -> Platform:
    await platform.approved_template(name="shipped", language="en", body=BODY)
    return platform


async def send(platform: Platform, to: str, **fields: Any) -> Any:
    body = {"to": to, "template": "shipped", "params": PARAMS, **fields}
    return await platform.shop.post("/v1/messages", json=body)


async def sender_of(platform: Platform, response: Any) -> str | None:
    assert response.status_code == 202, response.text
    detail = await platform.shop.get(f"/v1/messages/{response.json()['id']}")
    value: str | None = detail.json()["sender_id"]
    return value


async def test_a_registration_waits_for_review_and_retrying_it_creates_nothing(
    platform: Platform,
) -> None:
    first = await platform.shop.post("/v1/sender_ids", json={"sender_id": "ACME", "country": "gb"})
    again = await platform.shop.post("/v1/sender_ids", json={"sender_id": "ACME", "country": "GB"})

    assert first.status_code == 201, first.text
    assert (first.json()["status"], first.json()["country"], first.json()["kind"]) == (
        "pending_review",
        "GB",
        "alphanumeric",
    )
    assert again.status_code == 200
    assert again.json()["id"] == first.json()["id"]
    listed = (await platform.shop.get("/v1/sender_ids")).json()["data"]
    assert [item["id"] for item in listed] == [first.json()["id"]]
    assert (await platform.other.get("/v1/sender_ids")).json()["data"] == []
    queue = (await platform.admin.get("/admin/v1/sender_ids")).json()["data"]
    assert [(item["id"], item["account_id"]) for item in queue] == [
        (first.json()["id"], platform.shop_id)
    ]


@pytest.mark.parametrize(
    ("body", "code", "field"),
    [
        ({"sender_id": "TOOLONGNAME12", "country": "GB"}, "invalid_sender_id", "sender_id"),
        ({"sender_id": "ACME-SHOP", "country": "GB"}, "invalid_sender_id", "sender_id"),
        ({"sender_id": "12345", "country": "SA"}, "sender_not_allowed", "sender_id"),
        ({"sender_id": "1234567890123456", "country": "GB"}, "invalid_sender_id", "sender_id"),
        ({"sender_id": " ACME", "country": "GB"}, "invalid_sender_id", "sender_id"),
        ({"sender_id": "ACME", "country": "US"}, "sender_not_allowed", "sender_id"),
        ({"sender_id": "ACME", "country": "XX"}, "invalid_request", "country"),
        ({"sender_id": "ACME", "country": "GBR"}, "invalid_request", "country"),
    ],
)
async def test_registrations_that_can_never_work_are_refused_at_once(
    platform: Platform, error_of: Any, body: dict[str, str], code: str, field: str
) -> None:
    problem = error_of(await platform.shop.post("/v1/sender_ids", json=body), 422, code, field)
    if code == "sender_not_allowed":
        assert problem["country"] == body["country"]
        assert problem["reason"] in {"alphanumeric_not_supported", "numeric_not_supported"}


async def test_an_approved_name_is_used_where_the_country_accepts_it(shipped: Platform) -> None:
    await shipped.sender("ACME", "*")

    assert await sender_of(shipped, await send(shipped, NUMBERS["GB"], sender_id="ACME")) == "ACME"
    assert await sender_of(shipped, await send(shipped, NUMBERS["DE"], sender_id="ACME")) == "ACME"


async def test_a_pending_or_rejected_name_is_refused_naming_country_and_reason(
    shipped: Platform, error_of: Any
) -> None:
    registration = await shipped.sender("ACME", "GB", approve=False)

    pending = error_of(
        await send(shipped, NUMBERS["GB"], sender_id="ACME"), 422, "sender_not_allowed", "sender_id"
    )
    rejected_now = await shipped.admin.post(
        f"/admin/v1/sender_ids/{registration}/reject", json={"reason": "Brand not proven"}
    )
    rejected = error_of(
        await send(shipped, NUMBERS["GB"], sender_id="ACME"), 422, "sender_not_allowed", "sender_id"
    )

    assert (pending["country"], pending["reason"]) == ("GB", "sender_pending")
    assert "GB" in pending["message"]
    assert rejected_now.json()["reason"] == "Brand not proven"
    assert (rejected["country"], rejected["reason"]) == ("GB", "sender_rejected")


async def test_a_name_registered_for_every_country_is_not_enough_where_registration_is_required(
    shipped: Platform, error_of: Any
) -> None:
    await shipped.sender("ACME", "*")

    problem = error_of(
        await send(shipped, "+919876543210", sender_id="ACME"), 422, "sender_not_allowed"
    )
    await shipped.sender("ACME", "IN")
    used = await sender_of(shipped, await send(shipped, "+919876543210", sender_id="ACME"))

    assert (problem["country"], problem["reason"]) == ("IN", "alphanumeric_not_registered")
    assert used == "ACME"


async def test_a_us_recipient_gets_the_numeric_fallback_instead_of_a_name(
    shipped: Platform, error_of: Any
) -> None:
    await shipped.sender("ACME", "*")
    refused = error_of(
        await send(shipped, NUMBERS["US"], sender_id="ACME"), 422, "sender_not_allowed"
    )
    await shipped.sender("+12015550100", "US")

    used = await sender_of(shipped, await send(shipped, NUMBERS["US"], sender_id="ACME"))
    without_request = await sender_of(shipped, await send(shipped, NUMBERS["US"]))

    assert (refused["country"], refused["reason"]) == ("US", "alphanumeric_not_supported")
    assert "US" in refused["message"]
    assert used == "12015550100"
    # Without a sender ID the account's numeric sender for the country is used too.
    assert without_request == "12015550100"


async def test_a_us_number_registered_for_every_country_is_not_a_us_long_code(
    shipped: Platform, error_of: Any
) -> None:
    await shipped.sender("12015550100", "*")

    problem = error_of(
        await send(shipped, NUMBERS["US"], sender_id="12015550100"), 422, "sender_not_allowed"
    )

    assert problem["reason"] == "numeric_not_registered_for_country"


async def test_without_a_sender_id_and_no_registration_the_operators_default_is_used(
    shipped: Platform,
) -> None:
    assert await sender_of(shipped, await send(shipped, NUMBERS["US"])) is None


async def test_in_a_batch_each_recipients_country_decides_its_sender(shipped: Platform) -> None:
    await shipped.sender("ACME", "*")
    await shipped.sender("+12015550100", "US")
    response = await shipped.shop.post(
        "/v1/messages/batch",
        json={
            "template": "shipped",
            "sender_id": "ACME",
            "messages": [
                {"to": NUMBERS["GB"], "params": PARAMS},
                {"to": NUMBERS["US"], "params": PARAMS},
                {"to": NUMBERS["SA"], "params": PARAMS},
            ],
        },
    )

    assert response.status_code == 200, response.text
    results = response.json()["results"]
    assert [result["status"] for result in results] == ["accepted", "accepted", "rejected"]
    senders = [
        (await shipped.shop.get(f"/v1/messages/{result['message']['id']}")).json()["sender_id"]
        for result in results[:2]
    ]
    assert senders == ["ACME", "12015550100"]
    error = results[2]["error"]
    assert (error["code"], error["field"], error["country"]) == (
        "sender_not_allowed",
        "messages[2].sender_id",
        "SA",
    )


async def test_a_registration_can_be_reviewed_only_once(shipped: Platform, error_of: Any) -> None:
    registration = await shipped.sender("ACME", "GB")

    error_of(
        await shipped.admin.post(f"/admin/v1/sender_ids/{registration}/approve"),
        409,
        "invalid_state",
    )
    error_of(await shipped.admin.post("/admin/v1/sender_ids/sid_missing/approve"), 404, "not_found")
    error_of(await shipped.other.get(f"/v1/sender_ids/{registration}"), 404, "not_found")
