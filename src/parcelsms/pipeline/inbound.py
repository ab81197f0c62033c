"""Receiving replies: classify the keyword, store the reply owned by its account.

The use case behind every SMPP channel's inbound sink. Each reply is stored in one
transaction (:meth:`~parcelsms.pipeline.inbound_ports.InboundStore.store_replies`; the
writer's group commit may share it with other writes): the owner, the suppression-list
change of an opt-out or opt-in keyword and the ``message.inbound`` webhook are written
together, so an opt-out holds even when the sender's webhook never answers. The channel
acknowledges the carrier only after this returned, so a reply the platform could not store
is sent again by the carrier.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta

from parcelsms.domain.numbers import mask_number
from parcelsms.domain.reply_keywords import ReplyKeyword, ReplyKeywords
from parcelsms.pipeline.inbound_ports import InboundReply, InboundStore, ReplyToStore
from parcelsms.pipeline.message_ports import InboundMessage

OnOptOut = Callable[[InboundReply], Awaitable[object]]

_log = logging.getLogger(__name__)


class InboundReplies:
    """Stores replies (see the module docstring); the webhook worker finds their webhooks
    at its next poll."""

    def __init__(
        self,
        store: InboundStore,
        keywords: ReplyKeywords,
        *,
        match_window: timedelta,
        on_opt_out: OnOptOut | None = None,
    ) -> None:
        """``on_opt_out`` is awaited with every stored, owned opt-out (the confirmation)."""
        self._store = store
        self._keywords = keywords
        self._match_window = match_window
        self._on_opt_out = on_opt_out

    async def received(self, message: InboundMessage) -> InboundReply:
        """Store ``message``; returns the stored reply (its owner, message and keyword)."""
        # Part of a keyword is not a keyword: an incomplete reply never opts anyone out.
        keyword = self._keywords.classify(message.text) if message.complete else None
        (reply,) = await self._store.store_replies(
            [ReplyToStore(message=message, keyword=keyword, match_window=self._match_window)]
        )
        _log.info(
            "reply stored",
            extra={
                "inbound_id": reply.id,
                "account_id": reply.account_id,
                "message_id": reply.message_id,
                "from": mask_number(reply.from_number),
                "keyword": reply.keyword,
                "complete": reply.complete,
            },
        )
        if (
            self._on_opt_out is not None
            and reply.account_id is not None
            and reply.keyword is ReplyKeyword.OPT_OUT
        ):
            await self._on_opt_out(reply)
        return reply
