"""Send-time resolution checks: resolve_public and the resolver aiohttp connects through."""

from __future__ import annotations

import asyncio
import socket
from typing import Any

import pytest
from aiohttp.abc import AbstractResolver, ResolveResult

from parcelsms.adapters.webhooks.target_guard import (
    GuardedResolver,
    check_resolved_host,
    resolve_public,
)
from parcelsms.errors import CatalogueError


async def test_localhost_is_refused_after_resolution() -> None:
    with pytest.raises(CatalogueError) as refused:
        await resolve_public("localhost", 80, allow_private=False)
    assert refused.value.code == "invalid_webhook_url"
    assert refused.value.field == "url"


async def test_localhost_resolves_when_private_targets_are_allowed() -> None:
    addresses = await resolve_public("localhost", 80, allow_private=True)
    assert set(addresses) & {"127.0.0.1", "::1"}


async def test_public_literal_address_resolves_to_itself() -> None:
    # A numeric host is answered by getaddrinfo itself: no DNS traffic.
    assert await resolve_public("8.8.8.8", 443, allow_private=False) == ["8.8.8.8"]


async def test_legacy_ipv4_spelling_is_caught_after_resolution() -> None:
    with pytest.raises(CatalogueError):
        await resolve_public("2130706433", 80, allow_private=False)


def _answers(*addresses: str) -> list[tuple[Any, ...]]:
    return [
        (
            socket.AF_INET6 if ":" in address else socket.AF_INET,
            socket.SOCK_STREAM,
            6,
            "",
            (address, 443),
        )
        for address in addresses
    ]


async def test_one_private_answer_among_public_ones_refuses_the_host(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    loop = asyncio.get_running_loop()

    async def rebinding_dns(*_args: object, **_kwargs: object) -> list[tuple[Any, ...]]:
        return _answers("93.184.216.34", "10.0.0.7")

    monkeypatch.setattr(loop, "getaddrinfo", rebinding_dns)
    with pytest.raises(CatalogueError, match="private"):
        await resolve_public("hooks.customer.example", 443, allow_private=False)
    assert await resolve_public("hooks.customer.example", 443, allow_private=True) == [
        "93.184.216.34",
        "10.0.0.7",
    ]


async def test_unresolvable_host_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    loop = asyncio.get_running_loop()

    async def no_such_host(*_args: object, **_kwargs: object) -> list[tuple[Any, ...]]:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(loop, "getaddrinfo", no_such_host)
    with pytest.raises(CatalogueError, match="does not resolve"):
        await resolve_public("missing.customer.example", 443, allow_private=False)


class _FixedAnswers(AbstractResolver):
    def __init__(self, *addresses: str) -> None:
        self.addresses = addresses
        self.closed = False

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        return [
            ResolveResult(hostname=host, host=address, port=port, family=family, proto=0, flags=0)
            for address in self.addresses
        ]

    async def close(self) -> None:
        self.closed = True


@pytest.mark.parametrize("private", ["127.0.0.1", "10.1.2.3", "169.254.169.254", "::1", "fd00::5"])
async def test_guarded_resolver_refuses_private_answers(private: str) -> None:
    resolver = GuardedResolver(allow_private=False, inner=_FixedAnswers("8.8.4.4", private))
    with pytest.raises(CatalogueError):
        await resolver.resolve("hooks.customer.example", 443)


async def test_guarded_resolver_passes_public_answers_through() -> None:
    resolver = GuardedResolver(allow_private=False, inner=_FixedAnswers("8.8.4.4", "1.1.1.1"))
    results = await resolver.resolve("hooks.customer.example", 443)
    assert [result["host"] for result in results] == ["8.8.4.4", "1.1.1.1"]


async def test_guarded_resolver_allows_private_answers_when_told() -> None:
    resolver = GuardedResolver(allow_private=True, inner=_FixedAnswers("10.1.2.3"))
    results = await resolver.resolve("hooks.internal", 443)
    assert [result["host"] for result in results] == ["10.1.2.3"]


async def test_guarded_resolver_with_the_default_resolver_refuses_localhost() -> None:
    resolver = GuardedResolver(allow_private=False)
    with pytest.raises(CatalogueError):
        await resolver.resolve("localhost", 80)
    await resolver.close()


async def test_closing_the_guarded_resolver_closes_the_wrapped_one() -> None:
    inner = _FixedAnswers("8.8.8.8")
    await GuardedResolver(allow_private=False, inner=inner).close()
    assert inner.closed


async def test_registration_resolution_accepts_a_name_that_does_not_answer_in_time() -> None:
    async def slow_dns(host: str, port: int) -> list[str]:
        await asyncio.sleep(10)
        return ["127.0.0.1"]

    await check_resolved_host(
        "https://slow.example/h", allow_private=False, timeout=0.05, resolve=slow_dns
    )


@pytest.mark.parametrize(
    ("answers", "kind"),
    [
        (["10.1.2.3"], "private"),
        (["8.8.8.8", "::1"], "loopback"),
        (["169.254.169.254"], "link-local"),
    ],
)
async def test_registration_resolution_refuses_any_non_public_answer(
    answers: list[str], kind: str
) -> None:
    async def dns(host: str, port: int) -> list[str]:
        return answers

    with pytest.raises(CatalogueError) as refused:
        await check_resolved_host("https://shop.example/h", allow_private=False, resolve=dns)

    assert f"'shop.example' resolves to a {kind} address" in refused.value.message
