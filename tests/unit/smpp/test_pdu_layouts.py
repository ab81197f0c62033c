"""PDU tables, encoder, decoder and dump: every PDU, every TLV, bytes written from the spec."""

from __future__ import annotations

import pytest

from parcelsms.errors import ProtocolError
from parcelsms.protocol.smpp.constants import CommandId, CommandStatus
from parcelsms.protocol.smpp.pdu import Pdu, decode, dump, encode, make
from parcelsms.protocol.smpp.tables import LAYOUTS, TLV_BY_NAME, TLV_BY_TAG, FieldKind, TlvKind

# The PDUs SMPP 3.4 section 4 defines and issue 2 asks for (replace_sm and submit_multi are
# not supported: they are answered with generic_nack ESME_RINVCMDID).
SUPPORTED_PDUS = {
    "generic_nack": 0x80000000,
    "bind_receiver": 0x00000001,
    "bind_receiver_resp": 0x80000001,
    "bind_transmitter": 0x00000002,
    "bind_transmitter_resp": 0x80000002,
    "query_sm": 0x00000003,
    "query_sm_resp": 0x80000003,
    "submit_sm": 0x00000004,
    "submit_sm_resp": 0x80000004,
    "deliver_sm": 0x00000005,
    "deliver_sm_resp": 0x80000005,
    "unbind": 0x00000006,
    "unbind_resp": 0x80000006,
    "cancel_sm": 0x00000008,
    "cancel_sm_resp": 0x80000008,
    "bind_transceiver": 0x00000009,
    "bind_transceiver_resp": 0x80000009,
    "outbind": 0x0000000B,
    "enquire_link": 0x00000015,
    "enquire_link_resp": 0x80000015,
    "alert_notification": 0x00000102,
    "data_sm": 0x00000103,
    "data_sm_resp": 0x80000103,
}

# SMPP 3.4 section 5.3.2, written out from the specification: (tag, kind, fixed length or
# None for a variable length). Integer kinds use their octet count.
SPEC_TLVS: dict[str, tuple[int, str, int | None]] = {
    "dest_addr_subunit": (0x0005, "int", 1),
    "dest_network_type": (0x0006, "int", 1),
    "dest_bearer_type": (0x0007, "int", 1),
    "dest_telematics_id": (0x0008, "int", 2),
    "source_addr_subunit": (0x000D, "int", 1),
    "source_network_type": (0x000E, "int", 1),
    "source_bearer_type": (0x000F, "int", 1),
    "source_telematics_id": (0x0010, "int", 1),
    "qos_time_to_live": (0x0017, "int", 4),
    "payload_type": (0x0019, "int", 1),
    "additional_status_info_text": (0x001D, "cstring", None),
    "receipted_message_id": (0x001E, "cstring", None),
    "ms_msg_wait_facilities": (0x0030, "int", 1),
    "privacy_indicator": (0x0201, "int", 1),
    "source_subaddress": (0x0202, "octets", None),
    "dest_subaddress": (0x0203, "octets", None),
    "user_message_reference": (0x0204, "int", 2),
    "user_response_code": (0x0205, "int", 1),
    "source_port": (0x020A, "int", 2),
    "destination_port": (0x020B, "int", 2),
    "sar_msg_ref_num": (0x020C, "int", 2),
    "language_indicator": (0x020D, "int", 1),
    "sar_total_segments": (0x020E, "int", 1),
    "sar_segment_seqnum": (0x020F, "int", 1),
    "sc_interface_version": (0x0210, "int", 1),
    "callback_num_pres_ind": (0x0302, "int", 1),
    "callback_num_atag": (0x0303, "octets", None),
    "number_of_messages": (0x0304, "int", 1),
    "callback_num": (0x0381, "octets", None),
    "dpf_result": (0x0420, "int", 1),
    "set_dpf": (0x0421, "int", 1),
    "ms_availability_status": (0x0422, "int", 1),
    "network_error_code": (0x0423, "octets", 3),
    "message_payload": (0x0424, "octets", None),
    "delivery_failure_reason": (0x0425, "int", 1),
    "more_messages_to_send": (0x0426, "int", 1),
    "message_state": (0x0427, "int", 1),
    "ussd_service_op": (0x0501, "int", 1),
    "display_time": (0x1201, "int", 1),
    "sms_signal": (0x1203, "int", 2),
    "ms_validity": (0x1204, "int", 1),
    "alert_on_message_delivery": (0x130C, "empty", 0),
    "its_reply_type": (0x1380, "int", 1),
    "its_session_info": (0x1383, "octets", 2),
}


