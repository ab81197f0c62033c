"""The accept transaction refuses numbers that opted out or are blacklisted: what another
process committed a moment before (a STOP handled by the pipeline, a blacklist entry added
by the operator) holds for the very next accept, and a refusal is free and counted."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from sender_accounts import new_account

from parcelsms.adapters.storage.sql_storage import SqlStorage
from parcelsms.errors import CatalogueError
from parcelsms.pipeline.message_ports import Accepted, NewMessage

OpenStorage = Callable[..., Awaitable[SqlStorage]]
MakeMessage = Callable[..., NewMessage]
AT = datetime(2026, 1, 1, tzinfo=UTC)


async def test_a_suppression_committed_by_another_writer_refuses_the_next_accept(
    open_test_storage: OpenStorage, make_message: MakeMessage
) -> None:
    pipeline = await open_test_storage()
    api = await open_test_storage()
    account = await new_account(api, "shop", balance_micros=1_000_000)
    first = make_message(account.id, check_blocks=True)
    await pipeline.recipient_blocks.add_suppressions(account.id, [first.to_e164], "reply", AT)

    (refused,) = await api.messages.accept_messages([first])

    assert isinstance(refused, CatalogueError)
    assert (refused.code, refused.field, refused.status) == ("recipient_opted_out", "to", 422)
    balance = (await api.accounts.get_account(account.id)).balance_micros  # type: ignore[union-attr]
    assert balance == 1_000_000


async def test_the_blacklist_wins_items_are_decided_alone_and_refusals_are_counted(
    open_test_storage: OpenStorage, make_message: MakeMessage
) -> None:
    storage = await open_test_storage()
    account = await new_account(storage, "shop", balance_micros=1_000_000)
    opted_out = make_message(account.id, to_e164="+447911000001", check_blocks=True)
    listed = make_message(account.id, to_e164="+447911000002", check_blocks=True)
    free = make_message(account.id, to_e164="+447911000003", check_blocks=True)
    await storage.recipient_blocks.add_suppressions(
        account.id, [opted_out.to_e164, listed.to_e164], "api", AT
    )
    await storage.recipient_blocks.add_to_blacklist(listed.to_e164, "abuse", AT)

    results = await storage.messages.accept_messages([opted_out, listed, free])

    codes = [r.code if isinstance(r, CatalogueError) else "accepted" for r in results]
    assert codes == ["recipient_opted_out", "recipient_blacklisted", "accepted"]
    counts = await storage.recipient_blocks.refusal_counts(account.id, "2000-01-01")
    assert counts == {"recipient_opted_out": 1, "recipient_blacklisted": 1}


async def test_the_platforms_own_confirmation_texts_are_not_checked(
    open_test_storage: OpenStorage, make_message: MakeMessage
) -> None:
    storage = await open_test_storage()
    account = await new_account(storage, "shop", balance_micros=1_000_000)
    confirmation = make_message(account.id)  # check_blocks defaults to False
    await storage.recipient_blocks.add_suppressions(account.id, [confirmation.to_e164], "reply", AT)

    (result,) = await storage.messages.accept_messages([confirmation])

    assert isinstance(result, Accepted)
