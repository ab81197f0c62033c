"""How far a final status can be trusted: the delivery confidence shown beside it.

* ``handset`` — a carrier receipt reported the outcome, and the destination country's
  networks give handset-level receipts (``receipts_reliable`` in the country rules).
* ``carrier`` — a carrier receipt reported the outcome, but the country's receipts are
  network-level, missing or unverified: "delivered" there means "accepted by the carrier".
* ``none`` — no receipt stands behind the status: the message failed before reaching a
  carrier, was canceled, or expired because no receipt ever came.

Statuses that are not final have no confidence (``None``).
"""

from __future__ import annotations

from enum import StrEnum

from parcelsms.domain.status import CARRIER_OUTCOMES, FINAL_STATUSES, MessageStatus

__all__ = ["DeliveryConfidence", "delivery_confidence"]


class DeliveryConfidence(StrEnum):
    """The API's confidence values (see the module docstring)."""

    HANDSET = "handset"
    CARRIER = "carrier"
    NONE = "none"


def delivery_confidence(
    status: MessageStatus | str, *, receipt_arrived: bool, receipts_reliable: bool
) -> DeliveryConfidence | None:
    """The confidence of ``status``; ``None`` while the message is not final.

    ``receipt_arrived`` is false when the status was set without a carrier receipt (an
    expiry for want of one); ``receipts_reliable`` is the destination country's rule.
    """
    status = MessageStatus(status)
    if status not in FINAL_STATUSES:
        return None
    if status not in CARRIER_OUTCOMES or not receipt_arrived:
        return DeliveryConfidence.NONE
    return DeliveryConfidence.HANDSET if receipts_reliable else DeliveryConfidence.CARRIER
