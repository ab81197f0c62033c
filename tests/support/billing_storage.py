"""Helpers of the billing suite: a clock the test moves, an operator actor, messages."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from parcelsms.pipeline.account_security_ports import Actor
from parcelsms.pipeline.message_ports import NewMessage

START = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)
OPERATOR = Actor(name="billing-suite", key_id="key_billing")


class Clock:
    """A storage clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


def message(account_id: str, **overrides: Any) -> NewMessage:
    """A valid rendered message to GB, one segment at 0.04; override any field."""
    fields: dict[str, Any] = {
        "account_id": account_id,
        "to_e164": "+447911123456",
        "country": "GB",
        "template_id": None,
        "language": "en",
        "body": "Your parcel has shipped.",
        "encoding": "GSM7",
        "segments": 1,
        "price_micros": 40_000,
        "currency": "EUR",
        "sender_id": None,
        "client_ref": None,
        "callback_url": None,
        "route_plan": ("alpha",),
        "valid_until": START + timedelta(days=2),
    }
    fields.update(overrides)
    return NewMessage(**fields)
