"""Receipt records as a channel and the receipt step would hand them to storage, and the
submissions they answer."""

from __future__ import annotations

from datetime import datetime

from parcelsms.domain.receipt_correlation import Reading, micros, receipt_key
from parcelsms.domain.status import MessageStatus
from parcelsms.pipeline.message_ports import Submitted, SubmittedPart
from parcelsms.pipeline.receipt_ports import ReceiptRecord

STATS = {
    MessageStatus.DELIVERED: "DELIVRD",
    MessageStatus.UNDELIVERED: "UNDELIV",
    MessageStatus.EXPIRED: "EXPIRED",
    MessageStatus.REJECTED: "REJECTD",
}


def receipt_record(
    carrier_id: str,
    state: MessageStatus | str | None,
    at: datetime,
    *,
    channel: str = "alpha",
    reading: Reading | None = Reading.SAME,
    responded_at_us: int | None = None,
    err: str | None = None,
) -> ReceiptRecord:
    """A receipt for ``carrier_id`` read on ``channel`` at ``at``.

    ``reading`` is the channel's id reading (``None``: not known yet, the receipt waits);
    ``responded_at_us`` names the submission when the channel remembered it.
    """
    status = None if state is None else MessageStatus(state)
    stat = "ENROUTE" if status is None else STATS.get(status, "UNDELIV")
    return ReceiptRecord(
        channel=channel,
        carrier_id=carrier_id,
        state=status,
        stat=stat,
        err=err or ("000" if status is MessageStatus.DELIVERED else "001"),
        raw=f"id:{carrier_id} stat:{stat}",
        received_at=at,
        received_at_us=micros(at),
        match=None if reading is None else receipt_key(carrier_id, reading),
        responded_at_us=responded_at_us,
    )


def one_part_submissions(
    message_ids: list[str], prefix: str, channel: str = "alpha"
) -> list[Submitted]:
    """One accepted single-part submission per message, carrier ids ``<prefix>0``, ``…1``."""
    return [
        Submitted(
            message_id=message_id,
            channel=channel,
            parts=(SubmittedPart(part_no=1, carrier_id_raw=f"{prefix}{n}", responded_at_us=None),),
        )
        for n, message_id in enumerate(message_ids)
    ]
