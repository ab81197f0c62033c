"""POST/GET /v1/templates: pending review on creation, validation, account scoping."""

from __future__ import annotations

from typing import Any

import pytest


async def test_created_template_is_pending_review_with_its_placeholders(api: Any) -> None:
    response = await api.alpha.client.post(
        "/v1/templates",
        json={
            "name": "in_customs",
            "language": "pt-br",
            "body": "Pedido {order}: {tracking} na alfândega. {{ok}} {order}",
        },
    )

    assert response.status_code == 201, response.text
    template = response.json()
    assert template["id"].startswith("tpl_")
    assert template["status"] == "pending_review"
    assert template["language"] == "pt-BR"
    assert template["placeholders"] == ["order", "tracking"]
    assert template["reviewed_at"] is None
    assert response.headers["location"] == f"/v1/templates/{template['id']}"
    fetched = await api.alpha.client.get(f"/v1/templates/{template['id']}")
    assert fetched.json() == template


async def test_a_pending_template_cannot_send_until_approved(api: Any) -> None:
    created = await api.alpha.client.post(
        "/v1/templates", json={"name": "delayed", "language": "en", "body": "Delayed {t}."}
    )
    message = {"to": "+447400123456", "template": "delayed", "params": {"t": "X"}}

    before = await api.alpha.client.post("/v1/messages", json=message)
    await api.storage.content.set_template_review(created.json()["id"], approved=True)
    # By id: the accept use case caches the by-name lookup above for a few seconds.
    after = await api.alpha.client.post(
        "/v1/messages", json={**message, "template": created.json()["id"]}
    )

    assert before.json()["error"]["code"] == "template_not_approved"
    assert after.status_code == 202, after.text


@pytest.mark.parametrize(
    ("body", "code", "field"),
    [
        ({"name": "Shipped", "language": "en", "body": "x"}, "invalid_request", "name"),
        ({"name": "a" * 65, "language": "en", "body": "x"}, "invalid_request", "name"),
        ({"name": "ok\n", "language": "en", "body": "x"}, "invalid_request", "name"),
        ({"name": "ok", "language": "english", "body": "x"}, "invalid_request", "language"),
        ({"name": "ok", "language": "e", "body": "x"}, "invalid_request", "language"),
        ({"name": "ok", "language": "en-", "body": "x"}, "invalid_request", "language"),
        ({"name": "ok", "language": "en", "body": "Hi {Name}"}, "invalid_template", "body"),
        ({"name": "ok", "language": "en", "body": "Hi {name"}, "invalid_template", "body"),
        ({"name": "ok", "language": "en", "body": ""}, "invalid_template", "body"),
        ({"name": "ok", "language": "en", "body": "x" * 1601}, "invalid_template", "body"),
        ({"name": "ok", "language": "en"}, "invalid_request", "body"),
        (
            {"name": "ok", "language": "en", "body": "x", "status": "approved"},
            "invalid_request",
            "status",
        ),
    ],
)
async def test_invalid_templates_are_refused_naming_the_field(
    api: Any, error_of: Any, body: dict[str, Any], code: str, field: str
) -> None:
    response = await api.alpha.client.post("/v1/templates", json=body)

    error_of(response, 422, code, field)


async def test_listing_shows_only_the_callers_templates(api: Any) -> None:
    await api.beta.client.post(
        "/v1/templates", json={"name": "beta_only", "language": "en", "body": "B."}
    )

    alpha = (await api.alpha.client.get("/v1/templates")).json()["data"]
    beta = (await api.beta.client.get("/v1/templates")).json()["data"]

    assert {template["id"] for template in alpha} == {
        api.shipped_en_id,
        api.shipped_es_id,
        api.pending_id,
    }
    assert [template["name"] for template in beta] == ["beta_only"]


async def test_another_accounts_template_is_not_found(api: Any, error_of: Any) -> None:
    response = await api.beta.client.get(f"/v1/templates/{api.shipped_en_id}")

    error_of(response, 404, "not_found")


async def test_an_approved_template_shows_its_review(api: Any) -> None:
    template = (await api.alpha.client.get(f"/v1/templates/{api.shipped_en_id}")).json()

    assert template["status"] == "approved"
    assert template["reviewed_at"] is not None
