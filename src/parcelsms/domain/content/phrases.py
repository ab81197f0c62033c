"""Marketing and promotional phrases, per language, found in a template's literal text.

Phrase lists are data: ``parcelsms/data/marketing_phrases/<language>.toml``, one file per
language (the file name is the language code), each with::

    name = "English"                   # shown in findings
    strong = ["free", "buy now", ...]  # an error: promotional wording
    weak = ["offer*", "sale", ...]     # a warning: often promotional, sometimes not
    exceptions = ["feel free", ...]    # matches inside these are not reported
    optional_prefixes = ["ال", ...]     # clitics that may be glued to a phrase (Arabic)

Matching rules:

* on the literal text only: a placeholder breaks a phrase, its value is checked at send
  time;
* case-insensitive and accent-insensitive where accents are decoration: text and phrases
  are compared after NFKC (so fullwidth ``ＦＲＥＥ`` is ``free``), case folding, removal of
  accents on Latin and Greek letters, ``ł ø đ ı ё`` read as ``l o d i е``, and Arabic
  hamza forms, tatweel and vowel marks removed; Japanese voicing marks are kept (``カ`` and
  ``ガ`` are different letters);
* on word boundaries for scripts that separate words with spaces; as a substring for
  Chinese, Japanese, Korean and Thai, which do not;
* words of a phrase may be separated by any run of spaces and hyphens, or by nothing
  (``click here``, ``click-here``, ``clickhere``); an apostrophe matches ``'`` ``’`` ``ʼ``;
* ``*`` at the start or end of a word stands for any letters (``*rabatt*`` finds
  ``Sommerrabatt`` and ``Rabattcode``).

The lists of the template's language and the English list are applied (English marketing
words are used in every market); a language without a file gets the English list only.
A language tag is reduced to its primary subtag (``pt-BR`` → ``pt``, ``zh-Hans`` → ``zh``).
"""

from __future__ import annotations

import functools
import re
import tomllib
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from types import MappingProxyType
from typing import Final

from parcelsms.domain.content.body_map import BodyMap
from parcelsms.domain.content.findings import Finding, Severity, Span
from parcelsms.errors import ConfigError

PHRASE_PACKAGE: Final = "parcelsms.data.marketing_phrases"
_KEYS: Final = frozenset({"name", "strong", "weak", "exceptions", "optional_prefixes"})

# Letters without a Unicode decomposition that readers still take for their base letter
# when the diacritic is dropped (as senders often do to stay in GSM-7).
_FOLDED_LETTERS: Final = {
    "ł": "l",
    "ø": "o",
    "đ": "d",
    "ħ": "h",
    "ı": "i",
    "ё": "е",
    "أ": "ا",
    "إ": "ا",
    "آ": "ا",
    "ٱ": "ا",
    "ى": "ي",
}
# Arabic tatweel (elongation) and vowel marks: optional in writing, used to dodge filters.
_ARABIC_DROPPED: Final = re.compile("[\u0640\u064b-\u065f\u0670]")


@dataclass(frozen=True, slots=True)
class PhraseRule:
    """One phrase of a list: as written in the data file, its severity and its pattern."""

    phrase: str
    severity: Severity
    pattern: re.Pattern[str]


@dataclass(frozen=True, slots=True)
class PhraseList:
    """The phrases of one language, ready to match against folded text."""

    language: str
    name: str
    rules: tuple[PhraseRule, ...]
    exceptions: tuple[re.Pattern[str], ...]


def fold(text: str) -> tuple[str, tuple[int, ...]]:
    """Fold ``text`` for comparison; return it with the source index of each folded char.

    Folding is per character (see the module docstring), so an index map is exact: a
    character may fold to nothing (a vowel mark) or to several (``ß`` → ``ss``).
    """
    folded: list[str] = []
    origin: list[int] = []
    for index, character in enumerate(text):
        for piece in _fold_character(character):
            folded.append(piece)
            origin.append(index)
    return "".join(folded), tuple(origin)


