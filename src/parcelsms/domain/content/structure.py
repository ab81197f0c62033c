"""Structural checks: placeholder syntax, declared and used variables, and how much of a
template is fixed text."""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Mapping
from typing import Final

from parcelsms.domain.content.body_map import BodyMap
from parcelsms.domain.content.findings import Finding
from parcelsms.domain.content.variables import VariableSpec, undeclared_variable
from parcelsms.domain.templates import ParsedTemplate
from parcelsms.errors import CatalogueError

MOSTLY_VARIABLE_SHARE: Final = 0.30
"""Below this share of literal characters in the worst-case length, a template is
mostly variable."""

MOSTLY_VARIABLE_CHARACTERS: Final = 20
"""Below this many literal characters (spaces not counted), a template is mostly variable."""


def syntax_finding(body_map: BodyMap, problem: CatalogueError) -> Finding:
    """The ``placeholder_syntax`` error for a body ``parse_template`` refused."""
    return Finding("placeholder_syntax", "error", problem.message, body_map.problem, "body")


def variable_declarations(
    parsed: ParsedTemplate, body_map: BodyMap, declared: Mapping[str, VariableSpec]
) -> list[Finding]:
    """An error per placeholder nobody declared; a warning per declared, unused variable."""
    findings: list[Finding] = []
    for name in parsed.placeholders:
        if name not in declared:
            findings.append(
                Finding(
                    "undeclared_variable",
                    "error",
                    f"The placeholder {{{name}}} is not a declared variable. Declare {name!r} "
                    "with its type and maximum length, or correct the name.",
                    body_map.first_span(name),
                    "body",
                )
            )
    used = set(parsed.placeholders)
    for name in declared:
        if name not in used:
            findings.append(
                Finding(
                    "unused_variable",
                    "warning",
                    f"The variable {name!r} is declared but the text has no {{{name}}}. "
                    "Remove the declaration or use the placeholder.",
                    None,
                    f"variables.{name}",
                )
            )
    return findings


def variable_share(
    parsed: ParsedTemplate, body_map: BodyMap, declared: Mapping[str, VariableSpec] | None
) -> list[Finding]:
    """``all_variable`` when the fixed text has no letter; ``mostly_variable`` when it is
    under 30 % of the worst-case length or under 20 characters (spaces not counted)."""
    if not parsed.slots:
        return []
    literal = "".join(parsed.literals)
    whole_body = (0, len(body_map.body))
    if not any(unicodedata.category(c).startswith("L") for c in literal):
        return [
            Finding(
                "all_variable",
                "error",
                "The template has no fixed text, only variables: it could send anything. "
                "Write the message in the template and keep variables for the shipment's "
                "details.",
                whole_body,
                "body",
            )
        ]
    specs = declared or {}
    fixed = sum(1 for c in literal if not c.isspace())
    worst = len(literal) + sum(
        specs.get(name, undeclared_variable(name)).max_length for name in parsed.slots
    )
    share = fixed / worst
    if share >= MOSTLY_VARIABLE_SHARE and fixed >= MOSTLY_VARIABLE_CHARACTERS:
        return []
    return [
        Finding(
            "mostly_variable",
            "warning",
            f"Fixed text is {fixed} characters, {math.floor(share * 100)}% of the longest "
            f"possible message ({worst} characters): reviewers and carriers cannot tell what "
            "it will say. Add fixed wording, or declare lower maximum lengths for the variables.",
            whole_body,
            "body",
        )
    ]
