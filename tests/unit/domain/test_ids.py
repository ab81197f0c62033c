"""Message ids: 26 Crockford base32 digits of (milliseconds << 80 | random), sortable."""

from __future__ import annotations

import time
from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from parcelsms.domain import ids


def _digit_by_digit(value: int) -> str:
    """The encoding spelled out: five bits per digit, most significant first."""
    digits = []
    for _ in range(26):
        digits.append(ids._ALPHABET[value & 31])
        value >>= 5
    return "".join(reversed(digits))


@given(st.integers(min_value=0, max_value=(1 << 128) - 1))
def test_the_encoding_is_five_bits_per_crockford_digit(value: int) -> None:
    assert ids._encode(value) == _digit_by_digit(value)


@given(st.integers(min_value=0, max_value=(1 << 128) - 2))
def test_a_larger_value_encodes_to_a_larger_string(value: int) -> None:
    assert ids._encode(value) < ids._encode(value + 1)


def test_ids_made_one_after_another_are_valid_and_increase() -> None:
    made = [ids.new_id("msg") for _ in range(2000)]
    assert all(ids.is_valid_id(made_id, "msg") for made_id in made)
    assert made == sorted(made)
    assert len(set(made)) == len(made)
    assert ids.first_id_at("msg", time.time_ns() // 1_000_000 - 60_000) < made[0]


def test_an_id_made_at_a_moment_falls_in_that_moments_range_of_ids() -> None:
    later = datetime(2031, 1, 1, tzinfo=UTC)
    ids.new_id_at("msg", later)  # made before, at a later moment: no influence
    moment = datetime(2030, 1, 1, 12, 0, 0, 250_000, tzinfo=UTC)
    made = [ids.new_id_at("msg", moment) for _ in range(3)]
    moment_ms = int(moment.timestamp() * 1000)
    assert made == sorted(made)
    assert len(set(made)) == 3
    assert all(
        ids.first_id_at("msg", moment_ms) <= m < ids.first_id_at("msg", moment_ms + 1) for m in made
    )
