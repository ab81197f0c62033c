"""The routes the operator keeps in the database, and the port that stores them.

A stored route is a :class:`RouteDefinition` (the JSON shape of ``/admin/v1/routes``) with
an id and a position. The store writes an audit entry in the transaction of each change
(``route.create``, ``route.replace``, ``route.delete``, ``route.reorder``).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Annotated, Literal, Protocol

import msgspec

from parcelsms.domain.routing import Route
from parcelsms.pipeline.account_security_ports import Actor

_Names = Annotated[list[str], msgspec.Meta(max_length=1000)]


class RouteDefinition(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """A route: filters (ANDed; an empty list matches anything) and its plan."""

    channels: Annotated[
        list[str], msgspec.Meta(min_length=1, max_length=50, description="The plan: channel names.")
    ]
    countries: Annotated[
        list[str],
        msgspec.Meta(max_length=300, description='ISO 3166 alpha-2 codes, or `["*"]` (any).'),
    ] = msgspec.field(default_factory=lambda: ["*"])
    accounts: Annotated[_Names, msgspec.Meta(description="Account ids.")] = msgspec.field(
        default_factory=list
    )
    prefixes: Annotated[
        _Names, msgspec.Meta(description="E.164 prefixes of the destination (`+5511`).")
    ] = msgspec.field(default_factory=list)
    carriers: Annotated[
        _Names,
        msgspec.Meta(description="Carriers the number's range was allocated to (`Vivo`)."),
    ] = msgspec.field(default_factory=list)
    sender_ids: Annotated[
        _Names, msgspec.Meta(description="Sender IDs the message goes out with.")
    ] = msgspec.field(default_factory=list)
    strategy: Literal["priority", "weighted", "least_cost"] = "priority"
    weights: Annotated[
        list[Annotated[int, msgspec.Meta(ge=0, le=1_000_000)]],
        msgspec.Meta(max_length=50, description="`weighted`: one per channel."),
    ] = msgspec.field(default_factory=list)
    delivery_floor: Annotated[
        float,
        msgspec.Meta(
            ge=0,
            le=1,
            description="`least_cost`: the delivery rate under which a channel is passed over.",
        ),
    ] = 0.0
    description: Annotated[str, msgspec.Meta(max_length=500)] = ""

    def to_route(self, name: str) -> Route:
        """This definition as a domain route called ``name``."""
        return Route(
            countries=frozenset(self.countries),
            channels=tuple(self.channels),
            accounts=frozenset(self.accounts),
            prefixes=tuple(self.prefixes),
            carriers=tuple(self.carriers),
            sender_ids=frozenset(self.sender_ids),
            strategy=self.strategy,
            weights=tuple(self.weights),
            delivery_floor=self.delivery_floor,
            name=name,
        )


class StoredRoute(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    position: int
    definition: RouteDefinition
    created_at: datetime
    updated_at: datetime


class RouteStore(Protocol):
    """The operator's routes, in order (position 0 is tried first)."""

    async def list_routes(self) -> list[StoredRoute]: ...

    async def create_route(
        self, definition: RouteDefinition, position: int | None, actor: Actor
    ) -> StoredRoute:
        """Insert at ``position`` (clamped; ``None``: last), moving later routes down."""
        ...

    async def replace_route(
        self, route_id: str, definition: RouteDefinition, actor: Actor
    ) -> StoredRoute | None:
        """``None``: no such route."""
        ...

    async def delete_route(self, route_id: str, actor: Actor) -> bool: ...

    async def reorder_routes(self, route_ids: Sequence[str], actor: Actor) -> bool:
        """Put the routes in the order of ``route_ids``; ``False`` (nothing changed) unless
        it names every stored route exactly once."""
        ...
