"""The billing port on SQL: prices, costs, packages, settings, limits, the ledger's reads,
notifications and the reads that seed the limit counters.

Writes are row operations (``*_rows`` modules of this package) handed to the storage's
batching writer, each audited in its transaction; reads run on its reader pool.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.engine import Connection

from parcelsms.adapters.storage.accounts import account_rows
from parcelsms.adapters.storage.billing import billing_query_rows as billing_queries
from parcelsms.adapters.storage.billing import billing_settings_rows as settings_rows
from parcelsms.adapters.storage.billing import notification_rows, package_rows, price_rows
from parcelsms.adapters.storage.engine.runner import SqlRunner, raised
from parcelsms.domain.account_events import AccountEvent
from parcelsms.domain.error_catalogue import error
from parcelsms.domain.pricing import PriceList
from parcelsms.pipeline.account_security_ports import Account, Actor
from parcelsms.pipeline.billing_ports import (
    AccountLimits,
    BillingSettings,
    BillingSettingsChange,
    ChannelCost,
    LedgerFilter,
    LedgerPage,
    MarginRow,
    NotificationPage,
    Package,
    PackageSpec,
    PriceEntry,
)


class SqlBillingStore:
    """Implements ``BillingStore`` of :mod:`parcelsms.pipeline.billing_ports`, and reads the
    account whose balance it reports."""

    def __init__(self, runner: SqlRunner) -> None:
        self._runner = runner
        self._writer = runner.writer
        self._prices = price_rows.PriceOperations(runner.context)
        self._packages = package_rows.PackageOperations(runner.context)
        self._billing_settings = settings_rows.BillingSettingsOperations(runner.context)

    async def get_account(self, account_id: str) -> Account | None:
        """The account whose balance billing reads answer with."""
        return await self._runner.read(account_rows.read_account, account_id)

    # --- prices and costs ----------------------------------------------------------

    async def seed_prices(self, prices: PriceList) -> bool:
        return await self._writer.run(self._prices.seed, prices)

    async def read_price_list(self) -> PriceList | None:
        return await self._runner.read(price_rows.read_price_list)

    async def list_prices(self) -> list[PriceEntry]:
        return await self._runner.read(price_rows.read_prices)

    async def set_price(self, country: str, micros: int, actor: Actor) -> PriceEntry:
        if micros < 0:
            raise ValueError("a price cannot be negative")
        item = price_rows.PriceChange(country, micros, actor)
        result = await self._writer.run(self._prices.set_price, item)
        assert isinstance(result, PriceEntry)
        return result

    async def remove_price(self, country: str, actor: Actor) -> bool:
        if country == "*":
            raise ValueError("the default price cannot be removed")
        item = price_rows.PriceChange(country, None, actor)
        return bool(await self._writer.run(self._prices.set_price, item))

    async def list_channel_costs(self) -> list[ChannelCost]:
        return await self._runner.read(price_rows.read_channel_costs)

    async def set_channel_cost(
        self, channel: str, country: str, micros: int, actor: Actor
    ) -> ChannelCost:
        if micros < 0:
            raise ValueError("a cost cannot be negative")
        item = price_rows.CostChange(channel, country, micros, actor)
        result = await self._writer.run(self._prices.set_cost, item)
        assert isinstance(result, ChannelCost)
        return result

    async def remove_channel_cost(self, channel: str, country: str, actor: Actor) -> bool:
        item = price_rows.CostChange(channel, country, None, actor)
        return bool(await self._writer.run(self._prices.set_cost, item))

    # --- packages ------------------------------------------------------------------

    async def grant_package(self, account_id: str, spec: PackageSpec, actor: Actor) -> Package:
        item = package_rows.PackageGrant(account_id, spec, actor)
        return raised(await self._writer.run(self._packages.grant, item))

    async def list_packages(self, account_id: str) -> list[Package]:
        return await self._runner.read(package_rows.read_packages, account_id)

    # --- settings and limits -------------------------------------------------------

    async def get_billing_settings(self, account_id: str) -> BillingSettings | None:
        return await self._runner.read(settings_rows.read_settings, account_id)

    async def change_billing_settings(
        self, account_id: str, change: BillingSettingsChange, actor: Actor
    ) -> BillingSettings | None:
        item = settings_rows.SettingsChange(account_id, change, actor)
        return await self._writer.run(self._billing_settings.change, item)

    async def set_low_balance_threshold(
        self, account_id: str, micros: int | None, actor: Actor
    ) -> BillingSettings | None:
        if micros is not None and micros < 0:
            raise ValueError("a threshold cannot be negative")
        item = settings_rows.ThresholdChange(account_id, micros, actor)
        return raised(await self._writer.run(self._billing_settings.threshold, item))

    async def get_account_limits(self, account_id: str) -> AccountLimits:
        return await self._runner.read(settings_rows.read_limits, account_id)

    async def set_account_limits(
        self, account_id: str, limits: AccountLimits, actor: Actor
    ) -> AccountLimits | None:
        item = settings_rows.LimitsChange(account_id, limits, actor)
        return await self._writer.run(self._billing_settings.limits, item)

    # --- reads ---------------------------------------------------------------------

    async def list_ledger(
        self,
        account_id: str,
        filters: LedgerFilter,
        cursor: str | None = None,
        limit: int = 50,
        *,
        oldest_first: bool = False,
    ) -> LedgerPage:
        return await self._runner.read(
            billing_queries.read_ledger_page, account_id, filters, cursor, limit, oldest_first
        )

    async def list_notifications(
        self, account_id: str, cursor: str | None = None, limit: int = 50
    ) -> NotificationPage:
        return await self._runner.read(
            notification_rows.read_notification_page, account_id, cursor, limit
        )

    async def margin_report(self, since: datetime, until: datetime) -> list[MarginRow]:
        if until <= since:
            raise error("invalid_filter", "until must be after since.", field="until")
        return await self._runner.read(billing_queries.read_margin_report, since, until)

    # --- account events ------------------------------------------------------------

    async def record_account_event(self, event: AccountEvent) -> None:
        await self._writer.run(_write_events, event)


def _write_events(connection: Connection, items: list[AccountEvent]) -> Sequence[None]:
    notification_rows.write_account_events(connection, items)
    return [None] * len(items)


__all__ = ["SqlBillingStore"]
