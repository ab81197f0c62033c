"""The message status machine and the mapping of carrier receipt states onto it.

::

    scheduled ──▶ queued ──▶ submitted ──▶ delivered | undelivered | expired | rejected
                  ▲  ↺          ↺  │
                  └────────────────┘   failover: back to the queue for the next channel
    scheduled, queued ──▶ canceled          scheduled, queued, submitted ──▶ failed

* ``scheduled`` → ``queued`` when its time comes; ``canceled`` by the sender; ``failed``
  when it cannot be queued (e.g. its validity ended before its send time).
* ``queued`` → ``queued``: the dispatcher puts a message back for the next channel of its
  plan, or re-queues it after a crash when the submit outcome is unknown and the policy is
  to resend. ``queued`` → ``submitted`` once a carrier accepted (a segment of) it;
  ``failed`` when no channel of its plan accepted it before its validity ended (it never
  reached a carrier, so it is refunded); ``canceled`` by the sender.
* ``submitted`` → ``submitted``: another segment, or a failover resubmission to the next
  channel, was accepted. ``submitted`` → ``queued``: a retryable failure receipt sends it
  back for the next channel (:mod:`parcelsms.domain.receipt_failover`). ``submitted`` →
  ``failed``: a later segment could not be submitted on any channel. ``submitted`` → a
  carrier outcome from a receipt.
* ``queued`` → ``rejected``: the carrier refused the submit itself with a permanent
  ``command_status`` (an invalid destination, a barred sender): the carrier's verdict, not
  a platform failure; refunded unless the message had reached a carrier before.
* ``queued`` → ``undelivered``: a message sent back to the queue by a failed receipt that
  no further channel accepted before its validity ended: it did reach a carrier, so it
  ends with that carrier's outcome (and is billed as such), not ``failed``.
* Final statuses (:data:`FINAL_STATUSES`) never change; a late or duplicate receipt for a
  final message is recorded in its history but does not change its status. A receipt that
  overtakes its submit response is applied after ``submitted`` is recorded.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum
from typing import Final

from parcelsms.protocol.smpp.receipt import ReceiptState


class MessageStatus(StrEnum):
    """Where a message is in its life; the values are the API's status names."""

    SCHEDULED = "scheduled"
    QUEUED = "queued"
    SUBMITTED = "submitted"
    DELIVERED = "delivered"
    UNDELIVERED = "undelivered"
    EXPIRED = "expired"
    REJECTED = "rejected"
    FAILED = "failed"
    CANCELED = "canceled"


_S = MessageStatus  # the tables below read better short

FINAL_STATUSES: Final[frozenset[MessageStatus]] = frozenset(
    {_S.DELIVERED, _S.UNDELIVERED, _S.EXPIRED, _S.REJECTED, _S.FAILED, _S.CANCELED}
)
CARRIER_OUTCOMES: Final[frozenset[MessageStatus]] = frozenset(
    {_S.DELIVERED, _S.UNDELIVERED, _S.EXPIRED, _S.REJECTED}
)
"""Final statuses reported by a carrier receipt (the message reached a carrier)."""
FAILURE_STATUSES: Final[frozenset[MessageStatus]] = frozenset(
    {_S.UNDELIVERED, _S.EXPIRED, _S.REJECTED, _S.FAILED}
)
"""Final statuses that are a failure the sender is told the reason of."""

# Keyed by the values: a status read from the database (plain text) looks up the same.
_TRANSITIONS: Final[dict[str, frozenset[MessageStatus]]] = {
    _S.SCHEDULED: frozenset({_S.QUEUED, _S.CANCELED, _S.FAILED}),
    _S.QUEUED: frozenset(
        {_S.QUEUED, _S.SUBMITTED, _S.FAILED, _S.CANCELED, _S.UNDELIVERED, _S.REJECTED}
    ),
    _S.SUBMITTED: frozenset({_S.SUBMITTED, _S.QUEUED, _S.FAILED} | CARRIER_OUTCOMES),
}


def can_transition(current: MessageStatus | str, new: MessageStatus | str) -> bool:
    """True when a message in ``current`` may move to ``new`` (see the module docstring).

    Either may be given as its value (``"queued"``), as read from storage."""
    return new in _TRANSITIONS.get(current, frozenset())


# The "worst" carrier outcome wins for a multi-segment message: the most definitive and
# most actionable for the sender first. ``rejected`` is a carrier's refusal (content,
# sender id, destination barred) that a retry will not fix; ``undelivered`` is a definite
# failure at the network or handset; ``expired`` means the network kept trying until the
# validity ran out, the mildest (often transient) failure.
_OUTCOME_PRECEDENCE: Final = (_S.REJECTED, _S.UNDELIVERED, _S.EXPIRED)


def combine_part_statuses(parts: Iterable[MessageStatus]) -> MessageStatus | None:
    """The status of a multi-segment message from the statuses of its segments.

    * ``None`` while any segment is not final;
    * ``delivered`` only when every segment is delivered;
    * when no segment reached a carrier (each ``failed`` or ``canceled``): ``failed`` if
      any failed, else ``canceled``;
    * otherwise the worst carrier outcome, ``rejected`` > ``undelivered`` > ``expired``,
      where a ``failed``/``canceled`` segment beside segments that reached a carrier counts
      as ``undelivered`` (that part of the text never arrived).

    Raises ``ValueError`` for no segments: every message has at least one.
    """
    statuses = set(parts)
    if not statuses:
        raise ValueError("a message has at least one segment")
    if not statuses <= FINAL_STATUSES:
        return None
    if statuses == {_S.DELIVERED}:
        return _S.DELIVERED
    reached = statuses & CARRIER_OUTCOMES
    if not reached:
        return _S.FAILED if _S.FAILED in statuses else _S.CANCELED
    if statuses - CARRIER_OUTCOMES:
        reached.add(_S.UNDELIVERED)
    return next(status for status in _OUTCOME_PRECEDENCE if status in reached)


# What each receipt state (parsed at the protocol edge from the ``message_state`` TLV or the
# receipt text's ``stat:``) means for the message. ``None``: an intermediate state, a final
# receipt follows.
_RECEIPT_STATES: Final[dict[ReceiptState, MessageStatus | None]] = {
    ReceiptState.DELIVERED: _S.DELIVERED,
    ReceiptState.UNDELIVERABLE: _S.UNDELIVERED,
    ReceiptState.EXPIRED: _S.EXPIRED,
    ReceiptState.REJECTED: _S.REJECTED,
    # Deleted at the carrier before delivery (by an operator or a cancel): it never
    # reached the handset.
    ReceiptState.DELETED: _S.UNDELIVERED,
    # The carrier ends the message without knowing its fate (or with a state the parser
    # does not know): we cannot claim delivery, and receipts are final by convention.
    ReceiptState.UNKNOWN: _S.UNDELIVERED,
    ReceiptState.ACCEPTED: None,
    ReceiptState.ENROUTE: None,
}


def status_for_receipt_state(state: ReceiptState) -> MessageStatus | None:
    """The final message status a receipt state means, or ``None`` for an intermediate one.

    ``DELETED`` and ``UNKNOWN`` are ``undelivered`` (the carrier gave up without delivering
    or without knowing). Callers keep the raw ``stat`` in the part either way.
    """
    return _RECEIPT_STATES[state]
