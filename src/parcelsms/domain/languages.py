"""Which language variant of a template a message uses.

The order (issue 4): an explicit ``language`` in the request; else, when the template was
referenced by a version id, that version's language; else the first language of the
recipient's country (``parcelsms/data/country_languages.toml``) that the template has an
approved variant for; else the template's default language.

Tags match loosely where a reader would not mind: a wanted ``pt-BR`` is served by a ``pt``
variant, ``es-MX`` by ``es``; a script is never crossed (``zh-Hans`` is not ``zh-Hant``).
An explicit ``language`` is matched the same way, exact tags first.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from types import MappingProxyType
from typing import Final, Literal

from parcelsms.domain.numbers import KNOWN_REGIONS

PACKAGED_FILE: Final = "country_languages.toml"

LanguageReason = Literal["requested", "pinned", "country", "default"]


@dataclass(frozen=True, slots=True)
class LanguageChoice:
    """The variant language chosen and why (``requested``, ``pinned``, ``country``, ``default``)."""

    language: str
    reason: LanguageReason


def language_key(tag: str) -> str:
    """The part of a BCP 47 tag that must agree: language and script (``zh-hans``, ``pt``)."""
    parts = tag.lower().split("-")
    if len(parts) > 1 and len(parts[1]) == 4 and parts[1].isalpha():
        return f"{parts[0]}-{parts[1]}"
    return parts[0]


def match_language(wanted: str, available: Iterable[str]) -> str | None:
    """The available tag that serves ``wanted``: the same tag, else the same language key.

    Among same-key tags, one without a region (``es``) is preferred over another region's
    (``es-ES`` for a wanted ``es-MX``).
    """
    tags = list(available)
    lowered = wanted.lower()
    for tag in tags:
        if tag.lower() == lowered:
            return tag
    key = language_key(wanted)
    same_key = [tag for tag in tags if language_key(tag) == key]
    if not same_key:
        return None
    plain = [tag for tag in same_key if tag.lower() == key]
    return (plain or same_key)[0]


def choose_language(
    available: Sequence[str],
    *,
    requested: str | None,
    pinned: str | None,
    country_languages: Sequence[str],
    default: str,
) -> LanguageChoice | None:
    """Pick one of ``available`` (the languages with an approved variant); see the module.

    Returns ``None`` when ``requested`` is given and not available, or when nothing applies
    (no country language and the default language has no approved variant).
    """
    if requested is not None:
        found = match_language(requested, available)
        return None if found is None else LanguageChoice(found, "requested")
    if pinned is not None:
        found = match_language(pinned, available)
        if found is not None:
            return LanguageChoice(found, "pinned")
    for wanted in country_languages:
        found = match_language(wanted, available)
        if found is not None:
            return LanguageChoice(found, "country")
    found = match_language(default, available)
    return None if found is None else LanguageChoice(found, "default")


class CountryLanguages:
    """The country → languages map (immutable)."""

    __slots__ = ("_by_country", "_version")

    def __init__(self, version: str, by_country: Mapping[str, tuple[str, ...]]) -> None:
        self._version = version
        self._by_country = MappingProxyType(dict(by_country))

    @property
    def version(self) -> str:
        return self._version

    def for_country(self, country: str) -> tuple[str, ...]:
        """The country's languages in order of preference; empty when it is not listed."""
        return self._by_country.get(country.upper(), ())

    def __len__(self) -> int:
        return len(self._by_country)

    def items(self) -> Iterable[tuple[str, tuple[str, ...]]]:
        return self._by_country.items()


def parse_country_languages(text: str, *, source: str = "<string>") -> CountryLanguages:
    """Validate the TOML ``text`` of a country → languages file.

    Raises ``ValueError`` naming the key for an unknown country code, a value that is not
    a non-empty list of language tags, or a missing ``version``.
    """
    document = tomllib.loads(text)
    version = document.get("version")
    if not isinstance(version, str):
        raise ValueError(f"{source}: version must be a string")
    table = document.get("countries")
    if not isinstance(table, dict):
        raise ValueError(f"{source}: needs a [countries] table")
    by_country: dict[str, tuple[str, ...]] = {}
    for code, tags in table.items():
        if code not in KNOWN_REGIONS:
            raise ValueError(f"{source}: countries.{code} is not an ISO 3166 alpha-2 code")
        if (
            not isinstance(tags, list)
            or not tags
            or not all(isinstance(tag, str) and _looks_like_tag(tag) for tag in tags)
        ):
            raise ValueError(f"{source}: countries.{code} must be a list of BCP 47 tags")
        by_country[code] = tuple(tags)
    return CountryLanguages(version, by_country)


def _looks_like_tag(tag: str) -> bool:
    parts = tag.split("-")
    return (
        2 <= len(parts[0]) <= 3
        and parts[0].isalpha()
        and parts[0].islower()
        and all(part.isalnum() and 1 <= len(part) <= 8 for part in parts[1:])
    )


@cache
def packaged_country_languages() -> CountryLanguages:
    """The map shipped in ``parcelsms/data/country_languages.toml`` (read once)."""
    text = resources.files("parcelsms.data").joinpath(PACKAGED_FILE).read_text("utf-8")
    return parse_country_languages(text, source=PACKAGED_FILE)
