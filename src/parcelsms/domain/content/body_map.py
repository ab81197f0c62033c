"""Where the placeholders and the literal text of a template body are, as offsets.

:func:`parcelsms.domain.templates.parse_template` decides whether a body is valid and
returns its pieces without positions; findings need positions, so this module reads the
same grammar again with offsets. On a valid body both agree on every placeholder; on an
invalid one, :attr:`BodyMap.problem` is the span of the first brace that
``parse_template`` refuses, and the placeholders around it are read on a best-effort
basis so that phrase and link checks can still run.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

from parcelsms.domain.content.findings import Span

PLACEHOLDER_MASK: Final = "\uffff"
"""Stands in for each character of a placeholder in :attr:`BodyMap.masked`.

A Unicode noncharacter: never in real text, not a word character, not a space, so a
placeholder breaks words and links without joining anything.
"""

_TOKEN: Final = re.compile(r"\{\{|\}\}|\{([a-z][a-z0-9_]{0,39})\}|[{}]")


@dataclass(frozen=True, slots=True)
class PlaceholderSpan:
    """One occurrence of ``{name}`` in a body; ``start``/``end`` include the braces."""

    name: str
    start: int
    end: int

    @property
    def span(self) -> Span:
        """``(start, end)``."""
        return (self.start, self.end)


@dataclass(frozen=True, slots=True)
class BodyMap:
    """A body with its placeholder occurrences located.

    ``masked`` is the body with every placeholder occurrence overwritten by
    :data:`PLACEHOLDER_MASK` (same length, so offsets are body offsets); literal text,
    escaped braces included, is left as written.
    """

    body: str
    placeholders: tuple[PlaceholderSpan, ...]
    masked: str
    problem: Span | None

    def first_span(self, name: str) -> Span | None:
        """The span of the first occurrence of ``{name}``, or None."""
        return next((p.span for p in self.placeholders if p.name == name), None)

    def literal_runs(self) -> list[tuple[int, str]]:
        """``(offset, text)`` of each stretch of literal body text between placeholders."""
        runs: list[tuple[int, str]] = []
        position = 0
        for placeholder in self.placeholders:
            if placeholder.start > position:
                runs.append((position, self.body[position : placeholder.start]))
            position = placeholder.end
        if position < len(self.body):
            runs.append((position, self.body[position:]))
        return runs


def map_body(body: str) -> BodyMap:
    """Locate the placeholders of ``body`` and its first syntax problem, if any."""
    placeholders: list[PlaceholderSpan] = []
    problem: Span | None = None
    for token in _TOKEN.finditer(body):
        name = token.group(1)
        if name is not None:
            placeholders.append(PlaceholderSpan(name, token.start(), token.end()))
        elif len(token.group()) == 1 and problem is None:
            problem = _problem_span(body, token.start())
    masked = list(body)
    for placeholder in placeholders:
        masked[placeholder.start : placeholder.end] = PLACEHOLDER_MASK * (
            placeholder.end - placeholder.start
        )
    return BodyMap(body, tuple(placeholders), "".join(masked), problem)


def _problem_span(body: str, brace_at: int) -> Span:
    # An opening brace with a closing one ahead (and no other opening in between) is a
    # bad placeholder name: point at the whole placeholder. Otherwise the lone brace.
    if body[brace_at] == "{":
        closing = body.find("}", brace_at + 1)
        nested = body.find("{", brace_at + 1)
        if closing >= 0 and not 0 <= nested < closing:
            return (brace_at, closing + 1)
    return (brace_at, brace_at + 1)
