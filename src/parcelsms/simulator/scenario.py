"""Carrier-simulator scenarios: what the simulated carrier does, as validated data.

A :class:`Scenario` holds the SMSC-wide settings, the bind :class:`Account` list and the
per-prefix :class:`Rule` list (:meth:`Scenario.rule_for` picks the longest matching
prefix). Build one from TOML or a mapping with
:mod:`parcelsms.simulator.scenario_parsing`, which validates every key.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from parcelsms.protocol.smpp.constants import CommandStatus, MessageState
from parcelsms.simulator.message_ids import MessageIdStyle

__all__ = [
    "DEFAULT_ERROR_CODES",
    "FINAL_STATES",
    "MAX_MO_REPLIES",
    "Account",
    "ErrorCode",
    "MoReply",
    "Rule",
    "Scenario",
]

FINAL_STATES: Mapping[str, int] = {
    "DELIVRD": MessageState.DELIVERED,
    "EXPIRED": MessageState.EXPIRED,
    "DELETED": MessageState.DELETED,
    "UNDELIV": MessageState.UNDELIVERABLE,
    "ACCEPTD": MessageState.ACCEPTED,
    "UNKNOWN": MessageState.UNKNOWN,
    "REJECTD": MessageState.REJECTED,
}
"""Receipt ``stat:`` words a scenario may choose, with their message_state values."""

MAX_MO_REPLIES = 8
"""Each MO reply has its own random draw; the draws of one message are limited."""


@dataclass(frozen=True, slots=True)
class ErrorCode:
    """An ``err:`` value: ``text`` as the receipt prints it, ``value`` for the TLV."""

    text: str
    value: int


@dataclass(frozen=True, slots=True)
class MoReply:
    """A reply from the recipient, sent for a delivered message with probability ``rate``,
    ``after`` seconds after its delivery receipt, in parts by ``concatenation`` when long."""

    text: str
    rate: float
    after: float = 1.0
    # How a reply longer than one SMS travels: "payload" (one deliver_sm, message_payload),
    # or in parts as handsets send it: "udh8", "udh16" or "sar".
    concatenation: str = "payload"


DEFAULT_ERROR_CODES: Mapping[str, tuple[ErrorCode, ...]] = {
    "DELIVRD": (ErrorCode("000", 0),),
    "EXPIRED": (ErrorCode("000", 0),),
    "DELETED": (ErrorCode("000", 0),),
    "UNDELIV": (ErrorCode("001", 1),),
    "ACCEPTD": (ErrorCode("000", 0),),
    "UNKNOWN": (ErrorCode("000", 0),),
    "REJECTD": (ErrorCode("002", 2),),
}
"""The ``err:`` codes of a receipt in each final state when a rule names none."""


@dataclass(frozen=True, slots=True)
class Rule:
    """What the carrier does with submits to destinations starting with ``prefix``.

    * ``outcomes``: final states and their weights, as ``(state, cumulative share)``
      pairs ending at 1.0;
    * ``error_codes``: per state, the ``err:`` values one is picked from;
    * ``receipt_delay``: ``(low, high)`` seconds, uniform (equal for a fixed delay);
    * ``submit_error_rate`` / ``submit_error_status``: refuse that share of submits;
    * ``throttle_tps``: answer ESME_RTHROTTLED above this many accepted submits per
      second on one bind (sliding one-second window), ``None`` = no limit;
    * ``drop_connection_every``: abort the TCP connection at every Nth submit of a bind,
      leaving that submit unanswered; ``None`` = never;
    * ``no_response_rate``: never answer that share of submits;
    * ``duplicate_receipt_rate``: send that share of receipts twice;
    * ``receipt_before_response_rate``: send that share of receipts before the
      submit_sm_resp;
    * ``mo_replies``: replies from the recipient after delivery;
    * ``malformed_rate``: share of receipts preceded by a malformed deliver_sm (a TLV
      with a wrong length).
    """

    prefix: str = ""
    outcomes: tuple[tuple[str, float], ...] = (("DELIVRD", 1.0),)
    error_codes: Mapping[str, tuple[ErrorCode, ...]] = field(
        default_factory=lambda: dict(DEFAULT_ERROR_CODES)
    )
    receipt_delay: tuple[float, float] = (0.05, 0.05)
    submit_error_rate: float = 0.0
    submit_error_status: int = CommandStatus.ESME_RSYSERR
    throttle_tps: float | None = None
    drop_connection_every: int | None = None
    no_response_rate: float = 0.0
    duplicate_receipt_rate: float = 0.0
    receipt_before_response_rate: float = 0.0
    mo_replies: tuple[MoReply, ...] = ()
    malformed_rate: float = 0.0


@dataclass(frozen=True, slots=True)
class Account:
    """One ESME login. ``max_binds`` ``None`` = unlimited."""

    system_id: str
    password: str
    max_binds: int | None = None


@dataclass(frozen=True)
class Scenario:
    """A whole scenario. Build with :func:`~parcelsms.simulator.scenario_parsing.parse_scenario`
    or :func:`~parcelsms.simulator.scenario_parsing.load_scenario`.

    ``message_id_style`` is the SMSC's, not a rule's: one counter numbers every submit.
    """

    name: str = "default"
    seed: int = 0
    message_id_style: MessageIdStyle = MessageIdStyle.HEX_PADDED
    accounts: tuple[Account, ...] = ()
    defaults: Rule = field(default_factory=Rule)
    rules: tuple[Rule, ...] = ()
    max_held_deliveries: int = 100_000
    _by_prefix: dict[str, Rule] = field(init=False, repr=False, compare=False)
    _prefix_lengths: tuple[int, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        by_prefix = {rule.prefix: rule for rule in self.rules}
        object.__setattr__(self, "_by_prefix", by_prefix)
        lengths = sorted({len(prefix) for prefix in by_prefix}, reverse=True)
        object.__setattr__(self, "_prefix_lengths", tuple(lengths))

    def rule_for(self, destination: str) -> Rule:
        """The rule with the longest prefix of ``destination`` (a leading ``+`` ignored)."""
        number = destination[1:] if destination.startswith("+") else destination
        by_prefix = self._by_prefix
        for length in self._prefix_lengths:
            rule = by_prefix.get(number[:length])
            if rule is not None:
                return rule
        return self.defaults

    def account(self, system_id: str) -> Account | None:
        for account in self.accounts:
            if account.system_id == system_id:
                return account
        return None
