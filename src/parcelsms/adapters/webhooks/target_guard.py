"""Keep webhooks off private networks (server-side request forgery guard).

A tenant chooses its webhook URL, so without a guard parcelsms would send signed requests
wherever it is told, including to the operator's own network (a metadata service, an admin
port on localhost). Three checks stop that, each for a different moment:

* :func:`check_target` reads the URL alone (no DNS): when an endpoint is registered and
  again before each attempt. It refuses other schemes, credentials in the URL, a missing
  host, URLs over 2048 characters, and — unless private targets are allowed — literal IP
  addresses that are not public and the names ``localhost`` / ``*.localhost``. IPv4 in its
  legacy spellings (``127.1``, ``0x7f.0.0.1``, ``2130706433``) counts as a literal.
* :func:`check_resolved_host` resolves the host of a URL being registered, so a name that
  points inside the network is refused with feedback at once instead of failing every
  delivery later. It is feedback, not the guard: a name that does not resolve (yet), or not
  within its timeout, is accepted, and the checks below still run for every delivery.
* :func:`resolve_public` resolves a host and refuses when ANY address it returns is not
  public, so a name that answers with one public and one private address is refused.
* :class:`GuardedResolver` applies the same rule to every resolution the webhook sender
  makes for a new connection (it has aiohttp's resolver interface; the sender then connects
  to one of the addresses it returned): the address a connection is opened to is the
  address that was checked, so a name that resolved to a public address at registration
  and to a private one now (DNS rebinding) is refused.

"Not public" is broader than RFC 1918: loopback, private, link-local, multicast, reserved,
unspecified, shared (CGNAT) and documentation ranges — everything Python's ``ipaddress``
does not call global — plus IPv6 addresses that embed such an IPv4 address (IPv4-mapped,
6to4). Refusals name the host the tenant gave and the kind of address (loopback, private,
...), never the resolved address itself, since that would leak the operator's internal DNS
to a tenant. Refusals of non-public targets name the ``[webhooks] allow_private_targets``
setting, which an operator turns on for local development.
"""

from __future__ import annotations

import asyncio
import ipaddress
import re
import socket
import urllib.parse
from collections.abc import Awaitable, Callable

import yarl
from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import DefaultResolver

from parcelsms.domain.error_catalogue import error
from parcelsms.errors import CatalogueError

__all__ = [
    "MAX_URL_LENGTH",
    "RESOLVE_TIMEOUT_SECONDS",
    "GuardedResolver",
    "check_resolved_host",
    "check_target",
    "is_public_address",
    "resolve_public",
]

MAX_URL_LENGTH = 2048
RESOLVE_TIMEOUT_SECONDS = 3.0
_PRIVATE_HINT = (
    "; webhooks go only to public addresses (for local development the operator can set "
    "[webhooks] allow_private_targets = true)"
)
_ERROR_CODE = "invalid_webhook_url"
_SCHEMES = frozenset({"http", "https"})
# Dotted forms inet_aton accepts (1 to 4 parts, decimal, octal or hex); browsers and libc
# resolve them as IPv4 even though they do not look like addresses.
_LEGACY_IPV4 = re.compile(
    r"(?:0x[0-9a-f]*|[0-9]+)(?:\.(?:0x[0-9a-f]*|[0-9]+)){0,3}\.?", re.IGNORECASE
)
_CONTROL_OR_SPACE = re.compile(r"[\x00-\x20\x7f]")

Address = ipaddress.IPv4Address | ipaddress.IPv6Address


def _refuse(message: str) -> CatalogueError:
    return error(_ERROR_CODE, message, field="url")


def is_public_address(address: Address) -> bool:
    """True when ``address`` is globally routable and not multicast (rules in the module doc)."""
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return is_public_address(address.ipv4_mapped)
        if address.sixtofour is not None and not is_public_address(address.sixtofour):
            return False
    return not (
        address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
        or not address.is_global
    )


def _literal_address(host: str) -> Address | None:
    """The IP address ``host`` spells, in any form a resolver would accept, else None."""
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    if _LEGACY_IPV4.fullmatch(host):
        try:
            packed = socket.inet_aton(host.rstrip("."))
        except OSError as error:
            raise _refuse("webhook URL host is a malformed IP address") from error
        return ipaddress.IPv4Address(packed)
    return None


