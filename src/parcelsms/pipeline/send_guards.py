"""Send guards: checks a message must pass before it is accepted, beyond its own content.

The accept step (``pipeline.accept``) validates what a message IS (number, template,
parameters, length). Guards decide whether this account may send THIS message NOW: account
verification, per-recipient limits, daily thresholds. Each guard is a small object with one
async method; the composition root decides which guards run, in order.

A guard MUST raise :class:`~parcelsms.errors.CatalogueError` (with ``field`` prefixed by
``context.field_prefix``) to refuse, and MUST NOT have side effects on refusal. A guard that
counts (a rate limit) SHOULD count only messages that end up accepted: ``admit`` is called
before storing, ``accepted`` after the commit (with ``charged_micros`` set to the price
actually charged: 0 when a package paid), ``released`` when storing refused the item or it
was an idempotent replay of a message stored before.
"""

from __future__ import annotations

from typing import Protocol

import msgspec

from parcelsms.domain.numbers import Recipient


class GuardContext(msgspec.Struct, frozen=True):
    """What a guard knows about the message being accepted."""

    account_id: str
    recipient: Recipient
    body: str
    segments: int
    price_micros: int  # the list price (0 for a free message)
    field_prefix: str  # "" for a single message, "messages[3]." in a batch
    currency: str = ""
    # What the balance was charged, once stored (0 when a package paid); None before.
    charged_micros: int | None = None


class SendGuard(Protocol):
    async def admit(self, context: GuardContext) -> None:
        """Raise ``CatalogueError`` to refuse the message."""
        ...

    def accepted(self, context: GuardContext) -> None:
        """The message was stored (count it); ``context.charged_micros`` is set."""
        ...

    def released(self, context: GuardContext) -> None:
        """The message was admitted but not stored: refused, or a replay (undo ``admit``)."""
        ...
