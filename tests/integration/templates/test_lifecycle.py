"""The template lifecycle over the API: draft, review, approval, versions, variants."""

from __future__ import annotations

from typing import Any

from content_platform import NUMBERS, Platform

SHIPPED_EN = "Your parcel {tracking_number} has shipped and arrives {eta}."
SHIPPED_ES = "Tu paquete {tracking_number} ha salido y llega el {eta}."
VARIABLES = {
    "tracking_number": {"type": "tracking_number", "max_length": 30},
    "eta": {"type": "date", "max_length": 20},
}
PARAMS = {"tracking_number": "LX123456789CN", "eta": "2025-06-15"}


async def send(platform: Platform, to: str, **fields: Any) -> Any:
    body = {"to": to, "template": "shipped", "params": PARAMS, **fields}
    return await platform.shop.post("/v1/messages", json=body)


async def body_of(platform: Platform, response: Any) -> str:
    assert response.status_code == 202, response.text
    detail = await platform.shop.get(f"/v1/messages/{response.json()['id']}")
    text: str = detail.json()["body"]
    return text


async def test_the_first_form_still_creates_a_version_pending_review(platform: Platform) -> None:
    response = await platform.shop.post(
        "/v1/templates", json={"name": "delayed", "language": "en", "body": "Delayed {t}."}
    )

    assert response.status_code == 201, response.text
    created = response.json()
    assert (created["status"], created["version"]) == ("pending_review", 1)
    assert created["submitted_at"] is not None
    assert created["default_language"] == "en"
    assert isinstance(created["findings"], list)


async def test_a_draft_is_submitted_later_with_fresh_findings(
    platform: Platform, error_of: Any
) -> None:
    draft = await platform.template(
        name="shipped", language="en", body=SHIPPED_EN, variables=VARIABLES, submit=False
    )
    assert draft["status"] == "draft"
    assert draft["submitted_at"] is None
    queue = (await platform.admin.get("/admin/v1/templates")).json()["data"]
    assert draft["id"] not in [item["id"] for item in queue]

    error_of(
        await platform.admin.post(f"/admin/v1/templates/{draft['id']}/approve"),
        409,
        "invalid_state",
    )
    submitted = await platform.shop.post(f"/v1/templates/{draft['id']}/submit")

    assert submitted.status_code == 200, submitted.text
    assert submitted.json()["status"] == "pending_review"
    queue = (await platform.admin.get("/admin/v1/templates")).json()["data"]
    assert [item["id"] for item in queue] == [draft["id"]]
    assert queue[0]["account_id"] == platform.shop_id
    error_of(await platform.shop.post(f"/v1/templates/{draft['id']}/submit"), 409, "invalid_state")


async def test_editing_an_approved_version_keeps_it_sending_until_the_new_one_is_approved(
    platform: Platform,
) -> None:
    first = await platform.approved_template(
        name="shipped", language="en", body=SHIPPED_EN, variables=VARIABLES
    )
    edited = await platform.template(
        name="shipped", language="en", body="Parcel {tracking_number} is on its way, due {eta}."
    )
    assert (edited["version"], edited["status"]) == (2, "pending_review")
    # No `variables` sent: the declarations of the previous version carry over.
    assert edited["variables"] == VARIABLES

    while_in_review = await body_of(platform, await send(platform, NUMBERS["GB"]))
    await platform.approve(edited["id"])
    after_approval = await body_of(platform, await send(platform, NUMBERS["GB"]))

    assert while_in_review == "Your parcel LX123456789CN has shipped and arrives 15 Jun 2025."
    assert after_approval == "Parcel LX123456789CN is on its way, due 15 Jun 2025."
    old = (await platform.shop.get(f"/v1/templates/{first['id']}")).json()
    assert (old["status"], old["superseded_by"], old["body"]) == (
        "superseded",
        edited["id"],
        SHIPPED_EN,
    )


async def test_a_newer_open_version_supersedes_the_one_waiting_for_review(
    platform: Platform, error_of: Any
) -> None:
    first = await platform.template(name="shipped", language="en", body=SHIPPED_EN)
    second = await platform.template(name="shipped", language="en", body=SHIPPED_EN + " Thanks!")

    first_now = (await platform.shop.get(f"/v1/templates/{first['id']}")).json()
    assert (first_now["status"], first_now["superseded_by"]) == ("superseded", second["id"])
    error_of(
        await platform.admin.post(f"/admin/v1/templates/{first['id']}/approve"),
        409,
        "invalid_state",
    )


