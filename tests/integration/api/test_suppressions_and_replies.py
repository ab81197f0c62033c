"""Suppression lists, the blacklist, replies and the events feed over HTTP (real app, real
SQLite): a listed number is refused per item, free of charge, and counted."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from parcelsms.pipeline.inbound_ports import ReplyToStore
from parcelsms.pipeline.message_ports import InboundMessage

from .conftest import ErrorOf, build_api, client_for, close_api

TOKEN = "operator-token-for-the-blacklist-0123456789"
GB_MOBILE = "+447400123456"
OTHER_GB = "+447400123457"
ES_MOBILE = "+34612345678"


def _item(to: str) -> dict[str, Any]:
    return {"to": to, "params": {"tracking": "PX1"}}


async def test_a_suppressed_number_is_refused_for_its_account_only_and_free(
    api: Any, shipped: Any, error_of: ErrorOf
) -> None:
    before = (await api.alpha.client.get("/v1/balance")).json()

    added = await api.alpha.client.post("/v1/suppressions", json={"number": "+44 7400 123456"})
    again = await api.alpha.client.post("/v1/suppressions", json={"number": GB_MOBILE})
    refused = await api.alpha.client.post("/v1/messages", json=shipped(to=GB_MOBILE))
    beta_blocked = await api.storage.recipient_blocks.blocked_recipients(
        api.beta.account_id, [GB_MOBILE]
    )
    after = (await api.alpha.client.get("/v1/balance")).json()

    assert added.status_code == 201, added.text
    assert added.json()["number"] == GB_MOBILE
    assert again.status_code == 200
    error_of(refused, 422, "recipient_opted_out", "to")
    assert beta_blocked == {}
    assert after == before
    counts = await api.storage.recipient_blocks.refusal_counts(api.alpha.account_id, "2000-01-01")
    assert counts == {"recipient_opted_out": 1}


async def test_a_blacklisted_number_is_refused_in_a_batch_without_affecting_the_others(
    tmp_path: Path,
) -> None:
    api = await build_api(tmp_path, admin_token=TOKEN)
    operator = client_for(api.app, TOKEN)
    try:
        listed = await operator.post(
            "/admin/v1/blacklist", json={"number": OTHER_GB, "note": "complaint"}
        )
        response = await api.alpha.client.post(
            "/v1/messages/batch",
            json={
                "template": "shipped",
                "messages": [_item(GB_MOBILE), _item(OTHER_GB), _item(ES_MOBILE)],
            },
        )
        blacklist = (await operator.get("/admin/v1/blacklist")).json()
        removed = await operator.delete(f"/admin/v1/blacklist/{OTHER_GB.replace('+', '%2B')}")
        sent_after = await api.alpha.client.post("/v1/messages", json=_shipped(OTHER_GB))
    finally:
        await operator.aclose()
        await close_api(api)

    assert listed.status_code == 201, listed.text
    results = response.json()["results"]
    assert [result["status"] for result in results] == ["accepted", "rejected", "accepted"]
    assert results[1]["error"]["code"] == "recipient_blacklisted"
    assert results[1]["error"]["field"] == "messages[1].to"
    assert response.json()["accepted"] == 2
    assert [entry["number"] for entry in blacklist["data"]] == [OTHER_GB]
    assert removed.status_code == 204
    assert sent_after.status_code == 202, sent_after.text


def _shipped(to: str) -> dict[str, Any]:
    return {"to": to, "template": "shipped", "params": {"tracking": "PX1"}}


async def test_a_csv_import_reports_each_row(api: Any) -> None:
    csv_text = (
        "number,name\n+44 7400 123456,Ann\nnot a number,Bob\n\n+34612345678,Eve\n"
        "+447400123456,Ann\n"
    )

    response = await api.alpha.client.post("/v1/suppression_imports", json={"csv": csv_text})
    listing = (await api.alpha.client.get("/v1/suppressions")).json()

    assert response.status_code == 200, response.text
    body = response.json()
    assert [(row["row"], row["status"]) for row in body["results"]] == [
        (2, "added"),
        (3, "rejected"),
        (5, "added"),
        (6, "existing"),
    ]
    assert body["results"][1]["error"]["code"] == "invalid_number"
    assert (body["added"], body["existing"], body["rejected"]) == (2, 1, 1)
    assert [(item["number"], item["source"]) for item in listing["data"]] == [
        (ES_MOBILE, "import"),
        (GB_MOBILE, "import"),
    ]


async def test_removing_a_suppression_lets_the_number_be_texted_again(
    api: Any, shipped: Any
) -> None:
    await api.alpha.client.post("/v1/suppressions", json={"number": GB_MOBILE})
    removed = await api.alpha.client.delete("/v1/suppressions/%2B447400123456")
    missing = await api.alpha.client.delete("/v1/suppressions/%2B447400123456")
    sent = await api.alpha.client.post("/v1/messages", json=shipped(to=GB_MOBILE))

    assert removed.status_code == 204
    assert missing.status_code == 404
    assert sent.status_code == 202, sent.text


async def test_replies_are_listed_with_their_message_and_in_the_events_feed(
    api: Any, shipped: Any
) -> None:
    sent = (await api.alpha.client.post("/v1/messages", json=shipped(client_ref="ORD-1"))).json()
    reply = InboundMessage(
        channel="sim",
        source=GB_MOBILE,
        destination="ACME",
        text="Leave it with the neighbour",
        received_at=datetime.now(UTC),
    )
    await api.storage.inbound.store_replies(
        [ReplyToStore(message=reply, keyword=None, match_window=timedelta(days=7))]
    )

    listed = (await api.alpha.client.get("/v1/inbound", params={"message_id": sent["id"]})).json()
    by_number = (
        await api.alpha.client.get("/v1/inbound", params={"from": "+44 7400 123456"})
    ).json()
    beta_sees = (await api.beta.client.get("/v1/inbound")).json()
    view = (await api.alpha.client.get(f"/v1/messages/{sent['id']}")).json()
    events = (await api.alpha.client.get("/v1/events", params={"limit": "50"})).json()
    later = (
        await api.alpha.client.get("/v1/events", params={"after": events["next_cursor"]})
    ).json()

    [item] = listed["data"]
    assert (item["from"], item["message_id"], item["client_ref"]) == (
        GB_MOBILE,
        sent["id"],
        "ORD-1",
    )
    assert item["text"] == "Leave it with the neighbour"
    assert [entry["id"] for entry in by_number["data"]] == [item["id"]]
    assert beta_sees["data"] == []
    assert view["replies"] == f"/v1/inbound?message_id={sent['id']}"
    assert view["delivery_confidence"] is None  # not final yet
    types = [event["type"] for event in events["data"]]
    assert types == ["message.status", "message.inbound"]
    assert events["data"][1]["inbound"]["id"] == item["id"]
    assert events["has_more"] is False
    assert later == {"data": [], "next_cursor": events["next_cursor"], "has_more": False}
    first = (await api.alpha.client.get("/v1/events", params={"limit": "1"})).json()
    assert (len(first["data"]), first["has_more"]) == (1, True)
