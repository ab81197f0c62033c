"""Several endpoints per account: which outbox rows a status change or an account event
writes, secrets with a rotation's overlap, leases renewed and released, redelivery."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from pathlib import Path
from typing import Any

from database_peek import peek
from outbox_messages import expire_all, submitted_messages
from sender_accounts import new_account

from parcelsms.adapters.storage import SqlStorage
from parcelsms.domain.account_events import threshold_warning
from parcelsms.domain.ids import new_id
from parcelsms.pipeline.webhook_ports import DeliveryFilter, EndpointChanges, WebhookResult


def outbox(path: str | Path) -> list[tuple[str, str, str, str]]:
    """``(endpoint_id, event_type, event_id, status)`` of every outbox row."""
    with peek(path) as connection:
        return list(
            connection.execute(
                "SELECT coalesce(endpoint_id, '-'), event_type, event_id, status"
                " FROM webhook_outbox ORDER BY id"
            )
        )


async def test_a_final_only_endpoint_gets_one_row_per_message_and_none_for_submissions(
    storage: SqlStorage, clock: Any, database_url: str
) -> None:
    account = await new_account(storage, "shop", balance_micros=1_000_000)
    final = await storage.webhook_endpoints.create_endpoint(
        account.id, "https://final.example/h", ("message.final",), "whsec_f"
    )
    await submitted_messages(storage, account.id, 5, now=clock())
    assert outbox(database_url) == []

    assert await expire_all(storage, clock()) == 5
    rows = outbox(database_url)
    assert [(endpoint, kind) for endpoint, kind, _, _ in rows] == [(final.id, "message.final")] * 5


async def test_one_event_to_two_endpoints_is_two_deliveries_with_one_webhook_id(
    storage: SqlStorage, clock: Any, database_url: str
) -> None:
    account = await new_account(storage, "shop", balance_micros=1_000_000)
    every = await storage.webhook_endpoints.set_webhook_endpoint(
        account.id, "https://all.example/h", "whsec_a"
    )
    final = await storage.webhook_endpoints.create_endpoint(
        account.id, "https://final.example/h", ("message.final", "message.status"), "whsec_f"
    )
    (message_id,) = await submitted_messages(storage, account.id, 1, now=clock())
    await expire_all(storage, clock())

    rows = outbox(database_url)
    assert Counter((endpoint, kind) for endpoint, kind, _, _ in rows) == Counter(
        {
            (every.id, "message.status"): 2,  # submitted, expired
            (final.id, "message.status"): 1,  # submitted
            (final.id, "message.final"): 1,  # expired: once, as the narrower type
        }
    )
    expired_ids = {event for endpoint, kind, event, _ in rows if kind == "message.final"}
    assert len(expired_ids) == 1
    assert sum(1 for _, _, event, _ in rows if event in expired_ids) == 2
    claimed = await storage.webhook_outbox.claim_due_webhooks(10, clock() + timedelta(days=2), 5)
    assert len({delivery.id for delivery in claimed}) == 4
    assert {delivery.message_id for delivery in claimed} == {message_id}


async def test_disabled_endpoints_and_unsubscribed_types_write_nothing(
    storage: SqlStorage, clock: Any, database_url: str
) -> None:
    account = await new_account(storage, "shop", balance_micros=1_000_000)
    money = await storage.webhook_endpoints.create_endpoint(
        account.id, "https://money.example/h", ("balance.low",), "whsec_m"
    )
    off = await storage.webhook_endpoints.create_endpoint(
        account.id, "https://off.example/h", ("message.status",), "whsec_o"
    )
    await storage.webhook_endpoints.update_endpoint(
        account.id, off.id, EndpointChanges(enabled=False)
    )
    await submitted_messages(storage, account.id, 2, now=clock())
    assert outbox(database_url) == []
    assert money.event_types == ("balance.low",)


async def test_account_events_go_to_the_endpoints_subscribed_to_their_type(
    storage: SqlStorage, clock: Any, database_url: str
) -> None:
    account = await new_account(storage, "shop", balance_micros=1_000_000)
    default = await storage.webhook_endpoints.set_webhook_endpoint(
        account.id, "https://all.example/h", "whsec_a"
    )
    limits = await storage.webhook_endpoints.create_endpoint(
        account.id, "https://limits.example/h", ("limit.warning",), "whsec_l"
    )
    await storage.webhook_endpoints.create_endpoint(
        account.id, "https://final.example/h", ("message.final",), "whsec_f"
    )
    event = threshold_warning(
        new_id("evt"),
        account.id,
        limit="daily_messages",
        used=80,
        limit_value=100,
        percent=80,
        currency="EUR",
        day="2030-01-01",
        at=clock(),
    )
    await storage.billing.record_account_event(event)

    rows = outbox(database_url)
    assert sorted((endpoint, kind, event_id) for endpoint, kind, event_id, _ in rows) == sorted(
        [
            (default.id, "limit.warning", event.event_id),
            (limits.id, "limit.warning", event.event_id),
        ]
    )


async def test_during_a_rotations_overlap_both_secrets_sign_then_only_the_new_one(
    storage: SqlStorage,
    clock: Any,
) -> None:
    account = await new_account(storage, "shop", balance_micros=1_000_000)
    endpoint = await storage.webhook_endpoints.set_webhook_endpoint(
        account.id, "https://all.example/h", "whsec_old"
    )
    now = clock()
    rotated = await storage.webhook_endpoints.rotate_secret(
        account.id, endpoint.id, "whsec_new", now + timedelta(minutes=10)
    )
    assert rotated is not None
    assert (rotated.secret, rotated.previous_secret) == ("whsec_new", "whsec_old")
    await submitted_messages(storage, account.id, 1, now=clock())
    (during,) = await storage.webhook_outbox.claim_due_webhooks(10, now, 5)
    assert during.secrets == ("whsec_new", "whsec_old")
    (after,) = await storage.webhook_outbox.claim_due_webhooks(10, now + timedelta(minutes=11), 5)
    assert after.secrets == ("whsec_new",)
    other = await new_account(storage, "other")
    assert (
        await storage.webhook_endpoints.rotate_secret(other.id, endpoint.id, "whsec_x", now) is None
    )


async def test_a_released_claim_is_due_at_once_and_a_renewed_one_is_not(
    storage: SqlStorage,
    clock: Any,
) -> None:
    account = await new_account(storage, "shop", balance_micros=1_000_000)
    await storage.webhook_endpoints.set_webhook_endpoint(
        account.id, "https://all.example/h", "whsec_a"
    )
    await submitted_messages(storage, account.id, 2, now=clock())
    now = clock()
    first, second = await storage.webhook_outbox.claim_due_webhooks(10, now, 5)
    await storage.webhook_outbox.release_webhooks([(first.id, first.attempts)], now)
    await storage.webhook_outbox.renew_webhook_leases(
        [(second.id, second.attempts)], now + timedelta(seconds=60)
    )

    (again,) = await storage.webhook_outbox.claim_due_webhooks(10, now, 5)
    assert again.id == first.id
    later = await storage.webhook_outbox.claim_due_webhooks(10, now + timedelta(seconds=30), 5)
    assert [row.id for row in later] == [first.id]  # its new lease ended; second's did not


async def test_a_renewal_never_moves_a_row_already_attempted(
    storage: SqlStorage, clock: Any
) -> None:
    account = await new_account(storage, "shop", balance_micros=1_000_000)
    await storage.webhook_endpoints.set_webhook_endpoint(
        account.id, "https://all.example/h", "whsec_a"
    )
    await submitted_messages(storage, account.id, 1, now=clock())
    now = clock()
    (row,) = await storage.webhook_outbox.claim_due_webhooks(10, now, 5)
    retry_at = now + timedelta(seconds=10)
    await storage.webhook_outbox.record_webhook_results(
        [WebhookResult(id=row.id, ok=False, status=503, next_attempt_at=retry_at)]
    )
    await storage.webhook_outbox.renew_webhook_leases(
        [(row.id, row.attempts)], now + timedelta(hours=1)
    )
    (due,) = await storage.webhook_outbox.claim_due_webhooks(10, retry_at, 5)
    assert (due.id, due.attempts) == (row.id, 1)


async def test_a_dead_delivery_retried_on_request_is_pending_with_a_fresh_window(
    storage: SqlStorage,
    clock: Any,
) -> None:
    account = await new_account(storage, "shop", balance_micros=1_000_000)
    endpoint = await storage.webhook_endpoints.set_webhook_endpoint(
        account.id, "https://all.example/h", "whsec_a"
    )
    await submitted_messages(storage, account.id, 1, now=clock())
    now = clock()
    (row,) = await storage.webhook_outbox.claim_due_webhooks(10, now, 5)
    await storage.webhook_outbox.record_webhook_results(
        [WebhookResult(id=row.id, ok=False, status=410, error="http_410", latency_ms=12)]
    )
    deliveries = storage.webhook_deliveries
    (dead,) = (await deliveries.list_deliveries(account.id, DeliveryFilter(), None, 10)).items
    assert (dead.status, dead.attempts, dead.last_status, dead.latency_ms) == (
        "dead",
        1,
        410,
        12,
    )
    other = await new_account(storage, "other")
    assert await deliveries.retry_delivery(other.id, row.id, now) is None

    later = now + timedelta(hours=30)
    retried = await deliveries.retry_delivery(account.id, row.id, later)
    assert retried is not None
    assert (retried.status, retried.attempts) == ("pending", 0)
    (again,) = await storage.webhook_outbox.claim_due_webhooks(10, later, 5)
    assert (again.id, again.event_id, again.retry_from) == (row.id, row.event_id, later)
    assert endpoint.id == again.endpoint_id


async def test_replay_makes_everything_sent_to_the_endpoint_since_t_due_again(
    storage: SqlStorage,
    clock: Any,
) -> None:
    account = await new_account(storage, "shop", balance_micros=1_000_000)
    endpoint = await storage.webhook_endpoints.set_webhook_endpoint(
        account.id, "https://all.example/h", "whsec_a"
    )
    await submitted_messages(storage, account.id, 3, now=clock())
    now = clock()
    rows = await storage.webhook_outbox.claim_due_webhooks(10, now, 5)
    await storage.webhook_outbox.record_webhook_results(
        [WebhookResult(id=row.id, ok=True, status=204) for row in rows]
    )
    deliveries = storage.webhook_deliveries
    since = min(row.created_at for row in rows)
    assert await deliveries.replay_endpoint(account.id, endpoint.id, since, now) == 3
    assert await deliveries.replay_endpoint(account.id, endpoint.id, since, now) == 0  # pending
    assert len(await storage.webhook_outbox.claim_due_webhooks(10, now, 5)) == 3
    page = await deliveries.list_deliveries(
        account.id, DeliveryFilter(status="delivered"), None, 10
    )
    assert page.items == ()


async def test_deleting_an_endpoint_dead_letters_its_pending_deliveries(
    storage: SqlStorage,
    clock: Any,
) -> None:
    account = await new_account(storage, "shop", balance_micros=1_000_000)
    endpoint = await storage.webhook_endpoints.create_endpoint(
        account.id, "https://all.example/h", ("message.status",), "whsec_a"
    )
    await submitted_messages(storage, account.id, 2, now=clock())
    assert await storage.webhook_endpoints.delete_endpoint(account.id, endpoint.id)
    assert not await storage.webhook_endpoints.delete_endpoint(account.id, endpoint.id)
    page = await storage.webhook_deliveries.list_deliveries(
        account.id, DeliveryFilter(endpoint_id=endpoint.id), None, 10
    )
    assert [(item.status, item.last_error) for item in page.items] == [
        ("dead", "endpoint_deleted")
    ] * 2
    assert await storage.webhook_outbox.claim_due_webhooks(10, clock(), 5) == []


async def test_deliveries_are_listed_newest_first_by_filter_and_page(
    storage: SqlStorage,
    clock: Any,
) -> None:
    account = await new_account(storage, "shop", balance_micros=1_000_000)
    a = await storage.webhook_endpoints.create_endpoint(
        account.id, "https://a.example/h", ("message.status",), "whsec_a"
    )
    await storage.webhook_endpoints.create_endpoint(
        account.id, "https://b.example/h", ("message.submitted",), "whsec_b"
    )
    await submitted_messages(storage, account.id, 3, now=clock())
    deliveries = storage.webhook_deliveries
    first = await deliveries.list_deliveries(account.id, DeliveryFilter(), None, 4)
    assert len(first.items) == 4
    assert first.next_cursor is not None
    rest = await deliveries.list_deliveries(account.id, DeliveryFilter(), first.next_cursor, 4)
    ids = [item.id for item in first.items + rest.items]
    assert len(ids) == 6
    assert ids == sorted(ids, reverse=True)
    assert rest.next_cursor is None
    only_a = await deliveries.list_deliveries(
        account.id, DeliveryFilter(endpoint_id=a.id), None, 10
    )
    assert {item.event_type for item in only_a.items} == {"message.status"}
    submitted = await deliveries.list_deliveries(
        account.id, DeliveryFilter(event_type="message.submitted"), None, 10
    )
    assert len(submitted.items) == 3
