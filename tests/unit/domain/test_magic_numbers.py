"""The magic numbers: real-format numbers of a fictional range, one outcome per block."""

from __future__ import annotations

import pytest

from parcelsms.domain.magic_numbers import magic_outcome, simulator_prefixes
from parcelsms.domain.numbers import parse_recipient


def test_every_magic_number_is_accepted_as_a_recipient() -> None:
    for line in range(100, 200):
        recipient = parse_recipient(f"+1 202 555 {line:04d}")

        assert recipient.country == "US"
        assert magic_outcome(recipient.e164) is not None


@pytest.mark.parametrize(
    ("number", "outcome"),
    [
        ("+12025550100", "delivered"),
        ("+12025550109", "delivered"),
        ("+12025550110", "undelivered"),
        ("+12025550127", "expired"),
        ("+12025550133", "rejected"),
        ("+12025550148", "throttled"),
        ("+12025550150", "slow_receipt"),
        ("+12025550199", "delivered"),
    ],
)
def test_each_block_of_ten_has_its_outcome(number: str, outcome: str) -> None:
    assert magic_outcome(number) == outcome


@pytest.mark.parametrize(
    "number", ["+12025550099", "+12025550200", "+12025560100", "+447911123456", "+1202555010"]
)
def test_other_numbers_are_not_magic(number: str) -> None:
    assert magic_outcome(number) is None


def test_the_simulator_prefixes_cover_exactly_the_magic_range() -> None:
    prefixes = simulator_prefixes()

    covered = {f"+{prefix}{digit}" for prefix in prefixes for digit in "0123456789"}
    assert covered == {f"+1202555{line:04d}" for line in range(100, 200)}
    assert all(magic_outcome(f"+{prefix}5") == prefixes[prefix] for prefix in prefixes)
