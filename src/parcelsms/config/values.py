"""Value types of the configuration: durations, ports, byte fields and money amounts.

Each is what a setting's TOML value becomes after validation; a bad value raises
``ValueError`` (durations) or :class:`~parcelsms.errors.ConfigError` naming its key (amounts).
"""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal
from typing import Annotated, Final

import msgspec

from parcelsms.domain.money import MICROS_PER_UNIT, parse_amount
from parcelsms.errors import CatalogueError, ConfigError


class Duration(timedelta):
    """A ``timedelta`` read from ``"30s"``, ``"15m"``, ``"48h"``, ``"2d"``, ``"1h30m"``
    or a number of seconds (see :func:`parse_duration`)."""


_DURATION_PART: Final = re.compile(r"(\d+(?:\.\d+)?)([smhd])")
_UNIT_SECONDS: Final = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_duration(value: object) -> Duration:
    """Parse a positive duration; raise ``ValueError`` with a message saying how to write one."""
    if isinstance(value, timedelta):
        seconds = value.total_seconds()
    elif isinstance(value, int | float) and not isinstance(value, bool):
        seconds = float(value)
    elif isinstance(value, str):
        text = value.strip().lower()
        parts = _DURATION_PART.findall(text)
        if not text or "".join(number + unit for number, unit in parts) != text:
            raise ValueError(
                f"{value!r} is not a duration; write a number with a unit s, m, h or d, "
                'such as "30s", "15m", "48h", "2d" or "1h30m"'
            )
        seconds = sum(float(number) * _UNIT_SECONDS[unit] for number, unit in parts)
    else:
        raise ValueError(f'expected a duration such as "48h", got {value!r}')
    if not seconds > 0:
        raise ValueError("a duration must be longer than zero")
    return Duration(seconds=seconds)


Port = Annotated[int, msgspec.Meta(ge=1, le=65535)]
Positive = Annotated[float, msgspec.Meta(gt=0)]
Byte = Annotated[int, msgspec.Meta(ge=0, le=255)]
Amount = str | int | float


def amount_micros(amount: object, key: str) -> int:
    """``amount`` (a decimal string or number, at most 6 decimals) in micro-units;
    raise :class:`ConfigError` naming ``key`` otherwise."""
    if isinstance(amount, bool) or not isinstance(amount, str | int | float):
        raise ConfigError('a price is a decimal string or a number, such as "0.05"', key=key)
    text = str(amount).strip()
    try:
        micros = parse_amount(text, key)
    except CatalogueError as problem:
        raise ConfigError(f"{amount!r}: {problem.message}", key=key) from None
    if Decimal(micros) != Decimal(text) * MICROS_PER_UNIT:
        raise ConfigError(f"{amount!r} has more than 6 decimal places", key=key)
    return micros
