"""Two API processes, each with its own storage writer on one database: the per-recipient
rule holds (the accept transaction decides it), and its refusal names the batch item's field
as the caller sent it."""

from __future__ import annotations

from pathlib import Path

from sender_accounts import new_account

from parcelsms.adapters.storage import open_storage
from parcelsms.adapters.storage.sql_storage import SqlStorage
from parcelsms.domain.pricing import PriceList
from parcelsms.domain.routing import Route, RouteTable
from parcelsms.errors import CatalogueError
from parcelsms.pipeline.accept import AcceptMessages, AcceptSettings, SendRequest
from parcelsms.pipeline.account_limits import AccountLimitsCache, EffectiveLimits
from parcelsms.pipeline.recipient_limits import RecipientRules
from parcelsms.pipeline.webhook_payload import build_webhook_payload
from parcelsms.pipeline.webhook_policy import StatusWebhookPolicy

PEPPER = b"test-pepper-0123456789"
LIMITS = EffectiveLimits(
    recipient_per_hour=0,
    recipient_per_day=0,
    duplicate_window_seconds=30,
    daily_messages=0,
    daily_spend_micros=0,
)


def api_process(storage: SqlStorage) -> AcceptMessages:
    """The accept step as one API process builds it, on its own storage."""
    rules = RecipientRules(AccountLimitsCache(storage.billing, LIMITS))
    return AcceptMessages(
        AcceptSettings(
            prices=PriceList(default_micros=50_000, per_country={}),
            routes=RouteTable([Route("*", ("sim",))], known_channels=["sim"]),
        ),
        storage.messages,
        storage.content,
        recipient_rules=rules.rule_for,
    )


async def test_a_duplicate_sent_through_another_process_is_refused_on_its_batch_item(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'p.db'}"
    policy = StatusWebhookPolicy(build_webhook_payload)
    first = await open_storage(url, webhook_policy=policy, pepper=PEPPER)
    second = await open_storage(url, webhook_policy=policy, pepper=PEPPER)
    try:
        account = await new_account(first, "shop", balance_micros=10_000_000)
        template = await first.content.create_template(account.id, "hello", "en", "Hello {name}.")
        await first.content.set_template_review(template.id, approved=True)
        ana = SendRequest(
            to="+34 612 345 678", template="hello", language="en", params={"name": "Ana"}
        )
        bob = SendRequest(
            to="+34 612 345 679", template="hello", language="en", params={"name": "Bob"}
        )

        await api_process(first).send(account.id, "EUR", ana)
        results = await api_process(second).send_batch(account.id, "EUR", [bob, ana])

        assert results[0].status == "queued"  # type: ignore[union-attr]
        refused = results[1]
        assert isinstance(refused, CatalogueError)
        assert refused.code == "rate_limited"
        assert refused.field == "messages[1].to"
    finally:
        await second.close()
        await first.close()
