"""IP allowlists of API keys: CIDR networks, IPv4 and IPv6.

A key with an allowlist is accepted only from an address inside one of its networks. An
IPv4-mapped IPv6 address (``::ffff:203.0.113.9``, what a dual-stack socket reports for an IPv4
client) is compared as the IPv4 address it carries.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from functools import lru_cache
from typing import Final

from parcelsms.domain.error_catalogue import error

MAX_NETWORKS: Final = 32

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_allowlist(entries: Sequence[str], field: str = "allowed_networks") -> tuple[str, ...]:
    """The canonical form of ``entries`` (``"203.0.113.0/24"``, ``"2001:db8::/32"``).

    A bare address is a one-address network. Host bits are refused (``10.0.0.1/8`` is
    ambiguous: write ``10.0.0.0/8`` or ``10.0.0.1/32``). Raises ``invalid_request`` naming
    the offending entry as ``field[index]``.
    """
    if len(entries) > MAX_NETWORKS:
        raise error("invalid_request", f"At most {MAX_NETWORKS} networks per key.", field=field)
    networks: list[str] = []
    for index, entry in enumerate(entries):
        try:
            network = ipaddress.ip_network(entry.strip(), strict=True)
        except ValueError:
            raise error(
                "invalid_request",
                "Not a network in CIDR form such as 203.0.113.0/24 or 2001:db8::/32 "
                "(host bits must be zero).",
                field=f"{field}[{index}]",
            ) from None
        text = str(network)
        if text not in networks:
            networks.append(text)
    return tuple(networks)


@lru_cache(maxsize=4096)
def _networks(entries: tuple[str, ...]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(entry) for entry in entries)


def address_allowed(address: str | None, entries: tuple[str, ...]) -> bool:
    """True when ``address`` lies in one of ``entries`` (canonical networks).

    An unknown or unparsable client address is never allowed by a non-empty list.
    """
    if address is None:
        return False
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return any(ip.version == network.version and ip in network for network in _networks(entries))
