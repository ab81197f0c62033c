"""The company details a sender submits for verification, and the checks applied to them.

The operator verifies an account against these details (a company register, a call to the
contact). The checks here only make sure the details are usable: every field present and
printable, a country parcelsms knows, an e-mail address of the usual shape, a contact phone
number that is a valid number (of any type: a switchboard is fine).
"""

from __future__ import annotations

import re
from typing import Final

import msgspec
import phonenumbers

from parcelsms.domain.error_catalogue import error
from parcelsms.domain.numbers import KNOWN_REGIONS

_EMAIL: Final = re.compile(r"[^@\s]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}\.)+[A-Za-z]{2,63}")


class CompanyDetails(msgspec.Struct, frozen=True, kw_only=True):
    """Who is behind an account. ``country`` is ISO 3166 alpha-2; ``contact_phone`` E.164."""

    legal_name: str
    registration_number: str
    country: str
    contact_name: str
    contact_email: str
    contact_phone: str


_LIMITS: Final = {
    "legal_name": 200,
    "registration_number": 64,
    "contact_name": 200,
    "contact_email": 254,
}


def checked_company_details(details: CompanyDetails) -> CompanyDetails:
    """``details`` trimmed and normalised; raises ``invalid_request`` naming the field."""
    values: dict[str, str] = {}
    for name, limit in _LIMITS.items():
        value = " ".join(getattr(details, name).split())
        if not value or len(value) > limit or not value.isprintable():
            raise error(
                "invalid_request",
                f"{name} is 1 to {limit} printable characters.",
                field=name,
            )
        values[name] = value
    if not _EMAIL.fullmatch(values["contact_email"]):
        raise error(
            "invalid_request", "contact_email is not an e-mail address.", field="contact_email"
        )
    country = details.country.strip().upper()
    if country not in KNOWN_REGIONS:
        raise error(
            "invalid_request",
            "country is an ISO 3166 alpha-2 code such as GB, ES or CN.",
            field="country",
        )
    return CompanyDetails(
        legal_name=values["legal_name"],
        registration_number=values["registration_number"],
        country=country,
        contact_name=values["contact_name"],
        contact_email=values["contact_email"],
        contact_phone=_contact_phone(details.contact_phone),
    )


def _contact_phone(raw: str) -> str:
    text = raw.strip()
    problem = error(
        "invalid_request",
        "contact_phone is a phone number in international form, e.g. +44 20 7946 0000.",
        field="contact_phone",
    )
    if not text.startswith(("+", "00")) or len(text) > 40:
        raise problem
    try:
        number = phonenumbers.parse("+" + text.lstrip("+").removeprefix("00"), None)
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_valid_number(number):
        # Well-formed but not a number of any plan: the same answer as for a recipient.
        raise error(
            "invalid_number", "contact_phone is not a valid phone number.", field="contact_phone"
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
