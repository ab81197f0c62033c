"""The carrier simulator: a scriptable SMPP 3.4 SMSC for the demo, the tests and benchmarks.

Start one with ``parcelsms simulate-carrier`` or, in Python, :class:`CarrierSimulator`
(``parcelsms.testing.started_simulator`` gives a started one on a free port). What it does
is a :class:`Scenario`: a TOML file, a named behaviour (:data:`BEHAVIOURS`), or nothing
(accept everything, deliver everything after 50 ms). See ``docs/smpp.md``.
"""

from parcelsms.simulator.behaviours import BEHAVIOURS, behaviour, resolve_scenario
from parcelsms.simulator.carrier import CarrierSimulator
from parcelsms.simulator.decisions import Decision, decide, decide_for
from parcelsms.simulator.message_ids import (
    FIRST_MESSAGE_ID,
    IssuedId,
    MessageIdIssuer,
    MessageIdStyle,
    hex_message_id,
)
from parcelsms.simulator.scenario import (
    Account,
    ErrorCode,
    MoReply,
    Rule,
    Scenario,
)
from parcelsms.simulator.scenario_parsing import load_scenario, parse_scenario
from parcelsms.simulator.stats import SimulatorStats
from parcelsms.simulator.submit_log import Concatenation, SubmitRecord

__all__ = [
    "BEHAVIOURS",
    "FIRST_MESSAGE_ID",
    "Account",
    "CarrierSimulator",
    "Concatenation",
    "Decision",
    "ErrorCode",
    "IssuedId",
    "MessageIdIssuer",
    "MessageIdStyle",
    "MoReply",
    "Rule",
    "Scenario",
    "SimulatorStats",
    "SubmitRecord",
    "behaviour",
    "decide",
    "decide_for",
    "hex_message_id",
    "load_scenario",
    "parse_scenario",
    "resolve_scenario",
]
