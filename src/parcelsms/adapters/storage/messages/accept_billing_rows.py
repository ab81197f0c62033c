"""Who pays an accepted message — a package or the balance — and the low-balance alert.

Used by :class:`~.accept.AcceptOperation` inside the accept transaction. :meth:`load` reads
(and, on backends that lock rows, locks) the group's accounts and their usable packages in
two statements; :meth:`AcceptBilling.pay` then decides item by item in memory, in arrival
order, so an item sees the balance and package segments the items before it left.

The rule (see docs/billing.md): a message with a price is paid by the package that covers its
destination and holds enough segments, soonest expiry first
(:func:`~parcelsms.domain.packages.choose_package`); else by the balance. A package-only
account never pays from its balance (``no_package_for_region``). A free message (price 0:
a magic number for an unverified account, an operator code) uses neither.

Low balance: an account with a threshold whose available balance ends a group below it, and
that was not below it when the alert last fired (``low_balance_notified`` false, or the
balance was back at or above the threshold when this group started), gets one
``balance.low`` event. Balances only fall at accept, so a crossing is always seen here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import bindparam, select
from sqlalchemy.engine import Connection

from parcelsms.adapters.storage.billing.notification_rows import write_account_events
from parcelsms.adapters.storage.engine.conditions import in_json_array, json_array
from parcelsms.adapters.storage.engine.driver_queries import SqliteDriverQuery
from parcelsms.adapters.storage.engine.query_results import run_query
from parcelsms.adapters.storage.engine.schema.account_tables import accounts
from parcelsms.adapters.storage.engine.schema.billing_tables import packages
from parcelsms.adapters.storage.engine.schema.column_types import sqlite_datetime
from parcelsms.domain.account_events import AccountEvent, balance_low
from parcelsms.domain.error_catalogue import error
from parcelsms.domain.ids import new_id
from parcelsms.domain.packages import PackageBalance, choose_package, missing_segments
from parcelsms.errors import CatalogueError
from parcelsms.pipeline.message_ports import NewMessage

_ACCOUNT_COLUMNS = (
    accounts.c.id,
    accounts.c.name,
    accounts.c.status,
    accounts.c.currency,
    accounts.c.balance_micros,
    accounts.c.package_only,
    accounts.c.low_balance_threshold_micros,
    accounts.c.low_balance_notified,
    accounts.c.packages_until,
)


class _AccountRow(NamedTuple):
    """An account as :data:`_ACCOUNT_COLUMNS` reads it (from SQLite's cursor)."""

    id: str
    name: str
    status: str
    currency: str
    balance_micros: int
    package_only: bool
    low_balance_threshold_micros: int | None
    low_balance_notified: bool
    packages_until: datetime | None


# On SQLite the accounts of an accept group are read on the driver's cursor, their ids one
# JSON array (driver_queries.py): through Core the read cost about 0.6 ms of every accept
# transaction, under the machine-wide write lock.
_SQLITE_ACCOUNTS = SqliteDriverQuery(
    select(*_ACCOUNT_COLUMNS).where(in_json_array(accounts.c.id, "b_ids"))
)

_PACKAGE_COLUMNS = (
    packages.c.id,
    packages.c.account_id,
    packages.c.region,
    packages.c.countries,
    packages.c.remaining_segments,
    packages.c.expires_at,
)
_NOTIFIED_UPDATE = (
    accounts.update()
    .where(accounts.c.id == bindparam("b_id"))
    .values(low_balance_notified=bindparam("b_notified"))
)


@dataclass(init=False, frozen=True, slots=True)
class Funding:
    """How one message is paid: ``price_micros`` from the balance, or ``package_id``'s segments."""

    price_micros: int
    package_id: str | None = None

    # Written out, not the dataclass's: compiled (parcelsms.compiled_modules).
    def __init__(
        self,
        price_micros: int,
        package_id: str | None = None,
    ) -> None:
        object.__setattr__(self, "price_micros", price_micros)
        object.__setattr__(self, "package_id", package_id)


@dataclass(slots=True)
class _Account:
    id: str
    name: str
    status: str
    currency: str
    starting_balance: int
    balance: int
    package_only: bool
    threshold: int | None
    notified: bool
    packages: list[PackageBalance] = field(default_factory=list)


class AcceptBilling:
    """The funding decisions of one accept group."""

    def __init__(self, rows: Sequence[Any], package_rows: Sequence[Any], now: datetime) -> None:
        self._now = now
        self._accounts = {
            row.id: _Account(
                id=row.id,
                name=row.name,
                status=row.status,
                currency=row.currency,
                starting_balance=row.balance_micros,
                balance=row.balance_micros,
                package_only=bool(row.package_only),
                threshold=row.low_balance_threshold_micros,
                notified=bool(row.low_balance_notified),
            )
            for row in rows
        }
        for row in package_rows:
            account = self._accounts.get(row.account_id)
            if account is not None:
                account.packages.append(
                    PackageBalance(
                        id=row.id,
                        region=row.region,
                        countries=frozenset(row.countries),
                        remaining_segments=row.remaining_segments,
                        expires_at=row.expires_at,
                    )
                )

    @classmethod
    def load(
        cls, connection: Connection, account_ids: Sequence[str], now: datetime
    ) -> AcceptBilling:
        """Read the accounts (locked ``FOR UPDATE``) and their usable packages."""
        ids = sorted(set(account_ids))
        # FOR UPDATE (a no-op on SQLite, whose writer is alone anyway) makes the in-memory
        # balance and segment arithmetic safe against concurrent writers on PostgreSQL.
        rows: Sequence[Any]
        if connection.dialect.name == "sqlite":
            found = _SQLITE_ACCOUNTS.rows(connection, b_ids=json_array(ids))
            rows = [_AccountRow._make((*row[:8], sqlite_datetime(row[8]))) for row in found]
        else:
            rows = run_query(
                connection,
                select(*_ACCOUNT_COLUMNS).where(accounts.c.id.in_(ids)).with_for_update(),
            ).all()
        with_packages = [
            row.id for row in rows if row.packages_until is not None and row.packages_until > now
        ]
        package_rows: Sequence[Any] = ()
        if with_packages:
            package_rows = run_query(
                connection,
                select(*_PACKAGE_COLUMNS).where(
                    packages.c.account_id.in_(with_packages),
                    packages.c.expires_at > now,
                    packages.c.remaining_segments > 0,
                ),
            ).all()
        return cls(rows, package_rows, now)

    def status(self, account_id: str) -> str | None:
        """The account's status, ``None`` when it does not exist."""
        account = self._accounts.get(account_id)
        return None if account is None else account.status

    def pay(self, item: NewMessage) -> Funding | CatalogueError:
        """Decide and book (in memory) how ``item`` is paid, or why it cannot be."""
        account = self._accounts[item.account_id]
        price = item.price_micros
        if price == 0:
            return Funding(0)
        package = choose_package(account.packages, item.country, item.segments, self._now)
        if package is not None:
            index = account.packages.index(package)
            account.packages[index] = PackageBalance(
                id=package.id,
                region=package.region,
                countries=package.countries,
                remaining_segments=package.remaining_segments - item.segments,
                expires_at=package.expires_at,
            )
            return Funding(0, package.id)
        if account.package_only:
            missing = missing_segments(account.packages, item.country, item.segments, self._now)
            return error(
                "no_package_for_region",
                f"No package of this account covers {item.country} with {item.segments} "
                f"segment(s) left ({missing} missing); this account pays only from packages.",
                field=None,
                missing_segments=missing,
                price_micros=price,
                country=item.country,
            )
        if price > account.balance:
            return error(
                "insufficient_balance",
                field=None,
                missing_micros=price - account.balance,
                available_micros=account.balance,
                price_micros=price,
            )
        account.balance -= price
        return Funding(price)

    def finish(self, connection: Connection) -> None:
        """Write the low-balance events of this group and the accounts' alert state."""
        events: list[AccountEvent] = []
        changes: list[dict[str, Any]] = []
        for account in self._accounts.values():
            threshold = account.threshold
            if threshold is None:
                continue
            # Re-armed when the balance was seen back at or above the threshold (a top-up or
            # refund raised it since the last alert).
            armed = not account.notified or account.starting_balance >= threshold
            fell = account.balance < account.starting_balance
            notified = account.notified
            if armed and fell and account.balance < threshold:
                notified = True
                events.append(
                    balance_low(
                        new_id("evt"),
                        account.id,
                        account.name,
                        available_micros=account.balance,
                        threshold_micros=threshold,
                        currency=account.currency,
                        at=self._now,
                    )
                )
            elif account.balance >= threshold:
                notified = False
            if notified != account.notified:
                changes.append({"b_id": account.id, "b_notified": notified})
        write_account_events(connection, events)
        if changes:
            connection.execute(_NOTIFIED_UPDATE, changes)
