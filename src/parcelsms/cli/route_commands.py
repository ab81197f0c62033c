"""``parcelsms routes``: the route table (stored routes, then the file's) and why a number
takes the route it takes. Changes go through ``/admin/v1/routes`` (audited, announced)."""

from __future__ import annotations

import click

from parcelsms.adapters.storage import SqlStorage
from parcelsms.bootstrap.route_wiring import build_route_book, route_administration
from parcelsms.cli.operator_commands import find_account, with_storage
from parcelsms.cli.settings_loader import config_option, load_settings
from parcelsms.domain.money import format_micros
from parcelsms.domain.route_explanation import RouteExplanation
from parcelsms.domain.routing import ANY_COUNTRY, Route
from parcelsms.errors import CatalogueError
from parcelsms.pipeline.price_book import PriceBook


@click.group("routes")
def routes() -> None:
    """The route table: which channels carry which messages (docs/routing.md)."""


@routes.command("list")
@config_option
def list_routes(config_path: str | None) -> None:
    """Every route in the order it is tried."""
    settings = load_settings(config_path)

    async def work(storage: SqlStorage) -> tuple[Route, ...]:
        table, _ = await build_route_book(settings, storage).current()
        return table.routes

    for index, route in enumerate(with_storage(config_path, work), start=1):
        click.echo(f"{index}. {route.name}  {describe_route(route)}")


@routes.command("explain")
@click.option("--to", "to", required=True, help="The destination number, E.164.")
@click.option("--account", default=None, help="The sending account (name or id).")
@click.option("--sender", default=None, help="The sender ID the message goes out with.")
@config_option
def explain_route(
    to: str, account: str | None, sender: str | None, config_path: str | None
) -> None:
    """Which route a message to --to takes, why the others do not, and its plan now."""
    settings = load_settings(config_path)

    async def work(storage: SqlStorage) -> RouteExplanation:
        account_id = None if account is None else (await find_account(storage, account)).id
        book = build_route_book(settings, storage)
        prices = PriceBook(storage.billing, settings.price_list())
        administration = route_administration(settings, storage, book, prices)
        try:
            return await administration.explain(to, account_id, sender)
        except CatalogueError as problem:
            raise click.ClickException(problem.message) from None

    click.echo(describe_explanation(with_storage(config_path, work)))


def describe_route(route: Route) -> str:
    """One line: the filters that are set, then the plan."""
    countries = "*" if route.countries == ANY_COUNTRY else ",".join(sorted(route.countries))
    filters = [f"countries={countries}"]
    for name in ("accounts", "prefixes", "carriers", "sender_ids"):
        values = getattr(route, name)
        if values:
            filters.append(f"{name}={','.join(sorted(values))}")
    plan = ", ".join(route.channels)
    if route.strategy == "weighted":
        plan = ", ".join(f"{c}:{w}" for c, w in zip(route.channels, route.weights, strict=True))
    elif route.strategy == "least_cost":
        plan += f" (delivery floor {route.delivery_floor:.0%})"
    return f"{' '.join(filters)}  ->  {route.strategy}: {plan}"


def describe_explanation(explanation: RouteExplanation) -> str:
    """The text ``parcelsms routes explain`` prints."""
    facts = explanation.facts
    lines = [
        f"{facts.e164} ({facts.country}, carrier {explanation.carrier or 'unknown'}), "
        f"account {facts.account_id or '-'}, sender {facts.sender_id or '-'}"
    ]
    for index, verdict in enumerate(explanation.verdicts, start=1):
        why = f"  {verdict.failed_filter}: {verdict.reason}" if verdict.failed_filter else ""
        lines.append(f"  {index}. {verdict.route.name}  {verdict.verdict}{why}")
    if explanation.matched is None:
        lines.append("no route matches: the message would be refused (unsupported_country)")
        return "\n".join(lines)
    channels = []
    for note in explanation.plan:
        details = []
        if note.down:
            details.append("down")
        if note.cost_micros is not None:
            details.append(f"cost {format_micros(note.cost_micros)}")
        if note.delivery_rate is not None:
            details.append(f"delivered {note.delivery_rate:.0%}")
        channels.append(note.channel + (f" ({', '.join(details)})" if details else ""))
    lines.append(f"plan now ({explanation.matched.strategy}): {', '.join(channels)}")
    return "\n".join(lines)
