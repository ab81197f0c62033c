"""Sends for systems that cannot send JSON: a form body, and an opt-in GET with its key rules.

* ``POST /v1/messages`` with ``application/x-www-form-urlencoded`` is the JSON send;
* ``GET /v1/messages/send?…`` needs the ``legacy_get`` scope (not given by default);
* the key as the ``api_key`` query parameter only for a key the operator allowed it for
  (``POST /admin/v1/accounts/{id}/keys``, ``parcelsms keys create --allow-query-key``), and
  only over HTTPS — which, behind ``[server] trusted_proxies``, a proxy's
  ``X-Forwarded-Proto: https`` says (uvicorn configured as ``parcelsms serve`` does);
* a key in the query string is never logged.
"""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from click.testing import CliRunner
from sender_accounts import new_account

from parcelsms.api.content_negotiation import speaks_xml
from parcelsms.bootstrap import open_platform_storage
from parcelsms.cli.main import main
from parcelsms.cli.uvicorn_settings import uvicorn_config
from parcelsms.config import load_config
from parcelsms.domain import api_keys
from parcelsms.pipeline.account_security_ports import Actor, KeySpec

from .conftest import Api, build_api, client_for, close_api

FORM = {"Content-Type": "application/x-www-form-urlencoded"}
OPERATOR_TOKEN = "operator-token-of-the-legacy-send-tests-0123"
QUERY = "to=%2B447400123456&template=shipped&params%5Btracking%5D=GET-1&client_ref=erp-7"


@pytest.fixture
async def operated(tmp_path: Path) -> AsyncIterator[Api]:
    built = await build_api(tmp_path, admin_token=OPERATOR_TOKEN)
    yield built
    await close_api(built)


async def _key(api: Api, scopes: tuple[str, ...], *, query_key: bool = False) -> str:
    created = await api.storage.accounts.create_key(
        api.alpha.account_id,
        KeySpec(scopes=scopes, label="legacy", query_key_allowed=query_key),
        Actor(name="legacy-send-test"),
    )
    return created.plaintext


def _https_client(app: Any) -> httpx.AsyncClient:
    """A client without a key whose requests the app sees as arriving over HTTPS."""
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="https://api.test")


async def test_a_form_post_sends_the_message_its_json_would(api: Api) -> None:
    form = (
        "to=%2B44+7400+123456&template=shipped&language=es&params%5Btracking%5D=F%26M-1"
        "&client_ref=erp-1&smart_encoding=true"
    )
    sent = await api.alpha.client.post("/v1/messages", content=form, headers=FORM)

    assert sent.status_code == 202, sent.text
    detail = (await api.alpha.client.get(f"/v1/messages/{sent.json()['id']}")).json()
    assert detail["body"] == "Su paquete F&M-1 ha sido enviado."
    assert detail["to"] == "+447400123456"
    assert detail["client_ref"] == "erp-1"


async def test_a_form_field_given_twice_or_unknown_is_refused_by_name(api: Api) -> None:
    twice = await api.alpha.client.post(
        "/v1/messages", content="to=%2B447400123456&to=%2B447400123457", headers=FORM
    )
    unknown = await api.alpha.client.post(
        "/v1/messages", content="to=%2B447400123456&template=shipped&colour=red", headers=FORM
    )

    assert twice.status_code == 422
    assert twice.json()["error"]["field"] == "to"
    assert unknown.status_code == 422
    assert unknown.json()["error"]["field"] == "colour"


async def test_only_the_single_send_takes_a_form(api: Api) -> None:
    response = await api.alpha.client.post(
        "/v1/messages/batch", content="template=shipped", headers=FORM
    )

    assert response.status_code == 415
    assert response.json()["error"]["code"] == "unsupported_media_type"


async def test_a_get_send_with_the_legacy_scope_sends_and_answers_like_a_post(api: Api) -> None:
    sent = await api.alpha.client.get(f"/v1/messages/send?{QUERY}")
    as_xml = await api.alpha.client.get(
        f"/v1/messages/send?{QUERY}", headers={"Accept": "application/xml"}
    )

    assert sent.status_code == 202, sent.text
    assert sent.json()["client_ref"] == "erp-7"
    assert sent.headers["location"] == f"/v1/messages/{sent.json()['id']}"
    assert as_xml.status_code == 202
    assert b"<client_ref>erp-7</client_ref>" in as_xml.content
    detail = (await api.alpha.client.get(sent.headers["location"])).json()
    assert detail["body"] == "Your parcel GET-1 has shipped."


async def test_a_get_send_is_refused_to_a_key_without_the_legacy_scope(api: Api) -> None:
    key = await _key(api, api_keys.DEFAULT_SENDER_SCOPES)
    async with client_for(api.app, key) as client:
        response = await client.get(f"/v1/messages/send?{QUERY}")

    assert response.status_code == 403
    assert "legacy_get" in response.json()["error"]["message"]
    assert "legacy_get" not in api_keys.DEFAULT_SENDER_SCOPES


async def test_a_get_send_with_a_bad_parameter_names_it(api: Api) -> None:
    response = await api.alpha.client.get(f"/v1/messages/send?{QUERY}&smart_encoding=perhaps")

    assert response.status_code == 422
    assert response.json()["error"]["field"] == "smart_encoding"


async def test_a_query_key_is_refused_over_plain_http_before_it_is_looked_up(api: Api) -> None:
    key = await _key(api, ("legacy_get",), query_key=True)
    async with client_for(api.app, None) as plain:
        refused = await plain.get(f"/v1/messages/send?{QUERY}&api_key={key}")
        bogus = await plain.get(f"/v1/messages/send?{QUERY}&api_key=psk_not_even_a_key")

    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "https_required"
    assert bogus.json()["error"]["code"] == "https_required"
    assert key not in refused.text