def sample_pdu(command_id: int, sequence_number: int = 0x01020304) -> Pdu:
    """A PDU of this type with every field set to a distinct, non-default value."""
    layout = LAYOUTS[command_id]
    fields: dict[str, int | str | bytes] = {}
    for index, field in enumerate(layout.fields):
        if field.kind is FieldKind.CSTRING:
            fields[field.name] = ("F" + str(index) * field.size)[: field.size - 1]
        elif field.kind is FieldKind.OCTETS:
            fields[field.name] = bytes(range(40, 40 + 17))
        elif field.length_field is None:
            fields[field.name] = (index * 7 + 3) % 256
    if "sm_length" in fields:
        fields["sm_length"] = 17
    pdu = Pdu(command_id, sequence_number, 0, fields)
    if layout.has_tlvs:
        pdu.tlvs = [(0x0204, b"\x00\x2a"), (0x1400, b"vendor\x00\xff")]
    return pdu


@pytest.mark.parametrize("name", sorted(SUPPORTED_PDUS))
def test_every_supported_pdu_has_a_table(name: str) -> None:
    assert SUPPORTED_PDUS[name] in LAYOUTS
    assert CommandId(SUPPORTED_PDUS[name]).name.lower() == name


@pytest.mark.parametrize("command_id", sorted(LAYOUTS), ids=lambda c: CommandId(c).name.lower())
def test_every_pdu_round_trips_byte_for_byte(command_id: int) -> None:
    pdu = sample_pdu(command_id)
    wire = encode(pdu)
    decoded = decode(wire)
    assert decoded == pdu
    assert encode(decoded) == wire
    assert int.from_bytes(wire[:4], "big") == len(wire)


@pytest.mark.parametrize("command_id", sorted(LAYOUTS), ids=lambda c: CommandId(c).name.lower())
def test_dump_names_the_command_and_every_field(command_id: int) -> None:
    pdu = sample_pdu(command_id)
    text = dump(pdu)
    assert text.startswith(f"{CommandId(command_id).name.lower()} seq={0x01020304}")
    for field in LAYOUTS[command_id].fields:
        assert f"  {field.name} = " in text
    if LAYOUTS[command_id].has_tlvs:
        assert "tlv user_message_reference = 42" in text
        assert "tlv 0x1400 (unknown) = " + b"vendor\x00\xff".hex() in text


def test_bind_transmitter_matches_the_octets_of_the_specification() -> None:
    # SMPP 3.4 section 4.1.1: header, then system_id, password, system_type (C-strings),
    # interface_version, addr_ton, addr_npi (1 octet each), address_range (C-string).
    expected = bytes.fromhex(
        "0000002f"  # command_length: 16 + 31
        "00000002"  # command_id: bind_transmitter
        "00000000"  # command_status
        "00000001"  # sequence_number
        "534d50503354455354 00"  # "SMPP3TEST"
        "7365637265743038 00"  # "secret08"
        "5355424d495431 00"  # "SUBMIT1"
        "34"  # interface_version 3.4
        "01"  # addr_ton: international
        "01"  # addr_npi: E.164
        "00"  # address_range: empty
    )
    pdu = make(
        CommandId.BIND_TRANSMITTER,
        1,
        system_id="SMPP3TEST",
        password="secret08",
        system_type="SUBMIT1",
        interface_version=0x34,
        addr_ton=1,
        addr_npi=1,
        address_range="",
    )
    assert encode(pdu) == expected
    assert decode(expected) == pdu


