"""Wiring of replies and recipient blocks: the channels' inbound sink and the accept step's
suppression and blacklist check."""

from __future__ import annotations

from parcelsms.adapters.channels.smpp_channel import InboundSink
from parcelsms.adapters.storage import SqlStorage
from parcelsms.config import Settings
from parcelsms.domain.country_rules import CountryRules
from parcelsms.domain.reply_keywords import packaged_reply_keywords
from parcelsms.pipeline.inbound import InboundReplies
from parcelsms.pipeline.message_ports import InboundMessage
from parcelsms.pipeline.opt_out_confirmation import OptOutConfirmations
from parcelsms.pipeline.route_book import RouteSource


def inbound_sink(
    settings: Settings, storage: SqlStorage, routes: RouteSource, country_rules: CountryRules
) -> InboundSink:
    """What every channel hands its replies to: the replies use case on ``storage``, which
    confirms opt-outs where the account or the country asks for it. (The dispatcher finds
    a confirmation at its next poll.)"""
    confirmations = OptOutConfirmations(
        storage.content,
        storage.accounts,
        storage.messages,
        routes=settings.route_table(),
        route_source=routes,
        country_rules=country_rules,
    )
    replies = InboundReplies(
        storage.inbound,
        packaged_reply_keywords(),
        match_window=settings.inbound.match_window,
        on_opt_out=confirmations.confirm,
    )

    async def received(message: InboundMessage) -> None:
        await replies.received(message)

    return received
