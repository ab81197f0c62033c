"""Operator commands for sender accounts, straight on the storage: create, list, show, top up,
verify, reject, suspend, reactivate. Every change is written to the audit log with the actor
``cli:<user>`` (the operating-system user running the command)."""

from __future__ import annotations

import getpass
import os
from collections.abc import Awaitable, Callable
from typing import TypeVar

import click

from parcelsms.adapters.storage import SqlStorage
from parcelsms.bootstrap import announce_change, open_platform_storage
from parcelsms.cli.async_runner import run_async
from parcelsms.cli.settings_loader import config_option, load_settings
from parcelsms.domain.money import format_micros, parse_amount, parse_currency
from parcelsms.errors import CatalogueError, ParcelsmsError
from parcelsms.pipeline.account_security_ports import Account, AccountFilter, AccountProfile, Actor

T = TypeVar("T")


def with_storage(config_path: str | None, work: Callable[[SqlStorage], Awaitable[T]]) -> T:
    """Run ``work`` on the configured storage (opened and closed around it).

    Afterwards the running platform's processes are told that something may have changed
    (a key revoked, an account suspended), so their caches read it again at once.
    """
    settings = load_settings(config_path)
    result: list[T] = []

    async def main() -> None:
        storage = await open_platform_storage(settings, os.environ)
        try:
            result.append(await work(storage))
        finally:
            await storage.close()
            announce_change(settings)

    try:
        run_async(main())
    except ParcelsmsError as problem:
        raise click.ClickException(str(problem)) from None
    return result[0]


def cli_actor() -> Actor:
    """The audit log's name for whoever runs this command."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):  # no passwd entry for the uid (containers)
        user = str(os.getuid()) if hasattr(os, "getuid") else "unknown"
    return Actor(name=f"cli:{user}"[:100])


async def find_account(storage: SqlStorage, name_or_id: str) -> Account:
    """The account with this id or name; a ``ClickException`` when there is none."""
    account = await storage.accounts.get_account(name_or_id)
    if account is None:
        account = await storage.accounts.find_account_by_name(name_or_id)
    if account is None:
        raise click.ClickException(f"no account {name_or_id!r}")
    return account


def amount_argument(text: str, hint: str, *, allow_zero: bool = True) -> int:
    """``text`` in micro-units, parsed as the API parses amounts; ``BadParameter`` otherwise."""
    try:
        return parse_amount(text, hint, allow_zero=allow_zero)
    except CatalogueError as problem:
        raise click.BadParameter(problem.message, param_hint=hint) from None


def _summary(profile: AccountProfile) -> str:
    account = profile.account
    return (
        f"account {account.id} {account.name}: {profile.state}, balance "
        f"{format_micros(account.balance_micros)} {account.currency}"
    )


@click.group("accounts")
def accounts() -> None:
    """Sender accounts."""


@accounts.command("create")
@click.argument("name")
@click.option("--balance", default="0", help="Opening balance in currency units, e.g. 50.")
@click.option("--currency", default="EUR", show_default=True)
@click.option(
    "--verified",
    is_flag=True,
    help="The operator has verified the company offline; without it the account starts "
    "unverified (it sends only to its test numbers and the magic numbers).",
)
@config_option
def create_account(
    name: str, balance: str, currency: str, verified: bool, config_path: str | None
) -> None:
    """Create an account named NAME."""
    micros = amount_argument(balance, "--balance")
    try:
        code = parse_currency(currency.upper(), "--currency")
    except CatalogueError as problem:
        raise click.BadParameter(problem.message, param_hint="--currency") from None

    async def work(storage: SqlStorage) -> AccountProfile:
        return await storage.accounts.create_sender_account(
            name, micros, code, verified=verified, actor=cli_actor()
        )

    click.echo(_summary(with_storage(config_path, work)))


@accounts.command("top-up")
@click.argument("account")
@click.argument("amount")
@click.option("--note", default="operator top-up", show_default=True)
@config_option
def top_up(account: str, amount: str, note: str, config_path: str | None) -> None:
    """Add AMOUNT (currency units, e.g. 25.50) to ACCOUNT's balance (name or id)."""
    micros = amount_argument(amount, "AMOUNT", allow_zero=False)

    async def work(storage: SqlStorage) -> Account:
        found = await find_account(storage, account)
        return await storage.accounts.top_up_account(found.id, micros, note, cli_actor())

    updated = with_storage(config_path, work)
    click.echo(
        f"account {updated.id} {updated.name}: balance "
        f"{format_micros(updated.balance_micros)} {updated.currency}"
    )


