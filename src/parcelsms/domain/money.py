"""Money: integer micro-units in storage, ``Decimal`` in code.

One unit of an account's currency is 1,000,000 micro-units, so 0.0425 EUR per segment is
42,500 micros. Floats never touch money.

Every amount a person enters and every balance is at most :data:`MAX_AMOUNT_UNITS`
(10^9 units, 10^15 micros). That is far beyond any real price list or balance, and it keeps
each stored integer — and sums of thousands of them in reports — well inside SQLite's and
PostgreSQL's signed 64 bits (9.2 × 10^18), where a larger value would silently become a
float or overflow a ``SUM``. :func:`parse_amount` is the one parser of amounts from the
API, the command line and the configuration.
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import cache
from typing import Final

from babel.numbers import list_currencies

from parcelsms.domain.error_catalogue import error
from parcelsms.errors import CatalogueError

MICROS_PER_UNIT: Final = 1_000_000
MAX_AMOUNT_UNITS: Final = 1_000_000_000
MAX_MICROS: Final = MAX_AMOUNT_UNITS * MICROS_PER_UNIT

# A plain decimal with an optional exponent, ASCII digits only: Decimal() alone would also
# take "NaN", "Infinity", "1_000", " 5 " and digits of other scripts.
_AMOUNT = re.compile(r"-?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][-+]?[0-9]+)?")
_MAX_DECIMAL: Final = Decimal(MAX_AMOUNT_UNITS)
# ISO 4217 codes that are not a currency an account can hold.
_NOT_ACCOUNT_CURRENCIES: Final = frozenset({"XXX", "XTS"})


def to_micros(amount: Decimal | int | str) -> int:
    """Convert an amount of currency units to micro-units, rounding half up.

    Raises ``ValueError`` for something that is not a finite number. No range check: use
    :func:`parse_amount` for amounts that come from outside.
    """
    try:
        value = Decimal(amount)
    except InvalidOperation as exc:
        raise ValueError(f"not a number: {amount!r}") from exc
    if not value.is_finite():
        raise ValueError(f"not a finite number: {amount!r}")
    try:
        return int((value * MICROS_PER_UNIT).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    except InvalidOperation as exc:
        raise ValueError(f"too large: {amount!r}") from exc


def parse_amount(text: str, field: str, *, allow_zero: bool = True) -> int:
    """``text`` (a decimal string such as ``"25.00"``) in micro-units, rounded half up.

    Raises a ``CatalogueError`` naming ``field``: ``invalid_request`` when ``text`` is not a
    decimal number (an exponent is fine; ``NaN``, spaces and separators are not), is
    negative, or is zero while ``allow_zero`` is false; ``amount_out_of_range`` above
    :data:`MAX_AMOUNT_UNITS`. Nothing else, for any string.
    """
    if _AMOUNT.fullmatch(text) is None:
        raise error("invalid_request", f"{field} is a decimal amount such as 25.00.", field=field)
    try:
        value = Decimal(text)
    except InvalidOperation:  # an exponent beyond what Decimal can hold
        raise error("invalid_request", f"{field} is not a usable amount.", field=field) from None
    if value < 0:
        raise error("invalid_request", f"{field} cannot be negative.", field=field)
    if value > _MAX_DECIMAL:
        raise error(
            "amount_out_of_range",
            f"{field} is at most {MAX_AMOUNT_UNITS:,} currency units.",
            field=field,
        )
    micros = to_micros(value)
    if micros == 0 and not allow_zero:
        raise error("invalid_request", f"{field} must be positive.", field=field)
    return micros


def balance_room(balance_micros: int, reserved_micros: int) -> int:
    """How many micros may still be added to a balance (available + reserved) before it
    passes :data:`MAX_MICROS`; 0 when it is there already."""
    return max(0, MAX_MICROS - balance_micros - reserved_micros)


def balance_overflow(field: str, balance_micros: int, reserved_micros: int) -> CatalogueError:
    """The ``amount_out_of_range`` for a top-up that would take a balance past the maximum."""
    room = balance_room(balance_micros, reserved_micros)
    return error(
        "amount_out_of_range",
        f"A balance holds at most {MAX_AMOUNT_UNITS:,} currency units; this account can "
        f"take at most {format_micros(room)} more.",
        field=field,
    )


@cache
def _currencies() -> frozenset[str]:
    return frozenset(list_currencies()) - _NOT_ACCOUNT_CURRENCIES


def parse_currency(code: str, field: str = "currency") -> str:
    """``code`` when it is an ISO 4217 currency code (upper case); else ``invalid_request``."""
    if code not in _currencies():
        raise error(
            "invalid_request",
            f"{field} is an ISO 4217 currency code such as EUR or USD; {code[:20]!r} is not.",
            field=field,
        )
    return code


def from_micros(micros: int) -> Decimal:
    """Convert micro-units to a ``Decimal`` amount of currency units (exact)."""
    return Decimal(micros) / MICROS_PER_UNIT


def format_micros(micros: int) -> str:
    """Render micro-units as a plain decimal string without trailing zeros (``"0.0425"``).

    Integer arithmetic: exact for any size (a ``Decimal`` division rounds past its
    context's 28 digits), and a quarter faster for the price in every webhook body."""
    whole, fraction = divmod(abs(micros), 1_000_000)
    sign = "-" if micros < 0 else ""
    if fraction == 0:
        return f"{sign}{whole}"
    return f"{sign}{whole}.{fraction:06d}".rstrip("0")
