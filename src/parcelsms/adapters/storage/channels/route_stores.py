"""The route port on SQL: one row per stored route, its definition as JSON, audited.

Every change runs in the writer thread as one transaction with its audit entry; positions
stay 0..n-1 with no gap (an insert or delete renumbers the routes after it).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import msgspec
from sqlalchemy import select
from sqlalchemy.engine import Connection

from parcelsms.adapters.storage.accounts.audit_rows import write_audit
from parcelsms.adapters.storage.context import StorageContext
from parcelsms.adapters.storage.engine.runner import SqlRunner
from parcelsms.adapters.storage.engine.schema.route_tables import routes
from parcelsms.domain.ids import new_id
from parcelsms.pipeline.account_security_ports import Actor
from parcelsms.pipeline.route_ports import RouteDefinition, StoredRoute

_ID_PREFIX = "rte"
_encoder = msgspec.json.Encoder()
_decoder = msgspec.json.Decoder(RouteDefinition)


def _stored(row: Any) -> StoredRoute:
    return StoredRoute(
        id=row.id,
        position=row.position,
        definition=_decoder.decode(row.definition),
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def read_routes(connection: Connection) -> list[StoredRoute]:
    rows = connection.execute(select(routes).order_by(routes.c.position, routes.c.id))
    return [_stored(row) for row in rows]


def _snapshot(definition: RouteDefinition) -> dict[str, Any]:
    return msgspec.to_builtins(definition)  # type: ignore[no-any-return]


@dataclass(frozen=True, slots=True)
class RouteChange:
    """One change: ``create`` (``definition``, ``position``), ``replace`` (``route_id``,
    ``definition``), ``delete`` (``route_id``) or ``reorder`` (``order``)."""

    action: str
    actor: Actor
    route_id: str | None = None
    definition: RouteDefinition | None = None
    position: int | None = None
    order: tuple[str, ...] = ()


class RouteOperations:
    """The writer-thread side of :class:`SqlRouteStore`."""

    def __init__(self, context: StorageContext) -> None:
        self._context = context

    def __call__(
        self, connection: Connection, items: list[RouteChange]
    ) -> Sequence[StoredRoute | bool | None]:
        return [self._apply(connection, item) for item in items]

    def _apply(self, connection: Connection, item: RouteChange) -> StoredRoute | bool | None:
        now = self._context.clock()
        current = read_routes(connection)
        before: dict[str, Any] | None = None
        after: dict[str, Any] | None = None
        if item.action == "create":
            assert item.definition is not None
            count = len(current)
            position = count if item.position is None else max(0, min(item.position, count))
            route_id = new_id(_ID_PREFIX)
            connection.execute(
                routes.update()
                .where(routes.c.position >= position)
                .values(position=routes.c.position + 1)
            )
            connection.execute(
                routes.insert().values(
                    id=route_id,
                    position=position,
                    definition=_encoder.encode(item.definition).decode("utf-8"),
                    created_at=now,
                    updated_at=now,
                )
            )
            after = {"position": position, **_snapshot(item.definition)}
            result: StoredRoute | bool | None = StoredRoute(
                id=route_id,
                position=position,
                definition=item.definition,
                created_at=now,
                updated_at=now,
            )
        elif item.action == "reorder":
            ids = [record.id for record in current]
            if sorted(item.order) != sorted(ids) or len(set(item.order)) != len(item.order):
                return False
            for position, route_id in enumerate(item.order):
                connection.execute(
                    routes.update().where(routes.c.id == route_id).values(position=position)
                )
            before, after = {"order": ids}, {"order": list(item.order)}
            route_id, result = None, True
        else:
            found = next((record for record in current if record.id == item.route_id), None)
            if found is None:
                return None if item.action == "replace" else False
            route_id = found.id
            before = {"position": found.position, **_snapshot(found.definition)}
            if item.action == "replace":
                assert item.definition is not None
                connection.execute(
                    routes.update()
                    .where(routes.c.id == route_id)
                    .values(
                        definition=_encoder.encode(item.definition).decode("utf-8"),
                        updated_at=now,
                    )
                )
                after = {"position": found.position, **_snapshot(item.definition)}
                result = StoredRoute(
                    id=route_id,
                    position=found.position,
                    definition=item.definition,
                    created_at=found.created_at,
                    updated_at=now,
                )
            else:
                connection.execute(routes.delete().where(routes.c.id == route_id))
                connection.execute(
                    routes.update()
                    .where(routes.c.position > found.position)
                    .values(position=routes.c.position - 1)
                )
                result = True
        write_audit(
            connection,
            item.actor,
            f"route.{item.action}",
            at=now,
            target_type="route",
            target_id=route_id,
            account_id=None,
            before=before,
            after=after,
        )
        return result


class SqlRouteStore:
    """Implements ``RouteStore``."""

    def __init__(self, runner: SqlRunner) -> None:
        self._runner = runner
        self._operations = RouteOperations(runner.context)

    async def list_routes(self) -> list[StoredRoute]:
        return await self._runner.read(read_routes)

    async def create_route(
        self, definition: RouteDefinition, position: int | None, actor: Actor
    ) -> StoredRoute:
        change = RouteChange("create", actor, definition=definition, position=position)
        result = await self._runner.writer.run(self._operations, change)
        assert isinstance(result, StoredRoute)
        return result

    async def replace_route(
        self, route_id: str, definition: RouteDefinition, actor: Actor
    ) -> StoredRoute | None:
        change = RouteChange("replace", actor, route_id=route_id, definition=definition)
        result = await self._runner.writer.run(self._operations, change)
        assert result is None or isinstance(result, StoredRoute)
        return result

    async def delete_route(self, route_id: str, actor: Actor) -> bool:
        change = RouteChange("delete", actor, route_id=route_id)
        return bool(await self._runner.writer.run(self._operations, change))

    async def reorder_routes(self, route_ids: Sequence[str], actor: Actor) -> bool:
        change = RouteChange("reorder", actor, order=tuple(route_ids))
        return bool(await self._runner.writer.run(self._operations, change))
