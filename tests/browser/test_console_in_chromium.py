"""The console as people use it: in Chromium, against the real platform over HTTP."""

from __future__ import annotations

import pytest
from console_browser import ConsoleSite, log_in, screenshot
from console_users import CONSOLE_PASSWORD, add_console_user
from playwright.async_api import Browser, expect

pytestmark = pytest.mark.browser

GERMAN_MOBILE = "+4915112345678"
FRENCH_MOBILE = "+33612345678"


async def test_a_sender_sees_messages_sent_through_the_api_on_the_dashboard_by_country(
    console_site: ConsoleSite, browser: Browser
) -> None:
    running = console_site.running
    sender = await running.sender("shop")
    await add_console_user(
        running.storage, "ops@shop.test", account_id=sender.account_id, role="owner"
    )
    page = await log_in(browser, console_site, "ops@shop.test")
    assert await page.locator("#figure-messages").inner_text() == "0"
    assert await page.locator("#countries tr[data-country]").count() == 0

    sent = []
    for index, number in enumerate((GERMAN_MOBILE, GERMAN_MOBILE, FRENCH_MOBILE)):
        body = {"to": number, "template": "shipped", "params": {"tracking": f"PX{index}"}}
        response = await sender.client.post("/v1/messages", json=body)
        assert response.status_code == 202, response.text
        sent.append(response.json()["id"])
    for message_id in sent:
        await running.final_status(sender.client, message_id)

    await page.reload()
    assert await page.locator("#figure-messages").inner_text() == "3"
    germany = page.locator('#countries tr[data-country="DE"] td')
    assert await germany.nth(1).inner_text() == "2"
    assert await page.locator('#countries tr[data-country="FR"] td').nth(1).inner_text() == "1"
    await screenshot(page, "console-dashboard.png")


async def test_a_template_submitted_by_a_sender_and_approved_by_the_operator_shows_approved(
    console_site: ConsoleSite, browser: Browser
) -> None:
    running = console_site.running
    sender = await running.sender("forwarder")
    await add_console_user(
        running.storage, "dev@forwarder.test", account_id=sender.account_id, role="developer"
    )
    await add_console_user(
        running.storage, "operator@platform.test", account_id=None, role="operator"
    )

    page = await log_in(browser, console_site, "dev@forwarder.test")
    await page.goto(f"{console_site.base_url}/console/templates")
    await page.get_by_label("Name").fill("customs_hold")
    await page.get_by_label("Body", exact=False).fill("Parcel {tracking} is held at customs.")
    await page.get_by_label("Submit for review now").check()
    await page.get_by_role("button", name="Create").click()
    assert await page.locator("#template-status").inner_text() == "pending_review"

    operator = await log_in(browser, console_site, "operator@platform.test")
    assert operator.url.endswith("/console/operator/reviews")
    card = operator.locator('article.review-template[data-template="customs_hold"]')
    await card.get_by_role("button", name="Approve").click()
    await operator.wait_for_load_state("networkidle")
    assert (
        await operator.locator('article.review-template[data-template="customs_hold"]').count() == 0
    )

    await page.goto(f"{console_site.base_url}/console/templates")
    row = page.locator('#templates tr[data-template="customs_hold"] .template-status')
    assert await row.inner_text() == "approved"


async def test_a_viewer_has_no_key_form_and_is_refused_when_posting_one(
    console_site: ConsoleSite, browser: Browser
) -> None:
    running = console_site.running
    sender = await running.sender("warehouse")
    await add_console_user(
        running.storage, "look@warehouse.test", account_id=sender.account_id, role="viewer"
    )
    page = await log_in(browser, console_site, "look@warehouse.test")
    await page.goto(f"{console_site.base_url}/console/keys")
    assert await page.locator("#new-key-form").count() == 0
    keys_before = await running.storage.accounts.list_keys(sender.account_id)

    headers = await page.locator("body").get_attribute("hx-headers")
    assert headers is not None
    token = headers.split('"')[3]
    answer = await page.request.post(
        f"{console_site.base_url}/console/keys", form={"csrf_token": token, "label": "sneaky"}
    )
    assert answer.status == 403
    assert await running.storage.accounts.list_keys(sender.account_id) == keys_before


async def test_the_operator_channel_page_lists_the_bound_simulator_channel(
    console_site: ConsoleSite, browser: Browser
) -> None:
    await add_console_user(
        console_site.running.storage, "noc@platform.test", account_id=None, role="operator"
    )
    page = await log_in(browser, console_site, "noc@platform.test")
    await page.goto(f"{console_site.base_url}/console/operator/channels")
    row = page.locator("#channels tr[data-channel]")
    assert await row.count() == 1
    assert await row.locator("td").nth(1).inner_text() == "bound"
    # The rows refresh by themselves (htmx every 3 s): the request reaches the server.
    async with page.expect_response(lambda r: r.url.endswith("/console/operator/channels")):
        pass
    await screenshot(page, "console-channels.png")


async def test_the_console_is_usable_with_the_keyboard_and_fits_a_phone_screen(
    console_site: ConsoleSite, browser: Browser
) -> None:
    running = console_site.running
    sender = await running.sender("courier")
    await add_console_user(
        running.storage, "k@courier.test", account_id=sender.account_id, role="owner"
    )
    context = await browser.new_context(viewport={"width": 390, "height": 844}, locale="de-DE")
    page = await context.new_page()
    problems: list[str] = []
    page.on(
        "console",
        lambda message: problems.append(message.text) if message.type == "error" else None,
    )
    page.on("pageerror", lambda error: problems.append(str(error)))

    await page.goto(f"{console_site.base_url}/console/login")
    # The e-mail field takes the focus by itself (autofocus); wait for it rather than type
    # into a page that has not applied it yet (under load, the keys went nowhere).
    await expect(page.locator("input[name=email]")).to_be_focused()
    await page.keyboard.type("k@courier.test")
    await page.keyboard.press("Tab")
    await page.keyboard.type(CONSOLE_PASSWORD)
    await page.keyboard.press("Enter")
    await page.wait_for_url(f"{console_site.base_url}/console/")
    await page.wait_for_load_state("networkidle")

    assert await page.locator("h1").inner_text() == "Dashboard"
    overflow = await page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0
    assert await page.locator("canvas[data-drawn]").count() == 3  # Chart.js ran under the CSP
    assert problems == []
    await context.close()
