"""The country rules registry: what each destination allows as an SMS sender.

The registry is a versioned TOML data file (``parcelsms/data/country_rules.toml`` is shipped;
an operator may load an edited copy). Each ``[[countries]]`` entry says whether alphanumeric
sender IDs work in the country, whether they must be registered, what numeric sender works
when a name does not, whether delivery receipts can be trusted, and the default quiet hours
in the country's main time zone. A ``[default]`` table gives the rule for destinations the
file does not list.

The file is validated completely when loaded (:mod:`.country_rules_loading`); every problem raises
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
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, time
from types import MappingProxyType
from typing import Final, Literal
from zoneinfo import ZoneInfo

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
    # A recipient who opts out (STOP) is sent one confirmation, whatever the account's
    # setting (data key ``opt_out_confirmation``, false when absent).
    opt_out_confirmation: bool = False


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
