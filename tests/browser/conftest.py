"""The console in a real headless Chromium (Debian's), driven by Playwright.

``console_site`` starts the in-process platform (SQLite file, embedded carrier simulator)
and serves its app with uvicorn on a free loopback port; ``browser`` launches
``/usr/bin/chromium``. Screenshots go to ``test-artifacts/``.
"""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import uvicorn
from console_browser import ConsoleSite
from playwright.async_api import Browser, async_playwright
from secured_platform import running_platform

CHROMIUM = "/usr/bin/chromium"


@pytest.fixture
async def console_site(tmp_path: Path) -> AsyncIterator[ConsoleSite]:
    async with running_platform(tmp_path) as running:
        config = uvicorn.Config(
            running.platform.app, host="127.0.0.1", port=0, log_level="warning", lifespan="off"
        )
        server = uvicorn.Server(config)
        task = asyncio.create_task(server.serve())
        while not server.started:
            if task.done():
                task.result()
            await asyncio.sleep(0.01)
        port = server.servers[0].sockets[0].getsockname()[1]
        try:
            yield ConsoleSite(running, f"http://127.0.0.1:{port}")
        finally:
            server.should_exit = True
            await task


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    if shutil.which(CHROMIUM) is None:
        pytest.fail(
            "Debian chromium is missing: scripts/test installs it (apt-get install chromium)"
        )
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        try:
            yield launched
        finally:
            await launched.close()
