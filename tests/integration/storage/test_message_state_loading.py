"""The writer's quick load of message states on SQLite reads what the Core query reads."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from sender_accounts import new_account
from sqlalchemy import update
from sqlalchemy.engine import Connection

from parcelsms.adapters.storage.engine.schema.message_tables import messages
from parcelsms.adapters.storage.messages.message_state_rows import (
    MessageState,
    load_states,
    state_from_row,
    state_query,
)
from parcelsms.adapters.storage.sql_storage import SqlStorage
from parcelsms.pipeline.message_ports import Accepted, NewMessage

OpenStorage = Callable[..., Awaitable[SqlStorage]]
MakeMessage = Callable[..., NewMessage]


def _both_ways(
    connection: Connection, ids: list[str]
) -> tuple[dict[str, MessageState], dict[str, MessageState]]:
    core = connection.execute(state_query().where(messages.c.id.in_(ids)))
    return load_states(connection, ids), {row.id: state_from_row(row) for row in core}


async def test_the_quick_load_equals_the_core_query_for_every_column(
    open_test_storage: OpenStorage, make_message: MakeMessage
) -> None:
    storage = await open_test_storage()
    account = await new_account(storage, "shop", balance_micros=1_000_000)
    stored = await storage.messages.accept_messages(
        [make_message(account.id, client_ref=f"ref-{n}") for n in range(3)]
    )
    ids = [result.message_id for result in stored if isinstance(result, Accepted)]
    assert len(ids) == 3

    def decorate(connection: Connection) -> None:
        connection.execute(
            update(messages)
            .where(messages.c.id == ids[0])
            .values(
                flags=["duplicate_possible", "resent_after_crash"],
                last_error={"stat": "UNDELIV", "err": "001", "detail": "x"},
                channel="alpha",
                updated_at=datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=UTC),
            )
        )

    await storage._runner.write(decorate)
    quick, core = await storage._runner.read(_both_ways, [*ids, "msg_missing"])

    assert set(quick) == set(ids)
    assert quick == core
    assert quick[ids[0]].flags == ["duplicate_possible", "resent_after_crash"]
    assert quick[ids[0]].created_at.tzinfo is UTC
