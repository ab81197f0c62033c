"""A callback URL is accepted only once the account can sign webhooks."""

from __future__ import annotations

from pathlib import Path

import pytest
from sender_accounts import new_account

from parcelsms.adapters.storage import open_storage
from parcelsms.domain.pricing import PriceList
from parcelsms.domain.routing import Route, RouteTable
from parcelsms.errors import CatalogueError
from parcelsms.pipeline.accept import AcceptMessages, AcceptSettings, SendRequest
from parcelsms.pipeline.signing_secrets import SigningSecretLookup
from parcelsms.pipeline.webhook_payload import build_webhook_payload
from parcelsms.pipeline.webhook_policy import StatusWebhookPolicy

PEPPER = b"test-pepper-0123456789"


async def test_callback_url_is_refused_until_a_webhook_endpoint_gives_a_signing_secret(
    tmp_path: Path,
) -> None:
    storage = await open_storage(
        f"sqlite:///{tmp_path / 'p.db'}",
        webhook_policy=StatusWebhookPolicy(build_webhook_payload),
        pepper=PEPPER,
    )
    try:
        account = await new_account(storage, "shop", balance_micros=10_000_000)
        template = await storage.content.create_template(account.id, "hello", "en", "Hello {name}.")
        await storage.content.set_template_review(template.id, approved=True)
        accept = AcceptMessages(
            AcceptSettings(
                prices=PriceList(default_micros=50_000, per_country={}),
                routes=RouteTable([Route("*", ("sim",))], known_channels=["sim"]),
            ),
            storage.messages,
            storage.content,
            has_signing_secret=SigningSecretLookup(storage.webhook_endpoints).exists,
        )
        request = SendRequest(
            to="+34 612 345 678",
            template="hello",
            language="en",
            params={"name": "Ana"},
            callback_url="https://hooks.example.com/sms",
        )
        with pytest.raises(CatalogueError) as refused:
            await accept.send(account.id, "EUR", request)
        assert refused.value.code == "invalid_callback_url"
        assert refused.value.field == "callback_url"
        assert "POST /v1/webhooks" in refused.value.message

        await storage.webhook_endpoints.set_webhook_endpoint(
            account.id, "https://hooks.example.com/all", "whsec_x"
        )
        # A fresh lookup (the refusal above is cached briefly) sees the new endpoint.
        accept_after = AcceptMessages(
            AcceptSettings(
                prices=PriceList(default_micros=50_000, per_country={}),
                routes=RouteTable([Route("*", ("sim",))], known_channels=["sim"]),
            ),
            storage.messages,
            storage.content,
            has_signing_secret=SigningSecretLookup(storage.webhook_endpoints).exists,
        )
        accepted = await accept_after.send(account.id, "EUR", request)
        assert accepted.status == "queued"
    finally:
        await storage.close()