def test_submit_sm_with_a_tlv_matches_the_octets_of_the_specification() -> None:
    # SMPP 3.4 section 4.4.1, then one TLV (section 3.2.4.1: tag, length, value).
    expected = bytes.fromhex(
        "0000003e"  # command_length: 16 + 46
        "00000004"  # submit_sm
        "00000000"
        "0000002a"  # sequence_number 42
        "00"  # service_type: default
        "05"  # source_addr_ton: alphanumeric
        "00"  # source_addr_npi: unknown
        "50617263656c 00"  # source_addr "Parcel"
        "01"  # dest_addr_ton: international
        "01"  # dest_addr_npi: E.164
        "343437373030393030313233 00"  # destination_addr "447700900123"
        "00"  # esm_class
        "00"  # protocol_id
        "00"  # priority_flag
        "00"  # schedule_delivery_time: immediate
        "00"  # validity_period: SMSC default
        "01"  # registered_delivery: receipt on success or failure
        "00"  # replace_if_present_flag
        "00"  # data_coding: SMSC default alphabet
        "00"  # sm_default_msg_id
        "05"  # sm_length
        "48656c6c6f"  # short_message "Hello"
        "0204 0002 0007"  # user_message_reference = 7
    )
    pdu = make(
        CommandId.SUBMIT_SM,
        42,
        tlvs={"user_message_reference": 7},
        service_type="",
        source_addr_ton=5,
        source_addr_npi=0,
        source_addr="Parcel",
        dest_addr_ton=1,
        dest_addr_npi=1,
        destination_addr="447700900123",
        esm_class=0,
        protocol_id=0,
        priority_flag=0,
        schedule_delivery_time="",
        validity_period="",
        registered_delivery=1,
        replace_if_present_flag=0,
        data_coding=0,
        sm_default_msg_id=0,
        short_message=b"Hello",
    )
    assert encode(pdu) == expected
    decoded = decode(expected)
    assert decoded.str_field("destination_addr") == "447700900123"
    assert decoded.bytes_field("short_message") == b"Hello"
    assert decoded.int_field("sm_length") == 5
    assert decoded.tlv("user_message_reference") == 7


def test_header_only_pdus_are_sixteen_octets() -> None:
    assert encode(Pdu(CommandId.ENQUIRE_LINK, 0x7FFFFFFF)) == bytes.fromhex(
        "00000010 00000015 00000000 7fffffff"
    )
    assert encode(Pdu(CommandId.GENERIC_NACK, 9, CommandStatus.ESME_RINVCMDID)) == bytes.fromhex(
        "00000010 80000000 00000003 00000009"
    )


def test_bind_transceiver_resp_carries_sc_interface_version() -> None:
    wire = bytes.fromhex("0000001a 80000009 00000000 00000001 534d534300 0210 0001 34")
    pdu = decode(wire)
    assert pdu.str_field("system_id") == "SMSC"
    assert pdu.tlv("sc_interface_version") == 0x34
    assert encode(pdu) == wire


def test_error_responses_are_sent_without_a_body() -> None:
    # Section 4.1.2 and 4.4.2: a failed bind or submit answer "shall not" carry the body.
    pdu = Pdu(CommandId.SUBMIT_SM_RESP, 3, CommandStatus.ESME_RTHROTTLED)
    assert encode(pdu) == bytes.fromhex("00000010 80000004 00000058 00000003")
    assert decode(encode(pdu)) == pdu


def test_a_successful_response_with_an_empty_body_is_still_read() -> None:
    pdu = decode(bytes.fromhex("00000010 80000004 00000000 00000003"))
    assert pdu.command_status == 0
    assert pdu.str_field("message_id") == ""


@pytest.mark.parametrize("name", sorted(SPEC_TLVS))
def test_every_tlv_of_the_specification_is_known_by_name_and_type(name: str) -> None:
    tag, kind, fixed = SPEC_TLVS[name]
    spec = TLV_BY_NAME[name]
    assert spec.tag == tag
    assert TLV_BY_TAG[tag] is spec
    if kind == "int":
        assert spec.kind in (TlvKind.INT1, TlvKind.INT2, TlvKind.INT4)
        assert spec.kind.value == fixed
    elif kind == "cstring":
        assert spec.kind is TlvKind.CSTRING
    elif kind == "empty":
        assert spec.kind is TlvKind.EMPTY
    else:
        assert spec.kind is TlvKind.OCTETS
        if fixed is not None:
            assert spec.min_length == spec.max_length == fixed


def test_the_tlv_table_holds_exactly_the_specification_tags() -> None:
    assert set(TLV_BY_NAME) == set(SPEC_TLVS)


@pytest.mark.parametrize("name", sorted(SPEC_TLVS))
def test_every_tlv_encodes_and_decodes_by_its_type(name: str) -> None:
    tag, kind, fixed = SPEC_TLVS[name]
    value: int | str | bytes | bool
    if kind == "int":
        assert fixed is not None
        value = 2 ** (8 * fixed) - 2
        raw = value.to_bytes(fixed, "big")
    elif kind == "cstring":
        value, raw = "ab12", b"ab12\x00"
    elif kind == "empty":
        value, raw = True, b""
    else:
        raw = bytes(range(1, (fixed or 5) + 1))
        value = raw
    pdu = make(CommandId.DATA_SM, 1, tlvs={name: value})
    wire = encode(pdu)
    assert wire.endswith(tag.to_bytes(2, "big") + len(raw).to_bytes(2, "big") + raw)
    decoded = decode(wire)
    assert decoded.tlv(name) == value
    assert decoded.tlv_raw(tag) == raw


