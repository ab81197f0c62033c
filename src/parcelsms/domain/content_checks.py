"""Automatic content checks of a template variant, run when it is submitted for review.

:func:`check_template` returns :class:`Finding` objects for the sender and the reviewer:
``error`` findings are problems carriers act on (a template with one should not be
approved), ``warning`` findings need a person's judgement. ``docs/templates.md``
describes every check for senders and reviewers.

=========================  ========  =================================================
code                       severity  finds
=========================  ========  =================================================
``placeholder_syntax``     error     a body :func:`~parcelsms.domain.templates.
                                     parse_template` refuses (span: the bad brace)
``marketing_phrase``       both      promotional wording from the language's list
                                     (``strong`` → error, ``weak`` → warning)
``url_shortener``          error     a link on a public URL shortener
``link_domain_not_allowed`` both     a link off the account's domains (error); a link
                                     variable while no domain is declared (warning)
``all_variable``           error     no fixed letters at all
``mostly_variable``        warning   fixed text < 30 % of the longest message or < 20
                                     characters
``undeclared_variable``    error     a placeholder without a declaration
``unused_variable``        warning   a declaration without a placeholder
``length_exceeds_segments`` both     more than ``max_segments`` at the longest (error);
                                     more than one segment (warning, with the counts)
``forces_ucs2``            warning   each character of the fixed text that forces
                                     UCS-2, with its cost; each text variable whose
                                     value could force it
=========================  ========  =================================================

When the body's syntax is invalid, only the phrase and link checks run besides the
syntax finding: the others need a parsed template. Variable checks (declared/unused)
run only when ``declared_variables`` is given; otherwise every placeholder is taken as
text of up to 80 characters.

Findings come errors first, then by position (see
:func:`~parcelsms.domain.content.findings.in_reading_order`). The checks run once per
submission, not per message: they favour clarity over speed.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping

from parcelsms.domain.content.body_map import map_body
from parcelsms.domain.content.findings import Finding, Severity, Span, in_reading_order
from parcelsms.domain.content.length import check_encoding, check_length
from parcelsms.domain.content.links import check_links, shipped_shortener_domains
from parcelsms.domain.content.phrases import (
    PhraseList,
    find_marketing_phrases,
    lists_for_language,
    shipped_phrase_lists,
)
from parcelsms.domain.content.structure import (
    syntax_finding,
    variable_declarations,
    variable_share,
)
from parcelsms.domain.content.variables import VARIABLE_TYPES, VariableSpec, VariableType
from parcelsms.domain.templates import parse_template
from parcelsms.errors import CatalogueError

__all__ = [
    "VARIABLE_TYPES",
    "Finding",
    "Severity",
    "Span",
    "VariableSpec",
    "VariableType",
    "check_template",
]


def check_template(
    body: str,
    language: str,
    *,
    declared_variables: Mapping[str, VariableSpec] | None,
    allowed_link_domains: Collection[str],
    max_segments: int = 10,
    phrase_lists: Mapping[str, PhraseList] | None = None,
    shortener_domains: Collection[str] | None = None,
) -> list[Finding]:
    """Every finding for the template ``body`` written in ``language`` (a BCP 47 tag).

    ``declared_variables`` maps each name to its spec (its key must equal the spec's
    name, else ValueError); None when the caller has no declarations, which skips the
    declared/unused checks. ``allowed_link_domains`` are the account's link domains
    (subdomains included). ``max_segments`` (at least 1, else ValueError) is the most
    segments a message may have. ``phrase_lists`` and ``shortener_domains`` default to
    the lists shipped in ``parcelsms/data``.
    """
    if max_segments < 1:
        raise ValueError(f"max_segments must be at least 1, got {max_segments}")
    for name, spec in (declared_variables or {}).items():
        if name != spec.name:
            raise ValueError(f"declared variable key {name!r} names spec {spec.name!r}")
    lists = lists_for_language(
        language, shipped_phrase_lists() if phrase_lists is None else phrase_lists
    )
    shorteners = shipped_shortener_domains() if shortener_domains is None else shortener_domains
    body_map = map_body(body)
    findings = find_marketing_phrases(body_map, lists)
    findings += check_links(body_map, declared_variables, allowed_link_domains, shorteners)
    try:
        parsed = parse_template(body)
    except CatalogueError as problem:
        findings.append(syntax_finding(body_map, problem))
        return in_reading_order(findings)
    specs = declared_variables or {}
    if declared_variables is not None:
        findings += variable_declarations(parsed, body_map, declared_variables)
    findings += variable_share(parsed, body_map, declared_variables)
    findings += check_length(parsed, specs, max_segments)
    findings += check_encoding(parsed, body_map, specs)
    return in_reading_order(findings)