async def test_a_rejection_carries_the_reviewers_reason_and_the_variant_cannot_send(
    platform: Platform, error_of: Any
) -> None:
    created = await platform.template(name="shipped", language="en", body=SHIPPED_EN)
    response = await platform.admin.post(
        f"/admin/v1/templates/{created['id']}/reject",
        json={"reason": "Say which shop the parcel is from."},
    )

    assert response.status_code == 200, response.text
    seen = (await platform.shop.get(f"/v1/templates/{created['id']}")).json()
    assert (seen["status"], seen["reason"]) == ("rejected", "Say which shop the parcel is from.")
    error_of(await send(platform, NUMBERS["GB"]), 422, "template_not_approved", "template")
    error_of(
        await platform.admin.post(f"/admin/v1/templates/{created['id']}/reject", json={}),
        422,
        "invalid_request",
        "reason",
    )


async def test_error_findings_block_approval_unless_the_operator_overrides_them(
    platform: Platform, error_of: Any
) -> None:
    created = await platform.template(
        name="promo",
        language="en",
        body="Your parcel {tracking_number} shipped! Track it at https://bit.ly/abc123",
        variables={"tracking_number": {"type": "tracking_number", "max_length": 30}},
    )
    codes = {(finding["code"], finding["severity"]) for finding in created["findings"]}
    assert ("url_shortener", "error") in codes
    shortener = next(f for f in created["findings"] if f["code"] == "url_shortener")
    start, end = shortener["span"]
    assert created["body"][start:end] == "https://bit.ly/abc123"

    error_of(
        await platform.admin.post(f"/admin/v1/templates/{created['id']}/approve"),
        409,
        "template_has_errors",
    )
    approved = await platform.approve(created["id"], override_findings=True, note="Own domain")
    assert approved["status"] == "approved"


async def test_each_language_variant_is_reviewed_on_its_own(
    platform: Platform, error_of: Any
) -> None:
    english = await platform.approved_template(
        name="shipped", language="en", body=SHIPPED_EN, variables=VARIABLES
    )
    spanish = await platform.template(name="shipped", language="es", body=SHIPPED_ES)
    assert spanish["variables"] == VARIABLES

    to_mexico_before = await body_of(platform, await send(platform, NUMBERS["MX"]))
    error_of(
        await send(platform, NUMBERS["MX"], language="es"), 422, "template_not_approved", "language"
    )
    await platform.approve(spanish["id"])
    to_mexico_after = await body_of(platform, await send(platform, NUMBERS["MX"]))

    # Before the Spanish variant is approved Mexico gets the default (English) variant.
    assert to_mexico_before.startswith("Your parcel")
    assert to_mexico_after == "Tu paquete LX123456789CN ha salido y llega el 15 jun 2025."
    assert english["language"] == "en"


BODIES = {
    "en": "Parcel {tracking_number} ships on {eta}.",
    "de": "Paket {tracking_number} wird am {eta} versandt.",
    "fr": "Colis {tracking_number} expédié le {eta}.",
    "pt-BR": "Pacote {tracking_number} enviado em {eta}.",
    "ja": "荷物{tracking_number}は{eta}に発送されます。",
    "zh-Hans": "包裹{tracking_number}将于{eta}发货。",
    "ar": "سيتم شحن الطرد {tracking_number} في {eta}.",
}


async def test_the_variant_follows_explicit_language_then_country_then_default(
    platform: Platform, error_of: Any
) -> None:
    for language, body in BODIES.items():
        await platform.approved_template(
            name="shipped", language=language, body=body, variables=VARIABLES
        )

    async def text(to: str, **fields: Any) -> str:
        return await body_of(platform, await send(platform, to, **fields))

    assert await text(NUMBERS["DE"]) == "Paket LX123456789CN wird am 15. Juni 2025 versandt."
    assert await text(NUMBERS["FR"]) == "Colis LX123456789CN expédié le 15 juin 2025."
    assert (await text(NUMBERS["BR"])).startswith("Pacote LX123456789CN enviado em 15 de jun")
    assert await text(NUMBERS["JP"]) == "荷物LX123456789CNは2025年6月15日に発送されます。"
    assert await text(NUMBERS["CN"]) == "包裹LX123456789CN将于2025年6月15日发货。"
    assert (await text(NUMBERS["SA"])).startswith("سيتم شحن الطرد LX123456789CN")
    # Korea has no variant in its language: the template's default (the first, English).
    assert await text(NUMBERS["KR"]) == "Parcel LX123456789CN ships on Jun 15, 2025."
    # An explicit language wins over the country (German to a Japanese number).
    assert (await text(NUMBERS["JP"], language="de")).startswith("Paket LX123456789CN")
    error_of(
        await send(platform, NUMBERS["DE"], language="ko"),
        422,
        "template_language_unavailable",
        "language",
    )


async def test_the_default_language_can_be_changed_for_the_whole_template(
    platform: Platform,
) -> None:
    await platform.approved_template(
        name="shipped", language="en", body=SHIPPED_EN, variables=VARIABLES
    )
    await platform.approved_template(
        name="shipped", language="es", body=SHIPPED_ES, default_language="es"
    )

    text = await body_of(platform, await send(platform, NUMBERS["KR"]))

    assert text.startswith("Tu paquete")
    listed = (await platform.shop.get("/v1/templates?name=shipped&language=en")).json()["data"]
    assert [item["default_language"] for item in listed] == ["es"]


