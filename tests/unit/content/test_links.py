"""Links: recognised like phones do, no public shorteners, only the account's domains."""

from __future__ import annotations

import pytest

from parcelsms.domain.content.body_map import map_body
from parcelsms.domain.content.findings import Finding
from parcelsms.domain.content.links import (
    check_links,
    find_links,
    normal_domain,
    parse_shortener_list,
    shipped_shortener_domains,
)
from parcelsms.domain.content.variables import VariableSpec
from parcelsms.errors import ConfigError

ALLOWED = ["example.com", "paket-shop.de"]


def links(body: str) -> list[tuple[str, str]]:
    return [(link.text, link.host) for link in find_links(map_body(body))]


def check(
    body: str,
    allowed: list[str] = ALLOWED,
    declared: dict[str, VariableSpec] | None = None,
) -> list[Finding]:
    return check_links(map_body(body), declared, allowed, shipped_shortener_domains())


def summary(body: str, findings: list[Finding]) -> list[tuple[str, str, str]]:
    return [(f.code, f.severity, body[f.span[0] : f.span[1]] if f.span else "") for f in findings]


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            "Track: https://track.example.com/p/1Z999.",
            [("https://track.example.com/p/1Z999", "track.example.com")],
        ),
        ("HTTP://Example.COM:8080/x?y=1#z", [("HTTP://Example.COM:8080/x?y=1#z", "example.com")]),
        ("Go to www.example.com, then log in", [("www.example.com", "www.example.com")]),
        (
            "See bit.ly/3xYz or tinyurl.com/abc!",
            [("bit.ly/3xYz", "bit.ly"), ("tinyurl.com/abc", "tinyurl.com")],
        ),
        ("Visit example.com.", [("example.com", "example.com")]),
        ("Besuchen Sie PAKET-SHOP.DE heute", [("PAKET-SHOP.DE", "paket-shop.de")]),
        ("Seguimiento en correos.es/envio", [("correos.es/envio", "correos.es")]),
        ("https://münchen.example/x", [("https://münchen.example/x", "xn--mnchen-3ya.example")]),
        ("(https://example.com/a)", [("https://example.com/a", "example.com")]),
    ],
)
def test_links_are_recognised_with_their_host(body: str, expected: list[tuple[str, str]]) -> None:
    assert links(body) == expected


@pytest.mark.parametrize(
    "body",
    [
        "Write to help@example.com for help.",
        "Gentile Sig.ra Rossi, il pacco è arrivato.",
        "Your parcel was delivered.It is at the door.",
        "Version 1.2.3 costs 12.50 EUR, i.e. less.",
        "Weight: 2.5kg, z.B. Bücher",
    ],
)
def test_text_that_only_looks_like_a_domain_is_not_a_link(body: str) -> None:
    assert links(body) == []


def test_a_placeholder_ends_the_link() -> None:
    body = "Track at https://track.example.com/{tracking_number} now"
    assert links(body) == [("https://track.example.com/", "track.example.com")]
    assert check(body) == []


@pytest.mark.parametrize(
    ("body", "shortener"),
    [
        ("Track your parcel: bit.ly/3abcDE", "bit.ly/3abcDE"),
        ("Track: https://tinyurl.com/y7abc", "https://tinyurl.com/y7abc"),
        ("Tracking: https://t.co/xyz", "https://t.co/xyz"),
        ("Ver: cutt.ly/pedido", "cutt.ly/pedido"),
        ("Rastreio: https://www.bit.ly/a", "https://www.bit.ly/a"),
    ],
)
def test_public_shorteners_are_errors(body: str, shortener: str) -> None:
    assert summary(body, check(body)) == [("url_shortener", "error", shortener)]


def test_a_shortener_is_refused_even_when_the_account_lists_it() -> None:
    body = "Track: bit.ly/abc"
    assert summary(body, check(body, allowed=["bit.ly"])) == [
        ("url_shortener", "error", "bit.ly/abc")
    ]


def test_links_on_allowed_domains_and_their_subdomains_pass() -> None:
    body = "Track at https://example.com/t or track.example.com/t or WWW.PAKET-SHOP.DE/x"
    assert check(body) == []


def test_a_link_off_the_allowed_domains_is_an_error() -> None:
    body = "Track at https://evil-example.com/t and example.org/t"
    assert summary(body, check(body)) == [
        ("link_domain_not_allowed", "error", "https://evil-example.com/t"),
        ("link_domain_not_allowed", "error", "example.org/t"),
    ]


def test_userinfo_cannot_disguise_the_real_host() -> None:
    body = "Track: https://example.com@bit.ly/x"
    assert summary(body, check(body)) == [
        ("url_shortener", "error", "https://example.com@bit.ly/x")
    ]


def test_without_allowed_domains_every_link_is_an_error() -> None:
    body = "Track at https://example.com/t"
    findings = check(body, allowed=[])
    assert summary(body, findings) == [
        ("link_domain_not_allowed", "error", "https://example.com/t")
    ]
    assert "none declared" in findings[0].message


def test_a_domain_taken_from_a_text_variable_is_an_error() -> None:
    body = "Track at https://{host}/t"
    findings = check(body, declared={"host": VariableSpec("host")})
    assert summary(body, findings) == [("link_domain_not_allowed", "error", "https://{host}")]


def test_a_link_variable_is_allowed() -> None:
    declared = {"tracking_link": VariableSpec("tracking_link", "link", 60)}
    assert check("Track: {tracking_link}", declared=declared) == []
    assert check("Track: https://{tracking_link}", declared=declared) == []


def test_a_link_variable_without_any_allowed_domain_is_a_warning() -> None:
    body = "Track: {tracking_link}"
    findings = check(
        body, allowed=[], declared={"tracking_link": VariableSpec("tracking_link", "link")}
    )
    assert [(f.code, f.severity, f.span, f.field) for f in findings] == [
        ("link_domain_not_allowed", "warning", (7, 22), "variables.tracking_link")
    ]


def test_allowed_domains_are_normalised() -> None:
    assert normal_domain("*.Example.COM.") == "example.com"
    assert check("Go to https://shop.example.com/", allowed=["*.EXAMPLE.com"]) == []


def test_the_shipped_shortener_list_has_the_usual_services() -> None:
    usual = {"bit.ly", "tinyurl.com", "t.co", "goo.gl", "ow.ly", "is.gd", "buff.ly", "rebrand.ly",
             "cutt.ly", "shorturl.at", "tiny.cc", "rb.gy", "s.id", "t.ly"}  # fmt: skip
    assert usual <= shipped_shortener_domains()


@pytest.mark.parametrize(
    "text",
    ["domains = []", "domains = ['bit.ly', 'not a domain']", "other = ['bit.ly']", "domains = ["],
)
def test_a_broken_shortener_file_is_refused(text: str) -> None:
    with pytest.raises(ConfigError):
        parse_shortener_list(text, source="url_shorteners.toml")
