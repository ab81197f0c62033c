"""Length and encoding: segment counts at typical and worst-case lengths, and which
characters force UCS-2.

Sample messages are rendered with ``x`` for every character of a value: a GSM-7 letter,
so that a variable does not by itself turn a GSM-7 template into UCS-2, and one unit in
either encoding. The *worst case* gives each variable its ``max_length`` (80 when not
declared); the *typical* case its type's typical length
(:data:`parcelsms.domain.content.variables.TYPICAL_LENGTHS`). A value's own characters
can force UCS-2 too: that is reported per text variable.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Final

from parcelsms.domain.content.body_map import BodyMap
from parcelsms.domain.content.findings import Finding, Span
from parcelsms.domain.content.variables import VariableSpec, undeclared_variable
from parcelsms.domain.smart_encoding import smart_encode
from parcelsms.domain.templates import ParsedTemplate
from parcelsms.protocol.text import Encoding, SegmentInfo, count_segments, is_gsm7

FILLER: Final = "x"
UCS2_ONLY_CHARACTER: Final = "ł"
"""Puts a sample value outside GSM-7 (a Polish letter: real, common, one UTF-16 unit)."""


@dataclass(frozen=True, slots=True)
class SampleMessages:
    """The segment counts of one template at typical and worst-case lengths."""

    typical: SegmentInfo
    worst: SegmentInfo


def sample_text(
    parsed: ParsedTemplate,
    length_of: Callable[[str], int],
    *,
    literals: Sequence[str] | None = None,
    value_prefix: Mapping[str, str] | None = None,
) -> str:
    """Render ``parsed`` with ``length_of(name)`` filler characters per placeholder.

    ``literals`` replaces the template's literal pieces; ``value_prefix`` puts the given
    text at the start of a variable's value (keeping its length).
    """
    pieces = list(literals if literals is not None else parsed.literals)
    prefixes = value_prefix or {}
    out = [pieces[0]]
    for slot, literal in zip(parsed.slots, pieces[1:], strict=True):
        length = length_of(slot)
        prefix = prefixes.get(slot, "")[:length]
        out.append(prefix + FILLER * (length - len(prefix)))
        out.append(literal)
    return "".join(out)


def samples(parsed: ParsedTemplate, specs: Mapping[str, VariableSpec]) -> SampleMessages:
    """Typical and worst-case sample messages of ``parsed``."""
    return SampleMessages(
        typical=count_segments(sample_text(parsed, lambda n: _spec(specs, n).typical_length)),
        worst=count_segments(sample_text(parsed, lambda n: _spec(specs, n).max_length)),
    )


def _spec(specs: Mapping[str, VariableSpec], name: str) -> VariableSpec:
    return specs.get(name) or undeclared_variable(name)


def _segments(count: int) -> str:
    return f"{count} segment" if count == 1 else f"{count} segments"


def check_length(
    parsed: ParsedTemplate, specs: Mapping[str, VariableSpec], max_segments: int
) -> list[Finding]:
    """``length_exceeds_segments``: an error beyond ``max_segments`` at the worst case, a
    warning (the counts, for the sender to weigh) beyond one segment."""
    sample = samples(parsed, specs)
    typical, worst = sample.typical.segment_count, sample.worst.segment_count
    encoding = sample.worst.encoding.value
    if not parsed.slots:
        counts = f"{_segments(worst)} ({encoding})"
    elif typical == worst:
        counts = (
            f"{_segments(worst)} ({encoding}), with typical values and at its longest, every "
            "variable at its maximum length"
        )
    else:
        counts = (
            f"{_segments(typical)} with typical values and {_segments(worst)} at its longest, "
            f"every variable at its maximum length ({encoding})"
        )
    if worst > max_segments:
        return [
            Finding(
                "length_exceeds_segments",
                "error",
                f"The message is {counts}; the limit is {_segments(max_segments)}. Shorten "
                "the text or lower the variables' maximum lengths.",
                None,
                "body",
            )
        ]
    if worst > 1:
        return [
            Finding(
                "length_exceeds_segments",
                "warning",
                f"The message is {counts}. Each segment is billed as one SMS.",
                None,
                "body",
            )
        ]
    return []


@dataclass(frozen=True, slots=True)
class _Character:
    cluster: str
    first: Span
    count: int


def check_encoding(
    parsed: ParsedTemplate, body_map: BodyMap, specs: Mapping[str, VariableSpec]
) -> list[Finding]:
    """``forces_ucs2`` findings: for characters of the fixed text, and for text variables
    whose values could switch a GSM-7 template to UCS-2."""
    characters = _non_gsm7_literal_characters(body_map)
    worst = samples(parsed, specs).worst
    if not characters:
        return _variable_findings(parsed, body_map, specs, worst)
    script = next((c for c in characters if _is_letter_of_another_script(c.cluster)), None)
    if script is not None:
        return [_script_finding(script, worst)]
    replaced = [
        _fold_literal(literal, [c.cluster for c in characters]) for literal in parsed.literals
    ]
    fixed = count_segments(
        sample_text(parsed, lambda name: _spec(specs, name).max_length, literals=replaced)
    )
    return [_character_finding(c, characters, worst, fixed) for c in characters]


def _non_gsm7_literal_characters(body_map: BodyMap) -> list[_Character]:
    found: dict[str, _Character] = {}
    for offset, run in body_map.literal_runs():
        for cluster, position in count_segments(run).non_gsm7_characters:
            start = offset + position
            known = found.get(cluster)
            if known is None:
                found[cluster] = _Character(cluster, (start, start + len(cluster)), 1)
            else:
                found[cluster] = _Character(cluster, known.first, known.count + 1)
    return sorted(found.values(), key=lambda c: c.first)


def _is_letter_of_another_script(cluster: str) -> bool:
    first = cluster[0]
    return unicodedata.category(first).startswith("L") and not unicodedata.name(
        first, ""
    ).startswith("LATIN")


def _describe(cluster: str) -> str:
    names = " + ".join(unicodedata.name(c, f"U+{ord(c):04X}") for c in cluster)
    return f"{cluster!r} ({names})"


def _gsm7_substitute(cluster: str) -> str | None:
    """What smart encoding or a sender would write instead, or None when nothing fits."""
    composed = unicodedata.normalize("NFC", cluster)
    if is_gsm7(composed):
        return composed
    smart = smart_encode(cluster)
    if smart.changed and smart.is_gsm7:
        return smart.text
    base = "".join(c for c in unicodedata.normalize("NFD", cluster) if not unicodedata.combining(c))
    return base if base and is_gsm7(base) else None


def _fold_literal(literal: str, clusters: Sequence[str]) -> str:
    for cluster in clusters:
        literal = literal.replace(cluster, _gsm7_substitute(cluster) or "")
    return literal


def _script_finding(script: _Character, worst: SegmentInfo) -> Finding:
    return Finding(
        "forces_ucs2",
        "warning",
        f"The text uses letters outside GSM-7, such as {_describe(script.cluster)}, so it is "
        "sent as UCS-2: 70 characters in one SMS and 67 per part, instead of 160 and 153. "
        f"At its longest the message is {_segments(worst.segment_count)}.",
        script.first,
        "body",
    )


def _character_finding(
    character: _Character,
    characters: Sequence[_Character],
    worst: SegmentInfo,
    fixed: SegmentInfo,
) -> Finding:
    shown = _describe(character.cluster)
    times = f" (it appears {character.count} times)" if character.count > 1 else ""
    others = [c.cluster for c in characters if c is not character]
    listed = ", ".join(map(repr, others))
    also = (
        f", as do {len(others)} other characters ({listed})"
        if len(others) > 1
        else f", as does one other character ({listed})"
        if others
        else ""
    )
    without = "without all of them" if others else "without it"
    if worst.segment_count == fixed.segment_count:
        cost = (
            f"at its longest the message is {_segments(worst.segment_count)} either way, with "
            "room for 70 characters per SMS instead of 160"
        )
    else:
        cost = (
            f"{_segments(worst.segment_count)} instead of {fixed.segment_count} at the "
            f"longest {without}"
        )
    return Finding(
        "forces_ucs2",
        "warning",
        f"{shown} forces UCS-2{also}{times}: {cost}. {_hint(character.cluster)}",
        character.first,
        "body",
    )


def _hint(cluster: str) -> str:
    substitute = _gsm7_substitute(cluster)
    if substitute is not None and substitute == unicodedata.normalize("NFC", cluster):
        return f"Write it as the single character {substitute!r}: it is in GSM-7 when composed."
    smart = smart_encode(cluster)
    if smart.changed and smart.is_gsm7:
        if not smart.text:
            return "It is invisible: delete it, or turn on smart encoding, which removes it."
        return f"Write {smart.text!r} instead, or turn on smart encoding, which does it for you."
    if substitute:
        return f"Writing {substitute!r} instead keeps GSM-7, if the spelling allows it."
    return "Remove it, or write it with GSM-7 characters."


def _variable_findings(
    parsed: ParsedTemplate,
    body_map: BodyMap,
    specs: Mapping[str, VariableSpec],
    worst: SegmentInfo,
) -> list[Finding]:
    if worst.encoding is not Encoding.GSM7:
        return []
    findings: list[Finding] = []
    for name in parsed.placeholders:
        spec = _spec(specs, name)
        if spec.type != "text":
            continue
        forced = count_segments(
            sample_text(
                parsed,
                lambda n: _spec(specs, n).max_length,
                value_prefix={name: UCS2_ONLY_CHARACTER},
            )
        )
        cost = (
            f"{_segments(forced.segment_count)} instead of {worst.segment_count} at the longest"
            if forced.segment_count != worst.segment_count
            else f"still {_segments(worst.segment_count)} at the longest"
        )
        findings.append(
            Finding(
                "forces_ucs2",
                "warning",
                f"A value of {name!r} with one character outside GSM-7 (an emoji, 'ł', 'ç', "
                f"a typographic quote) switches the whole message to UCS-2: {cost}. Smart "
                "encoding replaces typographic quotes and dashes in values; other characters "
                "cannot be avoided.",
                body_map.first_span(name),
                f"variables.{name}",
            )
        )
    return findings
