"""Opt-out and opt-in keywords: which replies stop, and which resume, a sender's messages.

The words are data (``data/reply_keywords.toml``, grouped by language for review); a reply
is a keyword only when its whole text is one, compared after :func:`normalise_reply`:
Unicode case folding (NFKC first, so full-width ``ＳＴＯＰ`` is ``stop``), runs of white space
as one space, and punctuation at either end dropped. A longer sentence that merely contains
"stop" is not a keyword: guessing there would silence customers who asked a question.
"""

from __future__ import annotations

import enum
import tomllib
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Final

from parcelsms.errors import ConfigError

__all__ = [
    "ReplyKeyword",
    "ReplyKeywords",
    "normalise_reply",
    "packaged_reply_keywords",
    "parse_reply_keywords",
]

PACKAGED_FILE: Final = "reply_keywords.toml"
_MAX_KEYWORD_LENGTH: Final = 40
# Punctuation a handset or a person adds around a keyword ("Stop.", "STOP!!", "「退订」").
_EDGE_PUNCTUATION: Final = ".,;:!?¡¿'\"()[]{}<>«»“”‘’「」『』。，！？、~-_*#"


class ReplyKeyword(enum.StrEnum):
    """What a keyword reply asks for."""

    OPT_OUT = "opt_out"
    OPT_IN = "opt_in"


def normalise_reply(text: str) -> str:
    """``text`` as keywords are compared: NFKC, case-folded, spaces collapsed, edge
    punctuation and white space removed."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    collapsed = " ".join(folded.split())
    return collapsed.strip(_EDGE_PUNCTUATION + " ")


@dataclass(frozen=True, slots=True)
class ReplyKeywords:
    """The validated keyword lists (normalised words mapped to what they ask for)."""

    version: str
    words: Mapping[str, ReplyKeyword]

    def classify(self, text: str) -> ReplyKeyword | None:
        """The keyword ``text`` is, or ``None`` for any other reply."""
        normalised = normalise_reply(text)
        if not normalised or len(normalised) > _MAX_KEYWORD_LENGTH:
            return None
        return self.words.get(normalised)


def parse_reply_keywords(document: Mapping[str, object]) -> ReplyKeywords:
    """Validate a parsed keyword file; :class:`ConfigError` names the offending key."""
    unknown = set(document) - {"version", "opt_out", "opt_in"}
    if unknown:
        raise ConfigError("unknown key", key=sorted(unknown)[0])
    version = document.get("version")
    if not isinstance(version, str) or not version:
        raise ConfigError("is required and must be a string", key="version")
    words: dict[str, ReplyKeyword] = {}
    for kind in ReplyKeyword:
        table = document.get(kind.value)
        if not isinstance(table, Mapping) or not table:
            raise ConfigError("must be a table of language = [words]", key=kind.value)
        for language, listed in table.items():
            key = f"{kind.value}.{language}"
            if not isinstance(listed, list) or not listed:
                raise ConfigError("must be a non-empty list of words", key=key)
            for index, word in enumerate(listed):
                normalised = normalise_reply(word) if isinstance(word, str) else ""
                if not normalised or len(normalised) > _MAX_KEYWORD_LENGTH:
                    raise ConfigError(
                        f"must be a word of 1 to {_MAX_KEYWORD_LENGTH} characters",
                        key=f"{key}[{index}]",
                    )
                earlier = words.setdefault(normalised, kind)
                if earlier is not kind:
                    raise ConfigError(
                        "is both an opt-out and an opt-in word", key=f"{key}[{index}]"
                    )
    return ReplyKeywords(version=version, words=words)


@cache
def packaged_reply_keywords() -> ReplyKeywords:
    """The keyword lists shipped with parcelsms (``data/reply_keywords.toml``)."""
    text = resources.files("parcelsms.data").joinpath(PACKAGED_FILE).read_text("utf-8")
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{PACKAGED_FILE}: {exc}") from None
    return parse_reply_keywords(document)
