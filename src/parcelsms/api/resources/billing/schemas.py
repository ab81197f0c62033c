"""The JSON shapes of billing — ledger, packages, alerts, notifications, limits, prices,
channel costs and the margins report — and how billing records become them.

Request Structs refuse unknown fields; money is a decimal string in the account currency
(signed in the ledger), times are RFC 3339 UTC.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

import msgspec

from parcelsms.api.request_body import RequestBody
from parcelsms.api.value_formats import COUNTRY_CODES, PRINTABLE, Amount, Money, Timestamp
from parcelsms.domain.money import format_micros
from parcelsms.pipeline.account_limits import EffectiveLimits
from parcelsms.pipeline.billing_ports import (
    AccountLimits,
    BillingSettings,
    LedgerEntry,
    Notification,
    Package,
)

SignedMoney = Annotated[
    str, msgspec.Meta(description="A signed decimal amount.", examples=["-0.045"])
]
Country = Annotated[
    str,
    msgspec.Meta(
        min_length=2,
        max_length=2,
        description="ISO 3166 alpha-2 country code.",
        examples=["GB"],
        extra_json_schema={"enum": COUNTRY_CODES},
    ),
]
LedgerKindName = Literal[
    "topup", "reserve", "settle", "refund", "package_grant", "package_use", "package_refund"
]
Region = Literal["domestic", "international", "countries"]
Limit = Annotated[int, msgspec.Meta(ge=0, le=100_000_000, description="0: no limit.")]


# --- the sender's view ----------------------------------------------------------------------------


class LedgerEntryOut(msgspec.Struct, kw_only=True):
    """One movement. ``amount`` moves the available balance, ``reserved`` the held amount,
    ``segments`` a package's segments."""

    id: str
    kind: LedgerKindName
    amount: SignedMoney
    reserved: SignedMoney
    segments: int
    message_id: str | None
    package_id: str | None
    note: str | None
    created_at: datetime


class LedgerList(msgspec.Struct, kw_only=True):
    data: list[LedgerEntryOut]
    next_cursor: str | None


class PackageOut(msgspec.Struct, kw_only=True):
    """A bundle of segments for a region. ``countries``: for ``domestic`` the home country,
    for ``international`` the excluded home country, for ``countries`` the list."""

    id: str
    name: str
    region: Region
    countries: list[str]
    segments: int
    remaining_segments: int
    status: Literal["active", "used_up", "expired"]
    expires_at: datetime
    created_at: datetime
    account_id: str | None = None


class PackageList(msgspec.Struct, kw_only=True):
    data: list[PackageOut]


class BalanceWithPackages(msgspec.Struct, kw_only=True):
    """What the account can spend: ``available`` money, ``reserved`` money held by accepted
    messages, and its packages that are not expired (``package_only``: messages are paid
    only from packages)."""

    currency: str
    available: Money
    reserved: Money
    low_balance_threshold: Money | None
    package_only: bool
    packages: list[PackageOut]


class AlertSettingIn(RequestBody):
    """The low-balance alert: sent once each time the available balance falls below
    ``threshold``; ``null`` turns it off."""

    threshold: Amount | None


class AlertSettingOut(msgspec.Struct, kw_only=True):
    currency: str
    threshold: Money | None


class NotificationOut(msgspec.Struct, kw_only=True):
    """An e-mail-ready notice: ``subject`` and plain-text ``body`` can be mailed as they are;
    ``data`` repeats the facts (as in the webhook of the same ``id``)."""

    id: str
    kind: str
    subject: str
    body: str
    data: dict[str, Any]
    created_at: datetime


class NotificationList(msgspec.Struct, kw_only=True):
    data: list[NotificationOut]
    next_cursor: str | None


class LimitsOut(msgspec.Struct, kw_only=True):
    """The limits in force (``0``: none). Per recipient: messages per hour and per 24 hours
    to one number, and the window in which the same text to the same number is refused.
    Per UTC day: messages and spend."""

    recipient_per_hour: int
    recipient_per_day: int
    duplicate_window_seconds: int
    daily_messages: int
    daily_spend: Money


# --- the operator's view --------------------------------------------------------------------------


class PriceIn(RequestBody):
    amount: Amount


class PriceEntryOut(msgspec.Struct, kw_only=True):
    """A per-segment price; ``country`` ``*`` is the default."""

    country: str
    amount: Money
    updated_at: datetime


class PriceTable(msgspec.Struct, kw_only=True):
    """Per-segment prices in the account currency (stored in the database)."""

    default: Money
    countries: dict[str, Money]
    entries: list[PriceEntryOut]


class ChannelCostIn(RequestBody):
    """What one segment over ``channel`` to ``country`` costs (``*``: the channel's default)."""

    channel: Annotated[str, msgspec.Meta(min_length=1, max_length=100, extra_json_schema=PRINTABLE)]
    amount: Amount
    country: Annotated[
        str,
        msgspec.Meta(
            min_length=1,
            max_length=7,
            description="An ISO 3166 alpha-2 code; `*` or `default`: the channel's default.",
            extra_json_schema={"enum": [*COUNTRY_CODES, "*", "default"]},
        ),
    ] = "*"


