"""Registering a webhook endpoint resolves its host name: a name that points to a loopback
or private address is refused at once, with a message naming the host and the setting that
allows it for local development (issue 9, item 10). Through the API of the real
composition root."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from secured_platform import running_platform

INTERNAL = "hooks.internal.test"
PUBLIC = "hooks.public.test"
UNKNOWN = "hooks.unknown.test"


@pytest.fixture
async def fake_dns(monkeypatch: pytest.MonkeyPatch) -> None:
    """Names of this test resolve as a split-horizon DNS would; others as usual."""
    loop = asyncio.get_running_loop()
    real = loop.getaddrinfo
    answers = {INTERNAL: "127.0.0.1", PUBLIC: "93.184.216.34"}

    async def getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        if host in answers:
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (answers[host], port or 0))]
        if host == UNKNOWN:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return await real(host, port, *args, **kwargs)

    monkeypatch.setattr(loop, "getaddrinfo", getaddrinfo)


@pytest.fixture
async def strict(tmp_path: Path, fake_dns: None) -> AsyncIterator[Any]:
    async with running_platform(tmp_path, allow_private_targets=False) as platform:
        yield platform


async def test_a_host_name_resolving_to_loopback_is_refused_naming_host_and_setting(
    strict: Any,
) -> None:
    shop = await strict.sender("shop")

    response = await shop.client.post("/v1/webhooks", json={"url": f"https://{INTERNAL}/h"})

    assert response.status_code == 422
    error = response.json()["error"]
    assert (error["code"], error["field"]) == ("invalid_webhook_url", "url")
    assert INTERNAL in error["message"]
    assert "loopback" in error["message"]
    assert "[webhooks] allow_private_targets" in error["message"]
    assert "127.0.0.1" not in error["message"]  # the resolved address is not told
    assert (await shop.client.get("/v1/webhooks")).status_code == 404


async def test_public_and_not_yet_resolvable_host_names_are_registered(strict: Any) -> None:
    shop = await strict.sender("shop")

    public = await shop.client.post("/v1/webhooks", json={"url": f"https://{PUBLIC}/h"})
    unknown = await shop.client.post("/v1/webhooks", json={"url": f"https://{UNKNOWN}/h"})

    assert public.status_code == 201
    assert unknown.status_code == 201


async def test_the_literal_localhost_names_the_setting_too(strict: Any) -> None:
    shop = await strict.sender("shop")

    response = await shop.client.post("/v1/webhooks", json={"url": "http://localhost:8080/h"})

    assert response.json()["error"]["code"] == "invalid_webhook_url"
    assert "allow_private_targets" in response.json()["error"]["message"]


async def test_private_host_names_are_registered_when_the_operator_allows_them(
    tmp_path: Path, fake_dns: None
) -> None:
    async with running_platform(tmp_path, allow_private_targets=True) as platform:
        shop = await platform.sender("shop")

        response = await shop.client.post("/v1/webhooks", json={"url": f"https://{INTERNAL}/h"})

    assert response.status_code == 201


async def test_this_machines_own_host_name_is_refused_through_the_real_resolver(
    tmp_path: Path,
) -> None:
    name = socket.gethostname()
    try:
        resolved = {info[4][0] for info in socket.getaddrinfo(name, 443)}
    except OSError:
        pytest.skip(f"{name} does not resolve here")
    if all(ipaddress.ip_address(address).is_global for address in resolved):
        pytest.skip(f"{name} resolves to a public address here")

    async with running_platform(tmp_path, allow_private_targets=False) as platform:
        shop = await platform.sender("shop")
        response = await shop.client.post("/v1/webhooks", json={"url": f"https://{name}/h"})

    assert response.status_code == 422
    assert name in response.json()["error"]["message"]
