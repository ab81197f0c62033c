"""Which sender a message to a country goes out with.

The rule (issue 4): use the **requested** sender ID when the destination allows it and the
account has it **approved** there; otherwise use the account's approved **numeric fallback**
for the country; otherwise refuse with ``sender_not_allowed``, naming the country and why.

What "allowed and approved there" means, given the country's :class:`CountryRule`:

* an alphanumeric sender ID (``ACME``):

  - ``not_supported`` country: never;
  - ``registration_required``: only an approved registration that names the country
    explicitly (a ``"*"`` registration is not a registration *for that country*);
  - ``supported``: an approved registration for the country or for ``"*"``;

* a numeric sender ID (``447700900123``):

  - ``none`` (numbers are not delivered): never;
  - ``local_long_code`` / ``short_code_only``: an approved registration naming the country
    explicitly, because only a number provisioned in that country works there;
  - ``any_international`` / ``carrier_assigned``: an approved registration for the country or
    for ``"*"`` (a carrier-assigned country shows its own number, but still needs one of ours
    to accept the message).

A registration that is ``pending`` or ``rejected`` is never used. When several numeric
senders qualify as the fallback, one registered for the country by name wins over a ``"*"``
one, and the account's order decides between equals.

:func:`classify_sender_id` holds the format rules shared by registration and sending:
alphanumeric is 1-11 of ``A-Z a-z 0-9`` and space, with at least one letter and no leading or
trailing space (operators trim or refuse those, so the registered and the shown value would
differ); numeric is 1-15 ASCII digits, optionally written with a leading ``+``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final, Literal

from parcelsms.domain.country_rules import CountryRule
from parcelsms.domain.error_catalogue import error
from parcelsms.errors import CatalogueError

SenderKind = Literal["alphanumeric", "numeric"]
SenderStatus = Literal["approved", "pending", "rejected"]
ANY_COUNTRY: Final = "*"
MAX_ALPHANUMERIC_LENGTH: Final = 11
MAX_NUMERIC_LENGTH: Final = 15

_ALPHANUMERIC_CHARACTERS: Final = frozenset(
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789 "
)


def classify_sender_id(value: str, *, field: str = "sender_id") -> SenderKind:
    """Return whether ``value`` is an ``"alphanumeric"`` or a ``"numeric"`` sender ID.

    Raises :class:`CatalogueError` ``invalid_sender_id`` (with ``field``) for anything else;
    the module docstring gives the rules.
    """
    digits = value[1:] if value.startswith("+") else value
    if digits.isascii() and digits.isdigit():
        if len(digits) > MAX_NUMERIC_LENGTH:
            raise error(
                "invalid_sender_id",
                f"A numeric sender ID has at most {MAX_NUMERIC_LENGTH} digits; "
                f"{value!r} has {len(digits)}.",
                field=field,
            )
        return "numeric"
    if not value or len(value) > MAX_ALPHANUMERIC_LENGTH:
        raise error(
            "invalid_sender_id",
            f"An alphanumeric sender ID has 1 to {MAX_ALPHANUMERIC_LENGTH} characters; "
            f"{value!r} has {len(value)}.",
            field=field,
        )
    outside = sorted(set(value) - _ALPHANUMERIC_CHARACTERS)
    if outside:
        raise error(
            "invalid_sender_id",
            f"An alphanumeric sender ID uses only A-Z, a-z, 0-9 and space; {value!r} contains "
            f"{''.join(outside)!r}.",
            field=field,
        )
    if value != value.strip(" "):
        raise error(
            "invalid_sender_id",
            f"An alphanumeric sender ID cannot start or end with a space: {value!r}.",
            field=field,
        )
    if not any(character.isalpha() for character in value):
        raise error(
            "invalid_sender_id",
            f"An alphanumeric sender ID needs at least one letter; {value!r} has none "
            "(a number is written without spaces).",
            field=field,
        )
    return "alphanumeric"


def canonical_sender_id(value: str, *, field: str = "sender_id") -> str:
    """``value`` as stored and compared: a numeric sender without its ``+``, a name unchanged.

    Raises ``invalid_sender_id`` like :func:`classify_sender_id`.
    """
    if classify_sender_id(value, field=field) == "numeric":
        return value.removeprefix("+")
    return value


@dataclass(frozen=True, slots=True)
class RegisteredSender:
    """A sender ID an account registered: its value, kind, review status and countries.

    ``countries`` is a set of ISO 3166 alpha-2 codes or ``"*"`` (any country). The value is
    kept in canonical form (:func:`canonical_sender_id`). Raises ``ValueError`` when
    ``value`` is not a valid sender ID or ``kind`` does not match it: stored registrations
    were validated when made, so a mismatch is a bug, not an input error.
    """

    value: str
    kind: SenderKind
    status: SenderStatus
    countries: frozenset[str] | Literal["*"]

    def __post_init__(self) -> None:
        try:
            actual = classify_sender_id(self.value)
        except CatalogueError as exc:
            raise ValueError(exc.message) from None
        if actual != self.kind:
            raise ValueError(f"{self.value!r} is {actual}, not {self.kind}")
        object.__setattr__(self, "value", canonical_sender_id(self.value))
        if self.countries != ANY_COUNTRY:
            countries = frozenset(code.upper() for code in self.countries)
            object.__setattr__(
                self, "countries", ANY_COUNTRY if ANY_COUNTRY in countries else countries
            )

    def names(self, country: str) -> bool:
        """True when the registration lists ``country`` explicitly (not through ``"*"``)."""
        return self.countries != ANY_COUNTRY and country in self.countries

    def covers(self, country: str) -> bool:
        """True when the registration applies to ``country``, explicitly or through ``"*"``."""
        return self.countries == ANY_COUNTRY or country in self.countries


@dataclass(frozen=True, slots=True)
class SenderChoice:
    """The sender to use and why.

    ``requested`` is true when the requested sender ID is used. ``fallback_reason`` says why
    a requested sender ID was passed over for the numeric fallback (for the preview and the
    message log); it is ``None`` when the requested one is used or none was requested.
    """

    sender: RegisteredSender
    requested: bool
    fallback_reason: str | None = None


@dataclass(frozen=True, slots=True)
class _Refusal:
    reason: str
    message: str


def select_sender(
    rule: CountryRule,
    requested: str | None,
    registered: Iterable[RegisteredSender],
    *,
    field: str = "sender_id",
) -> SenderChoice:
    """Pick the sender for a message to ``rule``'s country; see the module docstring.

    ``registered`` are the account's sender registrations (any status, any country).
    Raises :class:`CatalogueError` ``invalid_sender_id`` when ``requested`` is malformed, and
    ``sender_not_allowed`` (with ``field``, and ``country`` and ``reason`` as extras) when
    neither the requested sender nor a numeric fallback may be used.
    """
    senders = tuple(registered)
    refusal: _Refusal | None = None
    if requested is not None:
        kind = classify_sender_id(requested, field=field)
        value = canonical_sender_id(requested, field=field)
        chosen, refusal = _check_requested(rule, value, kind, senders)
        if chosen is not None:
            return SenderChoice(chosen, requested=True)
    fallback = _numeric_fallback(rule, senders)
    if fallback is not None:
        return SenderChoice(
            fallback, requested=False, fallback_reason=refusal.message if refusal else None
        )
    first = refusal.message if refusal else "No sender ID was requested"
    raise error(
        "sender_not_allowed",
        f"{first}; {_no_fallback(rule)}.",
        field=field,
        country=rule.code,
        reason=refusal.reason if refusal else "no_sender_requested",
    )


def _allowed_in(rule: CountryRule, sender: RegisteredSender) -> bool:
    """Whether an approved ``sender`` may be used for ``rule``'s country (status aside)."""
    country = rule.code
    if sender.kind == "alphanumeric":
        if rule.alphanumeric_sender == "not_supported":
            return False
        if rule.alphanumeric_sender == "registration_required":
            return sender.names(country)
        return sender.covers(country)
    if rule.numeric_sender_fallback == "none":
        return False
    if rule.numeric_sender_fallback in ("local_long_code", "short_code_only"):
        return sender.names(country)
    return sender.covers(country)


