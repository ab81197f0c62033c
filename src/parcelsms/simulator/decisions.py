"""What happens to one submitted message, decided from a hash — never from arrival order.

Every random choice for a message is a function of the scenario's seed, the destination
and the message id the simulator gave it: ``blake2b(destination | id, key=seed)`` yields
sixteen independent 32-bit draws, each with a fixed purpose. The same seed, destination
and id always give the same :class:`Decision`, whatever else the simulator is doing
(other binds, timing, throttling), so a test can compute the expected outcome of every
message with :func:`decide` and compare exactly. The id is the number the simulator's
:class:`~parcelsms.simulator.message_ids.MessageIdIssuer` gave the submit (from
``FIRST_MESSAGE_ID`` or from 1, by style, in the order submits arrive). After a restart
numbers repeat, and so does the decision for a repeated (destination, id): the
simulator's :class:`~parcelsms.simulator.submit_log.SubmitRecord` says what was done.
"""

from __future__ import annotations

import hashlib
import struct
from dataclasses import dataclass

from parcelsms.simulator.scenario import ErrorCode, MoReply, Rule, Scenario

__all__ = ["Decision", "decide", "decide_for"]

_DRAWS = struct.Struct(">16I")
_SCALE = 1.0 / 4_294_967_296.0

# Draw slots (indexes into the 16 draws of one message).
_SUBMIT_ERROR, _NO_RESPONSE, _OUTCOME, _ERROR_CODE, _DELAY = 0, 1, 2, 3, 4
_DUPLICATE, _BEFORE_RESPONSE, _MALFORMED = 5, 6, 7
_FIRST_MO = 8  # one slot per MO reply, up to scenario.MAX_MO_REPLIES


@dataclass(frozen=True, slots=True)
class Decision:
    """Everything random about one message.

    ``submit_status`` non-zero: the submit is refused with it (nothing else happens).
    ``respond`` false: the submit is never answered. Otherwise the message ends in
    ``state`` with ``error``, its receipt ``receipt_delay`` seconds later, and the flags
    and MO replies say which faults apply to it.
    """

    submit_status: int
    respond: bool
    state: str
    error: ErrorCode
    receipt_delay: float
    duplicate_receipt: bool
    receipt_before_response: bool
    malformed: bool
    mo_replies: tuple[MoReply, ...]


def _seed_key(seed: int) -> bytes:
    return seed.to_bytes(8, "big")


def decide(rule: Rule, seed: int, destination: str, message_id: int) -> Decision:
    """The fate of message ``message_id`` to ``destination`` under ``rule``."""
    digest = hashlib.blake2b(
        f"{destination}|{message_id}".encode(), digest_size=64, key=_seed_key(seed)
    ).digest()
    draws = _DRAWS.unpack(digest)
    submit_status = (
        rule.submit_error_status if draws[_SUBMIT_ERROR] * _SCALE < rule.submit_error_rate else 0
    )
    respond = draws[_NO_RESPONSE] * _SCALE >= rule.no_response_rate
    pick = draws[_OUTCOME] * _SCALE
    state = rule.outcomes[-1][0]
    for candidate, upper in rule.outcomes:
        if pick < upper:
            state = candidate
            break
    codes = rule.error_codes[state]
    error = codes[int(draws[_ERROR_CODE] * _SCALE * len(codes))]
    low, high = rule.receipt_delay
    delay = low + (high - low) * draws[_DELAY] * _SCALE
    mo_replies = tuple(
        reply
        for index, reply in enumerate(rule.mo_replies)
        if draws[_FIRST_MO + index] * _SCALE < reply.rate
    )
    return Decision(
        submit_status=submit_status,
        respond=respond,
        state=state,
        error=error,
        receipt_delay=delay,
        duplicate_receipt=draws[_DUPLICATE] * _SCALE < rule.duplicate_receipt_rate,
        receipt_before_response=draws[_BEFORE_RESPONSE] * _SCALE
        < rule.receipt_before_response_rate,
        malformed=draws[_MALFORMED] * _SCALE < rule.malformed_rate,
        mo_replies=mo_replies,
    )


def decide_for(scenario: Scenario, destination: str, message_id: int) -> Decision:
    """:func:`decide` with the rule ``scenario`` applies to ``destination``."""
    return decide(scenario.rule_for(destination), scenario.seed, destination, message_id)
