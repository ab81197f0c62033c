"""Classifying submit answers: throttled, temporary, permanent; vendor values; overrides."""

from __future__ import annotations

import pytest

from parcelsms.protocol.smpp.constants import CommandStatus
from parcelsms.protocol.smpp.outcome import (
    STATUS_CLASSES,
    StatusClass,
    SubmitOutcome,
    SubmitOutcomeKind,
    classify_status,
)


@pytest.mark.parametrize("status", [0x58, 0x14])  # ESME_RTHROTTLED, ESME_RMSGQFUL
def test_flow_control_answers_are_throttling(status: int) -> None:
    assert classify_status(status) is StatusClass.THROTTLED


@pytest.mark.parametrize(
    "status",
    [0x0B, 0x0A, 0x50, 0x51, 0x62, 0xC1],  # bad destination/source, TON/NPI, expiry, TLV
)
def test_errors_in_the_message_itself_are_permanent(status: int) -> None:
    assert classify_status(status) is StatusClass.PERMANENT


@pytest.mark.parametrize("status", [0x08, 0x45, 0x64, 0xFE, 0xFF])
def test_errors_of_the_carrier_are_temporary(status: int) -> None:
    assert classify_status(status) is StatusClass.TEMPORARY


@pytest.mark.parametrize("status", [0x400, 0x40C, 0xFFFFFFFF, 0x09])
def test_vendor_and_reserved_values_are_temporary(status: int) -> None:
    assert classify_status(status) is StatusClass.TEMPORARY


def test_channel_overrides_win_over_the_default_table() -> None:
    overrides = {0x40C: StatusClass.PERMANENT, 0x58: StatusClass.TEMPORARY}
    assert classify_status(0x40C, overrides) is StatusClass.PERMANENT
    assert classify_status(0x58, overrides) is StatusClass.TEMPORARY
    assert classify_status(0x0B, overrides) is StatusClass.PERMANENT


def test_every_classified_status_is_a_specification_status() -> None:
    assert all(isinstance(status, CommandStatus) for status in STATUS_CLASSES)
    assert STATUS_CLASSES[CommandStatus.ESME_ROK] is StatusClass.OK


def test_only_an_accepted_outcome_is_accepted() -> None:
    assert SubmitOutcome(SubmitOutcomeKind.ACCEPTED, message_id="1").accepted
    for kind in (SubmitOutcomeKind.REJECTED, SubmitOutcomeKind.UNKNOWN, SubmitOutcomeKind.NOT_SENT):
        assert not SubmitOutcome(kind).accepted
