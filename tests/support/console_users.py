"""Console log-ins for tests, made with the use case production uses, and a logged-in client."""

from __future__ import annotations

import re
from typing import Any

import httpx

from parcelsms.pipeline.console_user_ports import ConsoleUser
from parcelsms.pipeline.console_users import ConsoleUsers

CONSOLE_PASSWORD = "correct horse battery staple"
CSRF_TOKEN = re.compile(r'name="csrf_token" value="([0-9a-f]+)"')


async def add_console_user(
    storage: Any, email: str, *, account_id: str | None, role: str
) -> ConsoleUser:
    """A console user with :data:`CONSOLE_PASSWORD`."""
    users = ConsoleUsers(storage.console_users)
    return await users.add_user(email, CONSOLE_PASSWORD, account_id=account_id, role=role)


async def console_client(running: Any, email: str) -> tuple[httpx.AsyncClient, str]:
    """A client of ``running``'s app logged in to the console as ``email`` (with
    :data:`CONSOLE_PASSWORD`), and the CSRF token of its session."""
    client: httpx.AsyncClient = running.client()
    login = await client.get("/console/login")
    token = CSRF_TOKEN.search(login.text)
    assert token is not None
    answer = await client.post(
        "/console/login",
        data={"email": email, "password": CONSOLE_PASSWORD, "csrf_token": token.group(1)},
    )
    assert answer.status_code == 303, answer.text
    home = await client.get(answer.headers["location"])
    csrf = CSRF_TOKEN.search(home.text)
    assert csrf is not None
    return client, csrf.group(1)