async def test_a_query_key_over_https_works_only_where_the_operator_allowed_it(
    api: Api,
) -> None:
    allowed = await _key(api, ("legacy_get",), query_key=True)
    not_allowed = await _key(api, ("legacy_get",))
    async with _https_client(api.app) as https:
        sent = await https.get(f"/v1/messages/send?{QUERY}&api_key={allowed}")
        refused = await https.get(f"/v1/messages/send?{QUERY}&api_key={not_allowed}")
        elsewhere = await https.get(f"/v1/account?api_key={allowed}")

    assert sent.status_code == 202, sent.text
    assert refused.status_code == 401
    assert "query parameter" in refused.json()["error"]["message"]
    assert elsewhere.status_code == 401


async def test_a_query_key_is_never_logged(
    api: Api, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = await _key(api, ("legacy_get",), query_key=True)
    caplog.set_level(logging.DEBUG)

    async def broken(*_: Any, **__: Any) -> Any:
        raise RuntimeError("storage fell over")

    async with _https_client(api.app) as https:
        await https.get(f"/v1/messages/send?{QUERY}&api_key={key}")
        await https.get(f"/v1/messages/send?to=x&api_key={key}")
        monkeypatch.setattr(api.app.state.services.accept, "send", broken)
        failed = await https.get(f"/v1/messages/send?{QUERY}&api_key={key}")

    assert failed.status_code == 500
    # The server's records (the test's own HTTP client logs the URL it requested).
    logged = "\n".join(
        caplog.handler.format(record)
        for record in caplog.records
        if not record.name.startswith(("httpx", "httpcore"))
    )
    assert "storage fell over" in logged
    assert key.split(".")[1] not in logged


async def test_the_operator_allows_a_query_key_through_the_admin_api(operated: Api) -> None:
    async with client_for(operated.app, OPERATOR_TOKEN) as operator:
        created = await operator.post(
            f"/admin/v1/accounts/{operated.alpha.account_id}/keys",
            json={"label": "erp", "scopes": ["legacy_get"], "query_key_allowed": True},
        )
        default = await operator.post(
            f"/admin/v1/accounts/{operated.alpha.account_id}/keys", json={"label": "plain"}
        )

    assert created.status_code == 201, created.text
    assert created.json()["query_key_allowed"] is True
    assert default.json()["query_key_allowed"] is False
    assert "legacy_get" not in default.json()["scopes"]
    async with _https_client(operated.app) as https:
        sent = await https.get(f"/v1/messages/send?{QUERY}&api_key={created.json()['key']}")
    assert sent.status_code == 202, sent.text


def test_the_operator_allows_a_query_key_from_the_command_line(tmp_path: Path) -> None:
    config = tmp_path / "parcelsms.toml"
    config.write_text(
        f'[database]\nurl = "sqlite+aiosqlite:///{tmp_path / "cli.db"}"\n'
        '[security]\npepper = "cli-test-pepper-0123456789"\n'
    )

    async def seed() -> None:
        storage = await open_platform_storage(load_config(config, {}), {})
        try:
            await new_account(storage, "erp")
        finally:
            await storage.close()

    asyncio.run(seed())
    runner = CliRunner()
    option = ["--config", str(config)]
    created = runner.invoke(
        main,
        ["keys", "create", "erp", "--scope", "legacy_get", "--allow-query-key", *option],
    )
    plain = runner.invoke(main, ["keys", "create", "erp", *option])
    listed = runner.invoke(main, ["keys", "list", "erp", *option])

    assert created.exit_code == 0, created.output
    assert "scopes: legacy_get" in created.output
    assert plain.exit_code == 0, plain.output
    assert "legacy_get" not in plain.output
    assert listed.output.count("key in query allowed") == 1


@asynccontextmanager
async def _served(app: Any, tmp_path: Path, proxies: str) -> AsyncIterator[str]:
    """``app`` behind uvicorn configured as ``parcelsms serve`` configures it."""
    config = tmp_path / f"server-{len(proxies)}.toml"
    config.write_text(f'[server]\nhost = "127.0.0.1"\nport = 0\ntrusted_proxies = [{proxies}]\n')
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(128)
    server = uvicorn.Server(uvicorn_config(app, load_config(config, {})))
    serving = asyncio.create_task(server.serve(sockets=[listener]))
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        server.should_exit = True
        await serving
        listener.close()


async def test_a_query_key_is_accepted_through_a_trusted_proxy_saying_https(
    api: Api, tmp_path: Path
) -> None:
    key = await _key(api, ("legacy_get",), query_key=True)
    url = f"/v1/messages/send?{QUERY}&api_key={key}"
    https = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "198.51.100.7"}
    outcomes: dict[str, int] = {}
    get: Callable[..., Any]
    async with httpx.AsyncClient() as client:
        get = client.get
        async with _served(api.app, tmp_path, '"127.0.0.1/32"') as base:
            outcomes["trusted proxy, https"] = (await get(base + url, headers=https)).status_code
            outcomes["trusted proxy, plain"] = (await get(base + url)).status_code
        async with _served(api.app, tmp_path, "") as base:
            outcomes["no trusted proxy"] = (await get(base + url, headers=https)).status_code

    assert outcomes == {
        "trusted proxy, https": 202,
        "trusted proxy, plain": 403,
        "no trusted proxy": 403,
    }


def test_the_get_send_is_a_v1_operation_that_speaks_xml(api: Api) -> None:
    routes = {(route.method, route.path): route for route in api.app.state.route_table}
    get_send = routes[("GET", "/v1/messages/send")]

    assert get_send.scope == "legacy_get"
    assert get_send.query_key
    assert speaks_xml(get_send)
    assert not routes[("POST", "/v1/messages/batch")].accepts_form