def test_vendor_and_unknown_tlvs_are_kept_byte_for_byte_in_order() -> None:
    tlvs = [
        (0x1400, b""),
        (0x3FFF, bytes(range(256))),
        (0x0427, b"\x02"),
        (0x1502, b"8c1a4e1e-7d3b-4f0c-9b9e-3c1a2d4e5f60"),
        (0x0999, b"\x00\x00"),  # an unassigned tag outside the vendor range
        (0x1400, b"second"),  # repeated tags stay repeated
    ]
    wire = encode(Pdu(CommandId.DELIVER_SM, 5, 0, sample_pdu(CommandId.DELIVER_SM).fields, tlvs))
    decoded = decode(wire)
    assert decoded.tlvs == tlvs
    assert encode(decoded) == wire
    assert decoded.tlv_raw(0x1400) == b""
    assert "tlv 0x3fff (unknown) = " in dump(decoded)


def test_set_tlv_replaces_a_tlv_already_present() -> None:
    pdu = make(CommandId.SUBMIT_SM, tlvs={"sar_msg_ref_num": 1})
    pdu.set_tlv("sar_msg_ref_num", 0xBEEF)
    assert pdu.tlvs == [(0x020C, b"\xbe\xef")]


def test_tlv_values_of_the_wrong_python_type_are_refused() -> None:
    with pytest.raises(TypeError):
        make(CommandId.SUBMIT_SM, tlvs={"message_state": "two"})
    with pytest.raises(TypeError):
        make(CommandId.SUBMIT_SM, tlvs={"message_payload": "text"})


def test_unknown_command_ids_are_decoded_with_their_body_kept_raw() -> None:
    wire = bytes.fromhex("00000015 00010203 00000000 00000004") + b"\x01\x02\x03\x04\x05"
    pdu = decode(wire)
    assert pdu.name == "unknown_0x00010203"
    assert pdu.fields == {"body": b"\x01\x02\x03\x04\x05"}
    assert encode(pdu) == wire


def test_vendor_command_status_values_are_carried_through() -> None:
    wire = bytes.fromhex("00000011 80000004 00000401 00000007 00")
    pdu = decode(wire)
    assert pdu.command_status == 0x401
    assert "status=vendor_0x00000401" in dump(pdu)
    assert encode(pdu) == wire


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("system_id", "x" * 16),  # 15 octets and the NUL at most
        ("password", "p" * 9),
        ("address_range", "1" * 41),
    ],
)
def test_encoder_refuses_c_strings_longer_than_the_specification(field: str, value: str) -> None:
    with pytest.raises(ValueError, match=field):
        encode(make(CommandId.BIND_TRANSCEIVER, 1, **{field: value}))


def test_encoder_refuses_a_c_string_with_an_embedded_nul() -> None:
    # It would end the field early and shift every later field on the wire.
    with pytest.raises(ValueError, match="system_id"):
        encode(make(CommandId.BIND_TRANSCEIVER, 1, system_id="ab\x00cd"))


def test_encoder_refuses_a_short_message_longer_than_254_octets() -> None:
    with pytest.raises(ValueError, match="254 octets"):
        encode(make(CommandId.SUBMIT_SM, 1, short_message=b"x" * 255))


def test_encoder_refuses_a_non_bytes_short_message() -> None:
    with pytest.raises(TypeError):
        encode(make(CommandId.SUBMIT_SM, 1, short_message="text"))


def test_decode_refuses_a_length_that_does_not_match_the_data() -> None:
    wire = encode(Pdu(CommandId.ENQUIRE_LINK, 1))
    with pytest.raises(ProtocolError) as caught:
        decode(wire + b"\x00")
    assert caught.value.command_status == CommandStatus.ESME_RINVCMDLEN
    with pytest.raises(ProtocolError):
        decode(wire[:10])


def test_pdu_accessors_tolerate_fields_of_other_types() -> None:
    pdu = Pdu(CommandId.SUBMIT_SM, 1, 0, {"short_message": "text", "esm_class": "4"})
    assert pdu.bytes_field("short_message") == b""
    assert pdu.int_field("esm_class") == 0
    assert pdu.str_field("esm_class") == "4"
    assert pdu.get("missing", 5) == 5
    assert pdu.tlv("message_state") is None
    assert pdu.is_response is False
    assert repr(pdu) == "<Pdu submit_sm seq=1 status=0x0>"
    assert (pdu == "not a pdu") is False