@functools.lru_cache(maxsize=4096)
def _fold_character(character: str) -> str:
    if _ARABIC_DROPPED.match(character) or "\u0300" <= character <= "\u036f":
        return ""
    normal = unicodedata.normalize("NFKC", character).casefold()
    pieces: list[str] = []
    for letter in normal:
        if "\u0300" <= letter <= "\u036f":
            continue
        decomposed = unicodedata.normalize("NFD", letter)
        if _accents_are_decoration(decomposed[0]):
            letter = "".join(c for c in decomposed if not unicodedata.combining(c))
        pieces.append("".join(_FOLDED_LETTERS.get(c, c) for c in letter))
    return "".join(pieces)


def _accents_are_decoration(base: str) -> bool:
    # Latin and Greek letters; Cyrillic й or Japanese ガ are letters of their own.
    code = ord(base)
    return code < 0x0250 or 0x0370 <= code < 0x0400 or 0x1E00 <= code < 0x2000


def _separates_words_with_spaces(character: str) -> bool:
    code = ord(character)
    return not (
        0x0E00 <= code < 0x0F00  # Thai, Lao
        or 0x1000 <= code < 0x10A0  # Myanmar
        or 0x1100 <= code < 0x1200  # Hangul jamo
        or 0x1780 <= code < 0x1800  # Khmer
        or 0x2E80 <= code < 0xA000  # CJK radicals, kana, bopomofo, ideographs
        or 0xAC00 <= code < 0xD7B0  # Hangul syllables
        or 0xF900 <= code < 0xFB00  # CJK compatibility ideographs
        or 0xFF66 <= code < 0xFFA0  # halfwidth katakana
        or code >= 0x20000  # CJK extensions
    )


def parse_phrase_list(text: str, language: str, *, source: str) -> PhraseList:
    """Validate and compile one phrase file; raise :class:`ConfigError` naming the key.

    ``source`` names the file in error messages.
    """
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"not valid TOML: {exc}", key=source) from exc
    unknown = sorted(set(data) - _KEYS)
    if unknown:
        raise ConfigError(f"unknown key {unknown[0]!r}", key=source)
    name = data.get("name")
    if not isinstance(name, str) or not name.strip():
        raise ConfigError("a non-empty 'name' is required", key=f"{source}: name")
    prefixes = _strings(data, "optional_prefixes", source)
    rules: list[PhraseRule] = []
    seen: dict[str, str] = {}
    levels: tuple[tuple[Severity, str], ...] = (("error", "strong"), ("warning", "weak"))
    for severity, key in levels:
        for index, phrase in enumerate(_strings(data, key, source)):
            where = f"{source}: {key}[{index}]"
            pattern = _compile(phrase, prefixes, where)
            if pattern.pattern in seen:
                raise ConfigError(
                    f"{phrase!r} is listed twice (also as {seen[pattern.pattern]})", key=where
                )
            seen[pattern.pattern] = where
            rules.append(PhraseRule(phrase, severity, pattern))
    if not rules:
        raise ConfigError("the list has no phrases", key=source)
    exceptions = tuple(
        _compile(phrase, prefixes, f"{source}: exceptions[{index}]")
        for index, phrase in enumerate(_strings(data, "exceptions", source))
    )
    return PhraseList(language, name.strip(), tuple(rules), exceptions)


def _strings(data: Mapping[str, object], key: str, source: str) -> list[str]:
    value = data.get(key, [])
    if not isinstance(value, list):
        raise ConfigError("must be a list of strings", key=f"{source}: {key}")
    for index, item in enumerate(value):
        if not isinstance(item, str) or not item.strip():
            raise ConfigError("must be a non-empty string", key=f"{source}: {key}[{index}]")
    return list(value)