class ChannelCostOut(msgspec.Struct, kw_only=True):
    channel: str
    country: str
    amount: Money
    updated_at: datetime


class ChannelCostList(msgspec.Struct, kw_only=True):
    data: list[ChannelCostOut]


class PackageGrantIn(RequestBody):
    """A package for the account: ``segments`` for ``region`` until ``expires_at``."""

    name: Annotated[str, msgspec.Meta(min_length=1, max_length=200, extra_json_schema=PRINTABLE)]
    region: Region
    segments: Annotated[int, msgspec.Meta(ge=1, le=100_000_000)]
    expires_at: Timestamp
    countries: Annotated[list[Country], msgspec.Meta(max_length=250)] | None = None


class BillingSettingsIn(RequestBody):
    """Omitted fields are left as they are; ``home_country: null`` removes the setting
    (the company details' country then applies)."""

    package_only: bool | None = None
    home_country: Country | msgspec.UnsetType | None = msgspec.UNSET


class BillingSettingsOut(msgspec.Struct, kw_only=True):
    account_id: str
    package_only: bool
    home_country: str | None
    home_country_source: Literal["setting", "company"] | None
    low_balance_threshold: Money | None


class LimitsIn(RequestBody):
    """The account's own limits; an omitted or ``null`` field uses the configured default."""

    recipient_per_hour: Limit | None = None
    recipient_per_day: Limit | None = None
    duplicate_window_seconds: Annotated[int, msgspec.Meta(ge=0, le=86_400)] | None = None
    daily_messages: Limit | None = None
    daily_spend: Amount | None = None


class AdminLimitsOut(msgspec.Struct, kw_only=True):
    """The account's own limits (``null``: the default) and the limits in force."""

    account_id: str
    own: dict[str, Any]
    effective: LimitsOut


class MarginRowOut(msgspec.Struct, kw_only=True):
    country: str
    channel: str
    currency: str
    messages: int
    segments: int
    package_segments: int
    revenue: Money
    cost: Money | None
    margin: SignedMoney | None
    failover_segments: int = 0


class MarginReport(msgspec.Struct, kw_only=True):
    """Messages accepted in ``[since, until)`` that reached a carrier. ``revenue``: settled
    prices; ``cost``: segments × the channel's cost (``null`` without one), counting also
    ``failover_segments``: what the channel carried for attempts given up after a failed
    receipt (the message went on through another channel; it is billed once)."""

    since: datetime
    until: datetime
    data: list[MarginRowOut]


# --- representations ------------------------------------------------------------------------------


def ledger_entry_out(entry: LedgerEntry) -> LedgerEntryOut:
    return LedgerEntryOut(
        id=entry.id,
        kind=entry.kind,
        amount=format_micros(entry.amount_micros),
        reserved=format_micros(entry.reserved_delta_micros),
        segments=entry.segments_delta,
        message_id=entry.message_id,
        package_id=entry.package_id,
        note=entry.note,
        created_at=entry.created_at,
    )


def package_out(package: Package, now: datetime, *, with_account: bool = False) -> PackageOut:
    return PackageOut(
        id=package.id,
        name=package.name,
        region=package.region,
        countries=list(package.countries),
        segments=package.segments,
        remaining_segments=package.remaining_segments,
        status=package.status(now),
        expires_at=package.expires_at,
        created_at=package.created_at,
        account_id=package.account_id if with_account else None,
    )


def notification_out(notification: Notification) -> NotificationOut:
    return NotificationOut(
        id=notification.id,
        kind=notification.kind,
        subject=notification.subject,
        body=notification.body,
        data=dict(notification.data),
        created_at=notification.created_at,
    )


def limits_out(limits: EffectiveLimits) -> LimitsOut:
    return LimitsOut(
        recipient_per_hour=limits.recipient_per_hour,
        recipient_per_day=limits.recipient_per_day,
        duplicate_window_seconds=limits.duplicate_window_seconds,
        daily_messages=limits.daily_messages,
        daily_spend=format_micros(limits.daily_spend_micros),
    )


def optional_money(micros: int | None) -> str | None:
    return None if micros is None else format_micros(micros)


def settings_out(settings: BillingSettings) -> BillingSettingsOut:
    return BillingSettingsOut(
        account_id=settings.account_id,
        package_only=settings.package_only,
        home_country=settings.home_country,
        home_country_source=settings.home_country_source,
        low_balance_threshold=optional_money(settings.low_balance_threshold_micros),
    )


def own_limits(limits: AccountLimits) -> dict[str, Any]:
    own: dict[str, Any] = msgspec.structs.asdict(limits)
    spend = own.pop("daily_spend_micros")
    own["daily_spend"] = None if spend is None else format_micros(spend)
    return own
