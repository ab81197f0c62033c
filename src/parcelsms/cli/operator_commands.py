"""Operator commands: accounts, API keys and template review, straight on the storage."""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable
from typing import TypeVar

import click

from parcelsms.bootstrap import open_platform_storage
from parcelsms.cli.serve import run_async
from parcelsms.cli.settings_loader import config_option, load_settings
from parcelsms.domain.money import format_micros, to_micros
from parcelsms.errors import ParcelsmsError
from parcelsms.pipeline.ports import Account, Storage

T = TypeVar("T")


def _with_storage(config_path: str | None, work: Callable[[Storage], Awaitable[T]]) -> T:
    settings = load_settings(config_path)
    result: list[T] = []

    async def main() -> None:
        storage = await open_platform_storage(settings, os.environ)
        try:
            result.append(await work(storage))
        finally:
            await storage.close()

    try:
        run_async(main())
    except ParcelsmsError as problem:
        raise click.ClickException(str(problem)) from None
    return result[0]


async def _find_account(storage: Storage, name_or_id: str) -> Account:
    account = await storage.get_account(name_or_id)
    if account is None:
        account = await storage.find_account_by_name(name_or_id)
    if account is None:
        raise click.ClickException(f"no account {name_or_id!r}")
    return account


@click.group("accounts")
def accounts() -> None:
    """Sender accounts."""


@accounts.command("create")
@click.argument("name")
@click.option("--balance", default="0", help="Opening balance in currency units, e.g. 50.")
@click.option("--currency", default="EUR", show_default=True)
@config_option
def create_account(name: str, balance: str, currency: str, config_path: str | None) -> None:
    """Create an account named NAME."""
    try:
        micros = to_micros(balance)
    except ValueError:
        raise click.BadParameter("not a number", param_hint="--balance") from None
    if micros < 0:
        raise click.BadParameter("must not be negative", param_hint="--balance")

    async def work(storage: Storage) -> Account:
        return await storage.create_account(name, micros, currency.upper())

    account = _with_storage(config_path, work)
    click.echo(
        f"account {account.id} {account.name}: balance "
        f"{format_micros(account.balance_micros)} {account.currency}"
    )


@accounts.command("top-up")
@click.argument("account")
@click.argument("amount")
@config_option
def top_up(account: str, amount: str, config_path: str | None) -> None:
    """Add AMOUNT (currency units, e.g. 25.50) to ACCOUNT's balance (name or id)."""
    try:
        micros = to_micros(amount)
    except ValueError:
        raise click.BadParameter("not a number", param_hint="AMOUNT") from None
    if micros <= 0:
        raise click.BadParameter("must be positive", param_hint="AMOUNT")

    async def work(storage: Storage) -> Account:
        found = await _find_account(storage, account)
        return await storage.top_up(found.id, micros, "operator top-up")

    updated = _with_storage(config_path, work)
    click.echo(
        f"account {updated.id} {updated.name}: balance "
        f"{format_micros(updated.balance_micros)} {updated.currency}"
    )


@click.group("keys")
def keys() -> None:
    """API keys."""


@keys.command("create")
@click.argument("account")
@click.option("--label", default="", help="A note to recognise the key by.")
@config_option
def create_key(account: str, label: str, config_path: str | None) -> None:
    """Create an API key for ACCOUNT (name or id); the key is the last line printed."""

    async def work(storage: Storage) -> tuple[str, str]:
        found = await _find_account(storage, account)
        return await storage.create_api_key(found.id, label)

    key_id, plaintext = _with_storage(config_path, work)
    click.echo(f"key {key_id} created; it is shown only now:")
    click.echo(plaintext)


@click.group("templates")
def templates() -> None:
    """Template review."""


@templates.command("approve")
@click.argument("template_id")
@config_option
def approve(template_id: str, config_path: str | None) -> None:
    """Approve template version TEMPLATE_ID."""
    _review(template_id, True, None, config_path)


@templates.command("reject")
@click.argument("template_id")
@click.option("--reason", required=True, help="Why, for the sender.")
@config_option
def reject(template_id: str, reason: str, config_path: str | None) -> None:
    """Reject template version TEMPLATE_ID with a reason."""
    _review(template_id, False, reason, config_path)


def _review(template_id: str, approved: bool, reason: str | None, config_path: str | None) -> None:
    async def work(storage: Storage) -> object:
        return await storage.set_template_review(template_id, approved, reason)

    template = _with_storage(config_path, work)
    if template is None:
        raise click.ClickException(f"no template {template_id!r}")
    click.echo(f"template {template_id} {'approved' if approved else 'rejected'}")
