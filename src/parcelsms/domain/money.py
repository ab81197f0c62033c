"""Money: integer micro-units in storage, ``Decimal`` in code.

One unit of an account's currency is 1,000,000 micro-units, so 0.0425 EUR per segment is
42,500 micros. Floats never touch money.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

MICROS_PER_UNIT = 1_000_000


def to_micros(amount: Decimal | int | str) -> int:
    """Convert an amount of currency units to micro-units, rounding half up.

    Raises ``ValueError`` for something that is not a finite number.
    """
    try:
        value = Decimal(amount)
    except InvalidOperation as exc:
        raise ValueError(f"not a number: {amount!r}") from exc
    if not value.is_finite():
        raise ValueError(f"not a finite number: {amount!r}")
    return int((value * MICROS_PER_UNIT).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def from_micros(micros: int) -> Decimal:
    """Convert micro-units to a ``Decimal`` amount of currency units (exact)."""
    return Decimal(micros) / MICROS_PER_UNIT


def format_micros(micros: int) -> str:
    """Render micro-units as a plain decimal string without trailing zeros (``"0.0425"``)."""
    text = format(from_micros(micros), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text or "0"
