"""Prices per segment, by recipient country, in integer micro-units of the account currency.

A message costs its segment count times the per-segment price of the recipient's country,
or of the default when the country has no price of its own. Prices come from the operator's
configuration (``[prices]``); construction validates them and reports the offending key.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from parcelsms.domain.numbers import KNOWN_REGIONS
from parcelsms.errors import ConfigError


class PriceList:
    """An immutable table of per-segment prices in micros (see :mod:`parcelsms.domain.money`).

    Raises :class:`ConfigError` naming ``prices.default`` or ``prices.countries.<CODE>`` for
    a negative or non-integer price, and for a country code that is not an ISO 3166
    alpha-2 code known to the numbering metadata (``KNOWN_REGIONS``).
    """

    __slots__ = ("_default_micros", "_per_country")
    _default_micros: int
    _per_country: Mapping[str, int]

    def __init__(self, default_micros: int, per_country: Mapping[str, int]) -> None:
        _check_price(default_micros, "prices.default")
        for country, micros in per_country.items():
            key = f"prices.countries.{country}"
            if country not in KNOWN_REGIONS:
                raise ConfigError(
                    "a country is an ISO 3166 alpha-2 code in capitals with a numbering plan, "
                    "such as ES (the United Kingdom is GB)",
                    key=key,
                )
            _check_price(micros, key)
        # Immutable after construction: writes go around the __setattr__ guard below.
        object.__setattr__(self, "_default_micros", default_micros)
        object.__setattr__(self, "_per_country", MappingProxyType(dict(per_country)))

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"PriceList is immutable; cannot set {name}")

    @property
    def default_micros(self) -> int:
        """The per-segment price for countries without one of their own."""
        return self._default_micros

    @property
    def per_country(self) -> Mapping[str, int]:
        """Per-segment prices by ISO 3166 alpha-2 country code (read-only)."""
        return self._per_country

    def price_per_segment(self, country: str) -> int:
        """Per-segment price in micros for messages to ``country`` (ISO alpha-2)."""
        return self._per_country.get(country, self._default_micros)

    def price(self, country: str, segments: int) -> int:
        """Price in micros of a message of ``segments`` (>= 1) segments to ``country``."""
        if isinstance(segments, bool) or not isinstance(segments, int) or segments < 1:
            raise ValueError(f"a message has at least one segment, got {segments!r}")
        return self.price_per_segment(country) * segments

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, PriceList):
            return NotImplemented
        return (
            self._default_micros == other._default_micros
            and self._per_country == other._per_country
        )

    def __hash__(self) -> int:
        return hash((self._default_micros, frozenset(self._per_country.items())))

    def __repr__(self) -> str:
        per_country = dict(self._per_country)
        return f"PriceList(default_micros={self._default_micros}, per_country={per_country})"


def _check_price(micros: int, key: str) -> None:
    if isinstance(micros, bool) or not isinstance(micros, int):
        raise ConfigError(f"a price in micros must be an integer, got {micros!r}", key=key)
    if micros < 0:
        raise ConfigError("a price cannot be negative", key=key)
