"""What ``POST /v1/messages/preview`` answers: a message as it would be sent, explained.

Built from a composed :class:`~parcelsms.pipeline.compose.Draft`; nothing is stored or
charged. Besides the text, encoding, segments, sender and price, the preview lists
*findings* about this one message:

* ``forces_ucs2`` (warning): each character that makes the message UCS-2, with the cost
  (``'’' (right single quotation mark) forces UCS-2: 3 segments instead of 1``). Letters of
  scripts outside GSM-7 (Chinese, Arabic, Cyrillic…) are one ``ucs2_script`` note instead:
  nothing can be done about them;
* ``smart_encoding_not_applied`` (warning): smart encoding was on but other characters keep
  the message UCS-2, so the text is sent as written;
* ``sender_fallback`` (warning): the requested sender ID cannot be used for the country and
  the numeric fallback is, with the reason;
* ``multiple_segments`` (warning): the message is billed as more than one SMS.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import Literal

from parcelsms.domain.smart_encoding import smart_encode
from parcelsms.pipeline.compose import Draft
from parcelsms.protocol.text.gsm7 import is_gsm7
from parcelsms.protocol.text.segments import Encoding, count_segments


@dataclass(frozen=True, slots=True)
class PreviewSegment:
    """One SMS of the message: its text and its size in septets or UTF-16 units."""

    text: str
    units: int


@dataclass(frozen=True, slots=True)
class PreviewReplacement:
    """A character smart encoding replaced: ``original`` at ``position`` of the written text."""

    original: str
    replacement: str
    position: int


@dataclass(frozen=True, slots=True)
class PreviewFinding:
    """Something the sender may want to change before sending.

    ``span`` is ``(start, end)`` in the message text; ``field`` is ``text`` or ``sender_id``.
    """

    code: str
    severity: Literal["error", "warning"]
    message: str
    span: tuple[int, int] | None = None
    field: str = "text"


@dataclass(frozen=True, slots=True)
class MessagePreview:
    """A message as it would be sent (see the module docstring)."""

    draft: Draft
    segments: tuple[PreviewSegment, ...]
    replacements: tuple[PreviewReplacement, ...]
    findings: tuple[PreviewFinding, ...]


def build_preview(draft: Draft) -> MessagePreview:
    """The preview of ``draft``."""
    info = draft.info
    segments = tuple(
        PreviewSegment(text, units)
        for text, units in zip(info.segments, info.segment_units, strict=True)
    )
    replacements: tuple[PreviewReplacement, ...] = ()
    if draft.smart is not None and draft.smart_applied:
        replacements = tuple(
            PreviewReplacement(item.original, item.replacement, item.position)
            for item in draft.smart.replacements
        )
    findings: list[PreviewFinding] = []
    if info.encoding is Encoding.UCS2:
        findings.extend(_encoding_findings(draft.body, info.segment_count))
        if draft.smart is not None and draft.smart.changed:
            findings.append(
                PreviewFinding(
                    "smart_encoding_not_applied",
                    "warning",
                    "Smart encoding is on, but other characters keep this message UCS-2, "
                    "so the text is sent as written.",
                )
            )
    sender = draft.sender
    if sender is not None and sender.fallback_reason is not None:
        findings.append(
            PreviewFinding(
                "sender_fallback",
                "warning",
                f"{sender.fallback_reason}; the message is sent from the numeric sender "
                f"{sender.sender.value} instead.",
                field="sender_id",
            )
        )
    if info.segment_count > 1:
        findings.append(
            PreviewFinding(
                "multiple_segments",
                "warning",
                f"The message is {info.segment_count} SMS ({info.encoding.value}, "
                f"{info.units} units): each is billed.",
            )
        )
    return MessagePreview(draft, segments, replacements, tuple(findings))


def _encoding_findings(text: str, segment_count: int) -> list[PreviewFinding]:
    info = count_segments(text)
    characters = info.non_gsm7_characters
    script = next((item for item in characters if _is_script_letter(item.character)), None)
    if script is not None:
        return [
            PreviewFinding(
                "ucs2_script",
                "warning",
                f"The text is written in letters outside GSM-7 (such as {script.character!r}), "
                f"so it is sent as UCS-2: {_segments(segment_count)} of at most 70 "
                "characters (67 per part).",
                (script.position, script.position + len(script.character)),
            )
        ]
    distinct = list(dict.fromkeys(item.character for item in characters))
    fixed = count_segments(_all_written_in_gsm7(text, distinct)).segment_count
    others = len(distinct) - 1
    findings: list[PreviewFinding] = []
    for character in distinct:
        position = next(item.position for item in characters if item.character == character)
        if fixed != segment_count:
            cost = f"{_segments(segment_count)} instead of {fixed}"
            if others:
                cost += f" (with the {others + 1} characters that do so all fixed)"
        else:
            cost = (
                f"{_segments(segment_count)} either way, with room for 70 characters per SMS "
                "instead of 160"
            )
        findings.append(
            PreviewFinding(
                "forces_ucs2",
                "warning",
                f"{character!r} ({_name(character)}) forces UCS-2: {cost}. {_hint(character)}",
                (position, position + len(character)),
            )
        )
    return findings


def _all_written_in_gsm7(text: str, characters: list[str]) -> str:
    """``text`` with each of ``characters`` written as GSM-7 (or left out when it cannot be)."""
    for character in characters:
        smart = smart_encode(character)
        text = text.replace(character, smart.text if is_gsm7(smart.text) else "")
    return text


def _is_script_letter(character: str) -> bool:
    first = character[0]
    return unicodedata.category(first).startswith("L") and not unicodedata.name(
        first, ""
    ).startswith("LATIN")


def _name(character: str) -> str:
    return " + ".join(
        unicodedata.name(code_point, f"U+{ord(code_point):04X}").lower() for code_point in character
    )


def _hint(character: str) -> str:
    smart = smart_encode(character)
    if smart.changed and is_gsm7(smart.text):
        if not smart.text:
            return "It is invisible: delete it, or turn on smart encoding."
        return f"Write {smart.text!r} instead, or turn on smart encoding."
    return "Remove it to send GSM-7."


def _segments(count: int) -> str:
    return "1 segment" if count == 1 else f"{count} segments"
