"""POST /v1/messages and GET /v1/messages[/{id}] against real storage and the accept use case."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from parcelsms.domain.receipt_correlation import Reading, micros, receipt_key
from parcelsms.domain.status import MessageStatus
from parcelsms.pipeline.message_ports import Submitted, SubmittedPart
from parcelsms.pipeline.receipt_ports import ReceiptRecord

GB_MOBILE = "+447400123456"
ES_MOBILE = "+34612345678"


async def test_accepted_message_answers_202_with_e164_country_segments_and_price(
    api: Any, shipped: Any
) -> None:
    response = await api.alpha.client.post(
        "/v1/messages", json=shipped(to="0044 7400 123456", client_ref="order-1")
    )

    assert response.status_code == 202, response.text
    body = response.json()
    assert body["id"].startswith("msg_")
    assert body["status"] == "queued"
    assert body["to"] == GB_MOBILE
    assert body["country"] == "GB"
    assert body["segments"] == 1
    # 1 segment to GB at the configured 40,000 micros per segment.
    assert body["price"] == "0.04"
    assert body["currency"] == "EUR"
    assert body["client_ref"] == "order-1"
    assert datetime.fromisoformat(body["created_at"]).tzinfo is not None
    assert response.headers["location"] == f"/v1/messages/{body['id']}"


async def test_plain_latin_text_is_sent_as_gsm7(api: Any, shipped: Any) -> None:
    response = await api.alpha.client.post("/v1/messages", json=shipped())

    assert response.json()["encoding"] == "GSM7"


async def test_chinese_text_is_sent_as_ucs2(api: Any, shipped: Any) -> None:
    response = await api.alpha.client.post(
        "/v1/messages", json=shipped(params={"tracking": "包裹"})
    )

    assert response.status_code == 202
    assert response.json()["encoding"] == "UCS2"


async def test_template_can_be_named_by_id_and_language_picks_the_version(
    api: Any, shipped: Any
) -> None:
    by_id = await api.alpha.client.post(
        "/v1/messages", json=shipped(template=api.shipped_es_id, to=ES_MOBILE)
    )
    by_language = await api.alpha.client.post(
        "/v1/messages", json=shipped(language="ES", to=ES_MOBILE)
    )

    for response in (by_id, by_language):
        assert response.status_code == 202, response.text
        detail = await api.alpha.client.get(f"/v1/messages/{response.json()['id']}")
        assert detail.json()["body"] == "Su paquete PX123 ha sido enviado."
        assert detail.json()["language"] == "es"


@pytest.mark.parametrize(
    ("fields", "code", "field"),
    [
        ({"to": "+4412"}, "invalid_number", "to"),
        ({"to": "+44 20 7946 0000"}, "not_mobile", "to"),
        ({"to": "+55 11 98765 4321"}, "unsupported_country", "to"),
        ({"template": "no_such_template"}, "unknown_template", "template"),
        ({"template": "Not A Name!"}, "unknown_template", "template"),
        ({"template": "pending", "params": {"name": "Ana"}}, "template_not_approved", "template"),
        ({"language": "fr"}, "template_language_unavailable", "language"),
        ({"language": "not a tag"}, "invalid_request", "language"),
        ({"params": {}}, "missing_param", "params.tracking"),
        ({"params": {"tracking": "X", "extra": "Y"}}, "unexpected_param", "params.extra"),
        ({"params": {"tracking": "X" * 81}}, "param_too_long", "params.tracking"),
        ({"params": {"tracking": "line\nbreak"}}, "invalid_param", "params.tracking"),
        ({"params": {"tracking": True}}, "invalid_param", "params.tracking"),
        ({"params": {"tracking": None}}, "invalid_param", "params.tracking"),
        ({"params": {"tracking": "evil.com/x"}}, "invalid_param", "params.tracking"),
        ({"params": {"tracking": "ｅｖｉｌ．ｃｏｍ/x"}}, "invalid_param", "params.tracking"),
        ({"params": {"tracking": "ｗｗｗ．ｅｖｉｌ．ｃｏｍ"}}, "invalid_param", "params.tracking"),
        ({"params": {"tracking": "ｈｔｔｐｓ：／／evil"}}, "invalid_param", "params.tracking"),
        ({"sender_id": "Far too long sender"}, "invalid_sender_id", "sender_id"),
        ({"client_ref": "tab\there"}, "invalid_request", "client_ref"),
        ({"callback_url": "http://127.0.0.1/hook"}, "invalid_callback_url", "callback_url"),
        ({"callback_url": "ftp://example.com/hook"}, "invalid_callback_url", "callback_url"),
        ({"to": 447400123456}, "invalid_request", "to"),
        ({"priority": "high"}, "invalid_request", "priority"),
    ],
)
async def test_each_input_problem_is_its_catalogued_error_naming_the_field(
    api: Any, shipped: Any, error_of: Any, fields: dict[str, Any], code: str, field: str
) -> None:
    response = await api.alpha.client.post("/v1/messages", json=shipped(**fields))

    error_of(response, 422, code, field)


async def test_a_number_json_cannot_hold_as_a_float_is_invalid_request(
    api: Any, error_of: Any
) -> None:
    content = f'{{"to": "{GB_MOBILE}", "template": "shipped", "params": {{"tracking": 1e400}}}}'

    response = await api.alpha.client.post(
        "/v1/messages", content=content, headers={"Content-Type": "application/json"}
    )

    error_of(response, 422, "invalid_request", "params")


async def test_missing_required_field_is_named(api: Any, error_of: Any) -> None:
    response = await api.alpha.client.post("/v1/messages", json={"template": "shipped"})

    error_of(response, 422, "invalid_request", "to")


async def test_message_too_long_is_refused(api: Any, error_of: Any) -> None:
    names = "abcdefghijklmnopqrst"
    body = "".join(f"{{{name}}}" for name in names)
    template = await api.storage.content.create_template(api.alpha.account_id, "long", "en", body)
    await api.storage.content.set_template_review(template.id, approved=True)
    # 20 values of 80 characters: 1,600 GSM-7 characters need 11 segments; the limit is 10.
    params = {name: "x" * 80 for name in names}

    response = await api.alpha.client.post(
        "/v1/messages", json={"to": GB_MOBILE, "template": "long", "params": params}
    )

    error_of(response, 422, "message_too_long", "params")


async def test_insufficient_balance_says_how_much_is_missing(api: Any, error_of: Any) -> None:
    poor = await api.new_tenant("poor", balance_micros=10_000)
    template = await api.storage.content.create_template(poor.account_id, "hello", "en", "Hello.")
    await api.storage.content.set_template_review(template.id, approved=True)

    response = await poor.client.post("/v1/messages", json={"to": GB_MOBILE, "template": "hello"})

    error = error_of(response, 402, "insufficient_balance")
    # Price 0.04 (one GB segment) against 0.01 available.
    assert error["missing"] == "0.03"
    assert error["available"] == "0.01"
    assert error["price"] == "0.04"


async def test_malformed_json_is_invalid_json_with_its_position(api: Any, error_of: Any) -> None:
    response = await api.alpha.client.post(
        "/v1/messages", content=b'{"to": }', headers={"Content-Type": "application/json"}
    )

    error = error_of(response, 400, "invalid_json")
    assert "byte 7" in error["message"]


async def test_invalid_utf8_is_invalid_json(api: Any, error_of: Any) -> None:
    response = await api.alpha.client.post(
        "/v1/messages",
        content=b'{"to": "\xff", "template": "shipped"}',
        headers={"Content-Type": "application/json"},
    )

    error_of(response, 400, "invalid_json")


# (A URL-encoded form is a legacy send: tests/integration/api/test_legacy_sends.py.)
@pytest.mark.parametrize("content_type", [None, "text/plain", "multipart/form-data"])
async def test_a_body_that_is_not_declared_json_is_unsupported_media_type(
    api: Any, shipped: Any, error_of: Any, content_type: str | None
) -> None:
    headers = {"Content-Type": content_type} if content_type else {}

    response = await api.alpha.client.post(
        "/v1/messages", content=json.dumps(shipped()).encode(), headers=headers
    )

    error_of(response, 415, "unsupported_media_type")


async def test_json_content_type_with_charset_is_accepted(api: Any, shipped: Any) -> None:
    response = await api.alpha.client.post(
        "/v1/messages",
        content=json.dumps(shipped()).encode(),
        headers={"Content-Type": "application/json; charset=utf-8"},
    )

    assert response.status_code == 202


# --- idempotency ----------------------------------------------------------------------------


async def test_same_idempotency_key_and_body_replays_the_same_message(
    api: Any, shipped: Any
) -> None:
    headers = {"Idempotency-Key": "order-77-shipped"}
    first = await api.alpha.client.post("/v1/messages", json=shipped(), headers=headers)
    # Same content, different key order and spacing: the same request.
    reordered = json.dumps(
        {"params": {"tracking": "PX123"}, "template": "shipped", "to": GB_MOBILE}, indent=2
    )
    second = await api.alpha.client.post(
        "/v1/messages",
        content=reordered,
        headers={**headers, "Content-Type": "application/json"},
    )

    assert first.status_code == 202
    assert "idempotent-replayed" not in first.headers
    assert second.status_code == 202
    assert second.headers["idempotent-replayed"] == "true"
    assert second.json()["id"] == first.json()["id"]
    listing = await api.alpha.client.get("/v1/messages")
    assert len(listing.json()["data"]) == 1
    balance = await api.alpha.client.get("/v1/balance")
    assert balance.json()["reserved"] == "0.04"


async def test_same_idempotency_key_with_another_body_is_a_conflict(
    api: Any, shipped: Any, error_of: Any
) -> None:
    headers = {"Idempotency-Key": "order-78"}
    await api.alpha.client.post("/v1/messages", json=shipped(), headers=headers)

    response = await api.alpha.client.post(
        "/v1/messages", json=shipped(params={"tracking": "OTHER"}), headers=headers
    )

    error_of(response, 409, "idempotency_conflict")


async def test_idempotency_keys_are_scoped_to_the_account(api: Any, shipped: Any) -> None:
    template = await api.storage.content.create_template(
        api.beta.account_id, "shipped", "en", "{tracking}"
    )
    await api.storage.content.set_template_review(template.id, approved=True)
    headers = {"Idempotency-Key": "shared-key"}

    alpha = await api.alpha.client.post("/v1/messages", json=shipped(), headers=headers)
    beta = await api.beta.client.post("/v1/messages", json=shipped(), headers=headers)

    assert alpha.status_code == beta.status_code == 202
    assert alpha.json()["id"] != beta.json()["id"]
    assert "idempotent-replayed" not in beta.headers


@pytest.mark.parametrize("key", ["", "x" * 256, "naïve-key"])
async def test_malformed_idempotency_key_is_invalid_request(
    api: Any, shipped: Any, error_of: Any, key: str
) -> None:
    response = await api.alpha.client.post(
        "/v1/messages",
        json=shipped(),
        headers={"Idempotency-Key": key.encode("utf-8")},
    )

    error_of(response, 422, "invalid_request", "Idempotency-Key")


# --- reading messages ---------------------------------------------------------------------


@pytest.fixture
async def delivered_and_failed(api: Any, shipped: Any) -> tuple[str, str]:
    """Two messages: one delivered, one undelivered with the carrier's stat/err."""
    ids = []
    for reference in ("ok-1", "bad-1"):
        response = await api.alpha.client.post("/v1/messages", json=shipped(client_ref=reference))
        ids.append(response.json()["id"])
    now = datetime.now(UTC)
    claimed = await api.storage.messages.claim_for_dispatch(
        "claim-test", 10, now + timedelta(seconds=1)
    )
    assert {item.message_id for item in claimed} == set(ids)
    await api.storage.messages.record_submissions(
        [
            Submitted(
                message_id=message_id,
                channel="sim",
                parts=(SubmittedPart(part_no=1, carrier_id_raw=carrier),),
            )
            for message_id, carrier in zip(ids, ("c-ok", "c-bad"), strict=True)
        ]
    )
    await api.storage.receipts.apply_receipts(
        [
            ReceiptRecord(
                channel="sim",
                carrier_id="c-ok",
                state=MessageStatus.DELIVERED,
                stat="DELIVRD",
                err="000",
                raw="id:c-ok stat:DELIVRD err:000",
                received_at=now,
                received_at_us=micros(now),
                match=receipt_key("c-ok", Reading.SAME),
            ),
            ReceiptRecord(
                channel="sim",
                carrier_id="c-bad",
                state=MessageStatus.UNDELIVERED,
                stat="UNDELIV",
                err="034",
                raw="id:c-bad stat:UNDELIV err:034",
                received_at=now,
                received_at_us=micros(now),
                match=receipt_key("c-bad", Reading.SAME),
            ),
        ]
    )
    return ids[0], ids[1]


