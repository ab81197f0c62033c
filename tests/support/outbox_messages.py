"""Messages whose status changes put webhooks in the outbox, made through the storage
operations the pipeline uses (accept, claim, submission, expiry)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from parcelsms.pipeline.message_ports import NewMessage, Submitted, SubmittedPart


async def submitted_messages(
    storage: Any,
    account_id: str,
    count: int,
    *,
    callback_url: str | None = None,
    now: datetime | None = None,
) -> list[str]:
    """``count`` messages accepted and submitted (``queued → submitted``): their ids.
    ``now``: the storage's clock (the real time by default)."""
    now = now or datetime.now(UTC)
    accepted = await storage.messages.accept_messages(
        [
            NewMessage(
                account_id=account_id,
                to_e164="+447911123456",
                country="GB",
                template_id=None,
                language="en",
                body="Your parcel has shipped.",
                encoding="GSM7",
                segments=1,
                price_micros=1_000,
                currency="EUR",
                sender_id=None,
                client_ref=None,
                callback_url=callback_url,
                route_plan=("alpha",),
                valid_until=now + timedelta(seconds=1),
            )
            for _ in range(count)
        ]
    )
    ids = [getattr(result, "message_id", "") for result in accepted]
    await storage.messages.claim_for_dispatch("worker", count, now + timedelta(seconds=1))
    outcomes = [
        Submitted(
            message_id=message_id,
            channel="alpha",
            parts=(SubmittedPart(part_no=1, carrier_id_raw=message_id),),
        )
        for message_id in ids
    ]
    assert await storage.messages.record_submissions(outcomes) == [True] * count
    return ids


async def expire_all(storage: Any, now: datetime | None = None) -> int:
    """Every submitted message (valid for a second) becomes ``expired``, a final status."""
    later = (now or datetime.now(UTC)) + timedelta(days=1)
    count: int = await storage.messages.expire_overdue(later, timedelta(0))
    return count
