"""The operator's commands: accounts and their review, keys (operator keys too), the audit log.

Commands run in-process through click on a real SQLite file; the keys they print are then
used against the API built on the same database.
"""

from __future__ import annotations

import asyncio
import getpass
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from secured_platform import PEPPER, running_platform

from parcelsms.cli.main import main


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "cli.toml"
    path.write_text(
        f'[database]\nurl = "sqlite+aiosqlite:///{tmp_path / "parcelsms.db"}"\n'
        f'[security]\npepper = "{PEPPER}"\n'
    )
    return path


def run(config: Path, *args: str, ok: bool = True) -> Result:
    result = CliRunner().invoke(main, [*args, "--config", str(config)])
    if ok:
        assert result.exit_code == 0, result.output
    return result


def test_accounts_start_unverified_unless_verified_offline(config: Path) -> None:
    fresh = run(config, "accounts", "create", "shop", "--balance", "10")
    offline = run(config, "accounts", "create", "offline", "--verified")

    assert "shop: unverified, balance 10 EUR" in fresh.output
    assert "offline: verified" in offline.output


def test_the_review_commands_move_an_account_through_its_states(config: Path) -> None:
    run(config, "accounts", "create", "shop")

    verified = run(config, "accounts", "verify", "shop", "--note", "checked the register")
    suspended = run(config, "accounts", "suspend", "shop", "--reason", "chargebacks")
    shown = run(config, "accounts", "show", "shop")
    reactivated = run(config, "accounts", "reactivate", "shop")
    rejected = run(config, "accounts", "reject", "shop", "--reason", "late", ok=False)
    listed = run(config, "accounts", "list", "--status", "verified")

    assert "verified: account" in verified.output
    assert "shop: suspended" in suspended.output
    assert "suspended: chargebacks" in shown.output
    assert "shop: verified" in reactivated.output
    assert rejected.exit_code != 0
    assert "suspend it instead" in rejected.output
    assert "shop: verified" in listed.output


def test_an_unknown_account_is_an_error(config: Path) -> None:
    result = run(config, "accounts", "verify", "nobody", ok=False)

    assert result.exit_code != 0
    assert "no account 'nobody'" in result.output


def test_keys_made_on_the_command_line_work_on_the_api_and_actions_are_audited(
    config: Path, tmp_path: Path
) -> None:
    run(config, "accounts", "create", "shop", "--verified")
    operator = run(config, "keys", "create", "--operator", "--label", "ops laptop")
    sender = run(
        config, "keys", "create", "shop", "--scope", "billing:read", "--allow", "203.0.113.0/24"
    )
    operator_key = operator.output.strip().splitlines()[-1]
    sender_key = sender.output.strip().splitlines()[-1]
    sender_key_id = sender.output.split()[1]

    async def use_keys() -> tuple[int, int, int, list[str]]:
        async with running_platform(tmp_path) as running:
            admin = running.client(operator_key)
            audit = (await admin.get("/admin/v1/audit")).json()["data"]
            inside = await running.client(sender_key, address="203.0.113.5").get("/v1/balance")
            outside = await running.client(sender_key, address="198.51.100.5").get("/v1/balance")
            accounts = await admin.get("/admin/v1/accounts")
            return (
                inside.status_code,
                outside.status_code,
                accounts.status_code,
                [f"{entry['actor']} {entry['action']}" for entry in audit],
            )

    inside, outside, accounts, audit = asyncio.run(use_keys())
    revoked = run(config, "keys", "revoke", sender_key_id)
    listed = run(config, "keys", "list", "shop")
    log = run(config, "audit", "--account", "shop")

    user = f"cli:{getpass.getuser()}"
    assert "operator key" in operator.output
    assert "scopes: admin" in operator.output
    assert (inside, outside, accounts) == (200, 403, 200)
    assert f"{user} key.create" in audit
    assert f"{user} account.create" in audit
    assert "revoked:" in revoked.output
    assert f"{sender_key_id} revoked" in listed.output
    assert "key.revoke" in log.output
    assert sender_key not in log.output


def test_an_operator_key_and_an_account_are_not_both_given(config: Path) -> None:
    run(config, "accounts", "create", "shop")

    both = run(config, "keys", "create", "shop", "--operator", ok=False)
    neither = run(config, "keys", "create", ok=False)

    assert both.exit_code == neither.exit_code == 2


def test_the_commands_parse_amounts_and_currencies_as_the_api_does(config: Path) -> None:
    invented = run(config, "accounts", "create", "a", "--currency", "ABC", ok=False)
    huge = run(config, "accounts", "create", "b", "--balance", "1e10", ok=False)
    run(config, "accounts", "create", "shop", "--balance", "999999999", "--currency", "usd")
    past_maximum = run(config, "accounts", "top-up", "shop", "1.5", ok=False)
    to_maximum = run(config, "accounts", "top-up", "shop", "1")

    assert "ISO 4217" in invented.output
    assert "at most 1,000,000,000" in huge.output
    assert past_maximum.exit_code != 0
    assert "at most 1 more" in past_maximum.output
    assert "balance 1000000000 USD" in to_maximum.output
