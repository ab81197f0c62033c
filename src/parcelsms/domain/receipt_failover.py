"""Failover on a failed receipt: whether a message a carrier accepted but did not deliver
goes out again through the next channel of its plan (pure).

A channel's operator lists the receipts worth another channel (``[[channels.receipt_failover]]``):
each :class:`ReceiptRetryRule` names receipt ``stat`` words (``UNDELIV``), optionally
``err`` codes and destination countries (empty: any), and optionally a silence limit
(``no_receipt_after``: on channels whose receipts are reliable, a message with no final
receipt that long after its submission is given up on that channel).

The rule for a message once every part has its final receipt (:func:`receipt_retryable`):
it fails over when some part did not deliver and **every** part that did not deliver has a
receipt a rule of its channel retries for its country. The whole message is then submitted
again — all its parts, delivered ones too: a handset joins the parts of one concatenated
message only when they come through one SMSC with one reference, so parts from two channels
would never make one text.

Where it goes (:func:`next_route_index`): the next channel of the plan, from the message's
current turn, that has not already failed it by receipt — never the same channel. None
left, or the message's validity over: the receipt's outcome is final, as without failover.

Billing stays once per message: the price belongs to the message, not to the attempt
(storage settles or refunds it once). What the abandoned attempt cost the operator is kept
for the margins report.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Final

RECEIPT_FAILURE_STATS: Final[frozenset[str]] = frozenset(
    {"UNDELIV", "EXPIRED", "REJECTD", "DELETED", "UNKNOWN"}
)
"""The receipt ``stat`` words a rule may retry (every final word but ``DELIVRD``)."""

# A part's final status written as the stat word, for receipts that carried only the
# ``message_state`` TLV (no ``stat:`` text).
_STAT_OF_STATUS: Final[Mapping[str, str]] = {
    "undelivered": "UNDELIV",
    "expired": "EXPIRED",
    "rejected": "REJECTD",
}


@dataclass(frozen=True, slots=True)
class ReceiptRetryRule:
    """Which failed receipts of one channel are worth the next channel of the plan.

    ``states``: receipt ``stat`` words (upper case); ``error_codes``: ``err`` values as
    the carrier writes them (empty: any); ``countries``: ISO codes of the destination
    (empty: any). ``no_receipt_after``: give the channel up when no final receipt came this
    long after the submission (``None``: wait for the receipt)."""

    states: frozenset[str] = frozenset({"UNDELIV"})
    error_codes: frozenset[str] = frozenset()
    countries: frozenset[str] = frozenset()
    no_receipt_after: timedelta | None = None

    def covers(self, country: str) -> bool:
        """True when the rule applies to messages to ``country``."""
        return not self.countries or country in self.countries

    def retries(self, stat: str | None, err: str | None) -> bool:
        """True when a receipt with ``stat`` and ``err`` is one this rule retries."""
        if stat is None or stat.upper() not in self.states:
            return False
        return not self.error_codes or (err is not None and err in self.error_codes)


@dataclass(frozen=True, slots=True)
class PartReceipt:
    """One part of a message as its receipt left it: its status and the raw receipt."""

    status: str
    stat: str | None = None
    err: str | None = None

    @property
    def stat_word(self) -> str | None:
        """The receipt's ``stat`` word, or the one the part's status stands for."""
        return self.stat if self.stat is not None else _STAT_OF_STATUS.get(self.status)


@dataclass(frozen=True, slots=True)
class ReceiptFailoverPolicies:
    """The rules of every channel that has some (``by_channel``: name → rules)."""

    by_channel: Mapping[str, tuple[ReceiptRetryRule, ...]] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return any(self.by_channel.values())

    def rules(self, channel: str | None) -> tuple[ReceiptRetryRule, ...]:
        return () if channel is None else self.by_channel.get(channel, ())

    def retries_receipts(self, channel: str | None) -> bool:
        """True when some rule of ``channel`` retries failed receipts."""
        return any(rule.states for rule in self.rules(channel))

    def silence_rules(self) -> list[tuple[str, int, ReceiptRetryRule]]:
        """``(channel, index, rule)`` of every rule with a ``no_receipt_after``."""
        return [
            (channel, index, rule)
            for channel, rules in self.by_channel.items()
            for index, rule in enumerate(rules)
            if rule.no_receipt_after is not None
        ]


def receipt_retryable(
    rules: Sequence[ReceiptRetryRule], country: str, parts: Iterable[PartReceipt]
) -> bool:
    """True when a message whose parts all have final receipts should fail over: some part
    did not deliver and every such part's receipt is retried by a rule for ``country``."""
    applicable = [rule for rule in rules if rule.covers(country) and rule.states]
    failed = [part for part in parts if part.status != "delivered"]
    if not failed or not applicable:
        return False
    return all(
        any(rule.retries(part.stat_word, part.err) for rule in applicable) for part in failed
    )


def silence_limit(rules: Sequence[ReceiptRetryRule], country: str) -> tuple[int, timedelta] | None:
    """The first rule for ``country`` with a ``no_receipt_after``: its index and limit."""
    for index, rule in enumerate(rules):
        if rule.no_receipt_after is not None and rule.covers(country):
            return index, rule.no_receipt_after
    return None


def next_route_index(
    plan: Sequence[str],
    route_index: int,
    failed_channels: Iterable[str],
    *,
    now: datetime,
    valid_until: datetime,
) -> int | None:
    """The route index of the next attempt after a failed receipt on ``plan[route_index]``,
    or ``None`` when the receipt's outcome stays final.

    The next channel of the plan after the current one (wrapping round) that is neither the
    current one nor among ``failed_channels`` (those that already failed this message by
    receipt); ``None`` when there is none or the message's validity has ended.
    """
    if now >= valid_until or not plan:
        return None
    length = len(plan)
    excluded = {plan[route_index % length], *failed_channels}
    for index in range(route_index + 1, route_index + length):
        if plan[index % length] not in excluded:
            return index
    return None