@accounts.command("list")
@click.option(
    "--status", type=click.Choice(["unverified", "verified", "suspended"]), help="Only these."
)
@click.option("--pending", is_flag=True, help="Only accounts whose company details await review.")
@config_option
def list_accounts(status: str | None, pending: bool, config_path: str | None) -> None:
    """List sender accounts, newest first."""

    async def work(storage: SqlStorage) -> list[AccountProfile]:
        found: list[AccountProfile] = []
        cursor = None
        filters = AccountFilter(
            state=status,  # type: ignore[arg-type]  # click.Choice
            review="pending_review" if pending else None,
        )
        while True:
            page = await storage.accounts.list_account_profiles(filters, cursor, 500)
            found.extend(page.items)
            cursor = page.next_cursor
            if cursor is None:
                return found

    for profile in with_storage(config_path, work):
        click.echo(f"{_summary(profile)}; details: {profile.review}")


@accounts.command("show")
@click.argument("account")
@config_option
def show_account(account: str, config_path: str | None) -> None:
    """Show ACCOUNT (name or id) with its verification and company details."""

    async def work(storage: SqlStorage) -> AccountProfile | None:
        found = await find_account(storage, account)
        return await storage.accounts.get_account_profile(found.id)

    profile = with_storage(config_path, work)
    if profile is None:
        raise click.ClickException(f"no account {account!r}")
    click.echo(_summary(profile))
    click.echo(
        f"  details: {profile.review}"
        + (f" ({profile.review_reason})" if profile.review_reason else "")
    )
    if profile.suspended_reason:
        click.echo(f"  suspended: {profile.suspended_reason}")
    company = profile.company
    if company is not None:
        click.echo(
            f"  company: {company.legal_name}, {company.registration_number}, {company.country}"
        )
        click.echo(
            f"  contact: {company.contact_name} <{company.contact_email}> {company.contact_phone}"
        )


def _review_command(
    action: str, run: Callable[[SqlStorage, str, str | None], Awaitable[AccountProfile | None]]
) -> Callable[[str, str | None, str | None], None]:
    def command(account: str, reason: str | None, config_path: str | None) -> None:
        async def work(storage: SqlStorage) -> AccountProfile | None:
            found = await find_account(storage, account)
            return await run(storage, found.id, reason)

        profile = with_storage(config_path, work)
        if profile is None:
            raise click.ClickException(f"no account {account!r}")
        click.echo(f"{action}: {_summary(profile)}")

    return command


@accounts.command("verify")
@click.argument("account")
@click.option("--note", "reason", help="A note for the audit log and the sender.")
@config_option
def verify(account: str, reason: str | None, config_path: str | None) -> None:
    """Verify ACCOUNT: it may then send wherever its routes allow."""
    _review_command(
        "verified",
        lambda s, account_id, note: s.accounts.verify_account(account_id, cli_actor(), note),
    )(account, reason, config_path)


@accounts.command("reject")
@click.argument("account")
@click.option("--reason", required=True, help="Why, for the sender.")
@config_option
def reject(account: str, reason: str, config_path: str | None) -> None:
    """Reject ACCOUNT's company details; it stays unverified and may resubmit."""
    _review_command(
        "rejected",
        lambda s, account_id, why: s.accounts.reject_account(account_id, why or "", cli_actor()),
    )(account, reason, config_path)


@accounts.command("suspend")
@click.argument("account")
@click.option("--reason", required=True, help="Why, for the sender and the audit log.")
@config_option
def suspend(account: str, reason: str, config_path: str | None) -> None:
    """Suspend ACCOUNT: it sends nothing until reactivated."""
    _review_command(
        "suspended",
        lambda s, account_id, why: s.accounts.suspend_account(account_id, why or "", cli_actor()),
    )(account, reason, config_path)


@accounts.command("reactivate")
@click.argument("account")
@config_option
def reactivate(account: str, config_path: str | None) -> None:
    """Lift ACCOUNT's suspension; it returns to its verification state."""
    _review_command(
        "reactivated",
        lambda s, account_id, _: s.accounts.reactivate_account(account_id, cli_actor()),
    )(account, None, config_path)
