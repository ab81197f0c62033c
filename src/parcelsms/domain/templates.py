"""Message templates: ``{placeholder}`` syntax, parsing and rendering with checked parameters.

Syntax: a placeholder is ``{name}`` where ``name`` matches ``[a-z][a-z0-9_]{0,39}``;
``{{`` and ``}}`` stand for literal braces. Anything else with a brace is an
``invalid_template`` error naming its position (1-based character index). A body has 1 to
1,600 characters (ten concatenated GSM-7 segments hold 1,530; the final length check is the
segment count after rendering).

Parameters (``render``):

* every placeholder needs a value (``missing_param``) and no other key may be sent
  (``unexpected_param``): a misspelt key is far more often a bug than an intent;
* values are ``str``, ``int`` or ``float``; ``bool`` is refused (``invalid_param``) because
  ``true`` rendering as ``True`` in an SMS is never what the sender meant, and so are
  ``null``, lists, objects and non-finite floats. Numbers are converted with ``str()``
  (``12.5``, ``1e+16``): send strings when the exact format matters;
* after conversion a value has 1 to 80 characters (``param_too_long`` beyond), and contains
  no control or format characters (Unicode Cc, Cf, e.g. NUL, zero-width joiners, direction
  marks), no lone surrogates, no line or paragraph separators (newlines, tabs) and no
  braces (``invalid_param``). An empty value is refused too: it leaves a visible gap in a
  customer notification.

Errors name the parameter in ``field`` as ``<field_prefix>.<name>``.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from parcelsms.domain.error_catalogue import error
from parcelsms.errors import CatalogueError

MAX_BODY_LENGTH: Final = 1600
MAX_PARAM_LENGTH: Final = 80
_NAME: Final = re.compile(r"[a-z][a-z0-9_]{0,39}")
_REFUSED_CATEGORIES: Final = {
    "Cc": "a control character",
    "Cf": "an invisible formatting character",
    "Cs": "a lone surrogate",
    "Zl": "a line separator",
    "Zp": "a paragraph separator",
}
_NAMED_CHARACTERS: Final = {
    "\n": "a newline",
    "\r": "a carriage return",
    "\t": "a tab",
    "{": "a brace",
    "}": "a brace",
}
_SHOWN_NAME_LENGTH: Final = 45


@dataclass(frozen=True, slots=True)
class ParsedTemplate:
    """A template body split into literal text and placeholders.

    ``literals`` has one more element than ``slots``: the text is ``literals[0]``, the value
    of ``slots[0]``, ``literals[1]`` and so on, with ``{{``/``}}`` already unescaped.
    ``placeholders`` lists each distinct name once, in order of first appearance.
    """

    body: str
    literals: tuple[str, ...]
    slots: tuple[str, ...]
    placeholders: tuple[str, ...]


def parse_template(body: str) -> ParsedTemplate:
    """Parse ``body``; raise ``invalid_template`` naming the position of the first problem."""
    if not body:
        raise _invalid_template("The template body is empty.")
    if len(body) > MAX_BODY_LENGTH:
        raise _invalid_template(
            f"The template body has {len(body)} characters; the maximum is {MAX_BODY_LENGTH}."
        )
    literals: list[str] = []
    slots: list[str] = []
    current: list[str] = []
    position = 0
    length = len(body)
    while position < length:
        brace_at = _next_brace(body, position)
        if brace_at < 0:
            current.append(body[position:])
            break
        current.append(body[position:brace_at])
        char = body[brace_at]
        doubled = brace_at + 1 < length and body[brace_at + 1] == char
        if doubled:
            current.append(char)
            position = brace_at + 2
            continue
        if char == "}":
            raise _invalid_template(
                f"Unmatched '}}' at character {brace_at + 1}; write '}}}}' for a literal brace."
            )
        name = _placeholder_name(body, brace_at)
        literals.append("".join(current))
        current = []
        slots.append(name)
        position = brace_at + len(name) + 2
    literals.append("".join(current))
    return ParsedTemplate(
        body=body,
        literals=tuple(literals),
        slots=tuple(slots),
        placeholders=tuple(dict.fromkeys(slots)),
    )


def _next_brace(body: str, start: int) -> int:
    opening = body.find("{", start)
    closing = body.find("}", start)
    if opening < 0:
        return closing
    if closing < 0:
        return opening
    return min(opening, closing)


def _placeholder_name(body: str, opening: int) -> str:
    """Return the name of the placeholder whose ``{`` is at ``opening``, or raise."""
    where = f"at character {opening + 1}"
    closing = body.find("}", opening + 1)
    nested = body.find("{", opening + 1)
    if closing < 0 or 0 <= nested < closing:
        raise _invalid_template(
            f"Unclosed '{{' {where}; close the placeholder with '}}' or write '{{{{' for a "
            "literal brace."
        )
    name = body[opening + 1 : closing]
    if not name:
        raise _invalid_template(f"Empty placeholder '{{}}' {where}; write a name inside.")
    if not _NAME.fullmatch(name):
        shown = name if len(name) <= _SHOWN_NAME_LENGTH else name[:_SHOWN_NAME_LENGTH] + "…"
        raise _invalid_template(
            f"Invalid placeholder name {shown!r} {where}: a name is 1 to 40 lowercase letters, "
            "digits and underscores, starting with a letter."
        )
    return name


def _invalid_template(message: str) -> CatalogueError:
    return error("invalid_template", message, field="body")


def check_param_names(
    parsed: ParsedTemplate, params: Mapping[str, object], field_prefix: str = "params"
) -> None:
    """Raise ``missing_param`` for the first placeholder without a value, then
    ``unexpected_param`` for the first value without a placeholder."""
    for name in parsed.placeholders:
        if name not in params:
            raise error(
                "missing_param",
                f"The template needs a value for {name!r}.",
                field=f"{field_prefix}.{name}",
            )
    if len(params) != len(parsed.placeholders):
        expected = set(parsed.placeholders)
        extra = next(key for key in params if key not in expected)
        raise error(
            "unexpected_param",
            f"The template has no placeholder {extra!r}.",
            field=f"{field_prefix}.{extra}",
        )


def render(
    parsed: ParsedTemplate,
    params: Mapping[str, object],
    *,
    field_prefix: str = "params",
) -> str:
    """Render ``parsed`` with ``params`` after checking them (see the module docstring).

    Raises :class:`CatalogueError` (``missing_param``, ``unexpected_param``,
    ``param_too_long``, ``invalid_param``) with ``field`` ``<field_prefix>.<name>``; the
    first problem found is reported, checking missing names, then unexpected ones, then
    values in placeholder order.
    """
    check_param_names(parsed, params, field_prefix)
    values = {
        name: parameter_text(name, params[name], field_prefix) for name in parsed.placeholders
    }
    pieces: list[str] = [parsed.literals[0]]
    for slot, literal in zip(parsed.slots, parsed.literals[1:], strict=True):
        pieces.append(values[slot])
        pieces.append(literal)
    return "".join(pieces)


def parameter_text(name: str, value: object, field_prefix: str) -> str:
    """Convert one parameter value to its text, or raise the catalogued error.

    The checks every value passes whatever its declared type (see the module docstring);
    ``field`` of an error is ``<field_prefix>.<name>``.
    """
    field = f"{field_prefix}.{name}"
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise error(
            "invalid_param",
            f"The value of {name!r} must be a string or a number, not {_json_kind(value)}.",
            field=field,
        )
    if isinstance(value, float) and not math.isfinite(value):
        raise error("invalid_param", f"The value of {name!r} is not a finite number.", field=field)
    # str() of a huge int is slow (and refused beyond 4,300 digits), so settle it by size.
    if isinstance(value, int) and not -(10**MAX_PARAM_LENGTH) < value < 10**MAX_PARAM_LENGTH:
        raise _too_long(name, field)
    text = value if isinstance(value, str) else str(value)
    if len(text) > MAX_PARAM_LENGTH:
        raise _too_long(name, field)
    if not text:
        raise error("invalid_param", f"The value of {name!r} is empty.", field=field)
    # isprintable() is False for every refused character (and for a few allowed ones,
    # such as no-break spaces), so the slow scan runs only on suspicious values.
    if text.isprintable() and "{" not in text and "}" not in text:
        return text
    for index, char in enumerate(text):
        what = _NAMED_CHARACTERS.get(char) or _REFUSED_CATEGORIES.get(unicodedata.category(char))
        if what is not None:
            raise error(
                "invalid_param",
                f"The value of {name!r} contains {what} (U+{ord(char):04X}) at character "
                f"{index + 1}; parameters are single-line text without braces.",
                field=field,
            )
    return text


def _too_long(name: str, field: str) -> CatalogueError:
    return error(
        "param_too_long",
        f"The value of {name!r} is longer than {MAX_PARAM_LENGTH} characters.",
        field=field,
    )


def _json_kind(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, list | tuple):
        return "an array"
    if isinstance(value, Mapping):
        return "an object"
    return type(value).__name__