async def test_message_detail_shows_each_status_change_and_the_carriers_stat_and_err(
    api: Any, delivered_and_failed: tuple[str, str]
) -> None:
    delivered_id, failed_id = delivered_and_failed

    delivered = (await api.alpha.client.get(f"/v1/messages/{delivered_id}")).json()
    failed = (await api.alpha.client.get(f"/v1/messages/{failed_id}")).json()

    assert delivered["status"] == "delivered"
    assert [entry["status"] for entry in delivered["history"]] == [
        "queued",
        "submitted",
        "delivered",
    ]
    assert delivered["parts"][0]["carrier_id"] == "c-ok"
    assert delivered["parts"][0]["stat"] == "DELIVRD"
    assert failed["status"] == "undelivered"
    assert failed["history"][-1]["status"] == "undelivered"
    assert failed["history"][-1]["detail"]["stat"] == "UNDELIV"
    assert failed["history"][-1]["detail"]["err"] == "034"
    assert failed["error"]["stat"] == "UNDELIV"
    assert failed["parts"][0]["err"] == "034"


async def test_listing_filters_by_status_number_and_client_ref(
    api: Any, delivered_and_failed: tuple[str, str], shipped: Any
) -> None:
    delivered_id, failed_id = delivered_and_failed
    queued = await api.alpha.client.post("/v1/messages", json=shipped(to=ES_MOBILE))

    async def ids(**params: str) -> list[str]:
        response = await api.alpha.client.get("/v1/messages", params=params)
        assert response.status_code == 200, response.text
        return [message["id"] for message in response.json()["data"]]

    assert await ids(status="delivered") == [delivered_id]
    assert await ids(status="undelivered") == [failed_id]
    assert await ids(client_ref="bad-1") == [failed_id]
    # A pasted form of the number filters like its E.164 form.
    assert await ids(to="+34 612-345-678") == [queued.json()["id"]]
    assert await ids(to="0044 (7400) 123456") == [failed_id, delivered_id]


