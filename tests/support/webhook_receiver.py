"""A real HTTP server that receives webhooks, for integration and end-to-end tests.

It records every request (headers, body), answers what the test says (``answer``: a status
code, or a function of the request count), can hold requests until ``gate`` is set, and
lets a test await a condition on what arrived (:meth:`WebhookReceiver.wait_for`) instead of
sleeping.
"""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web


@dataclass(frozen=True, slots=True)
class ReceivedWebhook:
    headers: dict[str, str]  # lower-case names
    body: bytes

    @property
    def webhook_id(self) -> str:
        return self.headers["webhook-id"]

    def json(self) -> Any:
        return json.loads(self.body)


class WebhookReceiver:
    """``await start()``; ``url`` is then ``http://127.0.0.1:<port>/hooks``."""

    def __init__(self, answer: int | Callable[[int], int] = 204) -> None:
        self.answer = answer
        self.received: list[ReceivedWebhook] = []
        self.answered: Counter[int] = Counter()
        self.gate = asyncio.Event()
        self.gate.set()
        self.url = ""
        self._changed = asyncio.Event()
        self._runner: web.AppRunner | None = None

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/hooks", self._handle)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.url = f"http://127.0.0.1:{self._runner.addresses[0][1]}/hooks"

    async def close(self) -> None:
        self.gate.set()
        if self._runner is not None:
            await self._runner.cleanup()

    def ids(self) -> Counter[str]:
        """How many times each ``webhook-id`` arrived."""
        return Counter(item.webhook_id for item in self.received)

    async def wait_for(self, predicate: Callable[[], bool], timeout: float = 20.0) -> None:
        """Until ``predicate()`` holds, re-checked whenever a request arrives."""

        async def check() -> None:
            while not predicate():
                self._changed.clear()
                await self._changed.wait()

        await asyncio.wait_for(check(), timeout)

    async def wait_for_requests(self, count: int, timeout: float = 20.0) -> None:
        """Until at least ``count`` requests arrived."""
        await self.wait_for(lambda: len(self.received) >= count, timeout)

    async def _handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        headers = {name.lower(): value for name, value in request.headers.items()}
        self.received.append(ReceivedWebhook(headers, body))
        self._changed.set()
        await self.gate.wait()
        status = self.answer if isinstance(self.answer, int) else self.answer(len(self.received))
        self.answered[status] += 1
        return web.Response(status=status)
