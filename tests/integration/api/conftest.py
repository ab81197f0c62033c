"""Fixtures for the API suite: the real app on a real SQLite file, called over ASGI by httpx.

Two accounts (``alpha`` with a balance, ``beta``), each with an API key; ``alpha`` has an
approved ``shipped`` template in English and Spanish and a ``pending`` one awaiting review.
Routes serve GB, GG, ES, US, CN, DE and FR; Brazil has no route.
"""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
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

PEPPER = b"api-test-pepper"
ALPHA_BALANCE = 100_000_000  # 100 EUR
GB_PRICE = 40_000
DEFAULT_PRICE = 50_000
SHIPPED_EN = "Your parcel {tracking} has shipped."
SHIPPED_ES = "Su paquete {tracking} ha sido enviado."
GB_MOBILE = "+447400123456"


@dataclass
class Tenant:
    """An account with its key and an authenticated client."""

    account_id: str
    key: str
    key_id: str
    client: httpx.AsyncClient


@dataclass
class Api:
    """The running app and what the tests need around it."""

    app: Starlette
    storage: SqlStorage
    alpha: Tenant
    beta: Tenant
    anonymous: httpx.AsyncClient
    shipped_en_id: str
    shipped_es_id: str
    pending_id: str

    async def new_tenant(self, name: str, balance_micros: int = 0) -> Tenant:
        account = await new_account(self.storage, name, balance_micros=balance_micros)
        key_id, key = await new_api_key(self.storage, account.id)
        client = client_for(self.app, key)
        self._extra_clients.append(client)
        return Tenant(account.id, key, key_id, client)

    def __post_init__(self) -> None:
        self._extra_clients: list[httpx.AsyncClient] = []


def client_for(app: Starlette, key: str | None, **options: Any) -> httpx.AsyncClient:
    headers = {"Authorization": f"Bearer {key}"} if key is not None else {}
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="http://api.test",
        headers=headers,
        **options,
    )


def price_list() -> PriceList:
    return PriceList(default_micros=DEFAULT_PRICE, per_country={"GB": GB_PRICE, "ES": 35_000})


def route_table() -> RouteTable:
    return RouteTable(
        [Route(countries=frozenset({"GB", "GG", "ES", "US", "CN", "DE", "FR"}), channels=("sim",))],
        known_channels=["sim"],
    )


async def build_api(tmp_path: Path, **service_options: Any) -> Api:
    storage = await open_storage(
        f"sqlite:///{tmp_path / 'api.db'}",
        webhook_policy=StatusWebhookPolicy(build_webhook_payload),
        pepper=PEPPER,
    )
    check_url = functools.partial(check_target, allow_private=False)
    accept = AcceptMessages(
        AcceptSettings(prices=price_list(), routes=route_table()),
        storage.messages,
        storage.content,
        check_callback_url=check_url,
        refuse_blocked_recipients=True,
    )
    services = api_services(storage, accept, check_webhook_url=check_url, **service_options)
    app = create_app(services)
    alpha_account = await new_account(storage, "alpha", balance_micros=ALPHA_BALANCE)
    beta_account = await new_account(storage, "beta", balance_micros=ALPHA_BALANCE)
    alpha_key_id, alpha_key = await new_api_key(storage, alpha_account.id)
    beta_key_id, beta_key = await new_api_key(storage, beta_account.id)
    shipped_en = await storage.content.create_template(
        alpha_account.id, "shipped", "en", SHIPPED_EN
    )
    shipped_es = await storage.content.create_template(
        alpha_account.id, "shipped", "es", SHIPPED_ES
    )
    pending = await storage.content.create_template(
        alpha_account.id, "pending", "en", "Hello {name}."
    )
    for template in (shipped_en, shipped_es):
        await storage.content.set_template_review(template.id, approved=True)
    return Api(
        app=app,
        storage=storage,
        alpha=Tenant(alpha_account.id, alpha_key, alpha_key_id, client_for(app, alpha_key)),
        beta=Tenant(beta_account.id, beta_key, beta_key_id, client_for(app, beta_key)),
        anonymous=client_for(app, None),
        shipped_en_id=shipped_en.id,
        shipped_es_id=shipped_es.id,
        pending_id=pending.id,
    )


async def close_api(api: Api) -> None:
    for client in (api.alpha.client, api.beta.client, api.anonymous, *api._extra_clients):
        await client.aclose()
    await api.app.state.authenticator.drain()
    await api.storage.close()


@pytest.fixture
async def api(tmp_path: Path) -> AsyncIterator[Api]:
    built = await build_api(tmp_path)
    yield built
    await close_api(built)


@pytest.fixture
async def uncached_api(tmp_path: Path) -> AsyncIterator[Api]:
    """The app with its authentication cache off, so changes show on the next request."""
    built = await build_api(tmp_path, auth_cache_seconds=0)
    yield built
    await close_api(built)


def shipped_body(to: str = GB_MOBILE, **fields: Any) -> dict[str, Any]:
    """A valid ``POST /v1/messages`` body; override or add any field."""
    body: dict[str, Any] = {"to": to, "template": "shipped", "params": {"tracking": "PX123"}}
    body.update(fields)
    return body


def error_of(
    response: httpx.Response, status: int, code: str, field: str | None = None
) -> dict[str, Any]:
    """Assert the response is catalogued error ``code`` with ``status`` (and ``field``)."""
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"}
    error: dict[str, Any] = body["error"]
    assert error["code"] == code, body
    assert isinstance(error["message"], str)
    assert error["message"]
    assert "field" in error
    if field is not None:
        assert error["field"] == field, body
    assert response.headers["x-request-id"].startswith("req_")
    return error


ShippedBody = Callable[..., dict[str, Any]]
ErrorOf = Callable[..., dict[str, Any]]


@pytest.fixture(name="shipped")
def shipped_fixture() -> ShippedBody:
    """``shipped(to=..., **fields)``: a valid message body for the ``shipped`` template."""
    return shipped_body


@pytest.fixture(name="error_of")
def error_of_fixture() -> ErrorOf:
    """``error_of(response, status, code, field=None)`` asserts a catalogued error body."""
    return error_of
