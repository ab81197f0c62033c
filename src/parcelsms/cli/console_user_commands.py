"""``parcelsms console-user add``: a log-in for the web console.

A member of a sender account (``--account NAME_OR_ID --role owner|developer|viewer``) or an
operator (``--operator``). The password is asked for (twice, hidden) unless
``PARCELSMS_CONSOLE_PASSWORD`` holds it (scripts); it is never an argument, so it does not
land in shell history or the process list.
"""

from __future__ import annotations

import os

import click

from parcelsms.adapters.storage import SqlStorage
from parcelsms.cli.operator_commands import find_account, with_storage
from parcelsms.cli.settings_loader import config_option
from parcelsms.errors import CatalogueError
from parcelsms.pipeline.console_user_ports import ACCOUNT_ROLES, ConsoleUser
from parcelsms.pipeline.console_users import ConsoleUsers

PASSWORD_VARIABLE = "PARCELSMS_CONSOLE_PASSWORD"  # noqa: S105  # the name of a variable, not a secret


@click.group("console-user")
def console_user() -> None:
    """Log-ins of the web console (/console)."""


@console_user.command("add")
@click.option("--email", required=True, help="The e-mail the person logs in with.")
@click.option("--account", help="The sender account (name or id) the user belongs to.")
@click.option("--role", type=click.Choice(ACCOUNT_ROLES), help="Their role in the account.")
@click.option("--operator", is_flag=True, help="An operator log-in instead (no account).")
@click.option(
    "--time-zone",
    default=None,
    help="IANA time zone of the times shown to the user (default: the account's; UTC for "
    "an operator).",
)
@config_option
def add_console_user(
    email: str,
    account: str | None,
    role: str | None,
    operator: bool,
    time_zone: str | None,
    config_path: str | None,
) -> None:
    """Create a console log-in (the password is asked for, or read from the environment)."""
    if operator == (account is not None):
        raise click.UsageError("give --account with --role, or --operator")
    if account is not None and role is None:
        raise click.UsageError("--account needs --role (owner, developer or viewer)")
    password = os.environ.get(PASSWORD_VARIABLE) or click.prompt(
        "Password (12+ characters)", hide_input=True, confirmation_prompt=True
    )

    async def work(storage: SqlStorage) -> ConsoleUser:
        account_id = None if operator else (await find_account(storage, account or "")).id
        users = ConsoleUsers(storage.console_users)
        return await users.add_user(
            email,
            password,
            account_id=account_id,
            role="operator" if operator else (role or ""),
            time_zone=time_zone,
        )

    try:
        user = with_storage(config_path, work)
    except CatalogueError as problem:
        raise click.ClickException(problem.message) from None
    where = "operator" if user.account_id is None else f"{user.role} of {user.account_id}"
    click.echo(f"console user {user.id} ({user.email}, {where}) created")