def check_target(url: str, *, allow_private: bool) -> None:
    """Refuse a webhook URL that must not be called; return None when it may be.

    Raises :class:`~parcelsms.errors.CatalogueError` with code ``invalid_webhook_url`` and
    field ``url``. Does no DNS lookup: see :func:`resolve_public` for that.
    """
    if len(url) > MAX_URL_LENGTH:
        raise _refuse(f"webhook URL is longer than {MAX_URL_LENGTH} characters")
    if _CONTROL_OR_SPACE.search(url):
        raise _refuse("webhook URL contains spaces or control characters")
    try:
        parsed = yarl.URL(url)
        # yarl checks the port lazily on some versions; touch it while errors are caught.
        _ = parsed.port
        # yarl drops an empty user-info ("http://@host/"); the raw authority still has it.
        raw_authority = urllib.parse.urlsplit(url).netloc
    except (ValueError, UnicodeError) as error:
        raise _refuse("webhook URL is not a valid URL") from error
    if parsed.scheme not in _SCHEMES:
        raise _refuse("webhook URL must use http or https")
    if "@" in raw_authority or parsed.raw_user is not None or parsed.raw_password is not None:
        raise _refuse("webhook URL must not contain a user name or password")
    raw_host = parsed.raw_host
    if not raw_host:
        raise _refuse("webhook URL has no host")
    if allow_private:
        return

    address = _literal_address(parsed.host or raw_host)
    if address is not None:
        if not is_public_address(address):
            raise _refuse(f"webhook URL points to a {_kind(address)} address{_PRIVATE_HINT}")
        return
    if "%" in raw_host:
        raise _refuse("webhook URL host contains percent-encoding")
    name = raw_host.lower().rstrip(".")
    if name == "localhost" or name.endswith(".localhost"):
        raise _refuse(f"webhook URL points to localhost{_PRIVATE_HINT}")


def _kind(address: Address) -> str:
    """What kind of non-public address ``address`` is, in words."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return _kind(address.ipv4_mapped)
    for kind, applies in (
        ("loopback", address.is_loopback),
        ("link-local", address.is_link_local),
        ("multicast", address.is_multicast),
        ("unspecified", address.is_unspecified),
        ("private", address.is_private),
    ):
        if applies:
            return kind
    return "reserved"


Resolve = Callable[[str, int], Awaitable[list[str]]]
"""Resolves ``(host, port)`` to address strings (raises ``OSError`` when it cannot)."""


async def _getaddrinfo(host: str, port: int) -> list[str]:
    # The event loop's getaddrinfo runs the blocking libc call in its executor.
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


async def check_resolved_host(
    url: str,
    *,
    allow_private: bool,
    timeout: float = RESOLVE_TIMEOUT_SECONDS,
    resolve: Resolve = _getaddrinfo,
) -> None:
    """Refuse a URL (already passed by :func:`check_target`) whose host NAME resolves to an
    address that is not public; return None otherwise.

    Literal addresses are :func:`check_target`'s. A name that does not resolve, or not
    within ``timeout`` seconds, is accepted: this is feedback at registration, and delivery
    checks every connection again. Raises :class:`~parcelsms.errors.CatalogueError`
    (``invalid_webhook_url``, field ``url``) naming the host and the kind of address.
    """
    if allow_private:
        return
    parsed = yarl.URL(url)
    host = parsed.host
    if not host or _literal_address(host) is not None:
        return
    try:
        async with asyncio.timeout(timeout):
            answers = await resolve(host, parsed.port or 0)
    except (OSError, UnicodeError, TimeoutError):
        return
    for text in answers:
        try:
            address = ipaddress.ip_address(text)
        except ValueError:
            raise _refuse(f"webhook URL host {host!r} resolves to an unusable address") from None
        if not is_public_address(address):
            raise _refuse(
                f"webhook URL host {host!r} resolves to a {_kind(address)} address{_PRIVATE_HINT}"
            )


def _refuse_private(addresses: list[str]) -> None:
    for text in addresses:
        try:
            address = ipaddress.ip_address(text)
        except ValueError as error:
            raise _refuse("webhook URL host resolves to an unusable address") from error
        if not is_public_address(address):
            raise _refuse("webhook URL host resolves to a private or reserved address")


async def resolve_public(host: str, port: int, *, allow_private: bool) -> list[str]:
    """Resolve ``host`` and return its addresses, refusing if any is not public.

    Unless ``allow_private``, a single private, loopback or reserved address among the
    answers refuses the whole host (a name that points inside the network is not a webhook
    target, whatever else it points to). A name that does not resolve is refused too.
    Raises :class:`~parcelsms.errors.CatalogueError` (``invalid_webhook_url``, field ``url``).
    """
    loop = asyncio.get_running_loop()
    try:
        infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as error:
        raise _refuse("webhook URL host does not resolve") from error
    addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
    if not addresses:
        raise _refuse("webhook URL host does not resolve")
    if not allow_private:
        _refuse_private(addresses)
    return addresses


class GuardedResolver(AbstractResolver):
    """An aiohttp resolver that refuses hosts resolving to non-public addresses.

    Wraps ``inner`` (aiohttp's default resolver when None, created on first use because it
    needs the running loop). Unless ``allow_private``, :meth:`resolve` raises
    :class:`~parcelsms.errors.CatalogueError` when any answer is not public, so the webhook
    sender never connects to such an address. Literal IP hosts do not reach the resolver:
    :func:`check_target` covers them.
    """

    def __init__(self, *, allow_private: bool, inner: AbstractResolver | None = None) -> None:
        self._allow_private = allow_private
        self._inner = inner

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        """Resolve through the wrapped resolver, then refuse non-public answers."""
        if self._inner is None:
            self._inner = DefaultResolver()
        results = await self._inner.resolve(host, port, family)
        if not self._allow_private:
            _refuse_private([result["host"] for result in results])
        return results

    async def close(self) -> None:
        """Close the wrapped resolver."""
        if self._inner is not None:
            await self._inner.close()
