"""``parcelsms serve``: the command and its options; what runs is in :mod:`.supervisor`
(the default: cooperating processes) and :mod:`.serve_roles` (one role per process)."""

from __future__ import annotations

import os
import socket

import click
import msgspec

from parcelsms.bootstrap.roles import Role
from parcelsms.cli.async_runner import run_async
from parcelsms.cli.listening_socket import bind_listening_socket
from parcelsms.cli.logging_setup import configure_logging
from parcelsms.cli.serve_roles import (
    die_with_parent,
    favour_the_writer,
    serve_all,
    serve_api,
    serve_pipeline,
    serve_webhooks,
)
from parcelsms.cli.settings_loader import config_option, load_settings
from parcelsms.cli.supervisor import supervise


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
@click.option(
    "--api-workers",
    type=click.IntRange(1, 64),
    default=None,
    help="API processes sharing the port (default: one per CPU core).",
)
@click.option(
    "--webhook-workers",
    type=click.IntRange(0, 1),
    default=None,
    help="1: webhooks are delivered by a process of their own; 0: by the pipeline process "
    "(default: 1 on a machine with more than one core).",
)
@click.option(
    "--role",
    type=click.Choice([role.value for role in Role]),
    default=None,
    help="Run one part only: `api` (HTTP), `pipeline` (channels, receipts, and webhooks "
    "unless --webhooks-apart; one per database), `webhooks` (the webhook worker), or `all` in "
    "one process. Default: a supervisor running one pipeline, --api-workers API processes "
    "and --webhook-workers webhook processes.",
)
@click.option(
    "--webhooks-apart",
    is_flag=True,
    help="With --role pipeline: leave webhooks to a `--role webhooks` process.",
)
@click.option("--listen-fd", type=int, default=None, hidden=True)
@click.option("--ready-fd", type=int, default=None, hidden=True)
def serve(
    config_path: str | None,
    host: str | None,
    port: int | None,
    demo: bool,
    api_workers: int | None,
    webhook_workers: int | None,
    role: str | None,
    webhooks_apart: bool,
    listen_fd: int | None,
    ready_fd: int | None,
) -> None:
    """Start the platform (API on [server] host:port, workers, SMPP channels).

    By default as cooperating processes: one pipeline process (SMPP channels, dispatcher,
    receipts, timers), one API process per CPU core sharing the port and, with more than one
    core, one webhook process, restarted when they die. With no channel configured, an
    embedded carrier simulator is started and every route goes to it. The port is bound
    before anything is written to the database. With --demo, a demo account, templates and
    API key are created (once) and printed; without it an empty database gets no account,
    and the output says how to create one.
    """
    settings = load_settings(config_path)
    server = msgspec.structs.replace(
        settings.server,
        host=settings.server.host if host is None else host,
        port=settings.server.port if port is None else port,
    )
    settings = msgspec.structs.replace(settings, server=server)
    configure_logging(settings.logging.level, settings.logging.format)
    if ready_fd is not None:
        die_with_parent()
    favour_the_writer()
    if role == Role.PIPELINE:
        run_async(serve_pipeline(settings, ready_fd, webhooks_apart=webhooks_apart))
        return
    if role == Role.WEBHOOKS:
        run_async(serve_webhooks(settings, ready_fd))
        return
    listener = (
        socket.socket(fileno=listen_fd)
        if listen_fd is not None
        else bind_listening_socket(server.host, server.port)
    )
    if role == Role.API:
        run_async(serve_api(settings, listener, ready_fd))
    elif role == Role.ALL:
        run_async(serve_all(settings, listener, demo=demo, config_path=config_path))
    else:
        cores = os.cpu_count() or 1
        workers = api_workers if api_workers is not None else cores
        if webhook_workers is None:
            webhook_workers = 1 if cores > 1 else 0
        base = [*(["--config", config_path] if config_path else [])]
        base += ["--host", server.host, "--port", str(server.port)]
        run_async(
            supervise(
                settings,
                listener,
                api_workers=workers,
                webhook_workers=webhook_workers,
                base_arguments=base,
                demo=demo,
                config_path=config_path,
            )
        )
