"""Key IP allowlists against forged forwarding headers, through a started platform.

The API speaks plain HTTP; with no ``[server] trusted_proxies`` it believes no
``X-Forwarded-For``, whoever sends it (127.0.0.1 included). With a trusted proxy it takes
the right-most address that is not a trusted proxy, so a client cannot prepend its own.
"""

from __future__ import annotations

from pathlib import Path

import aiohttp
import pytest
from platform_process import ServeProcess, start_serve

pytestmark = pytest.mark.slow

CONFIG = """
[server]
host = "127.0.0.1"
port = 0
{proxies}

[database]
url = "sqlite+aiosqlite:///./parcelsms.db"
"""


async def _restricted_key(session: aiohttp.ClientSession, serve: ServeProcess) -> str:
    """A new key of the demo account usable only from 10.0.0.0/8."""
    async with session.post(
        f"{serve.base_url}/v1/keys",
        json={"label": "office", "allowed_networks": ["10.0.0.0/8"]},
        headers={"Authorization": f"Bearer {serve.api_key}"},
    ) as response:
        assert response.status == 201, await response.text()
        key: str = (await response.json())["key"]
        return key


async def _status(
    session: aiohttp.ClientSession, serve: ServeProcess, key: str, forwarded_for: str | None
) -> int:
    headers = {"Authorization": f"Bearer {key}"}
    if forwarded_for is not None:
        headers["X-Forwarded-For"] = forwarded_for
    async with session.get(f"{serve.base_url}/v1/account", headers=headers) as response:
        return response.status


async def _statuses(tmp_path: Path, proxies: str, forwarded: list[str | None]) -> list[int]:
    config = tmp_path / "parcelsms.toml"
    config.write_text(CONFIG.format(proxies=proxies))
    serve = await start_serve(config, demo=True)
    try:
        async with aiohttp.ClientSession() as session:
            key = await _restricted_key(session, serve)
            return [await _status(session, serve, key, value) for value in forwarded]
    finally:
        await serve.stop()


async def test_without_trusted_proxies_a_forwarded_address_does_not_pass_the_allowlist(
    tmp_path: Path,
) -> None:
    statuses = await _statuses(tmp_path, "", [None, "10.1.1.1", "10.1.1.1, 10.2.2.2"])
    assert statuses == [403, 403, 403]


async def test_a_trusted_proxy_passes_the_right_most_untrusted_address_only(
    tmp_path: Path,
) -> None:
    statuses = await _statuses(
        tmp_path,
        'trusted_proxies = ["127.0.0.1"]',
        [
            None,  # the proxy's own address is not in the allowlist
            "10.1.1.1",  # the client as the proxy saw it
            "192.0.2.7, 10.1.1.1",  # a client-supplied entry in front changes nothing
            "10.1.1.1, 192.0.2.7",  # a spoofed left-most entry does not help
            "10.1.1.1, 127.0.0.1",  # trusted hops are skipped from the right
            "not-an-address",
        ],
    )
    assert statuses == [403, 200, 200, 403, 200, 403]
