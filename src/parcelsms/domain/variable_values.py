"""Typed template variables: checking a parameter value and writing it for the recipient.

Every value first passes the checks of :func:`parcelsms.domain.templates.parameter_text`
(a string or number, 1 to 80 characters, no control characters, newlines or braces). Then,
by the variable's declared type:

=================  ==================================================  ====================
type               accepted value                                      written as (``en-GB``)
=================  ==================================================  ====================
``text``           any text without a link                             as sent
``tracking_number`` letters, digits, spaces and dashes, with a digit,   as sent
                   4 or more characters
``date``           ``2025-06-15`` (or a date-time with its offset,     ``15 Jun 2025``
                   whose date in the recipient's zone is used)
``date_time``      ``2025-06-15T14:30:00Z`` / ``…+02:00``: an offset   ``15 Jun 2025, 15:30``
                   is required, local times are ambiguous              (recipient's zone)
``money``          ``"12.50 EUR"`` or ``"EUR 12.50"``: an amount with  ``€12.50``
                   at most the currency's decimals and its ISO code
``link``           one ``https://`` (or ``http://``) link whose host   as sent
                   is one of the account's link domains (or under one)
=================  ==================================================  ====================

Values that are not ``link`` may not contain a link (``https://…``, ``www.…``,
``shop.example/path``, ``name.com``): links in messages are reviewed in the template, and a
link smuggled in a variable is what carriers' spam filters look for. Template syntax from
other engines (``<% %>``; braces are refused already) is refused too. Every refusal is
``invalid_param`` naming the variable in ``field``.

Dates, times and amounts are written with the Unicode CLDR conventions (the ``babel``
package) of the variant's language in the recipient's country: ``en`` to a US number is
``Jun 15, 2025``, to a GB number ``15 Jun 2025``; ``de`` gives ``15.06.2025``-style
medium dates (``15. Juni 2025``) and ``12,50 €``. CLDR covers every language parcelsms
templates are written in; a language babel does not know falls back to its base language,
then to English. The no-break spaces CLDR puts in some formats (``12,50 €`` in French and
German, ``4:30 PM`` in US English) are written as plain spaces: a no-break space is not
GSM-7 and would make the whole message UCS-2.

After formatting, the text must fit the variable's ``max_length`` (``param_too_long``
otherwise): the declared maximum is what the template's length checks assumed.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Final, Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import msgspec
from babel import Locale, UnknownLocaleError
from babel.dates import format_skeleton, format_time
from babel.numbers import format_currency, get_currency_precision, is_currency

from parcelsms.domain.content.body_map import map_body
from parcelsms.domain.content.links import find_links, normal_domain, shipped_shortener_domains
from parcelsms.domain.error_catalogue import error
from parcelsms.domain.templates import (
    MAX_PARAM_LENGTH,
    ParsedTemplate,
    check_param_names,
    parameter_text,
)

_TRACKING: Final = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9 \-]*[A-Za-z0-9])?")
_MONEY: Final = re.compile(
    r"(?:(?P<before>[A-Za-z]{3}) ?)?"
    r"(?P<amount>-?\d{1,15}(?:\.\d{1,6})?)"
    r"(?: ?(?P<after>[A-Za-z]{3}))?"
)
_FOREIGN_SYNTAX: Final = ("<%", "%>")
# CLDR separators that are not GSM-7, written as the space a reader sees.
_SPACES: Final = str.maketrans({"\u00a0": " ", "\u202f": " ", "\u2009": " "})


class DeclaredVariable(Protocol):
    """What a variable declaration provides (a ``VariableSpec`` or a stored declaration)."""

    @property
    def type(self) -> str: ...

    @property
    def max_length(self) -> int: ...


class RecipientLocale(msgspec.Struct, frozen=True):
    """Where the message is read: the variant's language, the recipient's country and zone,
    and the account's link domains."""

    language: str
    country: str
    time_zone: str = "UTC"
    link_domains: tuple[str, ...] = ()


