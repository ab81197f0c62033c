"""Decoding request bodies: msgspec's errors become catalogued errors with JSON paths."""

from __future__ import annotations

import msgspec
import pytest

from parcelsms.api.request_body import decode_body, invalid_request
from parcelsms.errors import CatalogueError


class Item(msgspec.Struct, forbid_unknown_fields=True):
    to: str
    count: int = 0


class Envelope(msgspec.Struct, forbid_unknown_fields=True):
    items: list[Item]
    tags: dict[str, int] = msgspec.field(default_factory=dict)


decoder = msgspec.json.Decoder(Envelope)


def problem_of(body: bytes, prefix: str = "") -> CatalogueError:
    with pytest.raises(CatalogueError) as caught:
        decode_body(decoder, body, field_prefix=prefix)
    return caught.value


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (b'{"items": [{"to": 1}]}', "items[0].to"),
        (b'{"items": [{"to": "a", "count": "x"}]}', "items[0].count"),
        (b'{"items": [{"to": "a", "colour": "red"}]}', "items[0].colour"),
        (b'{"items": [{"count": 1}]}', "items[0].to"),
        (b'{"items": [], "extra": 1}', "extra"),
        (b"{}", "items"),
        (b'{"items": [], "tags": {"a": "b"}}', "tags"),
        (b'{"items": {}}', "items"),
        (b"[]", None),
    ],
)
def test_schema_problems_are_invalid_request_naming_the_json_path(
    body: bytes, field: str | None
) -> None:
    problem = problem_of(body)

    assert problem.code == "invalid_request"
    assert problem.status == 422
    assert problem.field == field
    assert " - at " not in problem.message


def test_field_prefix_places_an_element_inside_its_document() -> None:
    problem = problem_of(b'{"items": [{"to": 5}]}', prefix="messages[7]")

    assert problem.field == "messages[7].items[0].to"


def test_a_whole_element_of_the_wrong_type_is_named_by_its_prefix() -> None:
    problem = problem_of(b'"text"', prefix="messages[2]")

    assert problem.field == "messages[2]"


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"{",
        b'{"items": [}',
        b'{"items": []} trailing',
        b"\xff\xfe",
        b'{"items": [{"to": "\xff"}]}',
    ],
)
def test_syntax_problems_are_invalid_json(body: bytes) -> None:
    problem = problem_of(body)

    assert problem.code == "invalid_json"
    assert problem.status == 400
    assert problem.field is None


def test_invalid_json_names_the_byte_position() -> None:
    assert "byte 10" in problem_of(b'{"items": x}').message


def test_unknown_field_message_names_the_field() -> None:
    problem = invalid_request("Object contains unknown field `colour` - at `$.items[0]`")

    assert problem.field == "items[0].colour"
    assert "colour" in problem.message
