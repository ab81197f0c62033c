"""Template syntax, parsing errors and rendering with checked parameters."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from parcelsms.domain.templates import parse_template, render
from parcelsms.errors import CatalogueError

SHIPPED = "Your parcel {tracking} has shipped with {carrier}. Track: {url}"


def rendered(body: str, **params: object) -> str:
    return render(parse_template(body), params)


def test_placeholders_are_listed_once_in_order_of_appearance() -> None:
    parsed = parse_template("{b} and {a}, again {b}")
    assert parsed.placeholders == ("b", "a")
    assert parsed.slots == ("b", "a", "b")
    assert parsed.literals == ("", " and ", ", again ", "")


def test_render_substitutes_every_occurrence() -> None:
    assert rendered("{a}-{b}-{a}", a="x", b="y") == "x-y-x"
    assert (
        rendered(SHIPPED, tracking="LX123456789CN", carrier="DHL", url="https://t.example/1")
        == "Your parcel LX123456789CN has shipped with DHL. Track: https://t.example/1"
    )


def test_doubled_braces_are_literal_braces() -> None:
    assert rendered("{{literal}} {name} }}{{", name="v") == "{literal} v }{"
    assert rendered("{{{name}}}", name="v") == "{v}"
    assert parse_template("{{not_a_placeholder}}").placeholders == ()


def test_body_without_placeholders_renders_as_is() -> None:
    assert rendered("Your parcel was delivered.") == "Your parcel was delivered."


def test_longest_allowed_name_is_accepted() -> None:
    name = "a" + "b" * 39
    assert parse_template("{" + name + "}").placeholders == (name,)


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ("", "empty"),
        ("x" * 1601, "1600"),
        ("Hello {name", "Unclosed '{' at character 7"),
        ("Hello {", "Unclosed '{' at character 7"),
        ("a {b {c}", "Unclosed '{' at character 3"),
        ("Hello name}", "Unmatched '}' at character 11"),
        ("{{name}", "Unmatched '}' at character 7"),
        ("Hi {}", "Empty placeholder '{}' at character 4"),
        ("{Name}", "Invalid placeholder name 'Name' at character 1"),
        ("x {1st}", "Invalid placeholder name '1st' at character 3"),
        ("{first-name}", "Invalid placeholder name"),
        ("{ name }", "Invalid placeholder name"),
        ("{" + "a" * 41 + "}", "Invalid placeholder name"),
        ("{café}", "Invalid placeholder name"),
    ],
)
def test_syntax_errors_name_their_position(body: str, words: str) -> None:
    with pytest.raises(CatalogueError) as caught:
        parse_template(body)
    assert caught.value.code == "invalid_template"
    assert words in caught.value.message


def test_body_of_exactly_1600_characters_is_accepted() -> None:
    assert parse_template("x" * 1600).literals == ("x" * 1600,)


def test_missing_parameter_is_named_in_the_field() -> None:
    with pytest.raises(CatalogueError) as caught:
        rendered(SHIPPED, tracking="LX1", carrier="DHL")
    assert (caught.value.code, caught.value.field) == ("missing_param", "params.url")


def test_unexpected_parameter_is_named_in_the_field() -> None:
    with pytest.raises(CatalogueError) as caught:
        rendered("{a}", a="x", tracking_no="y")
    assert (caught.value.code, caught.value.field) == ("unexpected_param", "params.tracking_no")


def test_field_prefix_locates_the_parameter_inside_a_batch() -> None:
    with pytest.raises(CatalogueError) as caught:
        render(parse_template("{a}"), {}, field_prefix="messages[4].params")
    assert caught.value.field == "messages[4].params.a"


def test_numbers_are_rendered_with_str() -> None:
    assert rendered("{n} / {f}", n=3, f=2.5) == "3 / 2.5"


@pytest.mark.parametrize(
    "value", [True, False, None, [1], {"a": 1}, float("nan"), float("inf"), b"bytes"]
)
def test_values_that_are_not_strings_or_finite_numbers_are_invalid(value: object) -> None:
    with pytest.raises(CatalogueError) as caught:
        rendered("{a}", a=value)
    assert (caught.value.code, caught.value.field) == ("invalid_param", "params.a")


def test_80_characters_are_allowed_and_81_are_too_long() -> None:
    assert rendered("{a}", a="x" * 80) == "x" * 80
    with pytest.raises(CatalogueError) as caught:
        rendered("{a}", a="x" * 81)
    assert (caught.value.code, caught.value.field) == ("param_too_long", "params.a")


def test_huge_integers_are_too_long_without_being_converted() -> None:
    with pytest.raises(CatalogueError) as caught:
        rendered("{a}", a=10**100_000)
    assert caught.value.code == "param_too_long"


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ("line\nbreak", "newline"),
        ("carriage\rreturn", "carriage return"),
        ("tab\there", "tab"),
        ("nul\x00", "control character"),
        ("bell\x07", "control character"),
        ("c1\x85", "control character"),
        ("zero\u200bwidth", "formatting"),
        ("rtl\u202eoverride", "formatting"),
        ("line\u2028separator", "line separator"),
        ("para\u2029separator", "paragraph separator"),
        ("brace{", "brace"),
        ("brace}", "brace"),
        ("lone\ud800surrogate", "surrogate"),
        ("", "empty"),
    ],
)
def test_unsafe_characters_are_invalid_params(value: str, words: str) -> None:
    with pytest.raises(CatalogueError) as caught:
        rendered("{a}", a=value)
    assert caught.value.code == "invalid_param"
    assert caught.value.field == "params.a"
    assert words in caught.value.message


@pytest.mark.parametrize(
    "value", ["Müller", "北京市朝阳区", "São Paulo", "12\u00a0rue", "📦 on its way", "a b"]
)
def test_ordinary_international_text_is_accepted(value: str) -> None:
    assert rendered("{a}", a=value) == value


@given(st.text(max_size=200))
def test_parsing_arbitrary_bodies_raises_only_invalid_template(body: str) -> None:
    code: str | None
    try:
        parsed = parse_template(body)
    except CatalogueError as exc:
        code = exc.code
    else:
        code = None
        assert len(parsed.literals) == len(parsed.slots) + 1
    assert code in {None, "invalid_template"}


_VALUES = st.one_of(
    st.text(max_size=100),
    st.integers(),
    st.floats(),
    st.booleans(),
    st.none(),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)


@given(
    st.text(alphabet="{}ab_ xyz", max_size=40),
    st.dictionaries(st.sampled_from(["a", "b", "ab", "x_y", "z"]), _VALUES, max_size=4),
)
def test_rendering_arbitrary_input_raises_only_catalogue_errors(
    body: str, params: dict[str, object]
) -> None:
    failure: CatalogueError | None = None
    try:
        text = render(parse_template(body), params)
    except CatalogueError as exc:
        failure = exc
    else:
        assert isinstance(text, str)
    if failure is not None:
        assert failure.status == 422
        assert failure.field is not None


@given(st.text(max_size=100))
def test_any_accepted_value_appears_verbatim(value: str) -> None:
    code: str | None
    try:
        text = rendered("<{a}>", a=value)
    except CatalogueError as exc:
        code = exc.code
    else:
        code = None
        assert text == f"<{value}>"
        assert "\n" not in text
        assert "{" not in value
    assert code in {None, "invalid_param", "param_too_long"}
