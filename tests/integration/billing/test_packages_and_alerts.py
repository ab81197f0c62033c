"""Packages, package-only accounts, low-balance alerts and the stored price list, on a real
SQLite storage."""

from __future__ import annotations

import json
import sqlite3
from contextlib import closing
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from billing_storage import OPERATOR, Clock
from sender_accounts import new_account, top_up

from parcelsms.adapters.storage.sql_storage import SqlStorage
from parcelsms.domain.pricing import PriceList
from parcelsms.domain.receipt_correlation import Reading, micros, receipt_key
from parcelsms.domain.status import MessageStatus
from parcelsms.errors import CatalogueError
from parcelsms.pipeline.account_security_ports import AuditFilter
from parcelsms.pipeline.billing_ports import BillingSettingsChange, LedgerFilter, PackageSpec
from parcelsms.pipeline.message_ports import Accepted, ErrorDetail, Failed, Submitted, SubmittedPart
from parcelsms.pipeline.receipt_ports import ReceiptRecord


async def _account(storage: SqlStorage, name: str, balance: int, home: str = "GB") -> str:
    account = await new_account(storage, name, balance_micros=balance)
    await storage.billing.change_billing_settings(
        account.id, BillingSettingsChange(home_country=home), OPERATOR
    )
    return account.id


def _spec(clock: Clock, region: str, segments: int = 5, **extra: Any) -> PackageSpec:
    return PackageSpec(
        name=f"{region} bundle",
        region=region,  # type: ignore[arg-type]
        segments=segments,
        expires_at=clock() + timedelta(days=extra.pop("days", 30)),
        **extra,
    )


def _ledger_kinds(path: Path, message_id: str) -> list[tuple[str, int, int, int]]:
    with closing(sqlite3.connect(path)) as db:
        return db.execute(
            "SELECT kind, amount_micros, reserved_delta_micros, segments_delta FROM ledger "
            "WHERE message_id = ? ORDER BY id",
            (message_id,),
        ).fetchall()


async def test_a_covering_package_pays_with_segments_and_the_balance_is_untouched(
    storage: SqlStorage, clock: Clock, make_message: Any, database_path: Path
) -> None:
    account_id = await _account(storage, "shop", 1_000_000)
    package = await storage.billing.grant_package(account_id, _spec(clock, "domestic"), OPERATOR)

    (accepted,) = await storage.messages.accept_messages([make_message(account_id, segments=2)])

    assert isinstance(accepted, Accepted)
    assert accepted.price_micros == 0
    account = await storage.accounts.get_account(account_id)
    assert account is not None
    assert (account.balance_micros, account.reserved_micros) == (1_000_000, 0)
    (after,) = await storage.billing.list_packages(account_id)
    assert (after.id, after.remaining_segments) == (package.id, 3)
    assert _ledger_kinds(database_path, accepted.message_id) == [
        ("reserve", 0, 0, 0),
        ("package_use", 0, 0, -2),
    ]


async def test_a_domestic_package_never_pays_for_an_international_message(
    storage: SqlStorage, clock: Clock, make_message: Any
) -> None:
    account_id = await _account(storage, "shop", 1_000_000)
    await storage.billing.grant_package(account_id, _spec(clock, "domestic"), OPERATOR)

    (abroad,) = await storage.messages.accept_messages(
        [make_message(account_id, country="US", to_e164="+12025550100")]
    )

    assert isinstance(abroad, Accepted)
    assert abroad.price_micros == 40_000
    (package,) = await storage.billing.list_packages(account_id)
    assert package.remaining_segments == 5


async def test_a_package_only_account_is_refused_with_the_segments_missing(
    storage: SqlStorage, clock: Clock, make_message: Any
) -> None:
    account_id = await _account(storage, "shop", 1_000_000)
    await storage.billing.change_billing_settings(
        account_id, BillingSettingsChange(package_only=True), OPERATOR
    )
    await storage.billing.grant_package(
        account_id, _spec(clock, "countries", segments=1, countries=("FR",)), OPERATOR
    )

    results = await storage.messages.accept_messages(
        [
            make_message(account_id, country="FR", to_e164="+33612345678", segments=3),
            make_message(account_id, country="DE", to_e164="+4915112345678"),
        ]
    )

    assert [getattr(result, "code", None) for result in results] == [
        "no_package_for_region",
        "no_package_for_region",
    ]
    assert [result.extra["missing_segments"] for result in results] == [2, 1]  # type: ignore[union-attr]
    account = await storage.accounts.get_account(account_id)
    assert account is not None
    assert account.balance_micros == 1_000_000