def format_value(
    name: str,
    declared: DeclaredVariable,
    value: object,
    where: RecipientLocale,
    *,
    field_prefix: str = "params",
) -> str:
    """The text ``value`` is written as in the message, or a ``CatalogueError``.

    Raises ``invalid_param`` (see the module docstring), ``param_too_long`` (over 80
    characters as sent, or over ``max_length`` once formatted), both naming
    ``<field_prefix>.<name>``.
    """
    field = f"{field_prefix}.{name}"
    text = parameter_text(name, value, field_prefix)
    for syntax in _FOREIGN_SYNTAX:
        if syntax in text:
            raise error(
                "invalid_param",
                f"The value of {name!r} contains template syntax ({syntax!r}); send the "
                "value itself.",
                field=field,
            )
    kind = declared.type
    if kind == "link":
        written = _link(name, text, where, field)
    else:
        _refuse_links(name, text, field)
        if kind == "tracking_number":
            written = _tracking_number(name, text, field)
        elif kind == "date":
            written = _date(name, text, where, field)
        elif kind == "date_time":
            written = _date_time(name, text, where, field)
        elif kind == "money":
            written = _money(name, text, where, field)
        else:
            written = text
    if len(written) > declared.max_length:
        shown = f" (written {written!r})" if written != text else ""
        raise error(
            "param_too_long",
            f"The value of {name!r}{shown} has {len(written)} characters; the template "
            f"declares at most {declared.max_length}.",
            field=field,
        )
    return written


def _refuse_links(name: str, text: str, field: str) -> None:
    # Phones and browsers read full-width and other compatibility forms as their ASCII
    # twins ("ｅｖｉｌ．ｃｏｍ" opens evil.com), so links are looked for in the NFKC-folded
    # value; the value itself is sent as written.
    folded = unicodedata.normalize("NFKC", text)
    # Every link has a dot (a domain) or a scheme's colon; most values have neither, and this
    # skips the two regular-expression scans on the accept path.
    if "." not in folded and ":" not in folded:
        return
    links = find_links(map_body(folded))
    if links:
        raise error(
            "invalid_param",
            f"The value of {name!r} contains a link ({links[0].text!r}); links go in the "
            "template, or in a variable declared with type 'link'.",
            field=field,
        )


def _link(name: str, text: str, where: RecipientLocale, field: str) -> str:
    links = find_links(map_body(text))
    if (
        len(links) != 1
        or links[0].text != text
        or not text.lower().startswith(("https://", "http://"))
    ):
        raise error(
            "invalid_param",
            f"The value of {name!r} must be one link starting with https://.",
            field=field,
        )
    host = links[0].host
    if _on_domain(host, shipped_shortener_domains()):
        raise error(
            "invalid_param",
            f"The link in {name!r} uses a public URL shortener ({host}); carriers block "
            "those. Send the full link on your own domain.",
            field=field,
        )
    allowed = sorted({normal_domain(domain) for domain in where.link_domains} - {""})
    if _on_domain(host, allowed) is None:
        shown = ", ".join(allowed) if allowed else "none declared"
        raise error(
            "invalid_param",
            f"The link in {name!r} points to {host}, which is not one of the account's link "
            f"domains ({shown}).",
            field=field,
        )
    return text


def _on_domain(host: str, domains: Iterable[str]) -> str | None:
    return next((d for d in domains if host == d or host.endswith("." + d)), None)


def _tracking_number(name: str, text: str, field: str) -> str:
    if len(text) < 4 or not _TRACKING.fullmatch(text) or not any(c.isdigit() for c in text):
        raise error(
            "invalid_param",
            f"The value of {name!r} is not a tracking number: 4 or more letters, digits, "
            "spaces and dashes, with at least one digit.",
            field=field,
        )
    return text


def _zone(where: RecipientLocale) -> ZoneInfo:
    try:
        return ZoneInfo(where.time_zone)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def _date(name: str, text: str, where: RecipientLocale, field: str) -> str:
    try:
        day = date.fromisoformat(text)
    except ValueError:
        moment = _aware_datetime(name, text, field, kind="date")
        day = moment.astimezone(_zone(where)).date()
    return _clean(format_skeleton("yMMMd", day, locale=babel_locale(where.language, where.country)))


def _date_time(name: str, text: str, where: RecipientLocale, field: str) -> str:
    moment = _aware_datetime(name, text, field, kind="date_time")
    locale = babel_locale(where.language, where.country)
    zone = _zone(where)
    local = moment.astimezone(zone)
    day = format_skeleton("yMMMd", local, locale=locale)
    clock = format_time(local, "short", tzinfo=zone, locale=locale)
    pattern = str(locale.datetime_formats.get("medium", "{1} {0}"))
    return _clean(pattern.replace("{1}", day).replace("{0}", clock))


