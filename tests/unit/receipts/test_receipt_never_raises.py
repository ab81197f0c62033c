"""parse_receipt answers every input with a Receipt: random bytes, mutations, odd TLVs."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from parcelsms.protocol.smpp.receipt import Receipt, ReceiptState, parse_receipt

VALID = (
    b"id:0A1B2C3D sub:001 dlvrd:001 submit date:2403151230 done date:2403151231 "
    b"stat:DELIVRD err:000 text:Your parcel is out for delivery"
)

# Pieces a mutation may splice in: fragments of keys and values that stress the scanner.
FRAGMENTS = [
    b"id:",
    b"text:",
    b"stat:",
    b"err:0x",
    b"submit date:",
    b"done_date:",
    b":",
    b" ",
    b"\x00",
    b"\xff",
    b"9" * 30,
    b"f" * 30,
    "包".encode(),
]


def _assert_is_receipt(receipt: object) -> None:
    assert isinstance(receipt, Receipt)
    assert isinstance(receipt.state, ReceiptState)
    assert isinstance(receipt.raw, str)
    # The fields read only when asked for must not raise either.
    for name in ("submit_date", "done_date"):
        assert isinstance(getattr(receipt, name), datetime | None)
    for name in ("submitted", "delivered", "error_code"):
        assert isinstance(getattr(receipt, name), int | None)
    assert isinstance(receipt.text, str | None)
    assert isinstance(receipt.network_error, tuple | None)


@given(st.binary(max_size=300))
def test_random_bytes_give_a_receipt(data: bytes) -> None:
    _assert_is_receipt(parse_receipt(data))


@given(
    data=st.binary(max_size=200),
    receipted_message_id=st.none() | st.text(max_size=70),
    message_state=st.none() | st.integers(min_value=-(2**31), max_value=2**31),
    network_error_code=st.none() | st.binary(max_size=5),
    esm_class=st.integers(min_value=0, max_value=255),
)
def test_random_tlv_values_give_a_receipt(
    data: bytes,
    receipted_message_id: str | None,
    message_state: int | None,
    network_error_code: bytes | None,
    esm_class: int,
) -> None:
    receipt = parse_receipt(
        data,
        receipted_message_id=receipted_message_id,
        message_state=message_state,
        network_error_code=network_error_code,
        esm_class=esm_class,
    )
    _assert_is_receipt(receipt)


_mutation = st.tuples(
    st.sampled_from(["insert", "delete", "replace"]),
    st.integers(min_value=0, max_value=len(VALID)),
    st.integers(min_value=1, max_value=12),
    st.one_of(st.sampled_from(FRAGMENTS), st.binary(min_size=1, max_size=8)),
)


@settings(max_examples=300)
@given(st.lists(_mutation, min_size=1, max_size=8))
def test_mutated_valid_receipts_give_a_receipt(
    mutations: list[tuple[str, int, int, bytes]],
) -> None:
    data = bytearray(VALID)
    for kind, position, length, piece in mutations:
        at = min(position, len(data))
        if kind == "insert":
            data[at:at] = piece
        elif kind == "delete":
            del data[at : at + length]
        else:
            data[at : at + len(piece)] = piece
    _assert_is_receipt(parse_receipt(bytes(data)))


_STAT_WORDS = {
    "DELIVRD": ReceiptState.DELIVERED,
    "EXPIRED": ReceiptState.EXPIRED,
    "DELETED": ReceiptState.DELETED,
    "UNDELIV": ReceiptState.UNDELIVERABLE,
    "ACCEPTD": ReceiptState.ACCEPTED,
    "UNKNOWN": ReceiptState.UNKNOWN,
    "REJECTD": ReceiptState.REJECTED,
    "ENROUTE": ReceiptState.ENROUTE,
}

_minute_dates = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2099, 12, 31, 23, 59)
).map(lambda moment: moment.replace(second=0, microsecond=0))


def _random_case(draw: st.DrawFn, word: str) -> str:
    return "".join(letter.upper() if draw(st.booleans()) else letter.lower() for letter in word)


@st.composite
def _receipt_texts(draw: st.DrawFn) -> tuple[bytes, dict[str, object]]:
    """A well-formed receipt in random key order and case, with the values it carries."""
    values: dict[str, object] = {
        "id": draw(st.text("0123456789ABCDEFabcdef-XYZ", min_size=1, max_size=36)),
        "sub": draw(st.integers(min_value=0, max_value=999)),
        "dlvrd": draw(st.integers(min_value=0, max_value=999)),
        "submit": draw(_minute_dates),
        "done": draw(_minute_dates),
        "stat": draw(st.sampled_from(sorted(_STAT_WORDS))),
        "err": draw(st.integers(min_value=0, max_value=999)),
    }
    submit_key = draw(st.sampled_from(["submit date", "submit_date", "submitdate"]))
    done_key = draw(st.sampled_from(["done date", "done_date", "donedate"]))
    submit = values["submit"]
    done = values["done"]
    assert isinstance(submit, datetime)
    assert isinstance(done, datetime)
    parts = [
        f"{_random_case(draw, 'id')}:{values['id']}",
        f"{_random_case(draw, 'sub')}:{values['sub']:03d}",
        f"{_random_case(draw, 'dlvrd')}:{values['dlvrd']:03d}",
        f"{_random_case(draw, submit_key)}:{submit:%y%m%d%H%M}",
        f"{_random_case(draw, done_key)}:{done:%y%m%d%H%M}",
        f"{_random_case(draw, 'stat')}:{values['stat']}",
        f"{_random_case(draw, 'err')}:{values['err']:03d}",
    ]
    ordered = draw(st.permutations(parts))
    separator = draw(st.sampled_from([" ", "  ", " \t "]))
    body = separator.join(ordered) + " text:" + draw(st.text(max_size=40))
    return body.encode(), values


@given(_receipt_texts())
def test_well_formed_receipts_are_read_back_exactly(
    generated: tuple[bytes, dict[str, object]],
) -> None:
    data, values = generated
    receipt = parse_receipt(data)
    submit = values["submit"]
    done = values["done"]
    assert isinstance(submit, datetime)
    assert isinstance(done, datetime)

    assert receipt.message_id == values["id"]
    assert receipt.submitted == values["sub"]
    assert receipt.delivered == values["dlvrd"]
    assert receipt.submit_date == submit.replace(tzinfo=UTC)
    assert receipt.done_date == done.replace(tzinfo=UTC)
    assert receipt.state is _STAT_WORDS[str(values["stat"])]
    assert receipt.error_code == values["err"]
