"""Placeholder syntax, declared and used variables, and the share of fixed text."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from parcelsms.domain.content.body_map import map_body
from parcelsms.domain.content.variables import VariableSpec
from parcelsms.domain.content_checks import Finding, Span, check_template
from parcelsms.domain.templates import parse_template
from parcelsms.errors import CatalogueError


def findings(
    body: str, declared: dict[str, VariableSpec] | None = None, language: str = "en"
) -> list[Finding]:
    return check_template(
        body, language, declared_variables=declared, allowed_link_domains=["example.com"]
    )


def of_code(
    body: str, code: str, declared: dict[str, VariableSpec] | None = None
) -> list[tuple[str, Span | None, str]]:
    return [(f.severity, f.span, f.field) for f in findings(body, declared) if f.code == code]


@pytest.mark.parametrize(
    ("body", "span"),
    [
        ("Parcel {Tracking} shipped", (7, 17)),
        ("Parcel {tracking number} shipped", (7, 24)),
        ("Parcel {} shipped", (7, 9)),
        ("Parcel {tracking shipped", (7, 8)),
        ("Parcel } shipped", (7, 8)),
        ("Parcel {{literal}} and {a {b}", (23, 24)),
        ("Paquete {número} enviado", (8, 16)),
    ],
)
def test_a_syntax_error_is_one_finding_pointing_at_the_bad_brace(
    body: str, span: tuple[int, int]
) -> None:
    with pytest.raises(CatalogueError) as raised:
        parse_template(body)
    position = int(re.search(r"at character (\d+)", raised.value.message).group(1))  # type: ignore[union-attr]
    assert span[0] == position - 1  # the same place parse_template names
    result = findings(body)
    assert [(f.code, f.severity, f.span, f.field) for f in result] == [
        ("placeholder_syntax", "error", span, "body")
    ]
    assert result[0].message == raised.value.message


def test_an_empty_body_is_a_syntax_error_without_a_span() -> None:
    assert [(f.code, f.span) for f in findings("")] == [("placeholder_syntax", None)]


def test_phrase_and_link_checks_still_run_on_a_broken_body() -> None:
    body = "FREE gift {Name}: bit.ly/x"
    assert [(f.code, f.severity, f.span) for f in findings(body)] == [
        ("marketing_phrase", "error", (0, 4)),
        ("placeholder_syntax", "error", (10, 16)),
        ("url_shortener", "error", (18, 26)),
        ("marketing_phrase", "warning", (5, 9)),
    ]


placeholder_bodies = st.lists(
    st.sampled_from(["Hi ", "{a}", "{{", "}}", "{b_2}", "x", "{", "}", "{A}", "é"]), max_size=12
).map("".join)


@given(body=placeholder_bodies)
def test_the_body_map_agrees_with_parse_template(body: str) -> None:
    body_map = map_body(body)
    try:
        parsed = parse_template(body)
    except CatalogueError as problem:
        found = re.search(r"at character (\d+)", problem.message)
        if found:
            assert body_map.problem is not None
            assert body_map.problem[0] == int(found.group(1)) - 1
        return
    assert body_map.problem is None
    assert tuple(p.name for p in body_map.placeholders) == parsed.slots
    assert all(body[p.start : p.end] == "{" + p.name + "}" for p in body_map.placeholders)


def test_an_undeclared_placeholder_is_an_error_at_its_first_occurrence() -> None:
    body = "Parcel {tracking_number} arrives {eta}; {eta} at the latest."
    declared = {"tracking_number": VariableSpec("tracking_number", "tracking_number", 20)}
    assert of_code(body, "undeclared_variable", declared) == [("error", (33, 38), "body")]


def test_a_declared_unused_variable_is_a_warning_on_the_variable() -> None:
    body = "Parcel {tracking_number} has shipped and is on its way to you."
    declared = {
        "tracking_number": VariableSpec("tracking_number", "tracking_number", 20),
        "eta": VariableSpec("eta", "date", 12),
    }
    assert of_code(body, "unused_variable", declared) == [("warning", None, "variables.eta")]


def test_without_declarations_no_declaration_check_runs() -> None:
    codes = {f.code for f in findings("Parcel {tracking_number} has shipped and is on its way.")}
    assert not codes & {"undeclared_variable", "unused_variable"}


@pytest.mark.parametrize("body", ["{a} {b}", "{shop}: {tracking_number}!", "{a}{b} - 123 {c}"])
def test_a_template_without_fixed_letters_is_all_variable(body: str) -> None:
    assert of_code(body, "all_variable") == [("error", (0, len(body)), "body")]
    assert of_code(body, "mostly_variable") == []


def test_a_template_with_little_fixed_text_is_mostly_variable() -> None:
    # 14 fixed characters (spaces not counted): under 20.
    body = "{shop}: parcel {tracking_number} shipped"
    declared = {
        "shop": VariableSpec("shop", max_length=10),
        "tracking_number": VariableSpec("tracking_number", "tracking_number", 10),
    }
    assert of_code(body, "mostly_variable", declared) == [("warning", (0, len(body)), "body")]


def test_variables_at_their_maximum_can_make_a_template_mostly_variable() -> None:
    body = "Your parcel {tracking_number} from {shop} is on its way to you."
    # 30 fixed characters (40 with spaces); at 80 + 80 the longest message is 200: 15 %.
    assert of_code(body, "mostly_variable") == [("warning", (0, len(body)), "body")]
    message = next(f.message for f in findings(body) if f.code == "mostly_variable")
    assert "30 characters, 15% of the longest possible message (200 characters)" in message
    declared = {
        "tracking_number": VariableSpec("tracking_number", "tracking_number", 22),
        "shop": VariableSpec("shop", max_length=30),
    }
    # 40 + 22 + 30 = 92: 32 % of fixed text.
    assert of_code(body, "mostly_variable", declared) == []


def test_a_template_without_placeholders_is_neither_all_nor_mostly_variable() -> None:
    assert {f.code for f in findings("Hi!")} & {"all_variable", "mostly_variable"} == set()


@pytest.mark.parametrize(
    ("arguments", "error"),
    [
        (("Name",), "invalid variable name"),
        (("eta", "time"), "unknown variable type"),
        (("eta", "date", 81), "max_length"),
        (("eta", "date", 0), "max_length"),
    ],
)
def test_an_invalid_variable_spec_cannot_be_built(
    arguments: tuple[object, ...], error: str
) -> None:
    with pytest.raises(ValueError, match=error):
        VariableSpec(*arguments)  # type: ignore[arg-type]


def test_declarations_must_be_keyed_by_their_name() -> None:
    with pytest.raises(ValueError, match="names spec"):
        findings("Hi {eta}", {"eta": VariableSpec("date")})


def test_max_segments_must_be_positive() -> None:
    with pytest.raises(ValueError, match="max_segments"):
        check_template("Hi", "en", declared_variables=None, allowed_link_domains=[], max_segments=0)