async def test_listing_filters_by_country_and_template_with_the_cursor_kept(
    api: Any, shipped: Any
) -> None:
    british = []
    for index in range(3):
        sent = await api.alpha.client.post("/v1/messages", json=shipped(client_ref=f"gb{index}"))
        british.append(sent.json()["id"])
    spanish = await api.alpha.client.post(
        "/v1/messages", json=shipped(to=ES_MOBILE, template=api.shipped_es_id)
    )

    async def ids(**params: str) -> tuple[list[str], str | None]:
        response = await api.alpha.client.get("/v1/messages", params=params)
        assert response.status_code == 200, response.text
        body = response.json()
        return [message["id"] for message in body["data"]], body["next_cursor"]

    first, cursor = await ids(country="gb", limit="2")
    assert cursor is not None
    rest, last = await ids(country="GB", limit="2", cursor=cursor)
    assert (first + rest, last) == (list(reversed(british)), None)
    assert await ids(country="ES") == ([spanish.json()["id"]], None)
    assert await ids(template_id=api.shipped_es_id) == ([spanish.json()["id"]], None)
    assert await ids(country="ES", template_id=api.shipped_en_id) == ([], None)


async def test_listing_by_time_window(api: Any, shipped: Any) -> None:
    first = (await api.alpha.client.post("/v1/messages", json=shipped())).json()
    created = datetime.fromisoformat(first["created_at"])

    async def count(**params: str) -> int:
        response = await api.alpha.client.get("/v1/messages", params=params)
        assert response.status_code == 200, response.text
        return len(response.json()["data"])

    assert await count(since=created.isoformat()) == 1
    assert await count(since=(created + timedelta(seconds=1)).isoformat()) == 0
    assert await count(until=created.isoformat()) == 0
    assert (
        await count(until=(created + timedelta(seconds=1)).isoformat().replace("+00:00", "Z")) == 1
    )