async def test_a_failed_message_gives_its_segments_back_to_its_package(
    storage: SqlStorage, clock: Clock, make_message: Any, database_path: Path
) -> None:
    account_id = await _account(storage, "shop", 0)
    await storage.billing.grant_package(account_id, _spec(clock, "domestic", segments=2), OPERATOR)
    (accepted,) = await storage.messages.accept_messages([make_message(account_id, segments=2)])
    assert isinstance(accepted, Accepted)
    await storage.messages.claim_for_dispatch("w", 10, clock())

    await storage.messages.record_submissions(
        [Failed(message_id=accepted.message_id, error=ErrorDetail(detail="no route"))]
    )

    (package,) = await storage.billing.list_packages(account_id)
    assert package.remaining_segments == 2
    assert [row[0] for row in _ledger_kinds(database_path, accepted.message_id)] == [
        "reserve",
        "package_use",
        "refund",
        "package_refund",
    ]


async def test_a_rejection_refunds_package_segments_only_under_the_refund_policy(
    open_billing_storage: Any, clock: Clock, make_message: Any
) -> None:
    storage: SqlStorage = await open_billing_storage(refund_on_reject=True)
    account_id = await _account(storage, "shop", 0)
    await storage.billing.grant_package(account_id, _spec(clock, "domestic", segments=1), OPERATOR)
    (accepted,) = await storage.messages.accept_messages([make_message(account_id)])
    assert isinstance(accepted, Accepted)
    await storage.messages.claim_for_dispatch("w", 10, clock())
    part = SubmittedPart(part_no=1, carrier_id_raw="c1")
    await storage.messages.record_submissions(
        [Submitted(message_id=accepted.message_id, channel="alpha", parts=(part,))]
    )

    await storage.receipts.apply_receipts(
        [
            ReceiptRecord(
                channel="alpha",
                carrier_id="c1",
                state=MessageStatus.REJECTED,
                stat="REJECTD",
                err="002",
                raw="",
                received_at=clock(),
                received_at_us=micros(clock()),
                match=receipt_key("c1", Reading.SAME),
            )
        ]
    )

    (package,) = await storage.billing.list_packages(account_id)
    assert package.remaining_segments == 1


async def test_the_low_balance_alert_fires_once_per_crossing_and_rearms_above(
    storage: SqlStorage, make_message: Any, database_path: Path
) -> None:
    account_id = await _account(storage, "shop", 100_000)
    await storage.webhook_endpoints.set_webhook_endpoint(
        account_id, "https://shop.example/hooks", "whsec_x"
    )
    await storage.billing.set_low_balance_threshold(account_id, 50_000, OPERATOR)

    await storage.messages.accept_messages([make_message(account_id)])  # 60 000 left: above
    await storage.messages.accept_messages([make_message(account_id)])  # 20 000: crosses
    await storage.messages.accept_messages(
        [make_message(account_id, price_micros=10_000)]
    )  # still below
    first = await storage.billing.list_notifications(account_id)
    await top_up(storage, account_id, 100_000)  # 110 000: back above, re-armed
    await storage.messages.accept_messages(
        [make_message(account_id, price_micros=70_000)]
    )  # crosses
    second = await storage.billing.list_notifications(account_id)

    assert [item.kind for item in first.items] == ["balance.low"]
    assert first.items[0].data["available"] == "0.02"
    assert "below the alert threshold of 0.05 EUR" in first.items[0].body
    assert [item.data["available"] for item in second.items] == ["0.04", "0.02"]
    with closing(sqlite3.connect(database_path)) as db:
        hooks = db.execute(
            "SELECT id, message_id, url, payload FROM webhook_outbox ORDER BY id"
        ).fetchall()
    assert [(hook[0], hook[1], hook[2]) for hook in hooks] == [
        (second.items[1].id, None, "https://shop.example/hooks"),
        (second.items[0].id, None, "https://shop.example/hooks"),
    ]
    body = json.loads(hooks[0][3])
    assert (body["type"], body["id"], body["data"]["threshold"]) == (
        "balance.low",
        second.items[1].id,
        "0.05",
    )