def _check_requested(
    rule: CountryRule, value: str, kind: SenderKind, senders: tuple[RegisteredSender, ...]
) -> tuple[RegisteredSender | None, _Refusal | None]:
    where = _country_label(rule)
    if kind == "alphanumeric" and rule.alphanumeric_sender == "not_supported":
        return None, _Refusal(
            "alphanumeric_not_supported", f"Alphanumeric sender IDs are not supported in {where}"
        )
    if kind == "numeric" and rule.numeric_sender_fallback == "none":
        return None, _Refusal(
            "numeric_not_supported",
            f"Numeric sender IDs are not delivered in {where}; only registered alphanumeric "
            "sender IDs are",
        )
    candidates = [sender for sender in senders if sender.value == value and sender.kind == kind]
    allowed = [sender for sender in candidates if _allowed_in(rule, sender)]
    # The account's first registration of each status, so its order decides between equals.
    statuses = {sender.status: sender for sender in reversed(allowed)}
    if "approved" in statuses:
        return statuses["approved"], None
    if "pending" in statuses:
        return None, _Refusal(
            "sender_pending", f"Sender ID {value!r} is still pending review for {rule.code}"
        )
    if "rejected" in statuses:
        return None, _Refusal(
            "sender_rejected", f"Sender ID {value!r} was rejected for {rule.code}"
        )
    if any(sender.covers(rule.code) for sender in candidates):
        # Registered for "*" only, where the country wants a registration naming it.
        if kind == "alphanumeric":
            return None, _Refusal(
                "alphanumeric_not_registered",
                f"Sender ID {value!r} must be registered for {rule.code} specifically: "
                f"alphanumeric sender IDs need registration in {where}",
            )
        return None, _Refusal(
            "numeric_not_registered_for_country",
            f"Sender ID {value!r} must be registered for {rule.code} specifically: only "
            f"numbers provisioned in {where} work there",
        )
    if candidates:
        return None, _Refusal(
            "sender_not_registered_for_country",
            f"Sender ID {value!r} is not registered for {rule.code}",
        )
    return None, _Refusal(
        "sender_not_registered", f"Sender ID {value!r} is not registered for this account"
    )


def _numeric_fallback(
    rule: CountryRule, senders: tuple[RegisteredSender, ...]
) -> RegisteredSender | None:
    usable = [
        sender
        for sender in senders
        if sender.kind == "numeric" and sender.status == "approved" and _allowed_in(rule, sender)
    ]
    for sender in usable:
        if sender.names(rule.code):
            return sender
    return usable[0] if usable else None


def _no_fallback(rule: CountryRule) -> str:
    code = rule.code
    mode = rule.numeric_sender_fallback
    if mode == "none":
        return f"numeric senders are not delivered in {code}, so register an alphanumeric one"
    if mode == "local_long_code":
        return f"register a numeric sender for {code}: a local number registered there is required"
    if mode == "short_code_only":
        return f"register a numeric sender for {code}: a short code provisioned there is required"
    return f"register a numeric sender for {code} (none is approved)"


def _country_label(rule: CountryRule) -> str:
    return rule.code if rule.name == rule.code else f"{rule.code} ({rule.name})"
