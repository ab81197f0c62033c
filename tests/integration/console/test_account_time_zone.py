"""The account's time zone: set over the API or by an owner in the console, and the zone
the console shows times in to the account's users who chose none of their own."""

from __future__ import annotations

from pathlib import Path
from zoneinfo import ZoneInfo

from console_users import add_console_user, console_client
from secured_platform import running_platform

from parcelsms.pipeline.console_users import ConsoleUsers

SEND = {"to": "+447700100321", "template": "shipped", "params": {"tracking": "A1"}}


async def test_the_account_time_zone_is_set_over_the_api_and_an_unknown_one_refused(
    tmp_path: Path,
) -> None:
    async with running_platform(tmp_path) as running:
        shop = await running.sender("shop")
        before = await shop.client.get("/v1/account")
        changed = await shop.client.post("/v1/account", json={"time_zone": "Asia/Tokyo"})
        refused = await shop.client.post("/v1/account", json={"time_zone": "Mars/Olympus"})
        after = await shop.client.get("/v1/account")

    assert before.json()["time_zone"] == "UTC"
    assert changed.status_code == 200, changed.text
    assert changed.json()["time_zone"] == "Asia/Tokyo"
    assert refused.status_code == 422
    assert refused.json()["error"]["code"] == "invalid_time_zone"
    assert refused.json()["error"]["field"] == "time_zone"
    assert after.json()["time_zone"] == "Asia/Tokyo"


async def test_a_user_without_a_zone_of_their_own_sees_times_in_the_accounts_zone(
    tmp_path: Path,
) -> None:
    async with running_platform(tmp_path) as running:
        shop = await running.sender("shop")
        await add_console_user(
            running.storage, "follows@shop.test", account_id=shop.account_id, role="viewer"
        )
        chooser = await add_console_user(
            running.storage, "own@shop.test", account_id=shop.account_id, role="viewer"
        )
        await ConsoleUsers(running.storage.console_users).set_time_zone(chooser, "UTC")
        sent = await shop.client.post("/v1/messages", json=SEND)
        message_id = sent.json()["id"]
        detail = await running.storage.message_queries.get_message(shop.account_id, message_id)
        assert detail is not None
        created = detail.message.created_at
        await shop.client.post("/v1/account", json={"time_zone": "Asia/Tokyo"})
        follower, _ = await console_client(running, "follows@shop.test")
        own, _ = await console_client(running, "own@shop.test")
        followed_page = await follower.get(f"/console/messages/{message_id}")
        own_page = await own.get(f"/console/messages/{message_id}")

    tokyo = created.astimezone(ZoneInfo("Asia/Tokyo")).strftime("%Y-%m-%d %H:%M:%S")
    utc = created.astimezone(ZoneInfo("UTC")).strftime("%Y-%m-%d %H:%M:%S")
    assert tokyo in followed_page.text
    assert utc not in followed_page.text
    assert utc in own_page.text
    assert tokyo not in own_page.text


async def test_only_an_owner_changes_the_account_time_zone_in_the_console(
    tmp_path: Path,
) -> None:
    async with running_platform(tmp_path) as running:
        shop = await running.sender("shop")
        await add_console_user(
            running.storage, "owner@shop.test", account_id=shop.account_id, role="owner"
        )
        await add_console_user(
            running.storage, "dev@shop.test", account_id=shop.account_id, role="developer"
        )
        developer, developer_csrf = await console_client(running, "dev@shop.test")
        refused = await developer.post(
            "/console/account/time-zone",
            data={"account_time_zone": "Europe/Berlin", "csrf_token": developer_csrf},
        )
        owner, owner_csrf = await console_client(running, "owner@shop.test")
        unknown = await owner.post(
            "/console/account/time-zone",
            data={"account_time_zone": "Mars/Olympus", "csrf_token": owner_csrf},
        )
        changed = await owner.post(
            "/console/account/time-zone",
            data={"account_time_zone": "Europe/Berlin", "csrf_token": owner_csrf},
        )
        profile = await developer.get("/console/profile")
        account = await running.storage.accounts.get_account(shop.account_id)

    assert refused.status_code == 403
    assert unknown.status_code == 422
    assert "Unknown time zone" in unknown.text
    assert changed.status_code == 303
    assert account is not None
    assert account.time_zone == "Europe/Berlin"
    assert 'id="account-time-zone">Europe/Berlin<' in profile.text
    assert (
        "the account&#39;s time zone" in profile.text or "the account's time zone" in profile.text
    )
