"""A message's fate depends on the seed, its destination and its id — nothing else."""

from __future__ import annotations

import random
from collections import Counter

from parcelsms.protocol.smpp.constants import CommandStatus
from parcelsms.protocol.smpp.message_id import decimal_value, hex_value
from parcelsms.simulator import (
    FIRST_MESSAGE_ID,
    decide,
    decide_for,
    hex_message_id,
    parse_scenario,
)

MIXED = {
    "seed": 1234,
    "defaults": {
        "outcomes": {"DELIVRD": 0.7, "UNDELIV": 0.2, "EXPIRED": 0.1},
        "error_codes": {"UNDELIV": ["001", "0x0B"]},
        "receipt_delay": [0.5, 1.5],
        "submit_error_rate": 0.1,
        "no_response_rate": 0.05,
        "duplicate_receipt_rate": 0.2,
        "receipt_before_response_rate": 0.3,
        "malformed_rate": 0.4,
        "mo_replies": [{"text": "STOP", "rate": 0.5}],
    },
}
N = 20_000


def _destinations(count: int) -> list[str]:
    return [f"346{index:08d}" for index in range(count)]


def test_the_same_seed_destination_and_id_always_give_the_same_decision() -> None:
    first = parse_scenario(MIXED)
    second = parse_scenario(MIXED)  # a separately built scenario: no shared state

    for index, destination in enumerate(_destinations(500)):
        message_id = FIRST_MESSAGE_ID + index
        assert decide_for(first, destination, message_id) == decide_for(
            second, destination, message_id
        )


def test_decisions_do_not_depend_on_the_order_they_are_asked_in() -> None:
    scenario = parse_scenario(MIXED)
    keys = [(d, FIRST_MESSAGE_ID + i) for i, d in enumerate(_destinations(1000))]
    in_order = {key: decide_for(scenario, *key) for key in keys}
    shuffled = keys[:]
    random.Random(5).shuffle(shuffled)

    for key in shuffled:
        assert decide_for(scenario, *key) == in_order[key]


def test_another_seed_gives_other_decisions() -> None:
    one = parse_scenario(MIXED)
    other = parse_scenario({**MIXED, "seed": 1235})
    keys = [(d, FIRST_MESSAGE_ID + i) for i, d in enumerate(_destinations(200))]

    differing = sum(decide_for(one, *key) != decide_for(other, *key) for key in keys)

    assert differing > 150


def test_shares_of_outcomes_and_faults_follow_the_configured_rates() -> None:
    scenario = parse_scenario(MIXED)
    decisions = [
        decide_for(scenario, d, FIRST_MESSAGE_ID + i) for i, d in enumerate(_destinations(N))
    ]
    states = Counter(decision.state for decision in decisions)

    # Binomial standard deviation at N=20,000 is at most 0.0036; allow about 4 of them.
    def share(count: int) -> float:
        return count / N

    assert abs(share(states["DELIVRD"]) - 0.7) < 0.015
    assert abs(share(states["UNDELIV"]) - 0.2) < 0.015
    assert abs(share(states["EXPIRED"]) - 0.1) < 0.015
    assert abs(share(sum(d.submit_status != 0 for d in decisions)) - 0.1) < 0.015
    assert abs(share(sum(not d.respond for d in decisions)) - 0.05) < 0.015
    assert abs(share(sum(d.duplicate_receipt for d in decisions)) - 0.2) < 0.015
    assert abs(share(sum(d.receipt_before_response for d in decisions)) - 0.3) < 0.015
    assert abs(share(sum(d.malformed for d in decisions)) - 0.4) < 0.015
    assert abs(share(sum(bool(d.mo_replies) for d in decisions)) - 0.5) < 0.015
    delays = [d.receipt_delay for d in decisions]
    assert 0.5 <= min(delays) < 0.52
    assert 1.48 < max(delays) <= 1.5
    undelivered_codes = Counter(d.error.text for d in decisions if d.state == "UNDELIV")
    assert set(undelivered_codes) == {"001", "0x0B"}


def test_rates_of_zero_and_one_are_never_and_always() -> None:
    always = parse_scenario(
        {"defaults": {"submit_error_rate": 1.0, "submit_error_status": "ESME_RSUBMITFAIL"}}
    )
    never = parse_scenario({})

    for index, destination in enumerate(_destinations(2000)):
        refused = decide_for(always, destination, FIRST_MESSAGE_ID + index)
        accepted = decide_for(never, destination, FIRST_MESSAGE_ID + index)
        assert refused.submit_status == CommandStatus.ESME_RSUBMITFAIL
        assert accepted.submit_status == 0
        assert accepted.respond
        assert accepted.state == "DELIVRD"
        assert not accepted.duplicate_receipt
        assert not accepted.malformed
        assert accepted.mo_replies == ()


def test_decide_uses_the_rule_of_the_destination() -> None:
    scenario = parse_scenario(
        {"rules": [{"prefix": "44", "outcomes": {"REJECTD": 1}, "receipt_delay": 2.0}]}
    )
    rule = scenario.rule_for("447700900000")

    decision = decide(rule, scenario.seed, "447700900000", FIRST_MESSAGE_ID)

    assert decision.state == "REJECTD"
    assert decision.receipt_delay == 2.0
    assert decide_for(scenario, "34600000000", FIRST_MESSAGE_ID).state == "DELIVRD"


def test_hex_ids_always_read_as_hex_so_decimal_receipts_still_correlate() -> None:
    for message_id in (FIRST_MESSAGE_ID, FIRST_MESSAGE_ID + 9, FIRST_MESSAGE_ID + 123_456):
        text = hex_message_id(message_id)
        assert text[0] == "A"
        assert hex_value(text) == decimal_value(str(message_id))
