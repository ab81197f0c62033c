"""uvicorn's settings for the API, shared by every process that serves it."""

from __future__ import annotations

import ipaddress
from typing import Any

import uvicorn

from parcelsms.config import Settings


def uvicorn_config(app: Any, settings: Settings) -> uvicorn.Config:
    """uvicorn's configuration: forwarding headers believed only from ``trusted_proxies``.

    uvicorn trusts ``X-Forwarded-For`` from 127.0.0.1 unless told otherwise (and reads
    ``FORWARDED_ALLOW_IPS`` from the environment), which would let any local process, or a
    same-host tunnel passing the header through, choose the client address that key
    allowlists check. So the list is always given explicitly, and with no trusted proxy the
    middleware is not installed at all. With proxies, uvicorn's ProxyHeadersMiddleware
    (0.30+) takes the right-most address of X-Forwarded-For that is not a trusted proxy,
    and accepts networks in CIDR form. An IPv4 proxy is also trusted in its IPv4-mapped IPv6
    form, which is how a dual-stack listener (``host = "::"``) reports IPv4 peers.
    """
    proxies = _with_ipv4_mapped(settings.server.trusted_proxies)
    return uvicorn.Config(
        app,
        host=settings.server.host,
        port=settings.server.port,
        log_config=None,
        access_log=False,
        lifespan="off",
        server_header=False,
        proxy_headers=bool(proxies),
        forwarded_allow_ips=proxies,
    )


def _with_ipv4_mapped(networks: tuple[str, ...]) -> list[str]:
    expanded = list(networks)
    for entry in networks:
        network = ipaddress.ip_network(entry)
        if isinstance(network, ipaddress.IPv4Network):
            mapped = f"::ffff:{network.network_address}/{96 + network.prefixlen}"
            expanded.append(str(ipaddress.ip_network(mapped)))
    return expanded
