"""``parcelsms console-user add``: log-ins made from the command line work in the console."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from secured_platform import PEPPER

from parcelsms.bootstrap import open_platform_storage
from parcelsms.cli.main import main
from parcelsms.config import load_config
from parcelsms.pipeline.console_users import ConsoleUsers

PASSWORD = "a long enough passphrase"


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "cli.toml"
    path.write_text(
        f'[database]\nurl = "sqlite+aiosqlite:///{tmp_path / "parcelsms.db"}"\n'
        f'[security]\npepper = "{PEPPER}"\n'
    )
    return path


def run(config: Path, *args: str, password: str = PASSWORD) -> Result:
    return CliRunner().invoke(
        main,
        [*args, "--config", str(config)],
        env={"PARCELSMS_CONSOLE_PASSWORD": password},
    )


def authenticated_role(config: Path, email: str, password: str) -> str | None:
    async def check() -> str | None:
        storage = await open_platform_storage(load_config(config, {}), {})
        try:
            user = await ConsoleUsers(storage.console_users).authenticate(email, password)
            return None if user is None else user.role
        finally:
            await storage.close()

    return asyncio.run(check())


def test_an_account_member_and_an_operator_are_created_and_can_log_in(config: Path) -> None:
    assert (
        CliRunner().invoke(main, ["accounts", "create", "shop", "--config", str(config)]).exit_code
        == 0
    )

    member = run(
        config,
        "console-user",
        "add",
        "--email",
        "Ops@Shop.Test",
        "--account",
        "shop",
        "--role",
        "viewer",
    )
    operator = run(config, "console-user", "add", "--email", "noc@platform.test", "--operator")

    assert member.exit_code == 0, member.output
    assert "ops@shop.test, viewer of acc_" in member.output
    assert operator.exit_code == 0, operator.output
    assert authenticated_role(config, "ops@shop.test", PASSWORD) == "viewer"
    assert authenticated_role(config, "noc@platform.test", PASSWORD) == "operator"
    assert authenticated_role(config, "noc@platform.test", "not the password") is None


def test_a_taken_email_a_short_password_and_a_missing_role_are_refused(config: Path) -> None:
    run(config, "console-user", "add", "--email", "noc@platform.test", "--operator")

    again = run(config, "console-user", "add", "--email", "NOC@platform.test", "--operator")
    short = run(
        config, "console-user", "add", "--email", "x@platform.test", "--operator", password="short"
    )
    no_role = run(config, "console-user", "add", "--email", "y@shop.test", "--account", "shop")

    assert again.exit_code != 0
    assert "already has a console log-in" in again.output
    assert short.exit_code != 0
    assert "12 to 1024 characters" in short.output
    assert no_role.exit_code != 0
    assert "--account needs --role" in no_role.output
