"""The operator's routes as a use case: change them, explain a number, tell senders' reach.

Behind ``/admin/v1/routes``, ``/admin/v1/routes/explain``, ``GET /v1/coverage`` and
``parcelsms routes``. A route is checked before it is stored (``invalid_route`` naming the
field); every change invalidates the :class:`~parcelsms.pipeline.route_book.RouteBook`,
which tells every process of the platform to reread the table.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from parcelsms.domain.error_catalogue import error
from parcelsms.domain.numbers import parse_recipient
from parcelsms.domain.route_explanation import RouteExplanation, explain
from parcelsms.domain.routing import MessageFacts, RouteInvalid, check_route
from parcelsms.pipeline.account_security_ports import Actor
from parcelsms.pipeline.compose import PriceSource
from parcelsms.pipeline.route_book import RouteBook
from parcelsms.pipeline.route_ports import RouteDefinition, RouteStore, StoredRoute


@dataclass(frozen=True, slots=True)
class CountryReach:
    """A country an account can send to; ``partial``: only some of its numbers or sender
    IDs have a route; ``price_micros``: per segment."""

    country: str
    partial: bool
    price_micros: int


class RouteAdministration:
    """One per process; safe for concurrent use."""

    def __init__(
        self,
        store: RouteStore,
        book: RouteBook,
        known_channels: Iterable[str],
        prices: PriceSource,
    ) -> None:
        self._store = store
        self._book = book
        self._known = frozenset(known_channels)
        self._prices = prices

    @property
    def book(self) -> RouteBook:
        return self._book

    @property
    def channel_names(self) -> frozenset[str]:
        return self._known

    async def stored_routes(self) -> list[StoredRoute]:
        return await self._store.list_routes()

    async def create(
        self, definition: RouteDefinition, position: int | None, actor: Actor
    ) -> StoredRoute:
        self.check(definition)
        stored = await self._store.create_route(definition, position, actor)
        self._changed()
        return stored

    async def replace(
        self, route_id: str, definition: RouteDefinition, actor: Actor
    ) -> StoredRoute | None:
        self.check(definition)
        stored = await self._store.replace_route(route_id, definition, actor)
        if stored is not None:
            self._changed()
        return stored

    async def delete(self, route_id: str, actor: Actor) -> bool:
        deleted = await self._store.delete_route(route_id, actor)
        if deleted:
            self._changed()
        return deleted

    async def reorder(self, route_ids: Sequence[str], actor: Actor) -> bool:
        done = await self._store.reorder_routes(route_ids, actor)
        if done:
            self._changed()
        return done

    def check(self, definition: RouteDefinition) -> None:
        """Raise ``invalid_route`` naming the field when ``definition`` cannot be used."""
        try:
            check_route(definition.to_route(""), self._known)
        except RouteInvalid as exc:
            message = exc.message[:1].upper() + exc.message[1:] + "."
            raise error("invalid_route", message, field=exc.field) from None

    async def explain(
        self, to: str, account_id: str | None = None, sender_id: str | None = None
    ) -> RouteExplanation:
        """Which route a message to ``to`` takes and why, and its plan now; raises the
        number's errors (field ``to``)."""
        recipient = parse_recipient(to, field="to")
        table, conditions = await self._book.current()
        facts = MessageFacts(
            country=recipient.country,
            e164=recipient.e164,
            account_id=account_id,
            sender_id=sender_id,
            key=recipient.e164,
        )
        return explain(facts, table, conditions)

    async def coverage(self, account_id: str) -> list[CountryReach]:
        """The countries ``account_id`` can reach, by country code."""
        table, _ = await self._book.current()
        prices = await self._prices.current()
        return [
            CountryReach(country, partial, prices.price(country, 1))
            for country, partial in sorted(table.reach(account_id).items())
        ]

    def _changed(self) -> None:
        self._book.invalidate()
