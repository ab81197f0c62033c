"""Who holds which channel, read from a running cluster's PostgreSQL database, and a poll
for conditions that only the database shows (tests of several pipeline processes)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from database_peek import peek


def lease_holders(url: str) -> dict[str, int]:
    """Channel → process id of the pipeline holding its unexpired lease (PostgreSQL)."""
    with peek(url) as db:
        rows = db.execute(
            "SELECT l.channel, n.pid FROM channel_leases l "
            "JOIN pipeline_nodes n ON n.node_id = l.node_id WHERE l.expires_at > now()"
        ).fetchall()
    return {row[0]: row[1] for row in rows}


async def until(condition: Callable[[], bool], timeout: float, what: str) -> float:
    """Poll ``condition`` every 50 ms; the seconds it took (fails after ``timeout``)."""
    loop = asyncio.get_running_loop()
    started = loop.time()
    while not condition():
        if loop.time() - started > timeout:
            raise AssertionError(f"not within {timeout} s: {what}")
        await asyncio.sleep(0.05)
    return loop.time() - started
