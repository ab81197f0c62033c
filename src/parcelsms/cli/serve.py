"""``parcelsms serve``: the API, the dispatcher, receipts and webhooks in one process."""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import logging
import os
import signal
import socket
from typing import Any

import click
import msgspec
import uvicorn

from parcelsms.bootstrap import build_platform
from parcelsms.cli.listening_socket import bind_listening_socket
from parcelsms.cli.logging_setup import configure_logging
from parcelsms.cli.serve_announcement import Announcement, existing_accounts
from parcelsms.cli.settings_loader import config_option, load_settings
from parcelsms.config import Settings
from parcelsms.pipeline.demo_seed import seed_demo

_log = logging.getLogger("parcelsms.serve")


@click.command("serve")
@config_option
@click.option("--host", help="Address to listen on (overrides [server] host).")
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    help="TCP port (overrides [server] port; 0 picks a free one).",
)
@click.option(
    "--demo",
    is_flag=True,
    help="On a database without a demo account, create one (verified, 100 EUR, demo "
    "templates) and print its API key once.",
)
def serve(config_path: str | None, host: str | None, port: int | None, demo: bool) -> None:
    """Start the platform (API on [server] host:port, workers, SMPP channels).

    With no channel configured, an embedded carrier simulator is started and every route
    goes to it. The port is bound before anything is written to the database. With --demo,
    a demo account, templates and API key are created (once) and printed; without it an
    empty database gets no account, and the output says how to create one.
    """
    settings = load_settings(config_path)
    server = msgspec.structs.replace(
        settings.server,
        host=settings.server.host if host is None else host,
        port=settings.server.port if port is None else port,
    )
    settings = msgspec.structs.replace(settings, server=server)
    configure_logging(settings.logging.level, settings.logging.format)
    listener = bind_listening_socket(server.host, server.port)
    run_async(_serve(settings, listener, demo=demo, config_path=config_path))


def run_async(coroutine: object) -> None:
    """Run on uvloop when it is installed, else on asyncio's loop."""
    try:
        import uvloop
    except ImportError:  # pragma: no cover - uvloop is a dependency on Linux
        asyncio.run(coroutine)  # type: ignore[arg-type]
    else:
        uvloop.run(coroutine)  # type: ignore[arg-type]


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


async def _serve(
    settings: Settings, listener: socket.socket, *, demo: bool, config_path: str | None
) -> None:
    try:
        platform = await build_platform(settings, os.environ)
    except BaseException:
        listener.close()
        raise
    await platform.start_workers()
    server = uvicorn.Server(uvicorn_config(platform.app, settings))
    # uvicorn captures SIGINT/SIGTERM while it serves and re-raises them once it stopped;
    # our handlers receive them then, so the platform is closed before the process exits.
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    serving = asyncio.create_task(server.serve(sockets=[listener]))
    while not server.started:
        if serving.done():
            await platform.close()
            serving.result()
            raise click.ClickException("the API server did not start")
        await asyncio.sleep(0.01)
    port = listener.getsockname()[1]
    # Only now, with the port listening, is a demo key created: it is printed right below.
    seed = await seed_demo(platform.storage.accounts, platform.storage.content) if demo else None
    accounts = await existing_accounts(platform.storage.accounts)
    await platform.wait_channels_bound(5.0)
    announcement = Announcement(platform, settings, port, seed, accounts, config_path)
    print(announcement.text(), flush=True)
    stopped = asyncio.create_task(stop.wait())
    await asyncio.wait({serving, stopped}, return_when=asyncio.FIRST_COMPLETED)
    stopped.cancel()
    _log.info("shutting down")
    server.should_exit = True
    with contextlib.suppress(Exception):
        await serving
    await platform.close()
