"""POST /v1/messages/preview: the message as it would be sent, nothing stored or charged."""

from __future__ import annotations

from typing import Any

from content_platform import BALANCE, NUMBERS, Platform

# 140 characters as written: one GSM-7 SMS, but three UCS-2 ones (67 characters each) as
# soon as a single character outside GSM-7 is in it.
CURLY = (
    "Hi, it’s ParcelCo: your parcel {tracking_number} left our warehouse today and is now "
    "with the carrier. Expect it in days. Reply STOP to opt out."
)
PARAMS = {"tracking_number": "LX123456789CN"}


async def preview(platform: Platform, to: str = NUMBERS["US"], **fields: Any) -> Any:
    body = {"to": to, "template": "curly", "params": PARAMS, **fields}
    return await platform.shop.post("/v1/messages/preview", json=body)


async def test_a_typographic_apostrophe_is_shown_with_what_it_costs(platform: Platform) -> None:
    await platform.approved_template(name="curly", language="en", body=CURLY)

    response = await preview(platform)

    assert response.status_code == 200, response.text
    shown = response.json()
    text = CURLY.replace("{tracking_number}", "LX123456789CN")
    assert len(text) == 140
    assert shown["text"] == text
    assert (shown["encoding"], shown["segment_count"], shown["characters"]) == ("UCS2", 3, 140)
    assert "".join(segment["text"] for segment in shown["segments"]) == text
    assert [segment["units"] for segment in shown["segments"]] == [67, 67, 6]
    assert shown["price"] == "0.15"
    finding = next(f for f in shown["findings"] if f["code"] == "forces_ucs2")
    assert finding["message"].startswith(
        "'’' (right single quotation mark) forces UCS-2: 3 segments instead of 1."
    )
    start, end = finding["span"]
    assert text[start:end] == "’"
    assert shown["smart_encoding"] == {"applied": False, "replacements": []}


async def test_smart_encoding_per_message_keeps_it_one_gsm7_sms(platform: Platform) -> None:
    await platform.approved_template(name="curly", language="en", body=CURLY)

    shown = (await preview(platform, smart_encoding=True)).json()

    assert (shown["encoding"], shown["segment_count"], shown["price"]) == ("GSM7", 1, "0.05")
    assert "it's ParcelCo" in shown["text"]
    assert shown["smart_encoding"] == {
        "applied": True,
        "replacements": [{"original": "’", "replacement": "'", "position": 6}],
    }
    assert not [f for f in shown["findings"] if f["code"] == "forces_ucs2"]


async def test_the_accounts_smart_encoding_setting_changes_what_is_sent(platform: Platform) -> None:
    await platform.approved_template(name="curly", language="en", body=CURLY)
    changed = await platform.shop.post("/v1/message_settings", json={"smart_encoding": True})
    assert changed.json()["smart_encoding"] is True
    assert changed.json()["link_domains"] == ["shop.example"]

    sent = await platform.shop.post(
        "/v1/messages", json={"to": NUMBERS["US"], "template": "curly", "params": PARAMS}
    )
    opted_out = await platform.shop.post(
        "/v1/messages",
        json={"to": NUMBERS["US"], "template": "curly", "params": PARAMS, "smart_encoding": False},
    )

    assert (sent.json()["encoding"], sent.json()["segments"]) == ("GSM7", 1)
    stored = (await platform.shop.get(f"/v1/messages/{sent.json()['id']}")).json()
    assert "it's ParcelCo" in stored["body"]
    assert (opted_out.json()["encoding"], opted_out.json()["segments"]) == ("UCS2", 3)


async def test_a_preview_stores_and_charges_nothing(platform: Platform) -> None:
    await platform.approved_template(name="curly", language="en", body=CURLY)

    for _ in range(3):
        assert (await preview(platform)).status_code == 200

    assert (await platform.shop.get("/v1/messages")).json()["data"] == []
    account = await platform.storage.accounts.get_account(platform.shop_id)
    assert account is not None
    assert (account.balance_micros, account.reserved_micros) == (BALANCE, 0)


async def test_an_emoji_cannot_be_smart_encoded_and_the_preview_says_so(platform: Platform) -> None:
    await platform.approved_template(
        name="curly", language="en", body="📦 Your parcel {tracking_number} is on its way."
    )

    shown = (await preview(platform, smart_encoding=True)).json()

    assert shown["encoding"] == "UCS2"
    codes = [finding["code"] for finding in shown["findings"]]
    assert "forces_ucs2" in codes
    emoji = next(f for f in shown["findings"] if f["code"] == "forces_ucs2")
    assert "'📦' (package) forces UCS-2" in emoji["message"]
    assert shown["smart_encoding"]["applied"] is False


async def test_text_in_another_script_is_explained_once(platform: Platform) -> None:
    await platform.approved_template(
        name="curly", language="zh-Hans", body="您的包裹{tracking_number}已发货。"
    )

    shown = (await preview(platform, to=NUMBERS["CN"])).json()

    assert (shown["language"], shown["language_reason"]) == ("zh-Hans", "country")
    assert [f["code"] for f in shown["findings"]] == ["ucs2_script"]
    assert shown["segment_count"] == 1


async def test_a_preview_shows_the_sender_fallback_and_the_local_time(platform: Platform) -> None:
    await platform.approved_template(
        name="curly",
        language="en",
        body="Parcel {tracking_number} arrives {eta}.",
        variables={"tracking_number": {"type": "tracking_number"}, "eta": {"type": "date_time"}},
    )
    await platform.sender("+12015550100", "US")

    shown = (
        await preview(
            platform,
            sender_id="ACME",
            params={"tracking_number": "LX123456789CN", "eta": "2025-06-15T14:30:00Z"},
        )
    ).json()

    # +1 201 is a New Jersey area code: Eastern time, UTC-4 in June.
    assert shown["time_zone"] == "America/New_York"
    assert shown["text"] == "Parcel LX123456789CN arrives Jun 15, 2025, 10:30 AM."
    assert shown["sender"] == {
        "sender_id": "12015550100",
        "requested": False,
        "fallback_reason": "Alphanumeric sender IDs are not supported in US (United States)",
    }
    fallback = next(f for f in shown["findings"] if f["code"] == "sender_fallback")
    assert fallback["field"] == "sender_id"


async def test_a_preview_refuses_what_a_send_refuses(platform: Platform, error_of: Any) -> None:
    await platform.approved_template(
        name="curly",
        language="en",
        body="Parcel {tracking_number} for {name}.",
        variables={"tracking_number": {"type": "tracking_number"}, "name": {"max_length": 20}},
    )

    error_of(
        await preview(platform, params={"tracking_number": "LX1", "name": "Ann"}),
        422,
        "invalid_param",
        "params.tracking_number",
    )
    error_of(
        await preview(platform, params={"tracking_number": "LX123456789CN", "name": "www.win.com"}),
        422,
        "invalid_param",
        "params.name",
    )
    error_of(
        await preview(platform, params={"tracking_number": "LX123456789CN", "name": "Ann\nB"}),
        422,
        "invalid_param",
        "params.name",
    )
    error_of(
        await preview(platform, params={"tracking_number": "LX123456789CN"}),
        422,
        "missing_param",
        "params.name",
    )
    error_of(await preview(platform, to="+44 20 7946 0000"), 422, "not_mobile", "to")
