"""How every command runs its coroutine: on uvloop where installed."""

from __future__ import annotations

import asyncio


def run_async(coroutine: object) -> None:
    """Run on uvloop when it is installed, else on asyncio's loop."""
    try:
        import uvloop
    except ImportError:  # pragma: no cover - uvloop is a dependency on Linux
        asyncio.run(coroutine)  # type: ignore[arg-type]
    else:
        uvloop.run(coroutine)  # type: ignore[arg-type]
