"""Billing property tests: any interleaving of sends, outcomes, receipts, refunds, top-ups,
package grants and crashes keeps the books exact and never charges a message twice.

A hypothesis state machine drives a real storage (SQLite file). Next to it the test keeps
its own model: what it topped up, granted, and what each accept answered. After every step
the invariants are checked with plain SQL on the file and against the model:

* per account: ``balance == SUM(ledger.amount)``, ``reserved == SUM(ledger.reserved_delta)``;
* the issue's identity, ``balance == top-ups − settled + refunded − reserved``, where
  *settled* counts every charge made (a message refunded later was charged too) and
  *reserved* what is held now — with our ledger a refund cancels its reservation, so this
  is also ``balance + reserved + settled_kept == top-ups``;
* per package: ``remaining == SUM(ledger.segments_delta)`` and what the model expects;
* per message: one ``reserve``, at most one ``settle``/``refund``, one ``package_use`` iff a
  package paid it and one ``package_refund`` iff that message was also refunded;
* available and reserved equal what the model derives from the messages' observable
  statuses (independently of the ledger), and every accept answered what the model
  predicted (who pays, ``insufficient_balance`` with the right ``missing``,
  ``no_package_for_region``, replays without a second charge).
"""

from __future__ import annotations

import asyncio
import atexit
import shutil
import sqlite3
import tempfile
from collections.abc import Coroutine
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import msgspec
from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule
from sender_accounts import new_account, top_up

from parcelsms.adapters.storage.engine.migrate import migrate_blocking
from parcelsms.adapters.storage.sql_storage import SqlStorage, open_storage
from parcelsms.domain.packages import covers
from parcelsms.domain.receipt_correlation import Reading, micros, receipt_key
from parcelsms.domain.status import MessageStatus
from parcelsms.errors import CatalogueError
from parcelsms.pipeline.account_security_ports import Actor
from parcelsms.pipeline.billing_ports import BillingSettingsChange, PackageSpec
from parcelsms.pipeline.message_ports import (
    Accepted,
    DispatchItem,
    ErrorDetail,
    Failed,
    NewMessage,
    Retry,
    SubmissionOutcome,
    Submitted,
    SubmittedPart,
)
from parcelsms.pipeline.receipt_ports import ReceiptRecord
from parcelsms.pipeline.webhook_policy import StatusWebhookPolicy
from parcelsms.pipeline.webhook_ports import WebhookEvent

T = TypeVar("T")
ACTOR = Actor(name="property-test")
START = datetime(2030, 1, 1, 12, tzinfo=UTC)
HOMES = ("GB", "ES")
COUNTRIES = ("GB", "ES", "US")
FINAL = ("delivered", "undelivered", "expired", "rejected", "failed", "canceled")
_TEMPLATE: dict[str, Path] = {}


def _template_database() -> Path:
    """A migrated database file, made once and copied for each example."""
    if "path" not in _TEMPLATE:
        directory = Path(tempfile.mkdtemp(prefix="billing-template-"))
        atexit.register(shutil.rmtree, directory, True)
        path = directory / "template.db"
        migrate_blocking(f"sqlite:///{path}")
        _TEMPLATE["path"] = path
    return _TEMPLATE["path"]


def _payload(event: WebhookEvent) -> str:
    return msgspec.json.encode(event).decode()


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now


@dataclass
class ModelPackage:
    id: str
    account: int
    region: str
    countries: frozenset[str]
    segments: int
    expires_at: datetime


@dataclass
class ModelMessage:
    id: str
    account: int
    country: str
    segments: int
    charged: int  # taken from the balance at accept
    package_id: str | None


