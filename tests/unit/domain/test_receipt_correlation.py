"""The correlation rules alone: readings, learning, and which part a receipt goes to."""

from __future__ import annotations

import pytest

from parcelsms.domain.receipt_correlation import (
    Apply,
    Candidate,
    Duplicate,
    IdFormatLearner,
    Reading,
    Wait,
    choose_part,
    receipt_key,
)
from parcelsms.protocol.smpp.message_id import exact_key

WINDOW = 5_000_000


def test_a_decimal_receipt_names_the_exact_key_of_its_padded_hex_response() -> None:
    assert receipt_key(str(0x1A), Reading.HEX_TO_DECIMAL) == exact_key("0000001A")
    assert receipt_key("1a", Reading.DECIMAL_TO_HEX) == exact_key("0026")


@pytest.mark.parametrize(
    ("raw", "reading", "key"),
    [
        ("1A", Reading.SAME, "1a"),
        ("26", Reading.HEX_TO_DECIMAL, "1a"),
        ("1a", Reading.DECIMAL_TO_HEX, "26"),
        ("9" * 81, Reading.HEX_TO_DECIMAL, None),
        ("1a", Reading.HEX_TO_DECIMAL, None),
        ("MSG-7", Reading.DECIMAL_TO_HEX, None),
    ],
)
def test_a_receipt_id_names_one_key_per_reading(
    raw: str, reading: Reading, key: str | None
) -> None:
    assert receipt_key(raw, reading) == key


def test_hex_letters_in_both_places_leave_only_the_same_writing() -> None:
    learner = IdFormatLearner()
    learner.saw_response("1a")
    assert learner.learned is None
    learner.saw_receipt("1a")
    assert learner.learned is Reading.SAME


def test_an_opaque_id_can_only_be_matched_as_written() -> None:
    learner = IdFormatLearner()
    learner.saw_receipt("8c1a4e1e-7d3b-4f0c")
    assert learner.learned is Reading.SAME


def test_votes_decide_only_with_a_clear_majority() -> None:
    learner = IdFormatLearner(min_votes=8, dominance=10)
    learner.saw_response("3e8")  # responses are hex: not decimal-to-hex
    for _ in range(7):
        learner.vote(Reading.HEX_TO_DECIMAL)
    assert learner.learned is None  # not enough yet
    learner.vote(Reading.HEX_TO_DECIMAL)
    learner.vote(Reading.SAME)  # a stray vote (a late duplicate)
    assert learner.learned is None  # 8 against 1 is not ten to one
    for _ in range(2):
        learner.vote(Reading.HEX_TO_DECIMAL)
    assert learner.learned is Reading.HEX_TO_DECIMAL


def test_the_latest_open_part_before_the_receipt_gets_it() -> None:
    parts = [Candidate(100, False), Candidate(200, False), Candidate(900, False)]
    assert choose_part(parts, 500, 600, 100) == Apply(1)


def test_a_response_within_the_early_window_after_the_receipt_wins() -> None:
    parts = [Candidate(100, True), Candidate(800, False)]
    assert choose_part(parts, 500, 600, WINDOW) == Apply(1)


def test_a_response_after_the_early_window_is_not_the_receipts() -> None:
    parts = [Candidate(100, False), Candidate(500 + WINDOW + 1, False)]
    assert choose_part(parts, 500, 600, WINDOW) == Apply(0)


def test_a_receipt_for_a_final_part_waits_while_a_newer_part_may_come() -> None:
    parts = [Candidate(100, True)]
    assert choose_part(parts, 500, 600, WINDOW) == Wait()
    assert choose_part(parts, 500, 500 + WINDOW, WINDOW) == Duplicate(0)


def test_with_no_candidate_a_receipt_waits() -> None:
    assert choose_part([], 500, 10 * WINDOW, WINDOW) == Wait()
    assert choose_part([Candidate(10 * WINDOW, False)], 500, 20 * WINDOW, WINDOW) == Wait()
