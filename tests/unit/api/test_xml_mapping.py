"""The JSON ↔ XML mapping, the form reading and the Accept negotiation, without I/O."""

from __future__ import annotations

from typing import Any, Literal

import msgspec
import pytest
from lxml import etree

from parcelsms.api.content_negotiation import Format, negotiate
from parcelsms.api.form_body import form_pairs, pairs_value
from parcelsms.api.xml_mapping import decode_element, encode_document
from parcelsms.api.xml_parsing import parse_xml
from parcelsms.api.xml_schema import xml_schema
from parcelsms.errors import CatalogueError


class Inner(msgspec.Struct, kw_only=True):
    count: int
    ratio: float | None = None


class Sample(msgspec.Struct, kw_only=True):
    name: str
    flag: bool
    kind: Literal["a", "b"]
    inner: Inner | None
    items: list[Inner]
    tags: dict[str, str]
    span: tuple[int, int]
    extra: dict[str, Any] | None = None
    note: str | msgspec.UnsetType = msgspec.UNSET


VALUE: dict[str, Any] = {
    "name": "A & <B>",
    "flag": False,
    "kind": "b",
    "inner": None,
    "items": [{"count": 1, "ratio": 0.5}, {"count": -2, "ratio": None}],
    "tags": {"not an xml name!": "x", "": ""},
    "span": [3, 7],
    "extra": {"nested": {"list": ["one", "two", None]}, "empty": ""},
}


def test_a_value_written_as_xml_reads_back_as_the_same_json_value() -> None:
    document = encode_document(VALUE, Sample)

    read = decode_element(parse_xml(document), Sample)

    assert msgspec.convert(read, Sample) == msgspec.convert(VALUE, Sample)


def test_a_number_in_a_free_form_member_reads_back_as_its_text() -> None:
    # A member typed `any` has no type to read the text as; the text is what XML carries.
    document = encode_document({**VALUE, "extra": {"parts": 2, "ok": True}}, Sample)

    read = decode_element(parse_xml(document), Sample)

    assert isinstance(read, dict)
    assert read["extra"] == {"parts": "2", "ok": "true"}


def test_the_written_xml_validates_against_the_generated_schema() -> None:
    schema = etree.XMLSchema(etree.fromstring(xml_schema([Sample])))

    schema.assertValid(etree.fromstring(encode_document(VALUE, Sample)))


def test_characters_xml_cannot_carry_are_written_as_replacement_characters() -> None:
    document = encode_document({**VALUE, "name": "bell\x07"}, Sample)

    assert "bell\ufffd".encode() in document
    etree.fromstring(document)


def test_text_that_is_not_the_expected_type_is_passed_on_for_decoding_to_name() -> None:
    element = parse_xml(
        b"<Sample><flag>perhaps</flag><items><item><count>x1</count></item></items></Sample>"
    )

    assert decode_element(element, Sample) == {"flag": "perhaps", "items": [{"count": "x1"}]}


def test_an_entry_without_its_key_is_refused_with_its_path() -> None:
    with pytest.raises(CatalogueError) as refused:
        decode_element(parse_xml(b"<Sample><tags><tracking>1</tracking></tags></Sample>"), Sample)

    assert refused.value.code == "invalid_request"
    assert refused.value.field == "tags"


def test_an_attribute_that_is_no_member_is_refused() -> None:
    with pytest.raises(CatalogueError) as refused:
        decode_element(parse_xml(b'<Sample><name lang="en">x</name></Sample>'), Sample)

    assert refused.value.field == "name"


@pytest.mark.parametrize(
    ("accept", "answer"),
    [
        (None, Format.JSON),
        (b"*/*", Format.JSON),
        (b"application/*", Format.JSON),
        (b"text/xml", Format.XML),
        (b"application/xml;q=0.9, application/json;q=0.8", Format.XML),
        (b"application/json;q=0.9, application/xml;q=0.9", Format.JSON),
        (b"text/html", None),
        (b"application/xml;q=0", None),
        (b"application/xml;q=oops", None),
    ],
)
def test_accept_chooses_the_answer_format(accept: bytes | None, answer: Format | None) -> None:
    assert negotiate(accept) is answer


def test_form_pairs_fill_maps_from_bracketed_names_and_read_typed_values() -> None:
    pairs = form_pairs(b"name=A+%26+B&flag=1&tags%5Bfrom%5D=shop&tags%5B%5D=empty&kind=a")

    assert pairs_value(pairs, Sample) == {
        "name": "A & B",
        "flag": True,
        "tags": {"from": "shop", "": "empty"},
        "kind": "a",
    }


def test_a_form_that_is_not_utf8_is_invalid_request() -> None:
    with pytest.raises(CatalogueError) as refused:
        form_pairs(b"name=\xff")

    assert refused.value.code == "invalid_request"
