"""Which TCP peers a process is connected to, read from ``/proc`` (Linux only).

A test that kills one of several processes sharing carrier channels finds out which process
holds which SMPP bind this way, from the kernel's own table, whatever the processes say."""

from __future__ import annotations

import os
from pathlib import Path

_ESTABLISHED = "01"


def _socket_inodes(pid: int) -> set[str]:
    inodes = set()
    directory = Path(f"/proc/{pid}/fd")
    try:
        names = os.listdir(directory)
    except OSError:
        return set()
    for name in names:
        try:
            target = os.readlink(directory / name)
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[len("socket:[") : -1])
    return inodes


def connected_ports(pid: int) -> set[int]:
    """The remote ports of ``pid``'s established IPv4/IPv6 TCP connections (empty when the
    process is gone)."""
    inodes = _socket_inodes(pid)
    ports: set[int] = set()
    for table in ("tcp", "tcp6"):
        try:
            lines = Path(f"/proc/{pid}/net/{table}").read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if fields[3] == _ESTABLISHED and fields[9] in inodes:
                ports.add(int(fields[2].rsplit(":", 1)[1], 16))
    return ports
