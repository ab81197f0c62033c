"""Account states end to end: unverified → details submitted → verified / rejected;
suspended and reactivated; each operator action in the audit log."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from secured_platform import RunningPlatform, running_platform

ORDINARY = "+447400123456"  # a valid GB mobile number, nobody's test number
DETAILS = {
    "legal_name": "Acme Parcels Ltd",
    "registration_number": "09876543",
    "country": "gb",
    "contact_name": "Jo Bloggs",
    "contact_email": "ops@acme.example",
    "contact_phone": "+44 20 7946 0000",
}


def shipped(to: str) -> dict[str, Any]:
    return {"to": to, "template": "shipped", "params": {"tracking": "PX1"}}


@pytest.fixture
async def running(tmp_path: Path) -> AsyncIterator[RunningPlatform]:
    async with running_platform(tmp_path) as platform:
        yield platform


async def test_a_new_account_is_unverified_and_may_not_send_to_an_ordinary_number(
    running: RunningPlatform,
) -> None:
    shop = await running.sender("shop", verified=False)

    account = (await shop.client.get("/v1/account")).json()
    refused = await shop.client.post("/v1/messages", json=shipped(ORDINARY))

    assert account["status"] == "unverified"
    assert account["verification"]["review"] == "none"
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "account_unverified"
    assert refused.json()["error"]["field"] == "to"
    assert (await shop.client.get("/v1/balance")).json()["reserved"] == "0"


@pytest.mark.parametrize(
    ("number", "outcome"),
    [
        ("+12025550101", "delivered"),
        ("+12025550115", "undelivered"),
        ("+12025550122", "expired"),
        ("+12025550139", "rejected"),
    ],
)
async def test_an_unverified_account_sends_to_magic_numbers_with_their_fixed_outcome(
    running: RunningPlatform, number: str, outcome: str
) -> None:
    shop = await running.sender("shop", verified=False)

    accepted = await shop.client.post("/v1/messages", json=shipped(number))

    assert accepted.status_code == 202, accepted.text
    assert await running.final_status(shop.client, accepted.json()["id"]) == outcome


async def test_a_batch_of_an_unverified_account_refuses_only_the_ordinary_numbers(
    running: RunningPlatform,
) -> None:
    shop = await running.sender("shop", verified=False)

    response = await shop.client.post(
        "/v1/messages/batch",
        json={
            "template": "shipped",
            "messages": [
                {"to": "+12025550100", "params": {"tracking": "A"}},
                {"to": ORDINARY, "params": {"tracking": "B"}},
            ],
        },
    )

    results = response.json()["results"]
    assert results[0]["status"] == "accepted"
    assert results[1]["error"]["code"] == "account_unverified"
    assert results[1]["error"]["field"] == "messages[1].to"


async def test_details_are_reviewed_and_verification_unlocks_every_number(
    running: RunningPlatform,
) -> None:
    shop = await running.sender("shop", verified=False)
    operator_key_id, operator = await running.operator()

    submitted = await shop.client.post("/v1/account/verification", json=DETAILS)
    verified = await operator.post(f"/admin/v1/accounts/{shop.account_id}/verify", json={})
    sent = await shop.client.post("/v1/messages", json=shipped(ORDINARY))
    audit = (await operator.get("/admin/v1/audit", params={"account_id": shop.account_id})).json()

    assert submitted.status_code == 200
    assert submitted.json()["verification"]["review"] == "pending_review"
    assert submitted.json()["company"]["country"] == "GB"
    assert submitted.json()["company"]["contact_phone"] == "+442079460000"
    assert verified.json()["status"] == "verified"
    assert verified.json()["verification"]["review"] == "approved"
    assert sent.status_code == 202
    verify_entry = next(e for e in audit["data"] if e["action"] == "account.verify")
    assert verify_entry["actor_key_id"] == operator_key_id
    assert verify_entry["before"]["state"] == "unverified"
    assert verify_entry["after"]["state"] == "verified"
    assert verify_entry["request_id"].startswith("req_")
    submit_entry = next(e for e in audit["data"] if e["action"] == "account.submit_details")
    assert submit_entry["actor_key_id"] == shop.key_id


async def test_rejected_details_carry_the_reason_and_may_be_resubmitted(
    running: RunningPlatform,
) -> None:
    shop = await running.sender("shop", verified=False)
    _, operator = await running.operator()
    await shop.client.post("/v1/account/verification", json=DETAILS)

    rejected = await operator.post(
        f"/admin/v1/accounts/{shop.account_id}/reject",
        json={"reason": "The registration number is not in the register."},
    )
    seen = (await shop.client.get("/v1/account")).json()
    again = await shop.client.post(
        "/v1/account/verification", json={**DETAILS, "registration_number": "09876544"}
    )

    assert rejected.status_code == 200
    assert seen["status"] == "unverified"
    assert seen["verification"]["review"] == "rejected"
    assert seen["verification"]["reason"] == "The registration number is not in the register."
    assert again.json()["verification"]["review"] == "pending_review"


async def test_a_verified_account_cannot_resubmit_or_be_rejected(
    running: RunningPlatform,
) -> None:
    shop = await running.sender("shop", verified=True)
    _, operator = await running.operator()

    resubmitted = await shop.client.post("/v1/account/verification", json=DETAILS)
    rejected = await operator.post(
        f"/admin/v1/accounts/{shop.account_id}/reject", json={"reason": "no"}
    )

    assert resubmitted.status_code == 409
    assert resubmitted.json()["error"]["code"] == "account_state_conflict"
    assert rejected.status_code == 409


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("country", "XX"),
        ("contact_email", "not-an-address"),
        ("contact_phone", "12345"),
        ("legal_name", "   "),
    ],
)
async def test_unusable_company_details_name_the_field(
    running: RunningPlatform, field: str, value: str
) -> None:
    shop = await running.sender("shop", verified=False)

    response = await shop.client.post("/v1/account/verification", json={**DETAILS, field: value})

    assert response.status_code == 422
    assert response.json()["error"]["field"] == field
    assert (await shop.client.get("/v1/account")).json()["verification"]["review"] == "none"


async def test_a_suspended_account_sends_nothing_and_returns_to_its_state_when_reactivated(
    running: RunningPlatform,
) -> None:
    shop = await running.sender("shop", verified=True)
    _, operator = await running.operator()

    suspended = await operator.post(
        f"/admin/v1/accounts/{shop.account_id}/suspend", json={"reason": "toll fraud"}
    )
    refused = await shop.client.post("/v1/messages", json=shipped("+12025550100"))
    while_suspended = await shop.client.get("/v1/account")
    keys_while_suspended = await shop.client.get("/v1/keys")
    reactivated = await operator.post(f"/admin/v1/accounts/{shop.account_id}/reactivate")
    sent = await shop.client.post("/v1/messages", json=shipped(ORDINARY))

    assert suspended.json()["status"] == "suspended"
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "account_suspended"
    assert while_suspended.json()["status"] == "suspended"
    assert while_suspended.json()["suspended_reason"] == "toll fraud"
    assert keys_while_suspended.status_code == 200
    assert reactivated.json()["status"] == "verified"
    assert sent.status_code == 202


async def test_the_operator_creates_accounts_verified_or_not_and_lists_them_by_state(
    running: RunningPlatform,
) -> None:
    _, operator = await running.operator()

    offline = await operator.post(
        "/admin/v1/accounts", json={"name": "offline", "verified": True, "balance": "12.50"}
    )
    fresh = await operator.post("/admin/v1/accounts", json={"name": "fresh"})
    duplicate = await operator.post("/admin/v1/accounts", json={"name": "fresh"})
    unverified = (await operator.get("/admin/v1/accounts", params={"status": "unverified"})).json()
    topped = await operator.post(
        f"/admin/v1/accounts/{fresh.json()['id']}/top_ups", json={"amount": "5"}
    )

    assert offline.status_code == 201
    assert offline.json()["status"] == "verified"
    assert offline.json()["available"] == "12.5"
    assert fresh.json()["status"] == "unverified"
    assert duplicate.status_code == 409
    assert [account["name"] for account in unverified["data"]] == ["fresh"]
    assert topped.json()["available"] == "5"


async def test_the_admin_api_pages_through_accounts_with_a_cursor(
    running: RunningPlatform,
) -> None:
    _, operator = await running.operator()
    for index in range(5):
        await operator.post("/admin/v1/accounts", json={"name": f"shop-{index}"})

    names: list[str] = []
    cursor = None
    while True:
        params = {"limit": "2", **({"cursor": cursor} if cursor else {})}
        page = (await operator.get("/admin/v1/accounts", params=params)).json()
        names += [account["name"] for account in page["data"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break

    assert names == [f"shop-{index}" for index in reversed(range(5))]
