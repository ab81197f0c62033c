"""The country rules registry: what each destination allows as an SMS sender.

The registry is a versioned TOML data file (``parcelsms/data/country_rules.toml`` is shipped;
an operator may load an edited copy). Each ``[[countries]]`` entry says whether alphanumeric
sender IDs work in the country, whether they must be registered, what numeric sender works
when a name does not, whether delivery receipts can be trusted, and the default quiet hours
in the country's main time zone. A ``[default]`` table gives the rule for destinations the
file does not list.

The file is validated completely when loaded; every problem raises
:class:`~parcelsms.errors.ConfigError` whose ``key`` names the offending value, for example
``countries[12].alphanumeric_sender``. Refused: unknown keys, a missing required key, a value
outside its enumeration, a code that is not an ISO 3166 alpha-2 region with a numbering plan
(``UK`` instead of ``GB``), the same code twice, a time zone unknown to the IANA database,
quiet hours not written ``HH:MM-HH:MM`` (or empty), and an entry without a source.

Why the fallback is conservative about names: a wrong "supported" means messages silently
blocked or shown as "Likely Scam" in a country that started a sender registry (Ireland,
Spain, Australia and others did so in 2025-2026), while "registration_required" only asks the
sender to register the name for that country, and an approved number still gets through.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime, time
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Final, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from parcelsms.domain.numbers import KNOWN_REGIONS
from parcelsms.errors import ConfigError

AlphanumericSupport = Literal["supported", "registration_required", "not_supported"]
NumericFallback = Literal[
    "any_international", "local_long_code", "short_code_only", "carrier_assigned", "none"
]

ALPHANUMERIC_SUPPORT: Final[Mapping[AlphanumericSupport, str]] = MappingProxyType(
    {
        "supported": "a name such as ACME is delivered as sent, without registration",
        "registration_required": (
            "only names registered for this country (with the operators or a national "
            "registry) are delivered as sent"
        ),
        "not_supported": "names are refused or replaced by the operators",
    }
)
"""Each value of ``alphanumeric_sender`` with its meaning (used by the docs generator)."""

NUMERIC_FALLBACK: Final[Mapping[NumericFallback, str]] = MappingProxyType(
    {
        "any_international": "any approved number is delivered (possibly rewritten)",
        "local_long_code": "only a local number registered in the country works",
        "short_code_only": "only a short code provisioned in the country works",
        "carrier_assigned": "the operator shows its own number or short code instead",
        "none": "numeric senders are not delivered at all",
    }
)
"""Each value of ``numeric_sender_fallback`` with its meaning (used by the docs generator)."""

PACKAGED_FILE: Final = "country_rules.toml"
MAX_NOTES_LENGTH: Final = 500

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
    }
)
_REQUIRED_ENTRY_KEYS: Final = _ENTRY_KEYS - {"quiet_hours", "notes"}
_DEFAULT_KEYS: Final = frozenset(
    {"alphanumeric_sender", "numeric_sender_fallback", "receipts_reliable", "notes"}
)
_SOURCE_KEYS: Final = frozenset({"title", "url"})
_TOP_LEVEL_KEYS: Final = frozenset({"version", "default", "countries"})
_QUIET_HOURS = re.compile(r"([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-3]):([0-5]\d)")


@dataclass(frozen=True, slots=True)
class QuietHours:
    """A daily local-time window, ``start`` inclusive and ``end`` exclusive.

    When ``end`` is earlier than ``start`` the window crosses midnight (``21:00-08:00``).
    """

    start: time
    end: time

    @classmethod
    def parse(cls, text: str) -> QuietHours:
        """Parse ``"HH:MM-HH:MM"``; raise ``ValueError`` for any other form or an empty window."""
        match = _QUIET_HOURS.fullmatch(text)
        if match is None:
            raise ValueError(f'{text!r} is not a window written "HH:MM-HH:MM", e.g. "21:00-08:00"')
        start_hour, start_minute, end_hour, end_minute = (int(part) for part in match.groups())
        window = cls(time(start_hour, start_minute), time(end_hour, end_minute))
        if window.start == window.end:
            raise ValueError(f"{text!r} starts and ends at the same minute")
        return window

    def contains(self, local: time) -> bool:
        """True when the wall-clock time ``local`` falls inside the window."""
        local = local.replace(tzinfo=None)
        if self.start < self.end:
            return self.start <= local < self.end
        return local >= self.start or local < self.end

    def __str__(self) -> str:
        return f"{self.start:%H:%M}-{self.end:%H:%M}"


@dataclass(frozen=True, slots=True)
class Source:
    """A public page that supports a country entry."""

    title: str
    url: str


@dataclass(frozen=True, slots=True)
class CountryRule:
    """The sender, receipt and quiet-hour rules for one destination country.

    ``listed`` is false for a rule made from the registry's ``[default]`` table for a country
    the file does not name; such a rule has no ``time_zone``, no ``quiet_hours`` and no
    ``sources``, and its ``name`` is the code.
    """

    code: str
    name: str
    alphanumeric_sender: AlphanumericSupport
    numeric_sender_fallback: NumericFallback
    receipts_reliable: bool
    time_zone: str | None
    quiet_hours: QuietHours | None
    notes: str
    sources: tuple[Source, ...]
    listed: bool = True


class CountryRules:
    """An immutable, validated registry: entries by code plus the rule for unlisted codes."""

    __slots__ = ("_by_code", "_fallback", "_version")

    def __init__(self, version: str, rules: tuple[CountryRule, ...], fallback: CountryRule) -> None:
        """Wrap already validated ``rules``; use :func:`load_country_rules` to build one."""
        self._version = version
        self._by_code: Mapping[str, CountryRule] = MappingProxyType(
            {rule.code: rule for rule in rules}
        )
        self._fallback = fallback

    @property
    def version(self) -> str:
        """The file's ``version`` (an ISO date such as ``"2026-11-28"``)."""
        return self._version

    @property
    def fallback(self) -> CountryRule:
        """The ``[default]`` rule (code ``"*"``), applied to countries without an entry."""
        return self._fallback

    def get(self, code: str) -> CountryRule | None:
        """The entry for ``code`` (case-insensitive), or ``None`` when the file has none."""
        return self._by_code.get(code.upper())

    def rule_for(self, code: str) -> CountryRule:
        """The entry for ``code``, else the default rule applied to that code (``listed=False``)."""
        found = self.get(code)
        if found is not None:
            return found
        upper = code.upper()
        return replace(self._fallback, code=upper, name=upper)

    def __iter__(self) -> Iterator[CountryRule]:
        """Entries in file order."""
        return iter(self._by_code.values())

    def __len__(self) -> int:
        return len(self._by_code)

    def __contains__(self, code: object) -> bool:
        return isinstance(code, str) and code.upper() in self._by_code

    def __repr__(self) -> str:
        return f"CountryRules(version={self._version!r}, countries={len(self)})"


def is_within_quiet_hours(rule: CountryRule, at: datetime) -> bool:
    """True when the aware instant ``at`` falls in ``rule``'s quiet hours, in its time zone.

    A rule without quiet hours (or without a time zone) is never quiet. Raises ``ValueError``
    for a naive ``at``: an instant without a zone cannot be placed on the country's clock.
    """
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError("at must be a timezone-aware datetime")
    if rule.quiet_hours is None or rule.time_zone is None:
        return False
    local = at.astimezone(ZoneInfo(rule.time_zone))
    return rule.quiet_hours.contains(local.time())


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
