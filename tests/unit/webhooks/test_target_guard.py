"""The SSRF guard's URL check: what a tenant may and may not register as a webhook."""

from __future__ import annotations

import ipaddress

import pytest

from parcelsms.adapters.webhooks.target_guard import (
    MAX_URL_LENGTH,
    check_target,
    is_public_address,
)
from parcelsms.errors import CatalogueError

PUBLIC_URLS = [
    "https://example.com/hooks/parcelsms",
    "http://example.com:8080/x?y=1",
    "https://hooks.example.co.uk/a#fragment",
    "HTTPS://EXAMPLE.COM/",
    "https://example.com./trailing-dot",
    "https://8.8.8.8/",
    "https://[2001:4860:4860::8888]:8443/",
    "http://[::ffff:8.8.8.8]/",
    "https://例え.jp/hook",
    "https://localhost.example.com/",
    "https://mylocalhost/",
    "https://example.com/?next=http://127.0.0.1/",
]

# Refused whatever the operator allows: wrong scheme, credentials, no host, malformed.
ALWAYS_REFUSED = [
    "ftp://example.com/hook",
    "file:///etc/passwd",
    "javascript:alert(1)",
    "gopher://example.com/",
    "ws://example.com/socket",
    "example.com/hook",
    "//example.com/hook",
    "http:///path-only",
    "http:example.com",
    "",
    "http://user:secret@example.com/",
    "http://user@example.com/",
    "http://@example.com/",
    "http://:@example.com/",
    "http://exa mple.com/",
    "http://example.com/\nX-Injected: 1",
    "http://example.com/\x00",
    "http://example.com:99999/",
    "http://example.com:port/",
    "http://a\\@b.com/",
    "https://example.com/" + "a" * MAX_URL_LENGTH,
]

# Refused unless private targets are allowed.
PRIVATE_URLS = [
    "http://127.0.0.1/",
    "http://127.0.0.1:8080/hook",
    "http://127.1/",
    "http://0x7f.0.0.1/",
    "http://0x7F000001/",
    "http://2130706433/",
    "http://017700000001/",
    "http://10.0.0.1/",
    "http://172.16.5.4/",
    "http://172.31.255.255/",
    "http://192.168.1.1/",
    "http://169.254.169.254/latest/meta-data/",
    "http://100.64.0.1/",
    "http://0.0.0.0/",
    "http://0/",
    "http://224.0.0.1/",
    "http://255.255.255.255/",
    "http://240.0.0.1/",
    "http://192.0.2.1/",
    "http://198.18.0.1/",
    "http://[::1]/",
    "http://[::]/",
    "http://[fe80::1%25eth0]/",
    "http://[fc00::1]/",
    "http://[fd12:3456::1]/",
    "http://[::ffff:127.0.0.1]/",
    "http://[::ffff:10.0.0.1]/",
    "http://[::ffff:169.254.169.254]/",
    "http://[2002:7f00:1::]/",
    "http://[2002:a00:1::]/",
    "http://[ff02::1]/",
    "http://[2001:db8::1]/",
    "http://localhost/",
    "http://LOCALHOST:3000/",
    "http://localhost./",
    "http://api.localhost/",
    "http://a.b.localhost/",
]


def _accepted(url: str, *, allow_private: bool) -> bool:
    try:
        check_target(url, allow_private=allow_private)
    except CatalogueError:
        return False
    return True


@pytest.mark.parametrize("url", PUBLIC_URLS)
def test_public_urls_are_accepted(url: str) -> None:
    assert _accepted(url, allow_private=False)


@pytest.mark.parametrize("url", ALWAYS_REFUSED)
@pytest.mark.parametrize("allow_private", [False, True])
def test_malformed_or_credentialed_urls_are_always_refused(url: str, allow_private: bool) -> None:
    with pytest.raises(CatalogueError) as refused:
        check_target(url, allow_private=allow_private)
    assert refused.value.code == "invalid_webhook_url"
    assert refused.value.field == "url"


@pytest.mark.parametrize("url", PRIVATE_URLS)
def test_private_targets_are_refused_by_default(url: str) -> None:
    with pytest.raises(CatalogueError) as refused:
        check_target(url, allow_private=False)
    assert refused.value.code == "invalid_webhook_url"
    assert refused.value.field == "url"


@pytest.mark.parametrize("url", PRIVATE_URLS)
def test_private_targets_pass_when_the_operator_allows_them(url: str) -> None:
    assert _accepted(url, allow_private=True)


def test_url_of_exactly_the_maximum_length_is_accepted() -> None:
    prefix = "https://example.com/"
    url = prefix + "a" * (MAX_URL_LENGTH - len(prefix))
    assert len(url) == 2048
    assert _accepted(url, allow_private=False)
    with pytest.raises(CatalogueError, match="2048"):
        check_target(url + "a", allow_private=False)


def test_refusal_is_the_catalogued_422_and_does_not_echo_the_address() -> None:
    with pytest.raises(CatalogueError) as refused:
        check_target("http://10.1.2.3/", allow_private=False)
    assert refused.value.status == 422
    assert "10.1.2.3" not in refused.value.message


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("8.8.8.8", True),
        ("1.1.1.1", True),
        ("2001:4860:4860::8888", True),
        ("::ffff:8.8.8.8", True),
        ("127.0.0.1", False),
        ("10.255.255.255", False),
        ("100.127.255.255", False),
        ("169.254.0.1", False),
        ("::1", False),
        ("::ffff:192.168.0.1", False),
        ("::7f00:1", False),
        ("64:ff9b::a00:1", False),
        ("fe80::1", False),
        ("ff0e::1", False),
    ],
)
def test_public_address_rule(address: str, public: bool) -> None:
    assert is_public_address(ipaddress.ip_address(address)) is public
