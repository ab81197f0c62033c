"""The storage port for prices, packages, the ledger's reads, notifications and limits.

Implemented by the storage's billing room (``storage.billing``, a :class:`BillingAndBalances`).
Records are immutable msgspec Structs; times are UTC; money is integer micro-units.

Ledger kinds (every movement of money or package segments is one row; see docs/billing.md):

=================  ==========  ================  ===============  ==========================
kind               amount      reserved_delta    segments_delta   references
=================  ==========  ================  ===============  ==========================
``topup``          +amount     0                 0                the top-up (its own row)
``reserve``        −price      +price            0                the message
``settle``         0           −price            0                the message
``refund``         +price      −price            0                the message
``package_grant``  0           0                 +segments        the package
``package_use``    0           0                 −segments        the message and package
``package_refund`` 0           0                 +segments        the message and package
=================  ==========  ================  ===============  ==========================

A message paid by a package has price 0 (its ``reserve``/``settle``/``refund`` rows move no
money) plus one ``package_use`` and, when refunded, one ``package_refund``. Hence, per
account: ``balance == SUM(amount)``, ``reserved == SUM(reserved_delta)``, and per package:
``remaining_segments == SUM(segments_delta)``.

Every operator change (prices, costs, packages, settings, limits) takes an ``Actor`` and is
audited in the transaction of the change.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal, Protocol

import msgspec

from parcelsms.domain.account_events import AccountEvent
from parcelsms.domain.packages import PackageRegion
from parcelsms.domain.pricing import PriceList
from parcelsms.pipeline.account_security_ports import Account, Actor

LedgerKind = Literal[
    "topup", "reserve", "settle", "refund", "package_grant", "package_use", "package_refund"
]
LEDGER_KINDS: tuple[LedgerKind, ...] = (
    "topup",
    "reserve",
    "settle",
    "refund",
    "package_grant",
    "package_use",
    "package_refund",
)
DEFAULT_COUNTRY = "*"
"""The ``country`` of the default price (and of a channel's default cost)."""


class PriceEntry(msgspec.Struct, frozen=True, kw_only=True):
    """One row of the price list; ``country`` ``"*"`` is the default."""

    country: str
    price_micros: int
    updated_at: datetime


class ChannelCost(msgspec.Struct, frozen=True, kw_only=True):
    """What one segment over ``channel`` to ``country`` (``"*"``: any other) costs."""

    channel: str
    country: str
    cost_micros: int
    updated_at: datetime


class PackageSpec(msgspec.Struct, frozen=True, kw_only=True):
    """A package to grant. ``countries`` only with region ``countries``."""

    name: str
    region: PackageRegion
    segments: int
    expires_at: datetime
    countries: tuple[str, ...] = ()


class Package(msgspec.Struct, frozen=True, kw_only=True):
    """A granted package. ``countries``: see :mod:`parcelsms.domain.packages`."""

    id: str
    account_id: str
    name: str
    region: PackageRegion
    countries: tuple[str, ...]
    segments: int
    remaining_segments: int
    expires_at: datetime
    created_at: datetime

    def status(self, now: datetime) -> Literal["active", "used_up", "expired"]:
        """``expired`` past ``expires_at``, else ``used_up`` at 0 segments, else ``active``."""
        if self.expires_at <= now:
            return "expired"
        return "used_up" if self.remaining_segments == 0 else "active"


class BillingSettings(msgspec.Struct, frozen=True, kw_only=True):
    """An account's billing settings.

    ``home_country`` is the setting, else the country of the account's company details
    (``home_country_source`` says which; ``None``: unknown).
    """

    account_id: str
    package_only: bool
    home_country: str | None
    home_country_source: Literal["setting", "company"] | None
    low_balance_threshold_micros: int | None


class BillingSettingsChange(msgspec.Struct, frozen=True, kw_only=True):
    """What to change: ``None`` leaves a value alone; ``clear_home_country`` unsets it."""

    package_only: bool | None = None
    home_country: str | None = None
    clear_home_country: bool = False


class AccountLimits(msgspec.Struct, frozen=True, kw_only=True):
    """An account's own limits; ``None`` means the configured default, ``0`` no limit."""

    recipient_per_hour: int | None = None
    recipient_per_day: int | None = None
    duplicate_window_seconds: int | None = None
    daily_messages: int | None = None
    daily_spend_micros: int | None = None


class LedgerEntry(msgspec.Struct, frozen=True, kw_only=True):
    """One ledger row."""

    id: str
    account_id: str
    kind: LedgerKind
    amount_micros: int
    reserved_delta_micros: int
    segments_delta: int
    message_id: str | None
    package_id: str | None
    note: str | None
    created_at: datetime


class LedgerFilter(msgspec.Struct, frozen=True, kw_only=True):
    """``since`` inclusive, ``until`` exclusive (``created_at``)."""

    kind: LedgerKind | None = None
    since: datetime | None = None
    until: datetime | None = None
    message_id: str | None = None


class LedgerPage(msgspec.Struct, frozen=True, kw_only=True):
    """A page of ledger rows; ``next_cursor`` is ``None`` on the last page."""

    items: tuple[LedgerEntry, ...]
    next_cursor: str | None


class Notification(msgspec.Struct, frozen=True, kw_only=True):
    """An e-mail-ready notice to an account."""

    id: str
    account_id: str
    kind: str
    subject: str
    body: str
    data: dict[str, Any]
    created_at: datetime


class NotificationPage(msgspec.Struct, frozen=True, kw_only=True):
    """Newest first; ``next_cursor`` is ``None`` on the last page."""

    items: tuple[Notification, ...]
    next_cursor: str | None


class MarginRow(msgspec.Struct, frozen=True, kw_only=True):
    """Submitted messages of one country, channel and currency in a report's period.

    ``revenue_micros``: settled prices (a refunded rejection earns nothing).
    ``cost_micros``: segments times the channel's cost for the country (else the channel's
    default cost); ``None``, like ``margin_micros``, when the operator set neither.
    ``failover_segments``: segments this channel carried for attempts given up after a
    failed receipt (their messages went on through another channel and are counted there):
    they cost, and earn nothing.
    """

    country: str
    channel: str
    currency: str
    messages: int
    segments: int
    package_segments: int
    revenue_micros: int
    cost_micros: int | None
    margin_micros: int | None
    failover_segments: int = 0


class PriceStore(Protocol):
    """The operator's price list and channel costs."""

    async def seed_prices(self, prices: PriceList) -> bool:
        """Store ``prices`` when the list is empty (the first start); ``True`` if it did."""
        ...

    async def read_price_list(self) -> PriceList | None:
        """The stored list, ``None`` before seeding."""
        ...

    async def list_prices(self) -> list[PriceEntry]:
        """The default first, then countries in order."""
        ...

    async def set_price(self, country: str, micros: int, actor: Actor) -> PriceEntry:
        """Set the per-segment price of ``country`` (``"*"``: the default); audited."""
        ...

    async def remove_price(self, country: str, actor: Actor) -> bool:
        """Drop a country's own price (it pays the default); ``False``: it had none."""
        ...

    async def list_channel_costs(self) -> list[ChannelCost]: ...

    async def set_channel_cost(
        self, channel: str, country: str, micros: int, actor: Actor
    ) -> ChannelCost: ...

    async def remove_channel_cost(self, channel: str, country: str, actor: Actor) -> bool: ...


class PackageStore(Protocol):
    async def grant_package(self, account_id: str, spec: PackageSpec, actor: Actor) -> Package:
        """Grant a package (a ``package_grant`` ledger row); ``not_found`` for an unknown
        account, ``account_state_conflict`` for a domestic package without a home country."""
        ...

    async def list_packages(self, account_id: str) -> list[Package]:
        """Every package of the account, soonest expiry first."""
        ...


class BillingSettingsStore(Protocol):
    async def get_billing_settings(self, account_id: str) -> BillingSettings | None: ...

    async def change_billing_settings(
        self, account_id: str, change: BillingSettingsChange, actor: Actor
    ) -> BillingSettings | None:
        """Operator settings; ``None`` for an unknown account."""
        ...

    async def set_low_balance_threshold(
        self, account_id: str, micros: int | None, actor: Actor
    ) -> BillingSettings | None:
        """Set (``None``: remove) the alert threshold and re-arm the alert. ``None`` for an
        unknown account; ``account_state_conflict`` for the operator's own account."""
        ...

    async def get_account_limits(self, account_id: str) -> AccountLimits: ...

    async def set_account_limits(
        self, account_id: str, limits: AccountLimits, actor: Actor
    ) -> AccountLimits | None:
        """Replace the account's own limits; ``None`` for an unknown account."""
        ...


class BillingQueries(Protocol):
    async def list_ledger(
        self,
        account_id: str,
        filters: LedgerFilter,
        cursor: str | None = None,
        limit: int = 50,
        *,
        oldest_first: bool = False,
    ) -> LedgerPage:
        """Keyset pages by id; an invalid ``cursor`` raises ``invalid_cursor``."""
        ...

    async def list_notifications(
        self, account_id: str, cursor: str | None = None, limit: int = 50
    ) -> NotificationPage: ...

    async def margin_report(self, since: datetime, until: datetime) -> list[MarginRow]:
        """Messages submitted in ``[since, until)``, by country, channel and currency."""
        ...


class AccountEventLog(Protocol):
    """Account events recorded outside a message's transaction."""

    async def record_account_event(self, event: AccountEvent) -> None:
        """Store the notification and its webhook (to the account's endpoint, if any)."""
        ...


class BillingStore(
    PriceStore, PackageStore, BillingSettingsStore, BillingQueries, AccountEventLog, Protocol
):
    """Every billing protocol of this module."""


class BillingAndBalances(BillingStore, Protocol):
    """Billing, and the account whose balance it reports."""

    async def get_account(self, account_id: str) -> Account | None: ...
