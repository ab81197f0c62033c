"""Every form of the console refuses a POST without its CSRF token, before anything runs."""

from __future__ import annotations

import re
from pathlib import Path

from console_users import CONSOLE_PASSWORD, CSRF_TOKEN, add_console_user
from secured_platform import running_platform
from starlette.routing import Mount, Route


def _console_post_paths(app: object) -> list[str]:
    console = next(r for r in app.routes if isinstance(r, Mount) and r.path == "/console")  # type: ignore[attr-defined]
    paths = []
    for route in console.routes:
        if isinstance(route, Route) and route.methods and "POST" in route.methods:
            paths.append("/console" + re.sub(r"\{[a-z_]+\}", "x_1", route.path))
    return paths


async def test_every_console_form_refuses_a_post_without_its_csrf_token(tmp_path: Path) -> None:
    async with running_platform(tmp_path) as running:
        sender = await running.sender("shop")
        await add_console_user(
            running.storage, "o@shop.test", account_id=sender.account_id, role="owner"
        )
        await add_console_user(
            running.storage, "op@platform.test", account_id=None, role="operator"
        )
        paths = _console_post_paths(running.platform.app)
        assert "/console/keys" in paths
        assert "/console/login" in paths
        assert len(paths) >= 20
        for email in ("o@shop.test", "op@platform.test"):
            client = running.client()
            login_page = await client.get("/console/login")
            token = CSRF_TOKEN.search(login_page.text)
            assert token is not None
            refused = await client.post(
                "/console/login", data={"email": email, "password": CONSOLE_PASSWORD}
            )
            assert refused.status_code == 403
            answer = await client.post(
                "/console/login",
                data={"email": email, "password": CONSOLE_PASSWORD, "csrf_token": token.group(1)},
            )
            assert answer.status_code == 303
            for path in paths:
                if path == "/console/login":
                    continue
                response = await client.post(path, data={"label": "x", "reason": "x"})
                is_own_kind = path.startswith("/console/operator") == (email == "op@platform.test")
                if is_own_kind or path.startswith(("/console/profile", "/console/logout")):
                    assert response.status_code == 403, path
                    assert 'data-code="csrf_token_invalid"' in response.text, path
        # Nothing was created by the refused forms.
        assert [k.label for k in await running.storage.accounts.list_keys(sender.account_id)] == [
            "shop key"
        ]


async def test_a_wrong_password_does_not_log_in_and_repeated_failures_are_paused(
    tmp_path: Path,
) -> None:
    async with running_platform(tmp_path) as running:
        sender = await running.sender("shop")
        await add_console_user(
            running.storage, "o@shop.test", account_id=sender.account_id, role="owner"
        )
        client = running.client()
        statuses = []
        for _ in range(7):
            login_page = await client.get("/console/login")
            token = CSRF_TOKEN.search(login_page.text)
            assert token is not None
            response = await client.post(
                "/console/login",
                data={
                    "email": "o@shop.test",
                    "password": "wrong password!",
                    "csrf_token": token.group(1),
                },
            )
            statuses.append(response.status_code)
        assert statuses[:5] == [401] * 5
        assert statuses[5:] == [429, 429]
