"""Reassembly of concatenated incoming messages; hostile input never raises."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from parcelsms.protocol.text import (
    ESM_CLASS_UDHI,
    ConcatenationMethod,
    IncompleteMessage,
    Reassembler,
    encode_gsm7,
    encode_ucs2,
    parse_user_data_header,
    split_for_submit,
)


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def udh8(reference: int, total: int, sequence: int) -> bytes:
    return bytes([5, 0x00, 3, reference, total, sequence])


def make() -> tuple[Reassembler, FakeClock]:
    clock = FakeClock()
    return Reassembler(timeout_seconds=60.0, clock=clock), clock


def test_a_message_without_header_is_returned_at_once() -> None:
    reassembler, _ = make()
    message = reassembler.add("447700900001", "12345", b"STOP", 0, 0, None)
    assert message is not None
    assert (message.text, message.reference, message.total) == ("STOP", None, None)
    assert reassembler.pending_count == 0


def test_parts_out_of_order_complete_once_with_the_text_in_order() -> None:
    reassembler, _ = make()
    parts = [udh8(9, 3, seq) + encode_gsm7(text) for seq, text in ((1, "ab"), (2, "cd"), (3, "ef"))]
    assert reassembler.add("a", "b", parts[2], ESM_CLASS_UDHI, 0, None) is None
    assert reassembler.add("a", "b", parts[0], ESM_CLASS_UDHI, 0, None) is None
    message = reassembler.add("a", "b", parts[1], ESM_CLASS_UDHI, 0, None)
    assert message is not None
    assert (message.text, message.reference, message.total) == ("abcdef", 9, 3)
    assert reassembler.pending_count == 0


def test_a_duplicate_part_is_ignored() -> None:
    reassembler, _ = make()
    first = udh8(1, 2, 1) + b"one "
    assert reassembler.add("a", "b", first, ESM_CLASS_UDHI, 0, None) is None
    assert reassembler.add("a", "b", udh8(1, 2, 1) + b"dup ", ESM_CLASS_UDHI, 0, None) is None
    message = reassembler.add("a", "b", udh8(1, 2, 2) + b"two", ESM_CLASS_UDHI, 0, None)
    assert message is not None
    assert message.text == "one two"


def test_udh16_and_ucs2_parts_reassemble() -> None:
    reassembler, _ = make()
    header = bytes([6, 0x08, 4, 0x01, 0x02])
    second = header + bytes([2, 2]) + encode_ucs2("де")
    assert reassembler.add("a", "b", second, 0x40, 8, None) is None
    message = reassembler.add("a", "b", header + bytes([2, 1]) + encode_ucs2("жд"), 0x40, 8, None)
    assert message is not None
    assert (message.text, message.reference, message.data_coding) == ("ждде", 0x0102, 8)


def test_sar_values_group_parts_without_a_header() -> None:
    reassembler, _ = make()
    assert reassembler.add("a", "b", b"world", 0, 0, (77, 2, 2)) is None
    message = reassembler.add("a", "b", b"hello ", 0, 0, (77, 2, 1))
    assert message is not None
    assert (message.text, message.reference, message.total) == ("hello world", 77, 2)


def test_other_information_elements_are_skipped() -> None:
    reassembler, _ = make()
    port_addressing = bytes([0x05, 4, 0x0B, 0x84, 0x23, 0xF0])
    header = bytes([5 + 6]) + port_addressing + bytes([0x00, 3, 4, 2])
    assert reassembler.add("a", "b", header + bytes([1]) + b"x", 0x40, 0, None) is None
    message = reassembler.add("a", "b", header + bytes([2]) + b"y", 0x40, 0, None)
    assert message is not None
    assert message.text == "xy"


def test_header_longer_than_the_data_makes_a_plain_message() -> None:
    reassembler, _ = make()
    message = reassembler.add("a", "b", bytes([40, 0, 3, 1, 2, 1]) + b"hi", 0x40, 0, None)
    assert message is not None
    assert message.reference is None
    assert message.text.endswith("hi")


def test_element_running_past_the_header_makes_a_plain_message() -> None:
    assert parse_user_data_header(bytes([3, 0x00, 3, 1]) + b"text") is None


def test_impossible_sequence_numbers_make_a_plain_message_of_the_text() -> None:
    reassembler, _ = make()
    for sequence, total in ((0, 2), (3, 2), (1, 0)):
        message = reassembler.add("a", "b", udh8(1, total, sequence) + b"hi", 0x40, 0, None)
        assert message is not None
        assert (message.text, message.reference) == ("hi", None)


def test_a_one_part_concatenated_message_is_returned_at_once() -> None:
    reassembler, _ = make()
    message = reassembler.add("a", "b", udh8(5, 1, 1) + b"solo", 0x40, 0, None)
    assert message is not None
    assert message.text == "solo"


def test_groups_are_keyed_by_source_and_destination() -> None:
    reassembler, _ = make()
    assert reassembler.add("alice", "b", udh8(1, 2, 1) + b"A1", 0x40, 0, None) is None
    assert reassembler.add("bob", "b", udh8(1, 2, 2) + b"B2", 0x40, 0, None) is None
    assert reassembler.pending_count == 2


def test_an_escape_pair_split_across_parts_by_the_sender_still_decodes() -> None:
    reassembler, _ = make()
    assert reassembler.add("a", "b", udh8(1, 2, 1) + b"5\x1b", 0x40, 0, None) is None
    message = reassembler.add("a", "b", udh8(1, 2, 2) + b"\x65", 0x40, 0, None)
    assert message is not None
    assert message.text == "5€"


def test_expire_returns_groups_silent_for_longer_than_the_timeout() -> None:
    reassembler, clock = make()
    reassembler.add("a", "b", udh8(1, 3, 1) + b"first ", 0x40, 0, None)
    clock.now += 30
    reassembler.add("a", "b", udh8(1, 3, 3) + b"third", 0x40, 0, None)
    clock.now += 60  # 90 s after the first part, exactly 60 after the last
    assert reassembler.expire() == []
    clock.now += 0.5
    (incomplete,) = reassembler.expire()
    assert incomplete == IncompleteMessage("a", "b", 1, 3, ((1, "first "), (3, "third")))
    assert incomplete.missing == (2,)
    assert incomplete.text == "first third"
    assert reassembler.pending_count == 0
    assert reassembler.expire() == []


def test_too_many_pending_groups_evicts_the_oldest_and_reports_it() -> None:
    clock = FakeClock()
    reassembler = Reassembler(60.0, clock, max_pending_groups=2)
    for reference in (1, 2, 3):
        clock.now += 1
        reassembler.add("a", "b", udh8(reference, 2, 1) + b"x", 0x40, 0, None)
    assert reassembler.pending_count == 2
    (evicted,) = reassembler.expire()
    assert evicted.reference == 1


def test_a_completed_message_is_not_returned_again_by_expire() -> None:
    reassembler, clock = make()
    results = [
        reassembler.add("a", "b", part.short_message, 0x40, 0, None)
        for part in split_for_submit("z" * 200, ConcatenationMethod.UDH8, reference=4)
    ]
    assert results[0] is None
    assert results[1] is not None
    assert results[1].text == "z" * 200
    clock.now += 1000
    assert reassembler.expire() == []


@given(
    short_message=st.binary(max_size=300),
    esm_class=st.integers(0, 255),
    data_coding=st.integers(0, 255),
    sar=st.none() | st.tuples(st.integers(0, 70000), st.integers(0, 300), st.integers(0, 300)),
)
def test_hostile_parts_never_raise(
    short_message: bytes, esm_class: int, data_coding: int, sar: tuple[int, int, int] | None
) -> None:
    reassembler = Reassembler(1.0, FakeClock())
    result = reassembler.add("a", "b", short_message, esm_class, data_coding, sar)
    assert result is None or isinstance(result.text, str)
    assert isinstance(reassembler.expire(), list)
