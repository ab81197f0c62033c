"""``parcelsms serve``: the API, the dispatcher, receipts and webhooks in one process."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import signal

import click
import uvicorn

from parcelsms.bootstrap import Platform, build_platform
from parcelsms.cli.logging_setup import configure_logging
from parcelsms.cli.settings_loader import config_option, load_settings
from parcelsms.config import Settings
from parcelsms.pipeline.demo_seed import DemoSeed, seed_demo

_log = logging.getLogger("parcelsms.serve")


@click.command("serve")
@config_option
def serve(config_path: str | None) -> None:
    """Start the platform (API on [server] host:port, workers, SMPP channels).

    With no channel configured, an embedded carrier simulator is started and every route
    goes to it. On an empty database a demo account, templates and API key are created and
    printed.
    """
    settings = load_settings(config_path)
    configure_logging(settings.logging.level, settings.logging.format)
    run_async(_serve(settings))


def run_async(coroutine: object) -> None:
    """Run on uvloop when it is installed, else on asyncio's loop."""
    try:
        import uvloop
    except ImportError:  # pragma: no cover - uvloop is a dependency on Linux
        asyncio.run(coroutine)  # type: ignore[arg-type]
    else:
        uvloop.run(coroutine)  # type: ignore[arg-type]


async def _serve(settings: Settings) -> None:
    platform = await build_platform(settings, os.environ)
    seed = await seed_demo(platform.storage)
    await platform.start_workers()
    config = uvicorn.Config(
        platform.app,
        host=settings.server.host,
        port=settings.server.port,
        log_config=None,
        access_log=False,
        lifespan="off",
        server_header=False,
    )
    server = uvicorn.Server(config)
    # uvicorn captures SIGINT/SIGTERM while it serves and re-raises them once it stopped;
    # our handlers receive them then, so the platform is closed before the process exits.
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    serving = asyncio.create_task(server.serve())
    while not server.started:
        if serving.done():
            await platform.close()
            serving.result()
            raise click.ClickException("the API server did not start")
        await asyncio.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    await platform.wait_channels_bound(5.0)
    _announce(platform, settings, port, seed)
    stopped = asyncio.create_task(stop.wait())
    await asyncio.wait({serving, stopped}, return_when=asyncio.FIRST_COMPLETED)
    stopped.cancel()
    _log.info("shutting down")
    server.should_exit = True
    with contextlib.suppress(Exception):
        await serving
    await platform.close()


def _announce(platform: Platform, settings: Settings, port: int, seed: DemoSeed | None) -> None:
    base = settings.server.public_url or f"http://{settings.server.host}:{port}"
    lines = [f"parcelsms API listening on http://{settings.server.host}:{port}"]
    lines.append(f"  docs: {base}/docs   openapi: {base}/openapi.json")
    for name, channel in platform.channels.items():
        state = "bound" if channel.is_available else "NOT bound (retrying)"
        lines.append(f"  channel {name}: {state}")
    if platform.simulator is not None:
        lines.append("  carrier: embedded simulator (no [[channels]] configured)")
    if seed is not None:
        body = json.dumps(
            {
                "to": "+44 7400 123456",
                "template": "shipped",
                "language": "en",
                "params": {
                    "shop": "Acme",
                    "tracking_number": "1Z999AA10123456784",
                    "carrier": "DHL",
                    "eta": "2 Dec",
                },
            }
        )
        lines += [
            "",
            f"Demo account created with {seed.templates} approved templates.",
            f"Demo API key (shown once): {seed.api_key}",
            "",
            "Send a message:",
            f"  curl -s {base}/v1/messages -H 'Authorization: Bearer {seed.api_key}' "
            f"-H 'Content-Type: application/json' -d '{body}'",
        ]
    print("\n".join(lines), flush=True)
