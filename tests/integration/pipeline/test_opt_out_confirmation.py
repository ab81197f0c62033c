"""A STOP reply is confirmed to the recipient when the account asks for it, or the country
rules require it; the confirmation is free, the account's own, and reaches the suppressed
number. Real SQLite storage, the replies use case as the channels call it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sender_accounts import new_account

from parcelsms.adapters.storage import SqlStorage, open_storage
from parcelsms.domain.country_rules_loading import load_country_rules
from parcelsms.domain.reply_keywords import packaged_reply_keywords
from parcelsms.domain.routing import Route, RouteTable
from parcelsms.pipeline.inbound import InboundReplies
from parcelsms.pipeline.message_ports import InboundMessage, Message, MessageFilter, NewMessage
from parcelsms.pipeline.opt_out_confirmation import STANDARD_TEXT, OptOutConfirmations
from parcelsms.pipeline.webhook_payload import build_webhook_payload
from parcelsms.pipeline.webhook_policy import StatusWebhookPolicy

GB_NUMBER = "+447400123456"
US_NUMBER = "+12025550143"


@pytest.fixture
async def storage(tmp_path: Path) -> AsyncIterator[SqlStorage]:
    opened = await open_storage(
        f"sqlite:///{tmp_path / 'p.db'}",
        webhook_policy=StatusWebhookPolicy(build_webhook_payload),
        pepper=b"test-pepper-0123456789",
    )
    yield opened
    await opened.close()


def _replies(storage: SqlStorage) -> InboundReplies:
    confirmations = OptOutConfirmations(
        storage.content,
        storage.accounts,
        storage.messages,
        routes=RouteTable([Route("*", ("sim",))], known_channels=["sim"]),
        country_rules=load_country_rules(None),
    )
    return InboundReplies(
        storage.inbound,
        packaged_reply_keywords(),
        match_window=timedelta(days=7),
        on_opt_out=confirmations.confirm,
    )


async def _sent_to(storage: SqlStorage, account_id: str, number: str, country: str) -> None:
    message = NewMessage(
        account_id=account_id,
        to_e164=number,
        country=country,
        template_id=None,
        language="en",
        body="Your parcel has shipped.",
        encoding="GSM7",
        segments=1,
        price_micros=40_000,
        currency="EUR",
        sender_id="ACME",
        client_ref=None,
        callback_url=None,
        route_plan=("sim",),
        valid_until=datetime.now(UTC) + timedelta(days=1),
    )
    await storage.messages.accept_messages([message])


def _reply(number: str, text: str) -> InboundMessage:
    return InboundMessage(
        channel="sim", source=number, destination="ACME", text=text, received_at=datetime.now(UTC)
    )


async def _confirmations(storage: SqlStorage, account_id: str, number: str) -> list[Message]:
    page = await storage.message_queries.list_messages(
        account_id, MessageFilter(to_e164=number), None, 50
    )
    return [m for m in page.items if (m.client_ref or "").startswith("opt_out:")]


async def test_the_accounts_confirmation_text_is_sent_free_to_the_opted_out_number(
    storage: SqlStorage,
) -> None:
    account = await new_account(storage, "shop", 10_000_000)
    await storage.content.set_message_settings(
        account.id, opt_out_reply="Acme: you will get no more texts. Reply START to undo."
    )
    await _sent_to(storage, account.id, GB_NUMBER, "GB")

    reply = await _replies(storage).received(_reply(GB_NUMBER, "STOP"))

    [confirmation] = await _confirmations(storage, account.id, GB_NUMBER)
    assert confirmation.body == "Acme: you will get no more texts. Reply START to undo."
    assert confirmation.price_micros == 0
    assert confirmation.sender_id == "ACME"
    assert confirmation.client_ref == f"opt_out:{reply.id}"
    blocked = await storage.recipient_blocks.blocked_recipients(account.id, [GB_NUMBER])
    assert blocked == {GB_NUMBER: "recipient_opted_out"}


async def test_no_confirmation_unless_the_account_or_the_country_asks(
    storage: SqlStorage,
) -> None:
    account = await new_account(storage, "shop", 10_000_000)
    await _sent_to(storage, account.id, GB_NUMBER, "GB")
    await _sent_to(storage, account.id, US_NUMBER, "US")
    replies = _replies(storage)

    await replies.received(_reply(GB_NUMBER, "stop"))
    await replies.received(_reply(US_NUMBER, "STOP"))
    await replies.received(_reply(US_NUMBER, "where is my parcel?"))

    assert await _confirmations(storage, account.id, GB_NUMBER) == []
    [standard] = await _confirmations(storage, account.id, US_NUMBER)
    assert standard.body == STANDARD_TEXT
