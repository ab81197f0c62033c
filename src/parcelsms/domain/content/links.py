"""Links in a template's literal text: no public URL shorteners, only the account's domains.

A link is recognised the way phones auto-link text:

* anything starting with ``http://`` or ``https://`` (any case);
* anything starting with ``www.``;
* a bare ``name.tld`` followed by a path (``shop.example/t/123``), or without a path
  when the top-level domain is one commonly used for links (:data:`LINK_TLDS`) and
  written in lowercase (or the whole domain in capitals) - so ``Sig.ra`` or a missing
  space in ``delivered.It`` is not taken for a link.

E-mail addresses are not links. A placeholder ends a link: in
``https://track.example.com/{tracking_number}`` the link checked is
``https://track.example.com/``. A domain matches an allowed domain when it is that
domain or a subdomain of it (``track.example.com`` is on ``example.com``). A shared
shortener is refused even when the account lists it: the carriers' filters do not know
whose short link it is.
"""

from __future__ import annotations

import functools
import re
import tomllib
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from importlib import resources
from typing import Final

from parcelsms.domain.content.body_map import PLACEHOLDER_MASK, BodyMap
from parcelsms.domain.content.findings import Finding, Span
from parcelsms.domain.content.variables import VariableSpec
from parcelsms.errors import ConfigError

SHORTENER_FILE: Final = "url_shorteners.toml"

# Top-level domains that make a bare "name.tld" a link even without a path: the generic
# ones shops and carriers use, and the country codes of the markets parcelsms serves.
LINK_TLDS: Final = frozenset(
    {
        # generic
        "app", "biz", "cc", "click", "club", "co", "com", "delivery", "dev", "express", "gd",
        "gl", "info", "io", "link", "live", "ly", "me", "net", "online", "org", "page", "shop",
        "site", "store", "tech", "to", "top", "vip", "xyz",
        # country codes
        "ae", "ar", "at", "au", "be", "bg", "br", "ca", "ch", "cl", "cn", "cz", "de", "dk",
        "ee", "es", "eu", "fi", "fr", "gr", "hk", "hr", "hu", "id", "ie", "il", "in", "it",
        "jp", "kr", "lt", "lu", "lv", "mx", "my", "ng", "nl", "no", "nz", "pe", "ph", "pk",
        "pl", "pt", "ro", "rs", "ru", "sa", "se", "sg", "si", "sk", "th", "tr", "tw", "ua",
        "uk", "us", "vn", "za",
    }
)  # fmt: skip

_END = f"\\s{PLACEHOLDER_MASK}"
_SCHEME_LINK: Final = re.compile(
    rf"(?<![\w.+\-])https?://(?P<authority>[^{_END}/?#]*)[^{_END}]*", re.IGNORECASE
)
_LABEL = r"[^\W_](?:[\w\-]*[^\W_])?"
_DOMAIN_LINK: Final = re.compile(
    rf"(?<![\w@.\-/:])(?P<host>(?:{_LABEL}\.)+(?P<tld>[^\W\d_]{{2,63}}))(?![\w\-])"
    rf"(?P<rest>/[^{_END}]*)?"
)
_TRAILING_PUNCTUATION: Final = ".,;:!?)]}'\"»”’"


@dataclass(frozen=True, slots=True)
class FoundLink:
    """A link in the body: its text, span and host (empty when a placeholder starts it)."""

    text: str
    span: Span
    host: str


def normal_domain(domain: str) -> str:
    """Lowercase, without a leading ``*.``/``.`` or trailing dot, IDNA-encoded when possible."""
    name = domain.strip().removeprefix("*.").strip(".").casefold()
    try:
        return name.encode("idna").decode("ascii")
    except UnicodeError:
        return name


def find_links(body_map: BodyMap) -> list[FoundLink]:
    """Every link in the literal text of the body, in text order."""
    text = body_map.masked
    links: list[FoundLink] = []
    taken: list[Span] = []
    for match in _SCHEME_LINK.finditer(text):
        end = _without_closing_punctuation(text, match.start(), match.end())
        authority = text[match.start("authority") : max(end, match.start("authority"))]
        authority = re.split(r"[/?#]", authority, maxsplit=1)[0].rsplit("@", 1)[-1]
        host = re.sub(r":\d*$", "", authority)
        links.append(_link(text, match.start(), end, host))
        taken.append(match.span())
    for match in _DOMAIN_LINK.finditer(text):
        if any(start <= match.start() < end for start, end in taken):
            continue
        host, tld = match.group("host"), match.group("tld")
        has_path = match.group("rest") is not None
        starts_www = host.casefold().startswith("www.")
        well_cased = tld.islower() or host.isupper()
        if has_path or starts_www or (tld.casefold() in LINK_TLDS and well_cased):
            end = _without_closing_punctuation(text, match.start(), match.end())
            links.append(_link(text, match.start(), end, host))
    return sorted(links, key=lambda link: link.span)