async def test_declarations_must_name_possible_placeholders(
    platform: Platform, error_of: Any
) -> None:
    bad_name = await platform.shop.post(
        "/v1/templates",
        json={"name": "x", "language": "en", "body": "Hi {name}", "variables": {"Name": {}}},
    )
    error_of(bad_name, 422, "invalid_request", "variables.Name")
    too_long = await platform.shop.post(
        "/v1/templates",
        json={
            "name": "x",
            "language": "en",
            "body": "Hi {name}",
            "variables": {"name": {"max_length": 81}},
        },
    )
    error_of(too_long, 422, "invalid_request", "variables.name.max_length")
    bad_type = await platform.shop.post(
        "/v1/templates",
        json={
            "name": "x",
            "language": "en",
            "body": "Hi {name}",
            "variables": {"name": {"type": "phone"}},
        },
    )
    error_of(bad_type, 422, "invalid_request", "variables.name.type")


async def test_undeclared_and_unused_variables_are_findings(platform: Platform) -> None:
    created = await platform.template(
        name="shipped",
        language="en",
        body="Parcel {tracking_number} is out for delivery with {carrier}.",
        variables={"tracking_number": {"type": "tracking_number"}, "eta": {"type": "date"}},
    )
    found = {(f["code"], f["field"]) for f in created["findings"]}
    assert ("undeclared_variable", "body") in found or (
        "undeclared_variable",
        "variables.carrier",
    ) in found
    assert any(code == "unused_variable" for code, _ in found)


async def test_another_accounts_versions_are_not_found(platform: Platform, error_of: Any) -> None:
    created = await platform.template(name="shipped", language="en", body=SHIPPED_EN, submit=False)

    error_of(await platform.other.get(f"/v1/templates/{created['id']}"), 404, "not_found")
    error_of(await platform.other.post(f"/v1/templates/{created['id']}/submit"), 404, "not_found")
    assert (await platform.other.get("/v1/templates")).json()["data"] == []


async def test_the_admin_api_needs_the_operator_token(platform: Platform, error_of: Any) -> None:
    error_of(await platform.anonymous.get("/admin/v1/templates"), 401, "unauthorized")
    # A sender's key is valid but lacks the operator's `admin` scope.
    error_of(await platform.shop.get("/admin/v1/templates"), 403, "forbidden")
    wrong = platform.admin.headers.copy()
    wrong["Authorization"] = "Bearer " + "x" * 47
    error_of(
        await platform.anonymous.get("/admin/v1/templates", headers=wrong), 401, "unauthorized"
    )
    error_of(
        await platform.admin.get("/admin/v1/templates?status=nope"), 400, "invalid_filter", "status"
    )
    assert (await platform.admin.get("/admin/v1/templates?status=approved")).status_code == 200


async def test_in_a_batch_each_recipients_country_picks_its_own_variant(platform: Platform) -> None:
    # The items of a batch share what they look up (template, account, routes): the variant
    # chosen for one country must not be reused for another, nor one recipient's date for
    # the next one's country.
    for language, body in BODIES.items():
        await platform.approved_template(
            name="shipped", language=language, body=body, variables=VARIABLES
        )
    countries = ["DE", "JP", "DE", "KR", "FR", "xx", "JP", "BR"]
    items = [
        {"to": NUMBERS.get(country, "+4412"), "params": PARAMS, "client_ref": f"{i}"}
        for i, country in enumerate(countries)
    ]

    response = await platform.shop.post(
        "/v1/messages/batch", json={"template": "shipped", "messages": items}
    )

    assert response.status_code == 200, response.text
    results = response.json()["results"]
    assert [result["status"] for result in results].count("rejected") == 1
    assert results[5]["error"]["field"] == "messages[5].to"
    texts = []
    for result in results:
        if result["status"] == "accepted":
            detail = await platform.shop.get(f"/v1/messages/{result['message']['id']}")
            texts.append(detail.json()["body"])
    alone = [
        await body_of(platform, await send(platform, NUMBERS[country]))
        for country in countries
        if country in NUMBERS
    ]
    assert texts == alone
    assert texts[:4] == [
        "Paket LX123456789CN wird am 15. Juni 2025 versandt.",
        "荷物LX123456789CNは2025年6月15日に発送されます。",
        "Paket LX123456789CN wird am 15. Juni 2025 versandt.",
        "Parcel LX123456789CN ships on Jun 15, 2025.",
    ]

    explicit = await platform.shop.post(
        "/v1/messages/batch",
        json={"template": "shipped", "language": "fr", "messages": items[:2]},
    )
    french = [
        (await platform.shop.get(f"/v1/messages/{r['message']['id']}")).json()["body"]
        for r in explicit.json()["results"]
    ]
    assert french == ["Colis LX123456789CN expédié le 15 juin 2025."] * 2
