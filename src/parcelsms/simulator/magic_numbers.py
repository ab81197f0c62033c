"""The magic numbers' rules: fixed outcomes for reserved destination prefixes.

The numbers themselves are a platform rule (``parcelsms.domain.magic_numbers``); the
simulator knows only prefixes and outcome names, handed in by whoever starts it (the
composition root for the embedded simulator, the ``simulate-carrier`` command).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from parcelsms.errors import ScenarioError
from parcelsms.simulator.scenario import Scenario
from parcelsms.simulator.scenario_parsing import parse_scenario

OUTCOME_RULES: Mapping[str, Mapping[str, Any]] = {
    "delivered": {"outcomes": {"DELIVRD": 1}, "receipt_delay": 0.05},
    "undelivered": {"outcomes": {"UNDELIV": 1}, "receipt_delay": 0.05},
    "expired": {"outcomes": {"EXPIRED": 1}, "receipt_delay": 0.05},
    "rejected": {"outcomes": {"REJECTD": 1}, "receipt_delay": 0.05},
    "throttled": {
        "outcomes": {"DELIVRD": 1},
        "receipt_delay": 0.05,
        "submit_error_rate": 0.5,
        "submit_error_status": "ESME_RTHROTTLED",
    },
    "slow_receipt": {"outcomes": {"DELIVRD": 1}, "receipt_delay": 8.0},
}
"""What the simulated carrier does for each outcome name."""


def with_magic_numbers(scenario: Scenario, prefixes: Mapping[str, str]) -> Scenario:
    """``scenario`` plus a rule for each ``prefix → outcome``; the scenario's own rule for the
    same prefix wins. :class:`ScenarioError` for an unknown outcome name."""
    own = {rule.prefix for rule in scenario.rules}
    extra: list[dict[str, Any]] = []
    for prefix, outcome in prefixes.items():
        if prefix in own:
            continue
        if outcome not in OUTCOME_RULES:
            raise ScenarioError(f"unknown magic-number outcome {outcome!r}", key="rules")
        extra.append({"prefix": prefix, **OUTCOME_RULES[outcome]})
    added = parse_scenario({"rules": extra}).rules
    return dataclasses.replace(scenario, rules=(*scenario.rules, *added))
