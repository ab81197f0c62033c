"""The simulator's rules for magic numbers: fixed outcomes, a scenario's own rules first."""

from __future__ import annotations

import pytest

from parcelsms.errors import ScenarioError
from parcelsms.protocol.smpp.constants import CommandStatus
from parcelsms.simulator import decide_for, parse_scenario
from parcelsms.simulator.magic_numbers import with_magic_numbers

PREFIXES = {"1202555010": "delivered", "1202555011": "undelivered", "1202555014": "throttled"}


def test_each_prefix_answers_with_its_outcome_whatever_the_scenario_says() -> None:
    scenario = parse_scenario({"defaults": {"outcomes": {"UNDELIV": 1}}})

    magic = with_magic_numbers(scenario, PREFIXES)

    assert {decide_for(magic, "12025550104", i).state for i in range(50)} == {"DELIVRD"}
    assert {decide_for(magic, "12025550117", i).state for i in range(50)} == {"UNDELIV"}
    assert decide_for(magic, "447911123456", 1).state == "UNDELIV"


def test_throttled_numbers_are_refused_sometimes_and_delivered_otherwise() -> None:
    magic = with_magic_numbers(parse_scenario({}), PREFIXES)

    decisions = [decide_for(magic, "12025550141", i) for i in range(200)]

    throttled = [d for d in decisions if d.submit_status == CommandStatus.ESME_RTHROTTLED]
    assert 40 < len(throttled) < 160
    assert {d.state for d in decisions if not d.submit_status} == {"DELIVRD"}


def test_a_scenario_rule_for_the_same_prefix_wins() -> None:
    scenario = parse_scenario({"rules": [{"prefix": "1202555010", "outcomes": {"EXPIRED": 1}}]})

    magic = with_magic_numbers(scenario, PREFIXES)

    assert decide_for(magic, "12025550101", 7).state == "EXPIRED"
    assert len(magic.rules) == 3


def test_an_unknown_outcome_is_a_scenario_error() -> None:
    with pytest.raises(ScenarioError):
        with_magic_numbers(parse_scenario({}), {"1202555010": "vanished"})
