"""How ``serve`` configures uvicorn's handling of forwarding headers."""

from __future__ import annotations

from pathlib import Path

import pytest
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from parcelsms.cli.uvicorn_settings import uvicorn_config
from parcelsms.config import load_config


async def _app(scope: object, receive: object, send: object) -> None:
    """An ASGI app that is never called."""


def test_without_trusted_proxies_no_forwarding_header_is_read_even_if_the_environment_says_so(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("FORWARDED_ALLOW_IPS", "*")
    config = uvicorn_config(_app, load_config(None, {}))
    config.load()
    assert config.forwarded_allow_ips == []
    assert not isinstance(config.loaded_app, ProxyHeadersMiddleware)


def test_trusted_proxies_are_trusted_also_in_their_ipv4_mapped_form(tmp_path: Path) -> None:
    path = tmp_path / "parcelsms.toml"
    path.write_text('[server]\ntrusted_proxies = ["127.0.0.1"]\n')
    config = uvicorn_config(_app, load_config(path, {}))
    config.load()
    assert isinstance(config.loaded_app, ProxyHeadersMiddleware)
    trusted = config.loaded_app.trusted_hosts
    assert "127.0.0.1" in trusted
    assert "::ffff:127.0.0.1" in trusted
    assert "127.0.0.2" not in trusted
