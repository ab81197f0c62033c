"""Account events: what the platform tells a sender about its account, not about a message.

Each event becomes two things, written in one transaction: a webhook (through the outbox,
signed like message webhooks, to the account's endpoint) and an e-mail-ready entry of the
account's notifications list (``GET /v1/notifications``: a subject and a plain-text body a
mailer can send as they are). The webhook body::

    {
      "type": "balance.low",                    # or "account.threshold_warning"
      "id": "evt_01J...",                       # the webhook-id header; also the notification id
      "created_at": "2024-05-01T12:00:03.250Z",
      "data": {...}                             # the event's facts, as below
    }

``balance.low`` data: ``available`` and ``threshold`` (decimal strings) and ``currency``.
``account.threshold_warning`` data: ``limit`` (``daily_messages`` or ``daily_spend``),
``used`` and ``limit_value`` (a count, or a decimal string for spend), ``percent`` (80)
and ``day`` (the UTC day, ``YYYY-MM-DD``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final, Literal

from parcelsms.domain.events import format_timestamp
from parcelsms.domain.money import format_micros

BALANCE_LOW: Final = "balance.low"
THRESHOLD_WARNING: Final = "account.threshold_warning"
AccountEventType = Literal["balance.low", "account.threshold_warning"]
DailyLimitName = Literal["daily_messages", "daily_spend"]


@dataclass(frozen=True, slots=True)
class AccountEvent:
    """One event about ``account_id``: its webhook body and its notification text."""

    event_id: str
    account_id: str
    type: AccountEventType
    at: datetime
    subject: str
    body: str
    data: dict[str, Any]

    def webhook_payload(self) -> dict[str, object]:
        """The JSON-ready webhook body (shape in the module docstring)."""
        return {
            "type": self.type,
            "id": self.event_id,
            "created_at": format_timestamp(self.at),
            "data": {**self.data, "at": format_timestamp(self.at)},
        }


def balance_low(
    event_id: str,
    account_id: str,
    account_name: str,
    *,
    available_micros: int,
    threshold_micros: int,
    currency: str,
    at: datetime,
) -> AccountEvent:
    """The available balance of ``account_id`` fell below its alert threshold."""
    available = format_micros(available_micros)
    threshold = format_micros(threshold_micros)
    return AccountEvent(
        event_id=event_id,
        account_id=account_id,
        type=BALANCE_LOW,
        at=at,
        subject=f"parcelsms: balance below {threshold} {currency}",
        body=(
            f"The available balance of account {account_name} is {available} {currency}, "
            f"below the alert threshold of {threshold} {currency} you set.\n\n"
            "Messages that the balance does not cover are refused with "
            "insufficient_balance. Ask your operator for a top-up.\n\n"
            f"Time (UTC): {format_timestamp(at)}\n"
        ),
        data={
            "account_id": account_id,
            "available": available,
            "threshold": threshold,
            "currency": currency,
        },
    )


def threshold_warning(
    event_id: str,
    account_id: str,
    *,
    limit: DailyLimitName,
    used: int,
    limit_value: int,
    percent: int,
    currency: str,
    day: str,
    at: datetime,
) -> AccountEvent:
    """The account used ``percent`` % of one of its daily limits on UTC ``day``."""
    if limit == "daily_spend":
        used_text, limit_text = format_micros(used), format_micros(limit_value)
        what = f"spent {used_text} {currency} of its daily limit of {limit_text} {currency}"
        used_value: object = used_text
        limit_out: object = limit_text
    else:
        what = f"sent {used} of its daily limit of {limit_value} messages"
        used_value, limit_out = used, limit_value
    return AccountEvent(
        event_id=event_id,
        account_id=account_id,
        type=THRESHOLD_WARNING,
        at=at,
        subject=f"parcelsms: {percent} % of the daily {limit.removeprefix('daily_')} limit used",
        body=(
            f"Your account has {what} today ({day}, UTC).\n\n"
            "At 100 % further messages are refused with daily_limit_reached until midnight "
            "UTC. Ask your operator to raise the limit if this traffic is expected.\n\n"
            f"Time (UTC): {format_timestamp(at)}\n"
        ),
        data={
            "account_id": account_id,
            "limit": limit,
            "used": used_value,
            "limit_value": limit_out,
            "percent": percent,
            "day": day,
        },
    )
