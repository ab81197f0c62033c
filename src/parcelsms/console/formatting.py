"""Numbers, money and times as the reader expects them: the locale from
``Accept-Language`` (Babel), times in the user's time zone."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from babel import Locale, UnknownLocaleError
from babel.numbers import format_currency, format_decimal, format_percent

DEFAULT_LOCALE = "en"
_MICROS = Decimal(1_000_000)


def negotiate_locale(accept_language: str | None) -> str:
    """The best locale Babel knows of an ``Accept-Language`` header (``en`` when none)."""
    if not accept_language:
        return DEFAULT_LOCALE
    weighted: list[tuple[float, str]] = []
    for position, part in enumerate(accept_language.split(",")):
        tag, _, parameters = part.strip().partition(";")
        quality = 1.0
        if parameters.strip().startswith("q="):
            try:
                quality = float(parameters.strip()[2:])
            except ValueError:
                quality = 0.0
        if tag and tag != "*":
            weighted.append((-quality + position * 1e-6, tag.replace("-", "_")))
    for _, tag in sorted(weighted):
        try:
            return str(Locale.parse(tag))
        except (UnknownLocaleError, ValueError):
            continue
    return DEFAULT_LOCALE


@dataclass(frozen=True, slots=True)
class Formatter:
    """Formats for one reader: ``locale`` (Babel name) and ``time_zone`` (IANA name)."""

    locale: str
    time_zone: str

    def number(self, value: int | float | None) -> str:
        return "—" if value is None else format_decimal(value, locale=self.locale)

    def percent(self, value: float | None) -> str:
        if value is None:
            return "—"
        return format_percent(value, format="#,##0.0%", locale=self.locale)

    def money(self, micros: int | None, currency: str) -> str:
        if micros is None:
            return "—"
        return format_currency(
            Decimal(micros) / _MICROS,
            currency,
            format="¤#,##0.00####",
            locale=self.locale,
            currency_digits=False,
        )

    def time(self, value: datetime | None) -> str:
        if value is None:
            return "—"
        local = value.astimezone(ZoneInfo(self.time_zone))
        return local.strftime("%Y-%m-%d %H:%M:%S")
