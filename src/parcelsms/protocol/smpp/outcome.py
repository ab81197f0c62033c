"""What a submit's answer means, decided once at the edge.

Routing and failover never see SMPP codes. Every ``command_status`` is classified here:

==========  ==============================================================================
OK          the carrier took the message
THROTTLED   the carrier asks us to slow down; send the same message again later, same
            channel (flow control, not a failure of the message)
TEMPORARY   this channel cannot take it now; another channel (or a later try) may
PERMANENT   the message itself is wrong for any carrier (bad address, bad parameters);
            failing over would only fail again
==========  ==============================================================================

Vendor-specific values (anything not in SMPP 3.4) are TEMPORARY unless the channel's
configuration says otherwise: trying another channel costs little, while dropping a
parcel notification on an unknown code costs a customer.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum

from parcelsms.protocol.smpp.constants import CommandStatus as S
from parcelsms.protocol.smpp.pdu import Pdu


class StatusClass(Enum):
    OK = "ok"
    THROTTLED = "throttled"
    TEMPORARY = "temporary"
    PERMANENT = "permanent"


STATUS_CLASSES: Mapping[int, StatusClass] = {
    S.ESME_ROK: StatusClass.OK,
    S.ESME_RTHROTTLED: StatusClass.THROTTLED,
    S.ESME_RMSGQFUL: StatusClass.THROTTLED,
    S.ESME_RSYSERR: StatusClass.TEMPORARY,
    S.ESME_RX_T_APPN: StatusClass.TEMPORARY,
    S.ESME_RSUBMITFAIL: StatusClass.TEMPORARY,
    S.ESME_RINVBNDSTS: StatusClass.TEMPORARY,
    S.ESME_RDELIVERYFAILURE: StatusClass.TEMPORARY,
    S.ESME_RUNKNOWNERR: StatusClass.TEMPORARY,
    S.ESME_RINVMSGLEN: StatusClass.PERMANENT,
    S.ESME_RINVCMDLEN: StatusClass.PERMANENT,
    S.ESME_RINVCMDID: StatusClass.PERMANENT,
    S.ESME_RINVPRTFLG: StatusClass.PERMANENT,
    S.ESME_RINVREGDLVFLG: StatusClass.PERMANENT,
    S.ESME_RINVSRCADR: StatusClass.PERMANENT,
    S.ESME_RINVDSTADR: StatusClass.PERMANENT,
    S.ESME_RINVSERTYP: StatusClass.PERMANENT,
    S.ESME_RINVESMCLASS: StatusClass.PERMANENT,
    S.ESME_RINVSRCTON: StatusClass.PERMANENT,
    S.ESME_RINVSRCNPI: StatusClass.PERMANENT,
    S.ESME_RINVDSTTON: StatusClass.PERMANENT,
    S.ESME_RINVDSTNPI: StatusClass.PERMANENT,
    S.ESME_RINVSCHED: StatusClass.PERMANENT,
    S.ESME_RINVEXPIRY: StatusClass.PERMANENT,
    S.ESME_RINVDFTMSGID: StatusClass.PERMANENT,
    S.ESME_RX_P_APPN: StatusClass.PERMANENT,
    S.ESME_RX_R_APPN: StatusClass.PERMANENT,
    S.ESME_RINVOPTPARSTREAM: StatusClass.PERMANENT,
    S.ESME_ROPTPARNOTALLWD: StatusClass.PERMANENT,
    S.ESME_RINVPARLEN: StatusClass.PERMANENT,
    S.ESME_RMISSINGOPTPARAM: StatusClass.PERMANENT,
    S.ESME_RINVOPTPARAMVAL: StatusClass.PERMANENT,
}


def classify_status(
    command_status: int, overrides: Mapping[int, StatusClass] | None = None
) -> StatusClass:
    """The class of a submit response status; ``overrides`` come from channel config."""
    if overrides and command_status in overrides:
        return overrides[command_status]
    return STATUS_CLASSES.get(command_status, StatusClass.TEMPORARY)


class SubmitOutcomeKind(Enum):
    ACCEPTED = "accepted"  # submit_sm_resp OK: the carrier has it; ``message_id`` set
    REJECTED = "rejected"  # error response; ``status_class`` tells what to do next
    UNKNOWN = "unknown"  # sent, never answered (connection lost or timeout)
    NOT_SENT = "not_sent"  # never left this process (not bound, closing)


@dataclass(init=False, frozen=True, slots=True)
class SubmitOutcome:
    """The result of one submit attempt, as the channel layer sees it."""

    kind: SubmitOutcomeKind
    message_id: str = ""
    command_status: int = 0
    status_class: StatusClass = StatusClass.OK
    reason: str = ""
    response: Pdu | None = None
    latency: float = 0.0  # seconds from the request on the wire to its answer

    # Written out, not the dataclass's: compiled (parcelsms.compiled_modules).
    def __init__(
        self,
        kind: SubmitOutcomeKind,
        message_id: str = "",
        command_status: int = 0,
        status_class: StatusClass = StatusClass.OK,
        reason: str = "",
        response: Pdu | None = None,
        latency: float = 0.0,
    ) -> None:
        object.__setattr__(self, "kind", kind)
        object.__setattr__(self, "message_id", message_id)
        object.__setattr__(self, "command_status", command_status)
        object.__setattr__(self, "status_class", status_class)
        object.__setattr__(self, "reason", reason)
        object.__setattr__(self, "response", response)
        object.__setattr__(self, "latency", latency)

    @property
    def accepted(self) -> bool:
        return self.kind is SubmitOutcomeKind.ACCEPTED
