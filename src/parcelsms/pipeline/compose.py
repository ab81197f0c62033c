"""Composing a message: what a send and a preview share, before anything is stored.

From a :class:`SendRequest`-shaped input, :class:`MessageComposer` finds the recipient and
its route, picks the template variant (explicit language, pinned version, the recipient's
country, the template's default), renders the typed variables for the recipient's locale
and time zone, applies smart encoding when asked, counts segments, picks the sender for
the destination from the country rules registry and the account's registrations, and
prices the result. Every input problem is a ``CatalogueError`` naming its field.

Sender (``sender_id`` requested or not):

* requested: :func:`~parcelsms.domain.sender_selection.select_sender` — the requested one
  when the country allows it and the account has it approved there, else the account's
  approved numeric fallback for the country, else ``sender_not_allowed``;
* not requested: the account's approved numeric sender for the country when it has one,
  else the operator's default sender (``None`` here: the channel's configured default).

Smart encoding (per message ``smart_encoding``, else the account's setting): typographic
characters are replaced by GSM-7 look-alikes when that makes the whole message GSM-7; when
other characters keep it UCS-2 the text is sent as written (nothing would be saved).

Account data (settings, sender registrations) and template variants are cached for
``cache_seconds``: a change made through another process shows within that delay; this
process's API forgets an account's entries at once (:meth:`forget_account`).

The messages of one batch request share a :class:`ComposeMemo`: what every message of the
batch would look up again (the routes, the prices, the account, the template, the variant
chosen for a country and language, the sender chosen for a country) is looked up once per
batch. That was about a quarter of composing a message in a batch of 100
(``bench/api_requests.py``). The batch is composed against one reading of each, as a
single message is.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Literal, Protocol

import msgspec
from phonenumbers import timezone as phone_time_zones

from parcelsms.domain.country_rules import CountryRule, CountryRules
from parcelsms.domain.country_rules_loading import load_country_rules
from parcelsms.domain.error_catalogue import error
from parcelsms.domain.languages import (
    CountryLanguages,
    LanguageChoice,
    choose_language,
    packaged_country_languages,
)
from parcelsms.domain.number_plans import parse_e164
from parcelsms.domain.numbers import Recipient, parse_recipient
from parcelsms.domain.pricing import PriceList
from parcelsms.domain.route_plans import NO_CONDITIONS, ChannelConditions, route
from parcelsms.domain.routing import MessageFacts, RouteTable
from parcelsms.domain.sender_selection import (
    ANY_COUNTRY,
    RegisteredSender,
    SenderChoice,
    SenderStatus,
    select_sender,
)
from parcelsms.domain.smart_encoding import SmartEncodingResult, smart_encode
from parcelsms.domain.templates import ParsedTemplate, parse_template
from parcelsms.domain.variable_values import RecipientLocale, render_typed
from parcelsms.errors import CatalogueError
from parcelsms.pipeline.content_ports import (
    ContentStore,
    MessageSettings,
    SenderIdRecord,
    Template,
    TemplateVariants,
)
from parcelsms.pipeline.route_book import RouteSource
from parcelsms.pipeline.ttl_cache import TtlCache
from parcelsms.protocol.text.segments import SegmentInfo, count_segments

_DATE_TYPES = frozenset({"date", "date_time"})


class PriceSource(Protocol):
    """Where the current price list comes from (``pipeline.price_book.PriceBook``)."""

    async def current(self) -> PriceList: ...


@cache
def packaged_country_rules() -> CountryRules:
    """The country rules registry shipped with parcelsms (read once)."""
    return load_country_rules(None)


@dataclass(frozen=True, slots=True)
class ComposeSettings:
    """Operator settings composing needs."""

    prices: PriceList
    routes: RouteTable
    max_segments: int = 10
    default_sender_id: str | None = None
    cache_seconds: float = 5.0
    country_rules: CountryRules = field(default_factory=packaged_country_rules)
    country_languages: CountryLanguages = field(default_factory=packaged_country_languages)


class Draft(msgspec.Struct, frozen=True):
    """What a message would be: everything but its storage."""

    recipient: Recipient
    route_plan: tuple[str, ...]
    template: Template
    language: LanguageChoice
    written: str
    smart: SmartEncodingResult | None
    smart_applied: bool
    info: SegmentInfo
    sender_id: str | None
    sender: SenderChoice | None
    price_micros: int
    time_zone: str | None

    @property
    def body(self) -> str:
        """The text sent: smart-encoded when that was applied."""
        return self.info.text


@dataclass(frozen=True, slots=True)
class _AccountContent:
    settings: MessageSettings
    senders: tuple[RegisteredSender, ...]


_Variants = tuple[TemplateVariants | None, dict[str, ParsedTemplate]]


@dataclass(slots=True)
class ComposeMemo:
    """What the messages of one request share (see the module docstring). Only answers are
    kept: a refusal is made again for each message, naming its own field."""

    routes: tuple[RouteTable, ChannelConditions] | None = None
    prices: PriceList | None = None
    accounts: dict[str, _AccountContent] = field(default_factory=dict)
    variants: dict[tuple[str, str], _Variants] = field(default_factory=dict)
    chosen: dict[tuple[str, str, str | None, str], tuple[Template, LanguageChoice]] = field(
        default_factory=dict
    )
    senders: dict[tuple[str, str, str | None], tuple[str | None, SenderChoice | None]] = field(
        default_factory=dict
    )


def _unsupported(country: str, field: str) -> CatalogueError:
    return error(
        "unsupported_country",
        f"Messages to {country} are not supported: no route is configured for it.",
        field=field,
    )


def registered_sender(record: SenderIdRecord) -> RegisteredSender:
    """A stored registration as the sender-selection rule sees it."""
    status: SenderStatus = "pending" if record.status == "pending_review" else record.status
    countries: frozenset[str] | Literal["*"] = (
        ANY_COUNTRY if record.country == ANY_COUNTRY else frozenset({record.country})
    )
    return RegisteredSender(
        value=record.value, kind=record.kind, status=status, countries=countries
    )


class MessageComposer:
    """Builds :class:`Draft` messages. One per process; safe for concurrent use."""

    def __init__(
        self,
        settings: ComposeSettings,
        content: ContentStore,
        price_source: PriceSource | None = None,
        route_source: RouteSource | None = None,
    ) -> None:
        """``price_source``: the live price list; ``None`` prices with ``settings.prices``.
        ``route_source``: the live routes and channel conditions; ``None`` plans with
        ``settings.routes`` alone."""
        self._settings = settings
        self._content = content
        self._price_source = price_source
        self._route_source = route_source
        self._variants: TtlCache[
            tuple[str, str], tuple[TemplateVariants | None, dict[str, ParsedTemplate]]
        ] = TtlCache(settings.cache_seconds)
        self._accounts: TtlCache[str, _AccountContent] = TtlCache(settings.cache_seconds)

    @property
    def settings(self) -> ComposeSettings:
        return self._settings

    def forget_account(self, account_id: str) -> None:
        """Drop this process's cached templates and settings of ``account_id``."""
        self._accounts.forget(account_id)
        self._variants.forget_where(lambda key, _: key[0] == account_id)

    async def compose(
        self,
        account_id: str,
        *,
        to: str,
        template: str,
        params: Mapping[str, object],
        language: str | None,
        sender_id: str | None,
        smart_encoding: bool | None,
        field_prefix: str = "",
        memo: ComposeMemo | None = None,
    ) -> Draft:
        """Validate, render, encode, pick the sender and price; raise ``CatalogueError``.

        ``memo``: shared by the messages of one request (see the module docstring)."""
        settings = self._settings
        memo = ComposeMemo() if memo is None else memo
        recipient = parse_recipient(to, field=f"{field_prefix}to")
        country = recipient.country
        routes = self._route_source
        if routes is None:
            table, conditions = settings.routes, NO_CONDITIONS
        else:
            if memo.routes is None:
                memo.routes = await routes.current()
            table, conditions = memo.routes
        if not table.candidates(country):  # before the template: the usual order
            raise _unsupported(country, f"{field_prefix}to")
        found = memo.variants.get((account_id, template))
        if found is None:
            found = await self._template_variants(account_id, template)
            memo.variants[(account_id, template)] = found
        variants, parsed_by_id = found
        chosen_key = (account_id, template, language, country)
        chosen = memo.chosen.get(chosen_key)
        if chosen is None:
            chosen = self._variant(variants, template, language, recipient, field_prefix)
            memo.chosen[chosen_key] = chosen
        version, choice = chosen
        parsed = parsed_by_id[version.id]
        account = memo.accounts.get(account_id)
        if account is None:
            account = memo.accounts[account_id] = await self._account(account_id)
        rule = settings.country_rules.rule_for(country)
        time_zone: str | None = None
        if any(variable.type in _DATE_TYPES for variable in version.variables.values()):
            time_zone = recipient_time_zone(recipient.e164, rule.time_zone)
        where = RecipientLocale(
            language=version.language,
            country=recipient.country,
            time_zone=time_zone or "UTC",
            link_domains=account.settings.link_domains,
        )
        written = render_typed(
            parsed, params, version.variables, where, field_prefix=f"{field_prefix}params"
        )
        smart: SmartEncodingResult | None = None
        text = written
        wants_smart = account.settings.smart_encoding if smart_encoding is None else smart_encoding
        if wants_smart:
            smart = smart_encode(written)
            if smart.changed and smart.is_gsm7:
                text = smart.text
        info = count_segments(text)
        if info.segment_count > settings.max_segments:
            raise error(
                "message_too_long",
                f"The rendered text needs {info.segment_count} segments "
                f"({info.encoding.value}); the limit is {settings.max_segments}.",
                field=f"{field_prefix}params",
            )
        sender_key = (account_id, country, sender_id)
        picked = memo.senders.get(sender_key)
        if picked is None:
            picked = self._sender(rule, sender_id, account, f"{field_prefix}sender_id")
            memo.senders[sender_key] = picked
        chosen_sender, sender = picked
        # Planned once the sender is known: a route may filter on it.
        facts = MessageFacts(
            country=country,
            e164=recipient.e164,
            account_id=account_id,
            sender_id=chosen_sender,
            key=recipient.e164,
        )
        plan = route(facts, table, conditions, field=f"{field_prefix}to")
        source = self._price_source
        if source is None:
            prices = settings.prices
        else:
            if memo.prices is None:
                memo.prices = await source.current()
            prices = memo.prices
        return Draft(
            recipient=recipient,
            route_plan=plan,
            template=version,
            language=choice,
            written=written,
            smart=smart,
            smart_applied=text != written,
            info=info,
            sender_id=chosen_sender,
            sender=sender,
            price_micros=prices.price(country, info.segment_count),
            time_zone=time_zone,
        )

    def _sender(
        self,
        rule: CountryRule,
        requested: str | None,
        account: _AccountContent,
        field_name: str,
    ) -> tuple[str | None, SenderChoice | None]:
        if requested is not None:
            choice = select_sender(rule, requested, account.senders, field=field_name)
            return choice.sender.value, choice
        try:
            choice = select_sender(rule, None, account.senders, field=field_name)
        except CatalogueError as problem:
            if problem.code != "sender_not_allowed":
                raise
            return self._settings.default_sender_id, None
        return choice.sender.value, choice

    def _variant(
        self,
        variants: TemplateVariants | None,
        reference: str,
        language: str | None,
        recipient: Recipient,
        field_prefix: str,
    ) -> tuple[Template, LanguageChoice]:
        if variants is None:
            raise error(
                "unknown_template",
                f"No template {reference!r} in this account.",
                field=f"{field_prefix}template",
            )
        by_language = {version.language: version for version in variants.approved}
        if not by_language:
            raise error(
                "template_not_approved",
                f"Template {reference!r} is not approved yet; only approved templates send.",
                field=f"{field_prefix}template",
            )
        choice = choose_language(
            tuple(by_language),
            requested=language,
            pinned=variants.pinned_language,
            country_languages=self._settings.country_languages.for_country(recipient.country),
            default=variants.default_language,
        )
        if choice is not None:
            return by_language[choice.language], choice
        available = ", ".join(sorted(by_language))
        if language is not None and language in variants.languages:
            raise error(
                "template_not_approved",
                f"The {language!r} variant of template {reference!r} is not approved yet "
                f"(approved languages: {available}).",
                field=f"{field_prefix}language",
            )
        if language is not None:
            raise error(
                "template_language_unavailable",
                f"Template {reference!r} has no approved {language!r} version "
                f"(approved languages: {available}).",
                field=f"{field_prefix}language",
            )
        raise error(
            "template_language_unavailable",
            f"Template {reference!r} has no approved variant in the default language "
            f"{variants.default_language!r} nor in a language of {recipient.country}; send "
            f"`language` (approved languages: {available}).",
            field=f"{field_prefix}language",
        )

    async def _template_variants(self, account_id: str, reference: str) -> _Variants:
        async def load() -> _Variants:
            variants = await self._content.find_template_variants(account_id, reference)
            if variants is None:
                return None, {}
            return variants, {
                version.id: parse_template(version.body) for version in variants.approved
            }

        return await self._variants.fetch((account_id, reference), load)

    async def _account(self, account_id: str) -> _AccountContent:
        async def load() -> _AccountContent:
            settings = await self._content.get_message_settings(account_id)
            records = await self._content.list_sender_ids(account_id)
            return _AccountContent(settings, tuple(registered_sender(r) for r in records))

        return await self._accounts.fetch(account_id, load)


def recipient_time_zone(e164: str, country_zone: str | None) -> str:
    """The IANA zone to show times in for ``e164``.

    The number's own zone when libphonenumber knows exactly one (US area codes, most
    countries); for numbers spanning several zones (mobile ranges in the UK, Australia,
    Russia) the country rule's zone (its main population centre), else the first of them;
    ``UTC`` when nothing is known.
    """
    zones = [
        zone
        for zone in phone_time_zones.time_zones_for_number(parse_e164(e164))
        if zone != "Etc/Unknown"
    ]
    if len(zones) == 1:
        return zones[0]
    if country_zone is not None:
        return country_zone
    return zones[0] if zones else "UTC"
