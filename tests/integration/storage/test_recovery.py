"""After a crash: claims left by a dead dispatcher, and messages whose receipt never came."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sender_accounts import new_account

from parcelsms.adapters.storage.sql_storage import SqlStorage
from parcelsms.pipeline.message_ports import (
    FLAG_DUPLICATE_POSSIBLE,
    FLAG_NO_RECEIPT,
    FLAG_RESENT_AFTER_CRASH,
    FLAG_SUBMIT_OUTCOME_UNKNOWN,
)


async def crashed_with_claims(
    open_test_storage: Any, enqueue: Any, clock: Any, count: int
) -> tuple[str, list[str]]:
    """A first process accepts and claims ``count`` messages, then stops without reporting."""
    before = await open_test_storage()
    account = await new_account(before, "shop", balance_micros=10_000_000)
    await before.webhook_endpoints.set_webhook_endpoint(
        account.id, "https://hooks.example/all", "whsec_a"
    )
    ids = await enqueue(before, account.id, count=count)
    assert len(await before.messages.claim_for_dispatch("dead-worker", 100, clock())) == count
    return account.id, ids


async def test_resend_policy_unclaims_and_flags_the_messages(
    open_test_storage: Any, enqueue: Any, clock: Any
) -> None:
    account_id, ids = await crashed_with_claims(open_test_storage, enqueue, clock, 3)
    after = await open_test_storage()
    assert await after.messages.recover_claims("new-worker", "resend") == 3
    claimed = await after.messages.claim_for_dispatch("new-worker", 10, clock())
    assert sorted(item.message_id for item in claimed) == sorted(ids)
    assert all(FLAG_RESENT_AFTER_CRASH in item.flags for item in claimed)
    # The crashed process may have handed them to a carrier: sent again, maybe twice.
    assert all(FLAG_DUPLICATE_POSSIBLE in item.flags for item in claimed)
    detail = await after.message_queries.get_message(account_id, ids[0])
    assert detail is not None
    assert detail.events[-1].detail == {"recovered": "resend"}


async def test_recovery_leaves_the_new_tokens_own_claims_alone(
    open_test_storage: Any, enqueue: Any, clock: Any
) -> None:
    account_id, _ = await crashed_with_claims(open_test_storage, enqueue, clock, 2)
    after = await open_test_storage()
    fresh = await enqueue(after, account_id, count=1)
    own = await after.messages.claim_for_dispatch("new-worker", 10, clock())
    assert [item.message_id for item in own] == fresh
    assert await after.messages.recover_claims("new-worker", "resend") == 2
    again = await after.messages.claim_for_dispatch("new-worker", 10, clock())
    assert fresh[0] not in [item.message_id for item in again]


async def test_assume_submitted_policy_bills_and_flags_the_messages(
    open_test_storage: Any, enqueue: Any, clock: Any
) -> None:
    account_id, ids = await crashed_with_claims(open_test_storage, enqueue, clock, 2)
    after = await open_test_storage()
    assert await after.messages.recover_claims("new-worker", "assume_submitted") == 2
    assert await after.messages.claim_for_dispatch("new-worker", 10, clock()) == []
    detail = await after.message_queries.get_message(account_id, ids[0])
    assert detail is not None
    assert detail.message.status == "submitted"
    assert FLAG_SUBMIT_OUTCOME_UNKNOWN in detail.message.flags
    totals = await after.message_queries.account_ledger_totals(account_id)
    assert totals is not None
    assert totals.entries_by_kind == {"topup": 1, "reserve": 2, "settle": 2}
    assert totals.reserved_micros == 0
    webhooks = await after.webhook_outbox.claim_due_webhooks(10, clock(), 30)
    assert {w.message_id for w in webhooks} == set(ids)


async def test_messages_assumed_submitted_without_a_part_expire_at_their_validity_end(
    open_test_storage: Any, enqueue: Any, clock: Any
) -> None:
    """No carrier id, so no receipt can ever match: no grace for late receipts."""
    account_id, ids = await crashed_with_claims(open_test_storage, enqueue, clock, 1)
    after = await open_test_storage()
    await after.messages.recover_claims("new-worker", "assume_submitted")
    detail = await after.message_queries.get_message(account_id, ids[0])
    assert detail is not None
    valid_until = detail.message.valid_until
    grace = timedelta(hours=1)
    assert await after.messages.expire_overdue(valid_until, grace) == 0
    assert await after.messages.expire_overdue(valid_until + timedelta(seconds=1), grace) == 1
    expired = await after.message_queries.get_message(account_id, ids[0])
    assert expired is not None
    assert expired.message.status == "expired"
    assert FLAG_NO_RECEIPT in expired.message.flags
    assert expired.message.last_error is not None
    assert await after.messages.expire_overdue(valid_until + timedelta(days=9), grace) == 0


async def test_nothing_to_recover_is_zero(storage: SqlStorage) -> None:
    assert await storage.messages.recover_claims("worker", "resend") == 0
