"""The API's listening socket, bound before anything is created in the database.

``serve`` binds first so that a port in use stops the start with a clear message before a
demo account (and its key, shown only once) could be created and then lost with the
process.
"""

from __future__ import annotations

import socket

import click


def bind_listening_socket(host: str, port: int) -> socket.socket:
    """A TCP socket bound to ``host:port`` (``port`` 0: a free one), not yet listening.

    Raises ``click.ClickException`` naming the address and how to choose another one when
    the address cannot be bound (in use, not an address of this machine, no permission).
    """
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as problem:
        raise click.ClickException(f"cannot listen on {host}:{port}: {problem.strerror}") from None
    family, kind, protocol, _name, address = found[0]
    listener = socket.socket(family, kind, protocol)
    try:
        # As uvicorn does: a restart may bind while the old connections are in TIME_WAIT.
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(address)
    except OSError as problem:
        listener.close()
        raise click.ClickException(
            f"cannot listen on {host}:{port}: {problem.strerror}. Choose another port with "
            "`parcelsms serve --port N` (or [server] port in the configuration, or "
            "PARCELSMS_SERVER__PORT); nothing was created"
        ) from None
    return listener
