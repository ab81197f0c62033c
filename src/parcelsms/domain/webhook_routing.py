"""Webhook event types, and the one rule that says which endpoints receive an event.

An account has any number of webhook endpoints, each subscribed to event types:

======================  ===================================================================
``message.submitted``   a message was accepted by a carrier (status ``submitted``)
``message.final``       a message reached a final status (delivered, undelivered, expired,
                        rejected, failed, canceled): one webhook per message
``message.status``      every status change of a message (what a single endpoint received
                        before subscriptions existed; the default)
``message.inbound``     a reply (MO) from a recipient
``balance.low``         the prepaid balance fell under the account's threshold
``limit.warning``       a daily limit reached its warning percentage; sent with the body
                        type ``account.threshold_warning`` (that name subscribes too)
======================  ===================================================================

:func:`route_event` is the rule, used for status changes and account events alike: an
event goes to every enabled endpoint subscribed to one of its types; a message's own
``callback_url`` takes its status events instead of the account's endpoints (as it always
did), and receives every status change. Pure: no I/O, no clock.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Final

from parcelsms.domain.status import FINAL_STATUSES, MessageStatus

MESSAGE_SUBMITTED: Final = "message.submitted"
MESSAGE_FINAL: Final = "message.final"
MESSAGE_STATUS: Final = "message.status"
MESSAGE_INBOUND: Final = "message.inbound"
BALANCE_LOW: Final = "balance.low"
LIMIT_WARNING: Final = "limit.warning"

EVENT_TYPES: Final = (
    MESSAGE_SUBMITTED,
    MESSAGE_FINAL,
    MESSAGE_STATUS,
    MESSAGE_INBOUND,
    BALANCE_LOW,
    LIMIT_WARNING,
)
"""Every event type an endpoint may subscribe to, in documentation order."""

EVENT_TYPE_ALIASES: Final = {"account.threshold_warning": LIMIT_WARNING}
"""Other names accepted for a type: the body type of an event that predates its name."""

DEFAULT_EVENT_TYPES: Final = (MESSAGE_STATUS, MESSAGE_INBOUND, BALANCE_LOW, LIMIT_WARNING)
"""What an endpoint registered without a choice receives: everything one endpoint received
before subscriptions existed, plus replies."""

STATUS_EVENT_TYPES: Final = frozenset({MESSAGE_SUBMITTED, MESSAGE_FINAL, MESSAGE_STATUS})


def canonical_event_type(name: str) -> str:
    """The canonical name of an event type; ValueError for a name that is none."""
    name = EVENT_TYPE_ALIASES.get(name, name)
    if name not in EVENT_TYPES:
        raise ValueError(f"unknown webhook event type {name!r}")
    return name


def canonical_event_types(names: Iterable[str]) -> tuple[str, ...]:
    """Canonical names, deduplicated, in :data:`EVENT_TYPES` order; ValueError when one is
    unknown or none is given."""
    chosen = {canonical_event_type(name) for name in names}
    if not chosen:
        raise ValueError("subscribe to at least one event type")
    return tuple(name for name in EVENT_TYPES if name in chosen)


def status_event_types(status: MessageStatus) -> frozenset[str]:
    """The event types a change to ``status`` is an instance of."""
    if status in FINAL_STATUSES:
        return _FINAL_CHANGE
    if status == MessageStatus.SUBMITTED:
        return _SUBMITTED_CHANGE
    return _OTHER_CHANGE


_FINAL_CHANGE = frozenset({MESSAGE_FINAL, MESSAGE_STATUS})
_SUBMITTED_CHANGE = frozenset({MESSAGE_SUBMITTED, MESSAGE_STATUS})
_OTHER_CHANGE = frozenset({MESSAGE_STATUS})


@dataclass(frozen=True, slots=True)
class Subscription:
    """One endpoint as routing sees it: its id, URL and canonical event types."""

    endpoint_id: str
    url: str
    event_types: frozenset[str]
    enabled: bool = True


@dataclass(frozen=True, slots=True)
class Route:
    """Where one webhook goes: an endpoint, or (``endpoint_id`` None) a message's
    ``callback_url``. ``event_type`` is the type this destination subscribed to (for a
    callback, ``message.status``)."""

    endpoint_id: str | None
    url: str
    event_type: str


def route_event(
    event_types: frozenset[str],
    subscriptions: Sequence[Subscription],
    callback_url: str | None = None,
) -> list[Route]:
    """The destinations of one event of ``event_types`` (see the module docstring).

    An endpoint subscribed to several of the event's types receives it once, under the
    most specific type (``message.final`` or ``message.submitted`` before
    ``message.status``). A status event of a message with a ``callback_url`` goes there
    only.
    """
    if callback_url is not None and MESSAGE_STATUS in event_types:
        return [Route(endpoint_id=None, url=callback_url, event_type=MESSAGE_STATUS)]
    routes = []
    for subscription in subscriptions:
        if not subscription.enabled:
            continue
        matched = event_types & subscription.event_types
        if not matched:
            continue
        routes.append(Route(subscription.endpoint_id, subscription.url, _most_specific(matched)))
    return routes


def _most_specific(matched: frozenset[str]) -> str:
    if len(matched) == 1:
        return next(iter(matched))
    for name in EVENT_TYPES:  # message.submitted and message.final precede message.status
        if name in matched:
            return name
    raise AssertionError("unreachable: matched is a non-empty subset of EVENT_TYPES")
