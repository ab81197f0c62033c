"""Helpers of the browser suite (tests/browser): the site, logging in, screenshots."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from console_users import CONSOLE_PASSWORD
from playwright.async_api import Browser, Page
from secured_platform import RunningPlatform

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@dataclass
class ConsoleSite:
    """The platform and the address its app (API and console) answers on."""

    running: RunningPlatform
    base_url: str


async def log_in(browser: Browser, site: ConsoleSite, email: str) -> Page:
    """A new browser context logged in as ``email``."""
    context = await browser.new_context(locale="en-GB", viewport={"width": 1280, "height": 900})
    page = await context.new_page()
    await page.goto(f"{site.base_url}/console/login")
    await page.get_by_label("E-mail").fill(email)
    await page.get_by_label("Password").fill(CONSOLE_PASSWORD)
    await page.get_by_role("button", name="Log in").click()
    await page.wait_for_load_state("networkidle")
    return page


async def screenshot(page: Page, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / name
    await page.screenshot(path=str(path), full_page=True)
    return path
