"""Which endpoints receive an event: the one routing rule for status and account events."""

from __future__ import annotations

import typing

import pytest

from parcelsms.api.resources.webhooks.schemas import EventTypeName
from parcelsms.domain.status import FINAL_STATUSES, MessageStatus
from parcelsms.domain.webhook_routing import (
    DEFAULT_EVENT_TYPES,
    EVENT_TYPE_ALIASES,
    EVENT_TYPES,
    Route,
    Subscription,
    canonical_event_type,
    canonical_event_types,
    route_event,
    status_event_types,
)

ALL = Subscription("whe_all", "https://all.example", frozenset({"message.status"}))
FINAL = Subscription("whe_final", "https://final.example", frozenset({"message.final"}))
SUBMITTED = Subscription("whe_sub", "https://sub.example", frozenset({"message.submitted"}))
MONEY = Subscription("whe_money", "https://money.example", frozenset({"balance.low"}))


def routes_for(status: MessageStatus, *subscriptions: Subscription) -> list[str]:
    return [route.url for route in route_event(status_event_types(status), subscriptions)]


@pytest.mark.parametrize("status", sorted(FINAL_STATUSES))
def test_a_final_status_goes_to_final_and_status_subscribers(status: MessageStatus) -> None:
    assert routes_for(status, ALL, FINAL, SUBMITTED, MONEY) == [ALL.url, FINAL.url]


def test_a_submission_goes_to_submitted_and_status_subscribers_only() -> None:
    assert routes_for(MessageStatus.SUBMITTED, ALL, FINAL, SUBMITTED) == [ALL.url, SUBMITTED.url]


@pytest.mark.parametrize("status", [MessageStatus.SCHEDULED, MessageStatus.QUEUED])
def test_a_final_only_subscriber_gets_nothing_before_the_end(status: MessageStatus) -> None:
    assert routes_for(status, FINAL) == []


def test_an_endpoint_subscribed_twice_over_gets_one_webhook_under_the_narrower_type() -> None:
    both = Subscription(
        "whe_both", "https://both.example", frozenset(DEFAULT_EVENT_TYPES) | {"message.final"}
    )
    (route,) = route_event(status_event_types(MessageStatus.DELIVERED), [both])
    assert route == Route("whe_both", "https://both.example", "message.final")


def test_a_messages_callback_url_takes_its_status_events_instead_of_the_endpoints() -> None:
    routes = route_event(
        status_event_types(MessageStatus.DELIVERED), [ALL, FINAL], "https://own.example/x"
    )
    assert routes == [Route(None, "https://own.example/x", "message.status")]


def test_a_messages_callback_url_gets_every_status_change() -> None:
    routes = route_event(
        status_event_types(MessageStatus.SUBMITTED), [FINAL], "https://own.example"
    )
    assert [route.url for route in routes] == ["https://own.example"]


def test_account_events_go_to_their_subscribers_whatever_the_callback() -> None:
    routes = route_event(frozenset({"balance.low"}), [ALL, MONEY], "https://own.example")
    assert routes == [Route("whe_money", MONEY.url, "balance.low")]


def test_a_disabled_endpoint_receives_nothing() -> None:
    disabled = Subscription("whe_off", "https://off.example", frozenset({"message.status"}), False)
    assert routes_for(MessageStatus.DELIVERED, disabled) == []


def test_with_no_endpoint_and_no_callback_nothing_is_sent() -> None:
    assert routes_for(MessageStatus.DELIVERED) == []


def test_the_old_threshold_warning_name_subscribes_to_limit_warnings() -> None:
    assert canonical_event_type("account.threshold_warning") == "limit.warning"
    assert canonical_event_types(["account.threshold_warning", "limit.warning"]) == (
        "limit.warning",
    )


def test_unknown_or_no_event_types_are_refused() -> None:
    with pytest.raises(ValueError, match="unknown"):
        canonical_event_type("message.read")
    with pytest.raises(ValueError, match="at least one"):
        canonical_event_types([])


def test_the_api_accepts_exactly_the_event_types_and_their_aliases() -> None:
    (literal, *_) = typing.get_args(EventTypeName)
    assert set(typing.get_args(literal)) == set(EVENT_TYPES) | set(EVENT_TYPE_ALIASES)