async def test_the_operator_account_has_no_low_balance_alert(storage: SqlStorage) -> None:
    operator = await storage.accounts.operator_account()

    with pytest.raises(CatalogueError) as caught:
        await storage.billing.set_low_balance_threshold(operator.id, 1, OPERATOR)

    assert caught.value.code == "account_state_conflict"


async def test_the_price_list_is_seeded_once_then_edited_with_an_audit_trail(
    storage: SqlStorage,
) -> None:
    first = await storage.billing.seed_prices(PriceList(50_000, {"ES": 40_000}))
    second = await storage.billing.seed_prices(PriceList(1, {}))
    await storage.billing.set_price("ES", 45_000, OPERATOR)
    await storage.billing.set_price("FR", 30_000, OPERATOR)
    removed = await storage.billing.remove_price("FR", OPERATOR)

    assert (first, second, removed) == (True, False, True)
    assert await storage.billing.read_price_list() == PriceList(50_000, {"ES": 45_000})
    audit = await storage.accounts.list_audit(AuditFilter(actor_key_id="key_billing"))
    assert [(entry.action, entry.target_id) for entry in audit.items] == [
        ("price.remove", "FR"),
        ("price.set", "FR"),
        ("price.set", "ES"),
    ]
    assert (audit.items[2].before, audit.items[2].after) == (
        {"amount": "0.04"},
        {"amount": "0.045"},
    )


async def test_the_ledger_pages_and_filters_by_kind_and_message(
    storage: SqlStorage, clock: Clock, make_message: Any
) -> None:
    account_id = await _account(storage, "shop", 1_000_000)
    results = await storage.messages.accept_messages([make_message(account_id) for _ in range(3)])
    ids = [result.message_id for result in results if isinstance(result, Accepted)]

    first = await storage.billing.list_ledger(account_id, LedgerFilter(), limit=2)
    rest = await storage.billing.list_ledger(account_id, LedgerFilter(), first.next_cursor, limit=2)
    reserves = await storage.billing.list_ledger(account_id, LedgerFilter(kind="reserve"))
    one = await storage.billing.list_ledger(account_id, LedgerFilter(message_id=ids[1]))
    later = await storage.billing.list_ledger(
        account_id, LedgerFilter(since=clock() + timedelta(seconds=1))
    )

    assert [entry.kind for entry in (*first.items, *rest.items)] == [
        "reserve",
        "reserve",
        "reserve",
        "topup",
    ]
    assert rest.next_cursor is None
    assert len(reserves.items) == 3
    assert [entry.message_id for entry in one.items] == [ids[1]]
    assert later.items == ()


async def test_margins_group_submitted_messages_by_country_and_channel(
    storage: SqlStorage, clock: Clock, make_message: Any
) -> None:
    account_id = await _account(storage, "shop", 1_000_000)
    await storage.billing.set_channel_cost("alpha", "*", 15_000, OPERATOR)
    await storage.billing.set_channel_cost("alpha", "GB", 10_000, OPERATOR)
    results = await storage.messages.accept_messages(
        [
            make_message(account_id, segments=2, price_micros=80_000),
            make_message(account_id, country="US", to_e164="+12025550100"),
            make_message(account_id),  # never submitted: not in the report
        ]
    )
    ids = [result.message_id for result in results if isinstance(result, Accepted)]
    await storage.messages.claim_for_dispatch("w", 10, clock())
    await storage.messages.record_submissions(
        [
            Submitted(
                message_id=message_id,
                channel="alpha",
                parts=(SubmittedPart(part_no=1, carrier_id_raw=f"c{n}"),),
            )
            for n, message_id in enumerate(ids[:2])
        ]
    )

    report = await storage.billing.margin_report(
        clock() - timedelta(hours=1), clock() + timedelta(hours=1)
    )

    assert [
        (row.country, row.channel, row.messages, row.segments, row.revenue_micros, row.cost_micros)
        for row in report
    ] == [("GB", "alpha", 1, 2, 80_000, 20_000), ("US", "alpha", 1, 1, 40_000, 15_000)]
    assert report[0].margin_micros == 60_000
