"""Loading the country rules registry: the packaged TOML file or an operator's copy.

Every value is validated; a problem raises :class:`~parcelsms.errors.ConfigError` whose
``key`` names it (``countries[3].time_zone``). The rules themselves, and what they mean, are
in :mod:`parcelsms.domain.country_rules`.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from parcelsms.domain.country_rules import (
    ALPHANUMERIC_SUPPORT,
    MAX_NOTES_LENGTH,
    NUMERIC_FALLBACK,
    PACKAGED_FILE,
    AlphanumericSupport,
    CountryRule,
    CountryRules,
    NumericFallback,
    QuietHours,
    Source,
)
from parcelsms.domain.numbers import KNOWN_REGIONS
from parcelsms.errors import ConfigError

__all__ = ["load_country_rules", "parse_country_rules"]

_ENTRY_KEYS: Final = frozenset(
    {
        "code",
        "name",
        "alphanumeric_sender",
        "numeric_sender_fallback",
        "receipts_reliable",
        "time_zone",
        "quiet_hours",
        "notes",
        "sources",
        "opt_out_confirmation",
    }
)
_REQUIRED_ENTRY_KEYS: Final = _ENTRY_KEYS - {"quiet_hours", "notes", "opt_out_confirmation"}
_DEFAULT_KEYS: Final = frozenset(
    {"alphanumeric_sender", "numeric_sender_fallback", "receipts_reliable", "notes"}
)
_SOURCE_KEYS: Final = frozenset({"title", "url"})
_TOP_LEVEL_KEYS: Final = frozenset({"version", "default", "countries"})


def load_country_rules(path: Path | None = None) -> CountryRules:
    """Load and validate the registry at ``path``, or the packaged file when ``None``.

    Raises :class:`ConfigError`: for a missing or unreadable file or invalid TOML (no key),
    and for every invalid value with ``key`` naming it (``countries[3].time_zone``).
    """
    if path is None:
        packaged = resources.files("parcelsms.data").joinpath(PACKAGED_FILE)
        return parse_country_rules(packaged.read_text(encoding="utf-8"), source=PACKAGED_FILE)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"country rules file {path} does not exist") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read country rules file {path}: {exc}") from None
    return parse_country_rules(text, source=str(path))


def parse_country_rules(text: str, *, source: str = "<string>") -> CountryRules:
    """Validate the TOML ``text`` of a registry; ``source`` names it in error messages."""
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{source} is not valid TOML: {exc}") from None
    _refuse_unknown_keys(document, _TOP_LEVEL_KEYS, "", source)
    version = _version(document, source)
    fallback = _fallback(document, source)
    entries = document.get("countries")
    if not isinstance(entries, list) or not entries:
        raise ConfigError(f"needs at least one [[countries]] entry ({source})", key="countries")
    rules: list[CountryRule] = []
    first_index: dict[str, int] = {}
    for index, entry in enumerate(entries):
        key = f"countries[{index}]"
        rule = _country(entry, key, source)
        if rule.code in first_index:
            raise ConfigError(
                f"{rule.code} is already defined by countries[{first_index[rule.code]}] ({source})",
                key=f"{key}.code",
            )
        first_index[rule.code] = index
        rules.append(rule)
    return CountryRules(version, tuple(rules), fallback)


def _version(document: Mapping[str, object], source: str) -> str:
    version = document.get("version")
    if not isinstance(version, str):
        raise ConfigError(f'needs version = "YYYY-MM-DD" ({source})', key="version")
    try:
        date.fromisoformat(version)
    except ValueError:
        raise ConfigError(
            f'{version!r} is not a date written "YYYY-MM-DD" ({source})', key="version"
        ) from None
    if len(version) != len("2026-11-28"):
        raise ConfigError(f'{version!r} must be written "YYYY-MM-DD" ({source})', key="version")
    return version


def _fallback(document: Mapping[str, object], source: str) -> CountryRule:
    table = document.get("default")
    if not isinstance(table, dict):
        raise ConfigError(
            f"needs a [default] table for countries without an entry ({source})", key="default"
        )
    _refuse_unknown_keys(table, _DEFAULT_KEYS, "default", source)
    return CountryRule(
        code="*",
        name="Any country without an entry",
        alphanumeric_sender=_alphanumeric(table, "default", source),
        numeric_sender_fallback=_numeric(table, "default", source),
        receipts_reliable=_boolean(table, "receipts_reliable", "default", source),
        time_zone=None,
        quiet_hours=None,
        notes=_notes(table, "default", source),
        sources=(),
        listed=False,
    )


def _country(entry: object, key: str, source: str) -> CountryRule:
    if not isinstance(entry, dict):
        raise ConfigError(f"each [[countries]] entry is a table ({source})", key=key)
    _refuse_unknown_keys(entry, _ENTRY_KEYS, key, source)
    missing = sorted(_REQUIRED_ENTRY_KEYS - entry.keys())
    if missing:
        raise ConfigError(
            f"missing required key {missing[0]!r} ({source})", key=f"{key}.{missing[0]}"
        )
    return CountryRule(
        code=_code(entry, key, source),
        name=_text(entry, "name", key, source),
        alphanumeric_sender=_alphanumeric(entry, key, source),
        numeric_sender_fallback=_numeric(entry, key, source),
        receipts_reliable=_boolean(entry, "receipts_reliable", key, source),
        time_zone=_time_zone(entry, key, source),
        quiet_hours=_quiet_hours(entry, key, source),
        notes=_notes(entry, key, source),
        sources=_sources(entry, key, source),
        opt_out_confirmation=_optional_boolean(entry, "opt_out_confirmation", key, source),
    )


def _refuse_unknown_keys(
    table: Mapping[str, object], allowed: frozenset[str], key: str, source: str
) -> None:
    for name in sorted(table.keys() - allowed):
        full = f"{key}.{name}" if key else name
        expected = ", ".join(sorted(allowed))
        raise ConfigError(f"unknown key {name!r}; expected one of: {expected} ({source})", key=full)


def _text(table: Mapping[str, object], name: str, key: str, source: str) -> str:
    value = table.get(name)
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"{name} must be a non-empty string ({source})", key=f"{key}.{name}")
    return value


def _code(entry: Mapping[str, object], key: str, source: str) -> str:
    code = _text(entry, "code", key, source)
    if code not in KNOWN_REGIONS:
        hint = f"; write {code.upper()!r}" if code.upper() in KNOWN_REGIONS else ""
        raise ConfigError(
            f"{code!r} is not an ISO 3166 alpha-2 code with a numbering plan "
            f"(the United Kingdom is GB){hint} ({source})",
            key=f"{key}.code",
        )
    return code


def _alphanumeric(table: Mapping[str, object], key: str, source: str) -> AlphanumericSupport:
    value = table.get("alphanumeric_sender")
    for allowed in ALPHANUMERIC_SUPPORT:
        if value == allowed:
            return allowed
    raise ConfigError(
        f"{value!r} is not one of: {', '.join(ALPHANUMERIC_SUPPORT)} ({source})",
        key=f"{key}.alphanumeric_sender",
    )


def _numeric(table: Mapping[str, object], key: str, source: str) -> NumericFallback:
    value = table.get("numeric_sender_fallback")
    for allowed in NUMERIC_FALLBACK:
        if value == allowed:
            return allowed
    raise ConfigError(
        f"{value!r} is not one of: {', '.join(NUMERIC_FALLBACK)} ({source})",
        key=f"{key}.numeric_sender_fallback",
    )


def _boolean(table: Mapping[str, object], name: str, key: str, source: str) -> bool:
    value = table.get(name)
    if not isinstance(value, bool):
        raise ConfigError(f"{name} must be true or false ({source})", key=f"{key}.{name}")
    return value


def _optional_boolean(table: Mapping[str, object], name: str, key: str, source: str) -> bool:
    return _boolean(table, name, key, source) if name in table else False


def _time_zone(entry: Mapping[str, object], key: str, source: str) -> str:
    name = _text(entry, "time_zone", key, source)
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(
            f"{name!r} is not an IANA time zone such as 'Europe/Berlin' ({source})",
            key=f"{key}.time_zone",
        ) from None
    return name


def _quiet_hours(entry: Mapping[str, object], key: str, source: str) -> QuietHours | None:
    if "quiet_hours" not in entry:
        return None
    value = entry["quiet_hours"]
    if not isinstance(value, str):
        raise ConfigError(
            f'quiet_hours must be a string such as "21:00-08:00" ({source})',
            key=f"{key}.quiet_hours",
        )
    try:
        return QuietHours.parse(value)
    except ValueError as exc:
        raise ConfigError(f"{exc} ({source})", key=f"{key}.quiet_hours") from None


def _notes(table: Mapping[str, object], key: str, source: str) -> str:
    value = table.get("notes", "")
    if not isinstance(value, str):
        raise ConfigError(f"notes must be a string ({source})", key=f"{key}.notes")
    if len(value) > MAX_NOTES_LENGTH:
        raise ConfigError(
            f"notes are at most {MAX_NOTES_LENGTH} characters; keep details in the sources "
            f"({source})",
            key=f"{key}.notes",
        )
    return value


def _sources(entry: Mapping[str, object], key: str, source: str) -> tuple[Source, ...]:
    listed = entry.get("sources")
    if not isinstance(listed, list) or not listed:
        raise ConfigError(
            f"needs at least one source {{ title, url }} supporting the entry ({source})",
            key=f"{key}.sources",
        )
    sources: list[Source] = []
    for index, item in enumerate(listed):
        item_key = f"{key}.sources[{index}]"
        if not isinstance(item, dict):
            raise ConfigError(
                f'a source is {{ title = "...", url = "..." }} ({source})', key=item_key
            )
        _refuse_unknown_keys(item, _SOURCE_KEYS, item_key, source)
        title = _text(item, "title", item_key, source)
        url = _text(item, "url", item_key, source)
        if not url.startswith("https://") or any(char.isspace() for char in url):
            raise ConfigError(
                f"{url!r} is not an https:// address ({source})", key=f"{item_key}.url"
            )
        sources.append(Source(title=title, url=url))
    return tuple(sources)
