"""Per-account billing settings (package-only, home country, low-balance threshold) and
limits, with audited changes."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Connection

from parcelsms.adapters.storage.accounts.audit_rows import write_audit
from parcelsms.adapters.storage.billing.package_rows import home_country
from parcelsms.adapters.storage.context import StorageContext
from parcelsms.adapters.storage.engine.schema.account_tables import account_profiles, accounts
from parcelsms.adapters.storage.engine.schema.billing_tables import account_limits
from parcelsms.adapters.storage.messages.daily_usage_rows import restart_day_usage
from parcelsms.domain.error_catalogue import error
from parcelsms.domain.money import format_micros
from parcelsms.errors import CatalogueError
from parcelsms.pipeline.account_security_ports import Actor
from parcelsms.pipeline.billing_ports import (
    AccountLimits,
    BillingSettings,
    BillingSettingsChange,
)

_LIMIT_FIELDS = (
    "recipient_per_hour",
    "recipient_per_day",
    "duplicate_window_seconds",
    "daily_messages",
    "daily_spend_micros",
)


@dataclass(frozen=True, slots=True)
class SettingsChange:
    account_id: str
    change: BillingSettingsChange
    actor: Actor


@dataclass(frozen=True, slots=True)
class ThresholdChange:
    account_id: str
    micros: int | None
    actor: Actor


@dataclass(frozen=True, slots=True)
class LimitsChange:
    account_id: str
    limits: AccountLimits
    actor: Actor


def read_settings(connection: Connection, account_id: str) -> BillingSettings | None:
    row = connection.execute(
        select(accounts.c.package_only, accounts.c.low_balance_threshold_micros).where(
            accounts.c.id == account_id
        )
    ).first()
    home = home_country(connection, account_id)
    if row is None or home is None:
        return None
    country, source = home
    return BillingSettings(
        account_id=account_id,
        package_only=bool(row.package_only),
        home_country=country,
        home_country_source=source,  # type: ignore[arg-type]  # "setting" | "company" | None
        low_balance_threshold_micros=row.low_balance_threshold_micros,
    )


def _settings_snapshot(settings: BillingSettings) -> dict[str, Any]:
    threshold = settings.low_balance_threshold_micros
    return {
        "package_only": settings.package_only,
        "home_country": settings.home_country,
        "low_balance_threshold": None if threshold is None else format_micros(threshold),
    }


def read_limits(connection: Connection, account_id: str) -> AccountLimits:
    row = connection.execute(
        select(account_limits).where(account_limits.c.account_id == account_id)
    ).first()
    if row is None:
        return AccountLimits()
    return AccountLimits(**{name: getattr(row, name) for name in _LIMIT_FIELDS})


class BillingSettingsOperations:
    """Bulk functions for settings and limits (one item at a time inside the group)."""

    def __init__(self, context: StorageContext) -> None:
        self._context = context

    def change(
        self, connection: Connection, items: list[SettingsChange]
    ) -> Sequence[BillingSettings | None]:
        results: list[BillingSettings | None] = []
        for item in items:
            before = read_settings(connection, item.account_id)
            if before is None:
                results.append(None)
                continue
            values: dict[str, Any] = {}
            change = item.change
            if change.package_only is not None:
                values["package_only"] = change.package_only
            if change.clear_home_country:
                values["home_country"] = None
            elif change.home_country is not None:
                values["home_country"] = change.home_country
            if values:
                connection.execute(
                    accounts.update().where(accounts.c.id == item.account_id).values(**values)
                )
            after = read_settings(connection, item.account_id)
            assert after is not None
            write_audit(
                connection,
                item.actor,
                "account.billing_settings",
                at=self._context.clock(),
                target_type="account",
                target_id=item.account_id,
                account_id=item.account_id,
                before=_settings_snapshot(before),
                after=_settings_snapshot(after),
            )
            results.append(after)
        return results

    def threshold(
        self, connection: Connection, items: list[ThresholdChange]
    ) -> Sequence[BillingSettings | CatalogueError | None]:
        results: list[BillingSettings | CatalogueError | None] = []
        for item in items:
            before = read_settings(connection, item.account_id)
            if before is None:
                results.append(None)
                continue
            kind = connection.execute(
                select(account_profiles.c.kind).where(
                    account_profiles.c.account_id == item.account_id
                )
            ).scalar()
            if kind == "operator":
                results.append(
                    error(
                        "account_state_conflict",
                        "The operator's own account has no low-balance alerts.",
                    )
                )
                continue
            # A new threshold re-arms the alert: the next fall below it is announced.
            connection.execute(
                accounts.update()
                .where(accounts.c.id == item.account_id)
                .values(low_balance_threshold_micros=item.micros, low_balance_notified=False)
            )
            after = read_settings(connection, item.account_id)
            assert after is not None
            write_audit(
                connection,
                item.actor,
                "account.low_balance_threshold",
                at=self._context.clock(),
                target_type="account",
                target_id=item.account_id,
                account_id=item.account_id,
                before=_settings_snapshot(before),
                after=_settings_snapshot(after),
            )
            results.append(after)
        return results

    def limits(
        self, connection: Connection, items: list[LimitsChange]
    ) -> Sequence[AccountLimits | None]:
        results: list[AccountLimits | None] = []
        for item in items:
            exists = connection.execute(
                select(accounts.c.id).where(accounts.c.id == item.account_id)
            ).first()
            if exists is None:
                results.append(None)
                continue
            before = read_limits(connection, item.account_id)
            restart_day_usage(connection, item.account_id)
            now = self._context.clock()
            values = {name: getattr(item.limits, name) for name in _LIMIT_FIELDS}
            updated = connection.execute(
                account_limits.update()
                .where(account_limits.c.account_id == item.account_id)
                .values(**values, updated_at=now)
            )
            if updated.rowcount == 0:
                connection.execute(
                    account_limits.insert().values(
                        account_id=item.account_id, **values, updated_at=now
                    )
                )
            write_audit(
                connection,
                item.actor,
                "account.limits",
                at=now,
                target_type="account",
                target_id=item.account_id,
                account_id=item.account_id,
                before={name: getattr(before, name) for name in _LIMIT_FIELDS},
                after=values,
            )
            results.append(item.limits)
        return results
