"""The result of a content check: one :class:`Finding` per problem found."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal, TypeAlias

Severity: TypeAlias = Literal["error", "warning"]
"""``error`` blocks approval of the template; ``warning`` is shown for a person to judge."""

Span: TypeAlias = tuple[int, int]
"""``(start, end)`` offsets into the template body, as Python ``str`` indexes (end excluded)."""


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem a content check found in a template.

    ``code`` is a stable identifier clients and reviewers may branch on (the list is in
    ``docs/templates.md``); ``message`` is a sentence a person can act on; ``span``
    points at the offending text of the body when there is one; ``field`` names what to
    change: ``"body"`` or ``"variables.<name>"``.
    """

    code: str
    severity: Severity
    message: str
    span: Span | None
    field: str


def in_reading_order(findings: Iterable[Finding]) -> list[Finding]:
    """Errors first, then warnings; within each, by position (findings without a span last).

    The order is total (ties broken by code and message), so the same template always
    gives the same list.
    """
    return sorted(
        findings,
        key=lambda finding: (
            finding.severity != "error",
            finding.span is None,
            finding.span or (0, 0),
            finding.code,
            finding.message,
        ),
    )