def _without_closing_punctuation(text: str, start: int, end: int) -> int:
    # A sentence's closing punctuation is not part of the link.
    while end > start and text[end - 1] in _TRAILING_PUNCTUATION:
        end -= 1
    return end


def _link(text: str, start: int, end: int, host: str) -> FoundLink:
    return FoundLink(text[start:end], (start, end), normal_domain(host) if host else "")


def parse_shortener_list(text: str, *, source: str) -> frozenset[str]:
    """Validate the shortener file (``domains = [...]``); raise :class:`ConfigError`."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"not valid TOML: {exc}", key=source) from exc
    domains = data.get("domains")
    if set(data) != {"domains"} or not isinstance(domains, list) or not domains:
        raise ConfigError("the file holds exactly one key, 'domains', a list", key=source)
    result: set[str] = set()
    for index, domain in enumerate(domains):
        if not isinstance(domain, str) or not _DOMAIN_LINK.fullmatch(domain):
            raise ConfigError(f"{domain!r} is not a domain name", key=f"{source}: domains[{index}]")
        result.add(normal_domain(domain))
    return frozenset(result)


@functools.cache
def shipped_shortener_domains() -> frozenset[str]:
    """The shortener domains of ``parcelsms/data/url_shorteners.toml``, loaded once."""
    text = resources.files("parcelsms.data").joinpath(SHORTENER_FILE).read_text("utf-8")
    return parse_shortener_list(text, source=SHORTENER_FILE)


def _on_domain(host: str, domains: Iterable[str]) -> str | None:
    return next((d for d in domains if host == d or host.endswith("." + d)), None)


def check_links(
    body_map: BodyMap,
    declared: Mapping[str, VariableSpec] | None,
    allowed_link_domains: Collection[str],
    shorteners: Collection[str],
) -> list[Finding]:
    """Findings for shortened links, links off the allowed domains, and link variables
    that no domain could satisfy."""
    allowed = sorted({normal_domain(d) for d in allowed_link_domains} - {""})
    shown_allowed = ", ".join(allowed) if allowed else "none declared"
    findings: list[Finding] = []
    for link in find_links(body_map):
        if not link.host:
            findings.extend(_variable_host(body_map, link, declared))
            continue
        shortener = _on_domain(link.host, shorteners)
        if shortener is not None:
            findings.append(
                Finding(
                    "url_shortener",
                    "error",
                    f"The link {link.text!r} uses the public URL shortener {shortener}: "
                    "carriers block messages with shared shorteners because they hide where "
                    "the link goes. Write the full link on your own domain.",
                    link.span,
                    "body",
                )
            )
        elif _on_domain(link.host, allowed) is None:
            findings.append(
                Finding(
                    "link_domain_not_allowed",
                    "error",
                    f"The link {link.text!r} points to {link.host}, which is not one of the "
                    f"account's link domains ({shown_allowed}). Link to a declared domain, "
                    "or ask the operator to add this one.",
                    link.span,
                    "body",
                )
            )
    if not allowed and declared:
        for spec in declared.values():
            if spec.type == "link":
                findings.append(
                    Finding(
                        "link_domain_not_allowed",
                        "warning",
                        f"{spec.name!r} is a link variable but the account has no link domains, "
                        "so every value would be refused. Declare the account's link domains "
                        "first.",
                        body_map.first_span(spec.name),
                        f"variables.{spec.name}",
                    )
                )
    return findings


def _variable_host(
    body_map: BodyMap, link: FoundLink, declared: Mapping[str, VariableSpec] | None
) -> list[Finding]:
    end = link.span[1]
    placeholder = next((p for p in body_map.placeholders if p.start == end), None)
    if placeholder is None:
        return []  # "https://" alone: nothing a phone would open
    spec = declared.get(placeholder.name) if declared else None
    if spec is not None and spec.type == "link":
        return []
    return [
        Finding(
            "link_domain_not_allowed",
            "error",
            f"The domain of the link {link.text}{{{placeholder.name}}} comes from "
            f"{placeholder.name!r}, so it cannot be checked. Write the domain in the text, or "
            "put the whole link in one variable of type link.",
            (link.span[0], placeholder.end),
            "body",
        )
    ]