async def test_listing_pages_with_a_cursor_until_the_last_page(api: Any, shipped: Any) -> None:
    sent = []
    for index in range(5):
        response = await api.alpha.client.post("/v1/messages", json=shipped(client_ref=f"r{index}"))
        sent.append(response.json()["id"])

    seen: list[str] = []
    cursor: str | None = None
    pages = 0
    while True:
        params = {"limit": "2"} | ({"cursor": cursor} if cursor else {})
        page = (await api.alpha.client.get("/v1/messages", params=params)).json()
        pages += 1
        seen.extend(message["id"] for message in page["data"])
        cursor = page["next_cursor"]
        if cursor is None:
            break

    assert seen == list(reversed(sent))
    assert pages == 3


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"status": "lost"}, "status"),
        ({"limit": "0"}, "limit"),
        ({"limit": "201"}, "limit"),
        ({"limit": "ten"}, "limit"),
        ({"since": "yesterday"}, "since"),
        ({"until": "2024-05-01T12:00:00"}, "until"),
        ({"to": "not a number"}, "to"),
        ({"statuss": "queued"}, "statuss"),
        ({"country": "GBR"}, "country"),
        ({"template_id": "shipped"}, "template_id"),
    ],
)
async def test_bad_listing_parameters_are_invalid_filter_naming_the_parameter(
    api: Any, error_of: Any, params: dict[str, str], field: str
) -> None:
    response = await api.alpha.client.get("/v1/messages", params=params)

    error_of(response, 400, "invalid_filter", field)


