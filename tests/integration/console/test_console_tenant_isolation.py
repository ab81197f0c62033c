"""A sender's console shows and changes only its own account: another account's ids are
404, and the operator pages are closed to senders (and the sender pages to operators)."""

from __future__ import annotations

from pathlib import Path

from console_users import CONSOLE_PASSWORD, add_console_user, console_client
from secured_platform import running_platform

from parcelsms.pipeline.console_users import ConsoleUsers


async def test_another_accounts_message_template_and_key_are_not_found_in_the_console(
    tmp_path: Path,
) -> None:
    async with running_platform(tmp_path) as running:
        alpha = await running.sender("alpha")
        beta = await running.sender("beta")
        await add_console_user(
            running.storage, "b@beta.test", account_id=beta.account_id, role="owner"
        )
        sent = await alpha.client.post(
            "/v1/messages",
            json={"to": "+447700100321", "template": "shipped", "params": {"tracking": "A1"}},
        )
        message_id = sent.json()["id"]
        templates = await running.storage.content.list_templates(alpha.account_id)
        client, csrf = await console_client(running, "b@beta.test")

        for path in (f"/console/messages/{message_id}", f"/console/templates/{templates[0].id}"):
            response = await client.get(path)
            assert response.status_code == 404, path
            assert "447700100321" not in response.text
        revoke = await client.post(
            f"/console/keys/{alpha.key_id}/revoke", data={"csrf_token": csrf}
        )
        submit = await client.post(
            f"/console/templates/{templates[0].id}/submit", data={"csrf_token": csrf}
        )
        search = await client.get("/console/messages", params={"to": "+447700100321"})

        assert revoke.status_code == 404
        assert submit.status_code == 404
        assert message_id not in search.text
        alpha_keys = await running.storage.accounts.list_keys(alpha.account_id)
        assert all(key.revoked_at is None for key in alpha_keys)


async def test_senders_cannot_open_operator_pages_nor_operators_sender_pages(
    tmp_path: Path,
) -> None:
    async with running_platform(tmp_path) as running:
        shop = await running.sender("shop")
        await add_console_user(
            running.storage, "o@shop.test", account_id=shop.account_id, role="owner"
        )
        await add_console_user(
            running.storage, "op@platform.test", account_id=None, role="operator"
        )
        sender_client, _ = await console_client(running, "o@shop.test")
        operator_client, _ = await console_client(running, "op@platform.test")

        assert (await sender_client.get("/console/operator/accounts")).status_code == 403
        assert (await sender_client.get("/console/operator/audit")).status_code == 403
        assert (await operator_client.get("/console/keys")).status_code == 403
        assert (await operator_client.get("/console/operator/accounts")).status_code == 200


async def test_logging_out_ends_the_session_server_side(tmp_path: Path) -> None:
    async with running_platform(tmp_path) as running:
        shop = await running.sender("shop")
        await add_console_user(
            running.storage, "o@shop.test", account_id=shop.account_id, role="owner"
        )
        client, csrf = await console_client(running, "o@shop.test")
        replay = running.client()
        replay.cookies.set(
            "parcelsms_console",
            client.cookies.get("parcelsms_console") or "",
            domain="api.test",
            path="/console",
        )
        before = await replay.get("/console/")

        out = await client.post("/console/logout", data={"csrf_token": csrf})
        after = await replay.get("/console/")

        assert before.status_code == 200
        assert out.status_code == 303
        assert after.status_code == 303
        assert after.headers["location"] == "/console/login"


async def test_a_password_change_signs_out_other_browsers_and_the_new_password_works(
    tmp_path: Path,
) -> None:
    async with running_platform(tmp_path) as running:
        shop = await running.sender("shop")
        await add_console_user(
            running.storage, "o@shop.test", account_id=shop.account_id, role="owner"
        )
        laptop, csrf = await console_client(running, "o@shop.test")
        phone, _ = await console_client(running, "o@shop.test")
        new_password = "an entirely new passphrase"

        changed = await laptop.post(
            "/console/profile/password",
            data={
                "csrf_token": csrf,
                "current_password": CONSOLE_PASSWORD,
                "new_password": new_password,
                "repeat_password": new_password,
            },
        )

        assert changed.status_code == 303
        assert (await laptop.get("/console/")).status_code == 200
        assert (await phone.get("/console/")).status_code == 303
        users = ConsoleUsers(running.storage.console_users)
        assert await users.authenticate("o@shop.test", new_password) is not None
        assert await users.authenticate("o@shop.test", CONSOLE_PASSWORD) is None
