"""Confirming an opt-out to the recipient: one message saying the STOP took effect.

Sent when the owning account set a confirmation text (``opt_out_reply`` of its message
settings) or, with a standard text, when the recipient's country rules require one
(``opt_out_confirmation``). The confirmation is the one message that goes to a number on the
suppression list: it is stored directly (not through the accept step's checks), owned by the
account, free of charge, from the address the recipient wrote to when that can be a sender
ID, with ``client_ref`` ``opt_out:<reply id>``. A confirmation that cannot be sent (no route
to the country, an account gone) is logged and skipped: the opt-out itself holds regardless.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Final

from parcelsms.domain.country_rules import CountryRules
from parcelsms.domain.numbers import mask_number, parse_recipient
from parcelsms.domain.route_plans import route
from parcelsms.domain.routing import MessageFacts, RouteTable
from parcelsms.domain.sender_selection import canonical_sender_id
from parcelsms.errors import CatalogueError
from parcelsms.pipeline.account_security_ports import AccountStore
from parcelsms.pipeline.content_ports import MessageSettingsStore
from parcelsms.pipeline.inbound_ports import InboundReply
from parcelsms.pipeline.message_ports import MessageStore, NewMessage
from parcelsms.pipeline.route_book import FixedRoutes, RouteSource
from parcelsms.protocol.text.segments import Encoding, count_segments

_log = logging.getLogger(__name__)

STANDARD_TEXT: Final = (
    "You have been unsubscribed and will receive no more messages from this sender. "
    "Reply START to subscribe again."
)
_VALIDITY: Final = timedelta(hours=24)


class OptOutConfirmations:
    """Sends the confirmation of an opt-out reply (see the module docstring)."""

    def __init__(
        self,
        settings: MessageSettingsStore,
        accounts: AccountStore,
        messages: MessageStore,
        *,
        routes: RouteTable,
        route_source: RouteSource | None = None,
        country_rules: CountryRules,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self._settings = settings
        self._accounts = accounts
        self._messages = messages
        self._routes = route_source or FixedRoutes(routes)
        self._rules = country_rules
        self._clock = clock or (lambda: datetime.now(UTC))

    async def confirm(self, reply: InboundReply) -> str | None:
        """Queue the confirmation of ``reply`` (an owned opt-out); its message id, or
        ``None`` when none is due or it cannot be sent."""
        if reply.account_id is None:
            return None
        try:
            recipient = parse_recipient(reply.from_number)
            table, conditions = await self._routes.current()
            plan = route(
                MessageFacts(
                    recipient.country, recipient.e164, reply.account_id, key=recipient.e164
                ),
                table,
                conditions,
            )
        except CatalogueError as problem:
            _log.warning(
                "opt-out confirmation not sent",
                extra={"inbound_id": reply.id, "reason": problem.code},
            )
            return None
        settings = await self._settings.get_message_settings(reply.account_id)
        text = settings.opt_out_reply
        if text is None and self._rules.rule_for(recipient.country).opt_out_confirmation:
            text = STANDARD_TEXT
        account = await self._accounts.get_account(reply.account_id)
        if text is None or account is None:
            return None
        info = count_segments(text)
        message = NewMessage(
            account_id=reply.account_id,
            to_e164=recipient.e164,
            country=recipient.country,
            template_id=None,
            language=None,
            body=text,
            encoding="GSM7" if info.encoding is Encoding.GSM7 else "UCS2",
            segments=info.segment_count,
            price_micros=0,
            currency=account.currency,
            sender_id=_sender(reply.to),
            client_ref=f"opt_out:{reply.id}",
            callback_url=None,
            route_plan=plan,
            valid_until=self._clock() + _VALIDITY,
        )
        (result,) = await self._messages.accept_messages([message])
        if isinstance(result, CatalogueError):
            _log.warning(
                "opt-out confirmation not stored",
                extra={"inbound_id": reply.id, "reason": result.code},
            )
            return None
        _log.info(
            "opt-out confirmed",
            extra={"message_id": result.message_id, "to": mask_number(recipient.e164)},
        )
        return result.message_id


def _sender(address: str) -> str | None:
    """The address the recipient wrote to, when it can be a sender ID; else the route's."""
    try:
        return canonical_sender_id(address, field="to")
    except CatalogueError:
        return None
