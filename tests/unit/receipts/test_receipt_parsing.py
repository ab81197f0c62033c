"""Delivery receipts: the SMPP 3.4 appendix B text, its carrier variants, and the TLVs."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from parcelsms.protocol.smpp import receipt as receipt_module
from parcelsms.protocol.smpp.receipt import (
    Receipt,
    ReceiptState,
    parse_receipt,
    state_from_message_state,
)

APPENDIX_B = (
    b"id:1234567890 sub:001 dlvrd:001 submit date:2403151230 done date:2403151231 "
    b"stat:DELIVRD err:000 text:Your parcel SG12345"
)


def test_appendix_b_receipt_yields_every_field() -> None:
    receipt = parse_receipt(APPENDIX_B)

    assert receipt.message_id == "1234567890"
    assert receipt.state is ReceiptState.DELIVERED
    assert receipt.stat == "DELIVRD"
    assert receipt.err == "000"
    assert receipt.error_code == 0
    assert receipt.submitted == 1
    assert receipt.delivered == 1
    assert receipt.submit_date == datetime(2024, 3, 15, 12, 30, tzinfo=UTC)
    assert receipt.done_date == datetime(2024, 3, 15, 12, 31, tzinfo=UTC)
    assert receipt.text == "Your parcel SG12345"
    assert receipt.network_error is None
    assert receipt.raw == APPENDIX_B.decode()
    assert receipt.intermediate is False


def test_carrier_documentation_sample_with_zeroed_done_date() -> None:
    # Shape published by an aggregator: run-together date keys, 12-digit dates, and a
    # done date of all zeros for a message that never left the SMSC.
    sample = (
        b"id:0118Z-0122I-2309U-57DGB sub:000 dlvrd:000 submitdate:180122230957 "
        b"donedate:000000000000 stat:REJECTD err:375 text:"
    )
    receipt = parse_receipt(sample)

    assert receipt.message_id == "0118Z-0122I-2309U-57DGB"
    assert receipt.state is ReceiptState.REJECTED
    assert receipt.submit_date == datetime(2018, 1, 22, 23, 9, 57, tzinfo=UTC)
    assert receipt.done_date is None
    assert receipt.error_code == 375
    assert receipt.text == ""


def test_keys_are_read_in_any_order_and_any_case() -> None:
    receipt = parse_receipt(
        b"STAT:UNDELIV Err:00B ID:ab12 Done Date:2401020304 Sub:1 DLVRD:0 TEXT:x"
    )

    assert receipt.message_id == "ab12"
    assert receipt.state is ReceiptState.UNDELIVERABLE
    assert receipt.error_code == 0x00B
    assert receipt.done_date == datetime(2024, 1, 2, 3, 4, tzinfo=UTC)
    assert receipt.submitted == 1
    assert receipt.delivered == 0
    assert receipt.text == "x"


@pytest.mark.parametrize(
    "key",
    ["submit date", "submit_date", "submitdate", "SUBMIT DATE", "submit  date", "Submit-Date"],
)
def test_submit_date_key_spellings_are_all_understood(key: str) -> None:
    receipt = parse_receipt(f"id:1 {key}:2312312359 stat:DELIVRD".encode())
    assert receipt.submit_date == datetime(2023, 12, 31, 23, 59, tzinfo=UTC)


def test_extra_spaces_around_keys_and_values_are_ignored() -> None:
    receipt = parse_receipt(b"  id:  42   sub :001  stat:   EXPIRED    err:  012   ")
    assert receipt.message_id == "42"
    assert receipt.submitted == 1
    assert receipt.state is ReceiptState.EXPIRED
    assert receipt.error_code == 12


def test_missing_fields_are_none() -> None:
    receipt = parse_receipt(b"id:77 stat:DELIVRD")
    assert receipt.message_id == "77"
    assert receipt.state is ReceiptState.DELIVERED
    assert (receipt.err, receipt.error_code, receipt.submitted, receipt.delivered) == (
        None,
        None,
        None,
        None,
    )
    assert (receipt.submit_date, receipt.done_date, receipt.text) == (None, None, None)


def test_trailing_garbage_after_a_value_is_dropped() -> None:
    receipt = parse_receipt(b"id:77 stat:DELIVRD;; junk err:000 (carrier=xyz)")
    assert receipt.stat == "DELIVRD;;"
    assert receipt.state is ReceiptState.DELIVERED
    assert receipt.err == "000"
    assert receipt.error_code == 0


def test_text_field_swallows_everything_after_it() -> None:
    receipt = parse_receipt(b"id:1 stat:DELIVRD text:stat:REJECTD id:2 err:999")
    assert receipt.text == "stat:REJECTD id:2 err:999"
    assert receipt.message_id == "1"
    assert receipt.state is ReceiptState.DELIVERED
    assert receipt.err is None


def test_key_glued_to_a_preceding_word_is_not_a_key() -> None:
    receipt = parse_receipt(b"msgid:99 id:5 stat:DELIVRD")
    assert receipt.message_id == "5"


def test_first_occurrence_of_a_repeated_key_wins() -> None:
    receipt = parse_receipt(b"id:1 id:2 stat:EXPIRED stat:DELIVRD")
    assert receipt.message_id == "1"
    assert receipt.state is ReceiptState.EXPIRED


@pytest.mark.parametrize(
    ("stat", "state"),
    [
        ("DELIVRD", ReceiptState.DELIVERED),
        ("EXPIRED", ReceiptState.EXPIRED),
        ("DELETED", ReceiptState.DELETED),
        ("UNDELIV", ReceiptState.UNDELIVERABLE),
        ("ACCEPTD", ReceiptState.ACCEPTED),
        ("UNKNOWN", ReceiptState.UNKNOWN),
        ("REJECTD", ReceiptState.REJECTED),
        ("ENROUTE", ReceiptState.ENROUTE),
        ("DELIVERED", ReceiptState.DELIVERED),
        ("delivrd", ReceiptState.DELIVERED),
        ("UNDELIVERABLE", ReceiptState.UNDELIVERABLE),
        ("UNDELIVERED", ReceiptState.UNDELIVERABLE),
        ("REJECTED", ReceiptState.REJECTED),
        ("FAILED", ReceiptState.UNDELIVERABLE),
        ("ACCEPTED", ReceiptState.ACCEPTED),
        ("EN_ROUTE", ReceiptState.ENROUTE),
        ("2", ReceiptState.DELIVERED),
        ("5", ReceiptState.UNDELIVERABLE),
        ("SENT", ReceiptState.UNKNOWN),
        ("9", ReceiptState.UNKNOWN),
    ],
)
def test_stat_words_map_to_states(stat: str, state: ReceiptState) -> None:
    receipt = parse_receipt(f"id:1 stat:{stat} err:000".encode())
    assert receipt.state is state
    assert receipt.stat == stat


def test_receipt_without_stat_or_tlv_is_unknown() -> None:
    assert parse_receipt(b"id:1 err:000").state is ReceiptState.UNKNOWN


@pytest.mark.parametrize(
    ("value", "state"),
    [
        (1, ReceiptState.ENROUTE),
        (2, ReceiptState.DELIVERED),
        (3, ReceiptState.EXPIRED),
        (4, ReceiptState.DELETED),
        (5, ReceiptState.UNDELIVERABLE),
        (6, ReceiptState.ACCEPTED),
        (7, ReceiptState.UNKNOWN),
        (8, ReceiptState.REJECTED),
    ],
)
def test_message_state_tlv_values_follow_smpp_3_4(value: int, state: ReceiptState) -> None:
    assert state_from_message_state(value) is state
    assert parse_receipt(b"", message_state=value).state is state


def test_message_state_tlv_wins_over_stat_text() -> None:
    receipt = parse_receipt(b"id:1 stat:DELIVRD", message_state=5)
    assert receipt.state is ReceiptState.UNDELIVERABLE
    assert receipt.stat == "DELIVRD"


@pytest.mark.parametrize("value", [0, 9, 255, -1])
def test_message_state_outside_smpp_3_4_falls_back_to_the_text(value: int) -> None:
    assert parse_receipt(b"stat:EXPIRED", message_state=value).state is ReceiptState.EXPIRED
    assert state_from_message_state(value) is None


def test_receipted_message_id_tlv_wins_over_id_text() -> None:
    receipt = parse_receipt(b"id:169552957 stat:DELIVRD", receipted_message_id="0A1B2C3D\x00")
    assert receipt.message_id == "0A1B2C3D"


def test_empty_receipted_message_id_tlv_leaves_the_text_id() -> None:
    receipt = parse_receipt(b"id:42 stat:DELIVRD", receipted_message_id="\x00")
    assert receipt.message_id == "42"


def test_network_error_code_tlv_is_type_and_big_endian_code() -> None:
    # Network type 3 (GSM), error 0x0101 = 257.
    receipt = parse_receipt(b"stat:UNDELIV err:000", network_error_code=b"\x03\x01\x01")
    assert receipt.network_error == (3, 257)
    assert receipt.error_code == 0


@pytest.mark.parametrize("value", [b"", b"\x03", b"\x03\x00", b"\x03\x00\x01\x02"])
def test_malformed_network_error_code_is_ignored(value: bytes) -> None:
    assert parse_receipt(b"stat:UNDELIV", network_error_code=value).network_error is None


@pytest.mark.parametrize(
    ("err", "code"),
    [
        ("000", 0),
        ("1", 1),
        ("069", 69),
        ("0x1F", 31),
        ("0X1f", 31),
        ("00B", 11),
        ("fe", 254),
        ("ERR-1", None),
        ("-1", None),
        ("1.5", None),
        ("9" * 40, None),
    ],
)
def test_err_is_read_as_decimal_or_hex_and_other_text_stays_text(
    err: str, code: int | None
) -> None:
    receipt = parse_receipt(f"stat:UNDELIV err:{err}".encode())
    assert receipt.err == err
    assert receipt.error_code == code


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2402291200", datetime(2024, 2, 29, 12, 0, tzinfo=UTC)),
        ("240229120059", datetime(2024, 2, 29, 12, 0, 59, tzinfo=UTC)),
        ("20240229120059", datetime(2024, 2, 29, 12, 0, 59, tzinfo=UTC)),
        ("2302291200", None),
        ("2413011200", None),
        ("2401012400", None),
        ("240101120061", None),
        ("0000000000", None),
        ("240101120", None),
        ("24-01-01", None),
        ("２４０１０１１２００", None),
    ],
)
def test_dates_are_utc_and_invalid_dates_are_none(value: str, expected: datetime | None) -> None:
    receipt = parse_receipt(f"id:1 done date:{value} stat:DELIVRD".encode())
    assert receipt.done_date == expected


def test_counts_that_are_not_numbers_are_none() -> None:
    receipt = parse_receipt(b"sub:abc dlvrd:-1 stat:DELIVRD")
    assert (receipt.submitted, receipt.delivered) == (None, None)


def test_latin_1_text_is_decoded() -> None:
    receipt = parse_receipt(b"id:1 stat:DELIVRD text:Caf\xe9")
    assert receipt.text == "Café"


def test_utf_8_text_is_decoded() -> None:
    receipt = parse_receipt("id:1 stat:DELIVRD text:包裹".encode())
    assert receipt.text == "包裹"


def test_nul_terminated_receipt_is_read() -> None:
    receipt = parse_receipt(b"id:9 stat:DELIVRD err:000\x00\x00")
    assert receipt.err == "000"
    assert receipt.raw == "id:9 stat:DELIVRD err:000"


def test_ucs2_encoded_ascii_receipt_is_read() -> None:
    receipt = parse_receipt("id:9 stat:EXPIRED err:001".encode("utf-16-be"))
    assert receipt.message_id == "9"
    assert receipt.state is ReceiptState.EXPIRED
    assert receipt.error_code == 1


def test_user_data_header_is_skipped_when_udhi_is_set() -> None:
    header = bytes([5, 0x00, 0x03, 0x2A, 0x01, 0x01])
    receipt = parse_receipt(header + b"id:9 stat:DELIVRD", esm_class=0x04 | 0x40)
    assert receipt.message_id == "9"
    assert receipt.raw == "id:9 stat:DELIVRD"


def test_intermediate_notification_is_flagged_from_esm_class() -> None:
    assert parse_receipt(b"id:1 stat:ENROUTE", esm_class=0x20).intermediate is True
    assert parse_receipt(b"id:1 stat:ENROUTE", esm_class=0x04).intermediate is False


def test_empty_short_message_gives_an_unknown_receipt() -> None:
    receipt = parse_receipt(b"")
    assert receipt.state is ReceiptState.UNKNOWN
    assert receipt.message_id is None
    assert receipt.raw == ""


def test_tlvs_alone_make_a_receipt() -> None:
    receipt = parse_receipt(b"", receipted_message_id="abc", message_state=2)
    assert (receipt.message_id, receipt.state) == ("abc", ReceiptState.DELIVERED)


@pytest.mark.parametrize(
    ("state", "final"),
    [
        (ReceiptState.DELIVERED, True),
        (ReceiptState.UNDELIVERABLE, True),
        (ReceiptState.EXPIRED, True),
        (ReceiptState.REJECTED, True),
        (ReceiptState.DELETED, True),
        (ReceiptState.ACCEPTED, False),
        (ReceiptState.ENROUTE, False),
        (ReceiptState.UNKNOWN, False),
    ],
)
def test_only_outcomes_are_final(state: ReceiptState, final: bool) -> None:
    assert state.is_final is final


def test_receipt_is_immutable() -> None:
    receipt = parse_receipt(APPENDIX_B)
    assert isinstance(receipt, Receipt)
    with pytest.raises(dataclasses.FrozenInstanceError):
        receipt.state = ReceiptState.EXPIRED  # type: ignore[misc]


_VALUE = st.text(alphabet="0123456789abcdefABCDEF-_x.:", max_size=12)


def _as_read(fields: dict[str, str]) -> dict[str, str | None]:
    """What parse_receipt takes from the fields: the first word, the whole text stripped."""
    return {
        key: value.strip() if key == "text" else receipt_module._first_token(value)
        for key, value in fields.items()
    }


@given(
    message_id=_VALUE,
    counts=st.tuples(_VALUE, _VALUE),
    dates=st.tuples(st.text("0123456789", max_size=12), st.text("0123456789", max_size=12)),
    stat=_VALUE,
    err=_VALUE,
    text=st.none() | st.text(max_size=30),
)
def test_the_standard_layout_reads_as_the_tolerant_scan_reads_it(
    message_id: str,
    counts: tuple[str, str],
    dates: tuple[str, str],
    stat: str,
    err: str,
    text: str | None,
) -> None:
    raw = (
        f"id:{message_id} sub:{counts[0]} dlvrd:{counts[1]} submit date:{dates[0]} "
        f"done date:{dates[1]} stat:{stat} err:{err}"
    )
    if text is not None:
        raw += f" text:{text}"
    assert _as_read(receipt_module._text_fields(raw)) == _as_read(
        receipt_module._scanned_fields(raw)
    )


def test_the_usual_receipt_takes_the_anchored_reading() -> None:
    raw = (
        "id:1a sub:001 dlvrd:001 submit date:2501011200 done date:2501011201 "
        "stat:DELIVRD err:000 text:Hi"
    )
    assert receipt_module._STANDARD_LAYOUT.match(raw) is not None
    assert receipt_module._text_fields(raw)["stat"] == "DELIVRD"
