"""The platform of the template, sender ID and preview tests: the real app on a real SQLite file.

Two sender accounts (``shop`` and ``other``) with API keys, an operator client holding the
admin token, and routes to every country. Each account declares ``shop.example`` as its
link domain.
"""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from api_services import api_services
from sender_accounts import new_account, new_api_key
from starlette.applications import Starlette

from parcelsms.adapters.storage import SqlStorage, open_storage
from parcelsms.adapters.webhooks.target_guard import check_target
from parcelsms.api import create_app
from parcelsms.domain.pricing import PriceList
from parcelsms.domain.routing import Route, RouteTable
from parcelsms.pipeline.accept import AcceptMessages, AcceptSettings
from parcelsms.pipeline.webhook_payload import build_webhook_payload
from parcelsms.pipeline.webhook_policy import StatusWebhookPolicy

ADMIN_TOKEN = "operator-token-" + "0123456789abcdef" * 2
BALANCE = 50_000_000
PRICE = 50_000
GB_PRICE = 40_000


@dataclass
class Platform:
    """The app, its storage and the clients the tests call it with."""

    app: Starlette
    storage: SqlStorage
    accept: AcceptMessages
    shop: httpx.AsyncClient
    other: httpx.AsyncClient
    admin: httpx.AsyncClient
    anonymous: httpx.AsyncClient
    shop_id: str
    other_id: str

    async def template(self, **body: Any) -> dict[str, Any]:
        """Create a template version as ``shop``; returns its JSON."""
        response = await self.shop.post("/v1/templates", json=body)
        assert response.status_code == 201, response.text
        created: dict[str, Any] = response.json()
        return created

    async def approve(self, template_id: str, **body: Any) -> dict[str, Any]:
        response = await self.admin.post(
            f"/admin/v1/templates/{template_id}/approve", json=body or None
        )
        assert response.status_code == 200, response.text
        approved: dict[str, Any] = response.json()
        return approved

    async def approved_template(self, **body: Any) -> dict[str, Any]:
        created = await self.template(**body)
        return await self.approve(created["id"])

    async def sender(self, sender_id: str, country: str, *, approve: bool = True) -> str:
        response = await self.shop.post(
            "/v1/sender_ids", json={"sender_id": sender_id, "country": country}
        )
        assert response.status_code == 201, response.text
        registration: str = response.json()["id"]
        if approve:
            reviewed = await self.admin.post(f"/admin/v1/sender_ids/{registration}/approve")
            assert reviewed.status_code == 200, reviewed.text
        return registration


def client(app: Starlette, token: str | None) -> httpx.AsyncClient:
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://api.test", headers=headers
    )


async def open_platform(tmp_path: Path) -> AsyncIterator[Platform]:
    """Yield a :class:`Platform` on ``tmp_path``; close everything afterwards."""
    storage = await open_storage(
        f"sqlite:///{tmp_path / 'templates.db'}",
        webhook_policy=StatusWebhookPolicy(build_webhook_payload),
        pepper=b"templates-test-pepper",
    )
    check_url = functools.partial(check_target, allow_private=False)
    accept = AcceptMessages(
        AcceptSettings(
            prices=PriceList(default_micros=PRICE, per_country={"GB": GB_PRICE}),
            routes=RouteTable([Route(countries="*", channels=("sim",))], known_channels=["sim"]),
        ),
        storage.messages,
        storage.content,
        check_callback_url=check_url,
    )
    app = create_app(
        api_services(storage, accept, check_webhook_url=check_url, admin_token=ADMIN_TOKEN)
    )
    shop = await new_account(storage, "shop", balance_micros=BALANCE)
    other = await new_account(storage, "other", balance_micros=BALANCE)
    _, shop_key = await new_api_key(storage, shop.id)
    _, other_key = await new_api_key(storage, other.id)
    for account in (shop, other):
        await storage.content.set_message_settings(account.id, link_domains=["shop.example"])
    built = Platform(
        app=app,
        storage=storage,
        accept=accept,
        shop=client(app, shop_key),
        other=client(app, other_key),
        admin=client(app, ADMIN_TOKEN),
        anonymous=client(app, None),
        shop_id=shop.id,
        other_id=other.id,
    )
    yield built
    for http in (built.shop, built.other, built.admin, built.anonymous):
        await http.aclose()
    await app.state.authenticator.drain()
    await storage.close()


def error_of(
    response: httpx.Response, status: int, code: str, field: str | None = None
) -> dict[str, Any]:
    """Assert ``response`` is the catalogued error ``code`` (with ``field``); return it."""
    assert response.status_code == status, response.text
    problem: dict[str, Any] = response.json()["error"]
    assert problem["code"] == code, problem
    if field is not None:
        assert problem["field"] == field, problem
    return problem


# Mobile numbers from libphonenumber's example numbers for each region.
NUMBERS = {
    "US": "+12015550123",
    "GB": "+447400123456",
    "DE": "+4915123456789",
    "FR": "+33612345678",
    "ES": "+34612345678",
    "MX": "+522221234567",
    "BR": "+5511961234567",
    "JP": "+819012345678",
    "CN": "+8613123456789",
    "SA": "+966512345678",
    "CA": "+15062345678",
    "KR": "+821020000000",
}
