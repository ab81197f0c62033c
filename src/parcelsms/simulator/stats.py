"""Counters of the carrier simulator (what ``--stats`` prints once a second)."""

from __future__ import annotations

from dataclasses import asdict, dataclass

__all__ = ["SimulatorStats"]


@dataclass(slots=True)
class SimulatorStats:
    """Monotonic counters since the simulator started.

    * ``binds`` accepted binds; ``binds_rejected`` refused ones (authentication, max_binds)
    * ``submits`` every submit_sm received; ``submits_accepted`` answered ESME_ROK
    * ``submit_errors_injected`` refused by the scenario's submit_error_rate
    * ``throttled`` answered ESME_RTHROTTLED; ``unanswered`` deliberately never answered
    * ``dropped_connections`` connections aborted by drop_connection_every
    * ``receipts_sent`` receipts written (each duplicate counts; re-sends do not);
      ``receipts_acked`` answered ESME_ROK by the ESME
    * ``mo_sent`` / ``mo_acked`` the same for MO replies
    * ``malformed_sent`` deliberately malformed deliver_sm written
    * ``deliveries_retried`` deliver_sm sent again (connection lost, error answer, timeout)
    * ``deliveries_dropped`` given up: too many attempts, or the held queue was full
    * ``restarts`` restarts (:meth:`CarrierSimulator.restart`): ids numbered from the first
    """

    binds: int = 0
    binds_rejected: int = 0
    submits: int = 0
    submits_accepted: int = 0
    submit_errors_injected: int = 0
    throttled: int = 0
    dropped_connections: int = 0
    unanswered: int = 0
    receipts_sent: int = 0
    receipts_acked: int = 0
    mo_sent: int = 0
    mo_acked: int = 0
    malformed_sent: int = 0
    deliveries_retried: int = 0
    deliveries_dropped: int = 0
    restarts: int = 0

    def as_dict(self) -> dict[str, int]:
        return asdict(self)