async def test_repeated_listing_parameter_is_invalid_filter(api: Any, error_of: Any) -> None:
    response = await api.alpha.client.get("/v1/messages?status=queued&status=failed")

    error_of(response, 400, "invalid_filter", "status")


@pytest.mark.parametrize("cursor", ["garbage!", "bXNnX25vcGU", "é"])
async def test_a_cursor_we_did_not_make_is_invalid_cursor(
    api: Any, error_of: Any, cursor: str
) -> None:
    response = await api.alpha.client.get("/v1/messages", params={"cursor": cursor})

    error_of(response, 400, "invalid_cursor", "cursor")


async def test_another_accounts_message_is_not_found(api: Any, shipped: Any, error_of: Any) -> None:
    sent = (await api.alpha.client.post("/v1/messages", json=shipped())).json()

    response = await api.beta.client.get(f"/v1/messages/{sent['id']}")
    listing = await api.beta.client.get("/v1/messages")

    error_of(response, 404, "not_found")
    assert listing.json() == {"data": [], "next_cursor": None}


async def test_unknown_message_id_is_not_found(api: Any, error_of: Any) -> None:
    for message_id in ("msg_01J00000000000000000000000", "x" * 300):
        error_of(await api.alpha.client.get(f"/v1/messages/{message_id}"), 404, "not_found")
