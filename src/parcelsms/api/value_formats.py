"""The JSON Schema of values the API checks, declared once for bodies and parameters alike.

Request Structs use these in ``msgspec.Meta`` (so the decoder enforces them) and route
parameters in :class:`~parcelsms.api.route_table.Parameter` schemas, so ``/openapi.json``
states what the server checks. What a pattern cannot state — whether a well-formed number
exists, whether a network has host bits set — is a catalogued business error that the
operation documents (``invalid_number``, ``not_mobile``, …).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Final

import msgspec

from parcelsms.domain.numbers import KNOWN_REGIONS

COUNTRY_CODES: Final[list[str]] = sorted(KNOWN_REGIONS)
"""ISO 3166 alpha-2 codes with a numbering plan: the countries parcelsms knows."""

AMOUNT_PATTERN: Final = r"^[0-9]{1,20}(\.[0-9]{1,6})?$"
"""A plain decimal amount, up to 6 digits after the point (micro-units). Its value is
bounded by :data:`parcelsms.domain.money.MAX_AMOUNT_UNITS` (``amount_out_of_range``)."""

PHONE_PATTERN: Final = r"^(tel:)?[ (]*(\+|00)[1-9][0-9 ().\-]{3,}$"
"""A number in international form as people paste it: ``+`` or ``00`` and the country code
first, then digits with spaces, dashes, dots or brackets (``+44 7911 123456``,
``(+86) 138-0013-8000``). Whether it is a real number is libphonenumber's call
(``invalid_number``)."""

DOMAIN_PATTERN: Final = r"^([A-Za-z0-9-]{1,63}\.)+[A-Za-z0-9-]{1,63}$"
"""A host name such as ``shop.example``: two or more labels, no scheme, port or path."""

NETWORK: Final[dict[str, Any]] = {"format": "ip-network"}
"""An IPv4 or IPv6 network in CIDR form with its host bits zero (``203.0.113.0/24``,
``2001:db8::/32``), or one address: what Python's ``ipaddress.ip_network`` accepts."""

Amount = Annotated[
    str,
    msgspec.Meta(
        pattern=AMOUNT_PATTERN,
        description="A plain decimal amount with up to 6 digits after the point, at most "
        "1000000000 (larger: `amount_out_of_range`).",
        examples=["25.00"],
    ),
]
"""An amount sent to the API (answers use plain decimal strings)."""

PositiveAmount = Annotated[
    str,
    msgspec.Meta(
        pattern=r"^([1-9][0-9]{0,19}(\.[0-9]{1,6})?|0\.[0-9]{0,5}[1-9])$",
        description="A plain decimal amount above zero with up to 6 digits after the point, "
        "at most 1000000000 (larger: `amount_out_of_range`).",
        examples=["25.00"],
    ),
]


TemplateName = Annotated[
    str,
    msgspec.Meta(
        pattern="^[a-z0-9_]{1,64}$",
        description="1 to 64 lowercase letters, digits and underscores.",
        examples=["shipped"],
    ),
]
"""A template's name, in bodies and query parameters alike."""

LanguageTag = Annotated[
    str,
    msgspec.Meta(
        pattern="^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$",
        max_length=35,
        description="A BCP 47 language tag such as `en`, `es`, `pt-BR` or `zh-Hans`.",
        examples=["en"],
    ),
]
"""A template's or a message's language, in bodies and query parameters alike."""

Url = Annotated[str, msgspec.Meta(max_length=2048, examples=["https://shop.example/sms-events"])]
"""A webhook URL (an endpoint's or a message's ``callback_url``)."""

Price = Annotated[
    str, msgspec.Meta(description="A decimal amount in the account currency.", examples=["0.0425"])
]
"""A message's price as answered (and the amounts of a money error)."""

Money = Annotated[str, msgspec.Meta(description="A decimal amount.", examples=["25.00"])]
"""An amount as answered: a balance, a price list entry, a cost."""

PRINTABLE: Final[dict[str, Any]] = {"format": "printable"}
"""Text of printable characters, with one that is not a space (Python's ``str.isprintable``:
no control, format, private-use, unassigned or line-separator characters). JSON Schema
patterns cannot state that character class, so it is a named format."""

EMAIL_PATTERN: Final = (
    r"^[\x21-\x3f\x41-\x7e]{1,64}@[A-Za-z0-9]([A-Za-z0-9-]{0,62}\.)+[A-Za-z]{2,63}$"
)
"""An e-mail address: a printable ASCII local part, a host name with a top-level domain."""

Timestamp = Annotated[datetime, msgspec.Meta(extra_json_schema={"format": "date-time"})]
"""An RFC 3339 time with its offset (msgspec's own schema for ``datetime`` omits the format)."""

QUERY_TEXT_LIMIT: Final = 200
"""The longest value of a query parameter the server reads (longer: ``invalid_filter``)."""

CURSOR: Final[dict[str, Any]] = {"type": "string", "maxLength": QUERY_TEXT_LIMIT}
"""A pagination cursor: opaque, made by the server (any other is ``invalid_cursor``); empty
means the first page."""

CONTACT_PHONE_PATTERN: Final = r"^(\+|00)[1-9][0-9 ().\-]{3,}$"
"""A phone number in international form, starting with ``+`` or ``00``."""


def enum_schema(values: list[str]) -> dict[str, Any]:
    """``{"type": "string", "enum": values}``."""
    return {"type": "string", "enum": values}
