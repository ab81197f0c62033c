"""The listing query string: filters, cursor, limit and their errors."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from starlette.datastructures import QueryParams

from parcelsms.api.resources.messages.filters import DEFAULT_LIMIT, parse_message_query
from parcelsms.errors import CatalogueError


def test_no_parameters_lists_everything_with_the_default_page_size() -> None:
    query = parse_message_query(QueryParams(""))

    assert query.limit == DEFAULT_LIMIT == 50
    assert query.cursor is None
    assert query.filters.status is None
    assert query.filters.to_e164 is None


def test_every_filter_is_parsed() -> None:
    query = parse_message_query(
        QueryParams(
            "status=delivered&to=%2B44+7400+123456&client_ref=o-1"
            "&since=2024-05-01T12:00:00Z&until=2024-05-02T00:00:00%2B02:00&limit=200&cursor=abc"
        )
    )

    assert query.filters.status == "delivered"
    assert query.filters.to_e164 == "+447400123456"
    assert query.filters.client_ref == "o-1"
    assert query.filters.since == datetime(2024, 5, 1, 12, tzinfo=UTC)
    assert query.filters.until == datetime(2024, 5, 2, tzinfo=timezone(timedelta(hours=2)))
    assert query.limit == 200
    assert query.cursor == "abc"


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("status=sent", "status"),
        ("limit=0", "limit"),
        ("limit=201", "limit"),
        ("limit=-1", "limit"),
        ("limit=%C2%B2", "limit"),
        ("limit=99999999999999999999", "limit"),
        ("since=2024-05-01", "since"),
        ("until=soon", "until"),
        ("to=12", "to"),
        ("client_ref=" + "x" * 129, "client_ref"),
        ("page=2", "page"),
        ("status=queued&status=failed", "status"),
    ],
)
def test_bad_parameters_are_invalid_filter_naming_the_parameter(query: str, field: str) -> None:
    with pytest.raises(CatalogueError) as caught:
        parse_message_query(QueryParams(query))

    assert caught.value.code == "invalid_filter"
    assert caught.value.status == 400
    assert caught.value.field == field


def test_an_empty_cursor_means_the_first_page() -> None:
    assert parse_message_query(QueryParams("cursor=")).cursor is None
