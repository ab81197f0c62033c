"""Operator commands for billing, straight on the storage: the price list, channel costs and
packages. Every change is audited with the actor ``cli:<user>``.

A running ``serve`` rereads the price list within 5 seconds of a change made here (it
caches the list for that long; changes through its own admin API apply at once).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import click

from parcelsms.adapters.storage import SqlStorage
from parcelsms.cli.operator_commands import (
    amount_argument,
    cli_actor,
    find_account,
    with_storage,
)
from parcelsms.cli.settings_loader import config_option
from parcelsms.domain.money import format_micros
from parcelsms.domain.numbers import KNOWN_REGIONS
from parcelsms.domain.packages import REGIONS
from parcelsms.pipeline.billing_ports import (
    DEFAULT_COUNTRY,
    ChannelCost,
    Package,
    PackageSpec,
    PriceEntry,
)


def _country(value: str, hint: str) -> str:
    code = value.upper()
    if code not in KNOWN_REGIONS:
        raise click.BadParameter("an ISO 3166 alpha-2 country code such as GB", param_hint=hint)
    return code


def _price_line(entry: PriceEntry) -> str:
    name = "default" if entry.country == DEFAULT_COUNTRY else entry.country
    return f"{name:<8} {format_micros(entry.price_micros)}"


@click.group("prices")
def prices() -> None:
    """The per-segment price list (in the account currency)."""


@prices.command("list")
@config_option
def list_prices(config_path: str | None) -> None:
    """Show the price list: the default, then each country's own price."""

    async def work(storage: SqlStorage) -> list[PriceEntry]:
        return await storage.billing.list_prices()

    for entry in with_storage(config_path, work):
        click.echo(_price_line(entry))


@prices.command("set")
@click.argument("country")
@click.argument("amount")
@config_option
def set_price(country: str, amount: str, config_path: str | None) -> None:
    """Set COUNTRY's per-segment price to AMOUNT (e.g. ES 0.045)."""
    code = _country(country, "COUNTRY")
    micros = amount_argument(amount, "AMOUNT")

    async def work(storage: SqlStorage) -> PriceEntry:
        return await storage.billing.set_price(code, micros, cli_actor())

    click.echo(_price_line(with_storage(config_path, work)))


@prices.command("set-default")
@click.argument("amount")
@config_option
def set_default_price(amount: str, config_path: str | None) -> None:
    """Set the per-segment price of every country without its own to AMOUNT."""
    micros = amount_argument(amount, "AMOUNT")

    async def work(storage: SqlStorage) -> PriceEntry:
        return await storage.billing.set_price(DEFAULT_COUNTRY, micros, cli_actor())

    click.echo(_price_line(with_storage(config_path, work)))


@prices.command("unset")
@click.argument("country")
@config_option
def unset_price(country: str, config_path: str | None) -> None:
    """Remove COUNTRY's own price: it pays the default again."""
    code = _country(country, "COUNTRY")

    async def work(storage: SqlStorage) -> bool:
        return await storage.billing.remove_price(code, cli_actor())

    if not with_storage(config_path, work):
        raise click.ClickException(f"{code} has no price of its own")
    click.echo(f"{code} pays the default price")


def _cost_line(cost: ChannelCost) -> str:
    country = "default" if cost.country == DEFAULT_COUNTRY else cost.country
    return f"{cost.channel} {country} {format_micros(cost.cost_micros)}"


@click.group("channel-costs")
def channel_costs() -> None:
    """What a segment over each channel costs the operator (for the margins report)."""


@channel_costs.command("list")
@config_option
def list_costs(config_path: str | None) -> None:
    """Show every channel cost."""

    async def work(storage: SqlStorage) -> list[ChannelCost]:
        return await storage.billing.list_channel_costs()

    for cost in with_storage(config_path, work):
        click.echo(_cost_line(cost))


@channel_costs.command("set")
@click.argument("channel")
@click.argument("amount")
@click.option("--country", default=None, help="Only for this country (default: any).")
@config_option
def set_cost(channel: str, amount: str, country: str | None, config_path: str | None) -> None:
    """Set what one segment over CHANNEL costs (AMOUNT, per country or as its default)."""
    code = DEFAULT_COUNTRY if country is None else _country(country, "--country")
    micros = amount_argument(amount, "AMOUNT")

    async def work(storage: SqlStorage) -> ChannelCost:
        return await storage.billing.set_channel_cost(channel, code, micros, cli_actor())

    click.echo(_cost_line(with_storage(config_path, work)))


def _package_line(package: Package, now: datetime) -> str:
    where = f" {','.join(package.countries)}" if package.countries else ""
    return (
        f"package {package.id} {package.name!r}: {package.region}{where}, "
        f"{package.remaining_segments}/{package.segments} segments, expires "
        f"{package.expires_at.isoformat()} ({package.status(now)})"
    )


@click.group("packages")
def packages() -> None:
    """Bundles of segments for a region, granted to an account."""


@packages.command("grant")
@click.argument("account")
@click.option("--segments", type=click.IntRange(1, 100_000_000), required=True)
@click.option("--region", type=click.Choice(REGIONS), required=True)
@click.option("--countries", default=None, help="With --region countries: a list such as ES,FR,DE.")
@click.option("--days", type=click.IntRange(1, 3660), default=None, help="Valid this many days.")
@click.option("--expires", default=None, help="Valid until this time (ISO 8601, with a zone).")
@click.option("--name", default=None, help="A name the sender sees (default: from the region).")
@config_option
def grant_package(
    account: str,
    segments: int,
    region: str,
    countries: str | None,
    days: int | None,
    expires: str | None,
    name: str | None,
    config_path: str | None,
) -> None:
    """Grant ACCOUNT (name or id) a package of --segments for --region."""
    if (days is None) == (expires is None):
        raise click.UsageError("give exactly one of --days and --expires")
    if expires is not None:
        try:
            expires_at = datetime.fromisoformat(expires)
        except ValueError:
            raise click.BadParameter("an ISO 8601 time", param_hint="--expires") from None
        if expires_at.tzinfo is None:
            raise click.BadParameter("needs a time zone, e.g. Z", param_hint="--expires")
    else:
        assert days is not None
        expires_at = datetime.now(UTC) + timedelta(days=days)
    listed = (
        tuple(part.strip() for part in countries.split(",") if part.strip()) if countries else ()
    )
    spec = PackageSpec(
        name=name or f"{segments} {region} segments",
        region=region,  # type: ignore[arg-type]  # click.Choice of REGIONS
        segments=segments,
        expires_at=expires_at.astimezone(UTC),
        countries=listed,
    )

    async def work(storage: SqlStorage) -> Package:
        found = await find_account(storage, account)
        return await storage.billing.grant_package(found.id, spec, cli_actor())

    click.echo(_package_line(with_storage(config_path, work), datetime.now(UTC)))


@packages.command("list")
@click.argument("account")
@config_option
def list_packages(account: str, config_path: str | None) -> None:
    """Show ACCOUNT's packages, soonest expiry first."""

    async def work(storage: SqlStorage) -> list[Package]:
        found = await find_account(storage, account)
        return await storage.billing.list_packages(found.id)

    now = datetime.now(UTC)
    for package in with_storage(config_path, work):
        click.echo(_package_line(package, now))