def _aware_datetime(name: str, text: str, field: str, *, kind: str) -> datetime:
    example = "'2025-06-15'" if kind == "date" else "'2025-06-15T14:30:00Z'"
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise error(
            "invalid_param",
            f"The value of {name!r} is not an ISO 8601 {kind.replace('_', '-')} such as {example}.",
            field=field,
        ) from None
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise error(
            "invalid_param",
            f"The value of {name!r} has no UTC offset; write it as '2025-06-15T14:30:00Z' "
            "or with its offset ('+02:00') so it can be shown in the recipient's time zone.",
            field=field,
        )
    return moment


def _money(name: str, text: str, where: RecipientLocale, field: str) -> str:
    match = _MONEY.fullmatch(text.strip())
    currency = None
    if match is not None and bool(match["before"]) != bool(match["after"]):
        currency = (match["before"] or match["after"]).upper()
    if match is None or currency is None or not is_currency(currency):
        raise error(
            "invalid_param",
            f"The value of {name!r} is not an amount with its currency, such as '12.50 EUR' "
            "(a decimal point and an ISO 4217 code).",
            field=field,
        )
    try:
        amount = Decimal(match["amount"])
    except InvalidOperation:  # pragma: no cover - the pattern only lets decimals through
        raise error("invalid_param", f"{name!r} is not an amount.", field=field) from None
    precision = get_currency_precision(currency)
    exponent = amount.as_tuple().exponent
    if isinstance(exponent, int) and -exponent > precision:
        raise error(
            "invalid_param",
            f"The value of {name!r} has more decimals than {currency} has ({precision}); "
            "round it yourself so the customer sees the amount you charge.",
            field=field,
        )
    locale = babel_locale(where.language, where.country)
    return _clean(format_currency(amount, currency, locale=locale))


def _clean(text: str) -> str:
    return text.translate(_SPACES)


@lru_cache(maxsize=1024)
def babel_locale(language: str, country: str) -> Locale:
    """The CLDR locale for a variant's language read in ``country``.

    A tag without a region takes the recipient's country when CLDR has that combination
    (``en`` + ``GB`` → ``en_GB``, ``es`` + ``MX`` → ``es_MX``); otherwise the tag as is, its
    base language, and English last.
    """
    parts = [part for part in language.replace("_", "-").split("-") if part]
    has_region = any(
        (len(part) == 2 and part.isalpha()) or (len(part) == 3 and part.isdigit())
        for part in parts[1:]
    )
    candidates: list[str] = []
    if parts and not has_region and country:
        candidates.append("_".join([*parts, country.upper()]))
    if parts:
        candidates.append("_".join(parts))
        candidates.append(parts[0])
    for candidate in candidates:
        try:
            return Locale.parse(candidate)
        except (UnknownLocaleError, ValueError, TypeError):
            continue
    return Locale.parse("en")


@dataclass(frozen=True, slots=True)
class _Undeclared:
    type: str = "text"
    max_length: int = MAX_PARAM_LENGTH


_UNDECLARED: Final = _Undeclared()


def render_typed(
    parsed: ParsedTemplate,
    params: Mapping[str, object],
    variables: Mapping[str, DeclaredVariable],
    where: RecipientLocale,
    *,
    field_prefix: str = "params",
) -> str:
    """Render ``parsed`` with each value checked and written by its declared type.

    A placeholder without a declaration is ``text`` of up to 80 characters. Raises like
    :func:`parcelsms.domain.templates.render` (``missing_param``, ``unexpected_param``),
    then :func:`format_value`'s errors, in placeholder order.
    """
    check_param_names(parsed, params, field_prefix)
    values = {
        name: format_value(
            name,
            variables.get(name, _UNDECLARED),
            params[name],
            where,
            field_prefix=field_prefix,
        )
        for name in parsed.placeholders
    }
    pieces: list[str] = [parsed.literals[0]]
    for slot, literal in zip(parsed.slots, parsed.literals[1:], strict=True):
        pieces.append(values[slot])
        pieces.append(literal)
    return "".join(pieces)
