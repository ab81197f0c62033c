"""Per-segment prices by country."""

from __future__ import annotations

import pytest

from parcelsms.domain.pricing import PriceList
from parcelsms.errors import ConfigError


def test_country_price_wins_over_the_default() -> None:
    prices = PriceList(50_000, {"ES": 40_000})
    assert prices.price_per_segment("ES") == 40_000
    assert prices.price_per_segment("MX") == 50_000


def test_price_is_per_segment() -> None:
    prices = PriceList(50_000, {"ES": 42_500})
    assert prices.price("ES", 3) == 127_500
    assert prices.price("FR", 1) == 50_000


@pytest.mark.parametrize("segments", [0, -1, True, 1.0])
def test_a_message_has_at_least_one_whole_segment(segments: object) -> None:
    with pytest.raises(ValueError, match="segment"):
        PriceList(1, {}).price("ES", segments)  # type: ignore[arg-type]


def test_negative_default_is_refused_naming_its_key() -> None:
    with pytest.raises(ConfigError) as caught:
        PriceList(-1, {})
    assert caught.value.key == "prices.default"


@pytest.mark.parametrize(
    ("per_country", "key"),
    [
        ({"ES": -5}, "prices.countries.ES"),
        ({"UK": 5}, "prices.countries.UK"),
        ({"es": 5}, "prices.countries.es"),
        ({"ESP": 5}, "prices.countries.ESP"),
        ({"ES": 0.5}, "prices.countries.ES"),
        ({"ES": True}, "prices.countries.ES"),
    ],
)
def test_bad_country_prices_are_refused_naming_their_key(
    per_country: dict[str, object], key: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        PriceList(1, per_country)  # type: ignore[arg-type]
    assert caught.value.key == key


def test_free_messages_are_allowed() -> None:
    assert PriceList(0, {"ES": 0}).price("ES", 2) == 0


def test_price_list_cannot_be_changed_after_construction() -> None:
    source = {"ES": 40_000}
    prices = PriceList(50_000, source)
    source["ES"] = 1
    assert prices.price_per_segment("ES") == 40_000
    with pytest.raises(AttributeError):
        prices._default_micros = 1
    with pytest.raises(TypeError):
        prices.per_country["ES"] = 1  # type: ignore[index]


def test_equal_tables_compare_equal() -> None:
    assert PriceList(1, {"ES": 2}) == PriceList(1, {"ES": 2})
    assert PriceList(1, {"ES": 2}) != PriceList(1, {"ES": 3})
    assert hash(PriceList(1, {"ES": 2})) == hash(PriceList(1, {"ES": 2}))