class BillingMachine(RuleBasedStateMachine):
    """Random billing traffic against one storage, checked against a model."""

    def __init__(self) -> None:
        super().__init__()
        self.loop = asyncio.new_event_loop()
        self.directory = Path(tempfile.mkdtemp(prefix="billing-property-"))
        self.path = self.directory / "parcelsms.db"
        self.clock = Clock()
        self.storage: SqlStorage | None = None
        self.refund_on_reject = False
        self.accounts: list[str] = []
        self.package_only = [False, False]
        self.topups = [0, 0]
        self.packages: list[ModelPackage] = []
        self.messages: dict[str, ModelMessage] = {}
        self.keys: dict[tuple[int, str], str] = {}
        self.claimed: list[DispatchItem] = []
        self.parts: dict[str, list[str]] = {}  # message id -> its parts' carrier ids
        self.next_carrier = 0
        self.token = "worker-0"

    def run(self, work: Coroutine[Any, Any, T]) -> T:
        return self.loop.run_until_complete(work)

    @property
    def store(self) -> SqlStorage:
        assert self.storage is not None
        return self.storage

    # --- set-up --------------------------------------------------------------------------

    @initialize(refund_on_reject=st.booleans(), second_package_only=st.booleans())
    def open(self, refund_on_reject: bool, second_package_only: bool) -> None:
        shutil.copy(_template_database(), self.path)
        self.refund_on_reject = refund_on_reject
        self.storage = self.run(
            open_storage(
                f"sqlite:///{self.path}",
                webhook_policy=StatusWebhookPolicy(_payload),
                pepper=b"property-pepper",
                refund_on_reject=refund_on_reject,
                clock=self.clock,
            )
        )
        for index, home in enumerate(HOMES):
            account = self.run(new_account(self.store, f"account-{index}", 150_000))
            self.accounts.append(account.id)
            self.topups[index] = 150_000
            change = BillingSettingsChange(
                home_country=home, package_only=second_package_only and index == 1
            )
            self.run(self.store.billing.change_billing_settings(account.id, change, ACTOR))
        self.package_only[1] = second_package_only
        for index in range(2):
            # A package from the start makes package payments and their refunds common.
            self.grant(index, "domestic", set(), 6, 90)
        self.run(
            self.store.webhook_endpoints.set_webhook_endpoint(
                self.accounts[0], "https://h.example", "whsec"
            )
        )
        self.run(self.store.billing.set_low_balance_threshold(self.accounts[0], 60_000, ACTOR))

    def teardown(self) -> None:
        if self.storage is not None:
            self.run(self.storage.close())
        self.loop.close()
        shutil.rmtree(self.directory, ignore_errors=True)

    # --- money and packages in ---------------------------------------------------------

    @rule(account=st.integers(0, 1), amount=st.sampled_from([10_000, 45_000, 200_000]))
    def top_up(self, account: int, amount: int) -> None:
        self.run(top_up(self.store, self.accounts[account], amount, "property"))
        self.topups[account] += amount

    @rule(
        account=st.integers(0, 1),
        region=st.sampled_from(["domestic", "international", "countries"]),
        listed=st.sets(st.sampled_from(COUNTRIES), min_size=1, max_size=2),
        segments=st.integers(1, 6),
        minutes=st.integers(1, 60),
    )
    def grant(
        self, account: int, region: str, listed: set[str], segments: int, minutes: int
    ) -> None:
        countries = tuple(sorted(listed)) if region == "countries" else ()
        spec = PackageSpec(
            name=f"{region} bundle",
            region=region,  # type: ignore[arg-type]
            segments=segments,
            expires_at=self.clock() + timedelta(minutes=minutes),
            countries=countries,
        )
        package = self.run(self.store.billing.grant_package(self.accounts[account], spec, ACTOR))
        stored = frozenset(countries) if countries else frozenset({HOMES[account]})
        self.packages.append(
            ModelPackage(package.id, account, region, stored, segments, spec.expires_at)
        )
        assert set(package.countries) == stored

    @rule(on=st.booleans())
    def switch_package_only(self, on: bool) -> None:
        change = BillingSettingsChange(package_only=on)
        self.run(self.store.billing.change_billing_settings(self.accounts[1], change, ACTOR))
        self.package_only[1] = on

    # --- sending -------------------------------------------------------------------------

    @rule(
        account=st.integers(0, 1),
        items=st.lists(
            st.tuples(
                # Home countries twice as often: domestic packages then pay more messages.
                st.sampled_from((*COUNTRIES, *HOMES)),
                st.integers(1, 3),
                st.sampled_from([0, 10_000, 40_000]),
                st.sampled_from([None, None, "k1", "k2"]),
            ),
            min_size=1,
            max_size=5,
        ),
    )
    def send(self, account: int, items: list[tuple[str, int, int, str | None]]) -> None:
        messages = [
            NewMessage(
                account_id=self.accounts[account],
                to_e164="+447911123456",
                country=country,
                template_id=None,
                language="en",
                body="Your parcel has shipped.",
                encoding="GSM7",
                segments=segments,
                price_micros=unit * segments,
                currency="EUR",
                sender_id=None,
                client_ref=None,
                callback_url=None,
                route_plan=("alpha",),
                valid_until=self.clock() + timedelta(minutes=10),
                idempotency_key=key,
                request_hash=key,
            )
            for country, segments, unit, key in items
        ]
        results = self.run(self.store.messages.accept_messages(messages))
        available = self._expected_available(account)
        remaining = self._expected_remaining()
        seen: dict[str, str] = {}
        for message, result in zip(messages, results, strict=True):
            key = message.idempotency_key
            known = None if key is None else self.keys.get((account, key), seen.get(key))
            if known is not None:
                assert isinstance(result, Accepted), result
                assert result.replayed
                assert result.message_id == known
                continue
            price = message.price_micros
            package = self._paying_package(account, message, remaining) if price else None
            if package is not None:
                assert isinstance(result, Accepted), result
                assert result.price_micros == 0
                remaining[package.id] -= message.segments
                paid_by = package.id
            elif price and self.package_only[account]:
                assert isinstance(result, CatalogueError), result
                assert result.code == "no_package_for_region"
                event("no_package_for_region")
                continue
            elif price > available:
                assert isinstance(result, CatalogueError), result
                assert result.code == "insufficient_balance"
                event("insufficient_balance")
                assert result.extra["missing_micros"] == price - available
                continue
            else:
                assert isinstance(result, Accepted), result
                assert result.price_micros == price
                available -= price
                paid_by = None
            self.messages[result.message_id] = ModelMessage(
                result.message_id,
                account,
                message.country,
                message.segments,
                result.price_micros,
                paid_by,
            )
            if key is not None:
                seen[key] = result.message_id
                self.keys[(account, key)] = result.message_id

    def _paying_package(
        self, account: int, message: NewMessage, remaining: dict[str, int]
    ) -> ModelPackage | None:
        usable = [
            package
            for package in self.packages
            if package.account == account
            and package.expires_at > self.clock()
            and remaining[package.id] >= message.segments
            and covers(package.region, package.countries, message.country)  # type: ignore[arg-type]
        ]
        return min(usable, key=lambda package: (package.expires_at, package.id), default=None)

    # --- the carrier side ----------------------------------------------------------------

    @rule(limit=st.integers(1, 10))
    def claim(self, limit: int) -> None:
        self.claimed += self.run(
            self.store.messages.claim_for_dispatch(self.token, limit, self.clock())
        )

    @rule(data=st.data())
    def report(self, data: st.DataObject) -> None:
        """Claim what is due, then report an outcome for some claimed messages."""
        self.claim(10)
        batch, self.claimed = self.claimed[:8], self.claimed[8:]
        outcomes: list[SubmissionOutcome] = []
        for item in batch:
            kind = data.draw(
                st.sampled_from(["submitted", "submitted", "retry", "failed", "failed"])
            )
            if kind == "submitted":
                parts = []
                for number in range(1, item.segments + 1):
                    carrier_id = f"c{self.next_carrier}"
                    self.next_carrier += 1
                    self.parts.setdefault(item.message_id, []).append(carrier_id)
                    parts.append(SubmittedPart(part_no=number, carrier_id_raw=carrier_id))
                outcomes.append(
                    Submitted(message_id=item.message_id, channel="alpha", parts=tuple(parts))
                )
            elif kind == "retry":
                outcomes.append(
                    Retry(
                        message_id=item.message_id,
                        next_route_index=0,
                        next_attempt_at=self.clock(),
                        error=ErrorDetail(detail="throttled"),
                    )
                )
            else:
                outcomes.append(Failed(message_id=item.message_id, error=ErrorDetail(detail="no")))
        if outcomes:
            self.run(self.store.messages.record_submissions(outcomes))

    @rule(data=st.data())
    def receipts(self, data: st.DataObject) -> None:
        """Receipts for every part of some submitted messages (and a few stray ones)."""
        if not self.parts:
            return
        chosen = data.draw(st.sets(st.sampled_from(sorted(self.parts)), min_size=1, max_size=4))
        states = st.sampled_from(
            [
                MessageStatus.DELIVERED,
                MessageStatus.UNDELIVERED,
                MessageStatus.EXPIRED,
                MessageStatus.REJECTED,
                MessageStatus.REJECTED,
            ]
        )
        carrier_ids = [carrier_id for message_id in chosen for carrier_id in self.parts[message_id]]
        carrier_ids += data.draw(st.lists(st.sampled_from(carrier_ids), max_size=2))  # duplicates
        records = [
            ReceiptRecord(
                channel="alpha",
                carrier_id=carrier_id,
                state=data.draw(states),
                stat="X",
                err="0",
                raw="",
                received_at=self.clock(),
                received_at_us=micros(self.clock()),
                match=receipt_key(carrier_id, Reading.SAME),
            )
            for carrier_id in carrier_ids
        ]
        self.run(self.store.receipts.apply_receipts(records))

    @rule(policy=st.sampled_from(["resend", "assume_submitted"]))
    def crash(self, policy: str) -> None:
        self.token = f"{self.token}+"
        self.claimed = []
        self.run(self.store.messages.recover_claims(self.token, policy))  # type: ignore[arg-type]

    @rule(minutes=st.integers(1, 40))
    def time_passes(self, minutes: int) -> None:
        self.clock.now += timedelta(minutes=minutes)
        self.run(self.store.messages.expire_overdue(self.clock(), timedelta(minutes=2)))

    # --- the model -----------------------------------------------------------------------

    def _statuses(self) -> dict[str, str]:
        with closing(sqlite3.connect(self.path)) as db:
            return dict(db.execute("SELECT id, status FROM messages").fetchall())

    def _refunded(self, status: str) -> bool:
        return status in ("failed", "canceled") or (status == "rejected" and self.refund_on_reject)

    def _held(self, status: str) -> bool:
        if status in ("queued", "scheduled"):
            return True
        return status == "submitted" and self.refund_on_reject

    def _expected_available(self, account: int) -> int:
        statuses = self._statuses()
        charged = sum(m.charged for m in self.messages.values() if m.account == account)
        refunded = sum(
            m.charged
            for m in self.messages.values()
            if m.account == account and self._refunded(statuses[m.id])
        )
        return self.topups[account] - charged + refunded

    def _expected_remaining(self) -> dict[str, int]:
        statuses = self._statuses()
        remaining = {package.id: package.segments for package in self.packages}
        for message in self.messages.values():
            if message.package_id is not None:
                remaining[message.package_id] -= message.segments
                if self._refunded(statuses[message.id]):
                    remaining[message.package_id] += message.segments
        return remaining

    # --- invariants ----------------------------------------------------------------------

    @invariant()
    def books_balance(self) -> None:
        if self.storage is None:
            return
        statuses = self._statuses()
        with closing(sqlite3.connect(self.path)) as db:
            for index, account_id in enumerate(self.accounts):
                balance, reserved = db.execute(
                    "SELECT balance_micros, reserved_micros FROM accounts WHERE id = ?",
                    (account_id,),
                ).fetchone()
                sums = dict(
                    (kind, (amount, delta))
                    for kind, amount, delta in db.execute(
                        "SELECT kind, sum(amount_micros), sum(reserved_delta_micros) "
                        "FROM ledger WHERE account_id = ? GROUP BY kind",
                        (account_id,),
                    )
                )
                amount_total = sum(amount for amount, _ in sums.values())
                reserved_total = sum(delta for _, delta in sums.values())
                assert (balance, reserved) == (amount_total, reserved_total)
                assert balance >= 0
                assert reserved >= 0
                topups = sums.get("topup", (0, 0))[0]
                settled_kept = -sums.get("settle", (0, 0))[1]
                refunded = sums.get("refund", (0, 0))[0]
                charged = settled_kept + refunded  # every charge made, refunded or not
                assert balance == topups - charged + refunded - reserved
                assert topups == self.topups[index]

                mine = [m for m in self.messages.values() if m.account == index]
                held = sum(m.charged for m in mine if self._held(statuses[m.id]))
                assert reserved == held
                assert balance == self._expected_available(index)

            for package in self.packages:
                remaining, ledger_sum = db.execute(
                    "SELECT remaining_segments, (SELECT coalesce(sum(segments_delta), 0) "
                    "FROM ledger WHERE package_id = p.id) FROM packages p WHERE id = ?",
                    (package.id,),
                ).fetchone()
                assert remaining == ledger_sum == self._expected_remaining()[package.id]
                assert remaining >= 0

            rows = db.execute(
                "SELECT m.id, m.package_id, m.price_micros, "
                " sum(l.kind = 'reserve'), sum(l.kind = 'settle'), sum(l.kind = 'refund'), "
                " sum(l.kind = 'package_use'), sum(l.kind = 'package_refund') "
                "FROM messages m JOIN ledger l ON l.message_id = m.id GROUP BY m.id"
            ).fetchall()
        assert len(rows) == len(self.messages)
        for message_id, package_id, price, reserves, settles, refunds, uses, returns in rows:
            model = self.messages[message_id]
            assert package_id == model.package_id
            assert price == model.charged
            assert reserves == 1
            assert settles + refunds <= 1
            assert uses == (package_id is not None)
            assert returns == (package_id is not None and refunds == 1)
            status = statuses[message_id]
            assert refunds == self._refunded(status)
            event(f"message paid by {'package' if package_id else 'balance'}, refunds={refunds}")
            if status in FINAL:
                assert settles + refunds == 1


TestBillingProperties = BillingMachine.TestCase
TestBillingProperties.settings = settings(
    max_examples=50,
    stateful_step_count=50,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