def _compile(phrase: str, prefixes: Sequence[str], where: str) -> re.Pattern[str]:
    words = [word for word in re.split(r"[\s\-]+", phrase) if word]
    pieces: list[str] = []
    for word in words:
        leading, trailing = word.startswith("*"), word.endswith("*") and len(word) > 1
        core = fold(word.strip("*"))[0]
        if not core or "*" in core:
            raise ConfigError(f"{phrase!r}: '*' may only open or close a word", key=where)
        escaped = "".join("['’ʼ]" if c in "'’ʼ" else re.escape(c) for c in core)
        pieces.append(("\\w*" if leading else "") + escaped + ("\\w*" if trailing else ""))
    if not pieces:
        raise ConfigError(f"{phrase!r} has no words", key=where)
    first = fold(words[0].lstrip("*"))[0][0]
    last = fold(words[-1].rstrip("*"))[0][-1]
    pattern = "[\\s\\-]*".join(pieces)
    if (words[0].startswith("*") or first.isalnum()) and _separates_words_with_spaces(first):
        folded_prefixes = sorted((fold(p)[0] for p in prefixes), key=len, reverse=True)
        optional = "|".join(map(re.escape, folded_prefixes))
        pattern = "(?<!\\w)" + (f"(?:{optional})?" if optional else "") + pattern
    if (words[-1].endswith("*") or last.isalnum()) and _separates_words_with_spaces(last):
        pattern += "(?!\\w)"
    return re.compile(pattern)


@functools.cache
def shipped_phrase_lists() -> Mapping[str, PhraseList]:
    """The phrase lists shipped in ``parcelsms/data/marketing_phrases``, by language.

    Loaded and validated on first use; a broken file raises :class:`ConfigError`.
    """
    lists: dict[str, PhraseList] = {}
    for entry in sorted(resources.files(PHRASE_PACKAGE).iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".toml"):
            language = entry.name.removesuffix(".toml")
            source = f"marketing_phrases/{entry.name}"
            lists[language] = parse_phrase_list(entry.read_text("utf-8"), language, source=source)
    return MappingProxyType(lists)


def lists_for_language(language: str, catalogue: Mapping[str, PhraseList]) -> list[PhraseList]:
    """The lists applied to a template in ``language``: its own, then English."""
    primary = language.split("-")[0].split("_")[0].lower()
    chosen = [catalogue[primary]] if primary in catalogue else []
    if primary != "en" and "en" in catalogue:
        chosen.append(catalogue["en"])
    return chosen


@dataclass(frozen=True, slots=True)
class _Match:
    span: Span
    severity: Severity
    phrase_list: PhraseList


def find_marketing_phrases(body_map: BodyMap, phrase_lists: Iterable[PhraseList]) -> list[Finding]:
    """One finding per promotional phrase in the literal text of the body.

    Where matches overlap, a match inside a stronger or equal one already reported is
    dropped (``free shipping`` is one finding, not two).
    """
    folded, origin = fold(body_map.masked)
    matches: list[_Match] = []
    for phrase_list in phrase_lists:
        excepted = [
            m.span() for pattern in phrase_list.exceptions for m in pattern.finditer(folded)
        ]
        for rule in phrase_list.rules:
            for found in rule.pattern.finditer(folded):
                start, end = found.span()
                if any(s <= start and end <= e for s, e in excepted):
                    continue
                span = (origin[start], origin[end - 1] + 1)
                matches.append(_Match(span, rule.severity, phrase_list))
    matches.sort(key=lambda m: (m.severity != "error", m.span[0], -m.span[1]))
    kept: list[_Match] = []
    for match in matches:
        if not any(k.span[0] <= match.span[0] and match.span[1] <= k.span[1] for k in kept):
            kept.append(match)
    return [_finding(body_map.body, match) for match in kept]


def _finding(body: str, match: _Match) -> Finding:
    shown = body[match.span[0] : match.span[1]]
    name = match.phrase_list.name
    if match.severity == "error":
        message = (
            f"{shown!r} is promotional wording ({name} list): carriers block marketing "
            "content on notification routes. Remove it, or send offers through a marketing "
            "channel with the recipient's consent."
        )
    else:
        message = (
            f"{shown!r} often marks promotional content ({name} list). Keep it only if the "
            "message is a service notice about the shipment, not an offer."
        )
    return Finding("marketing_phrase", match.severity, message, match.span, "body")
