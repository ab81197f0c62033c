"""Named behaviours: built-in scenarios for tests, demos and the CLI's ``--behaviour``.

Each is plain scenario data, validated by the same code as a TOML file;
``examples/scenarios/<name>.toml`` holds the same scenario as a file (a test keeps the two
equal).

=================  ==========================================================================
happy              every submit accepted, every message DELIVRD after 50 ms
throttled          ESME_RTHROTTLED above 50 accepted submits per second per bind
reject_all         every submit refused with ESME_RSUBMITFAIL (no receipts)
no_response        submits are never answered (the client's response timeout decides)
slow_receipts      accepted at once, DELIVRD receipts 1 to 3 seconds later
flaky_connection   the TCP connection is aborted at every 100th submit of a bind
malformed          a quarter of receipts are preceded by a deliver_sm with a bad TLV length
undeliverable_br   every submit accepted; DELIVRD after 50 ms, except UNDELIV (err 001) for
                   Brazil (+55): a carrier that silently stopped delivering to one country
=================  ==========================================================================
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from parcelsms.errors import ScenarioError
from parcelsms.simulator.scenario import Scenario
from parcelsms.simulator.scenario_parsing import load_scenario, parse_scenario

__all__ = ["BEHAVIOURS", "behaviour", "resolve_scenario"]

BEHAVIOURS: Mapping[str, Mapping[str, Any]] = {
    "happy": {"defaults": {"outcomes": {"DELIVRD": 1}, "receipt_delay": 0.05}},
    "throttled": {"defaults": {"throttle_tps": 50}},
    "reject_all": {
        "defaults": {"submit_error_rate": 1.0, "submit_error_status": "ESME_RSUBMITFAIL"}
    },
    "no_response": {"defaults": {"no_response_rate": 1.0}},
    "slow_receipts": {"defaults": {"receipt_delay": [1.0, 3.0]}},
    "flaky_connection": {"defaults": {"drop_connection_every": 100}},
    "malformed": {"defaults": {"malformed_rate": 0.25}},
    "undeliverable_br": {
        "defaults": {"outcomes": {"DELIVRD": 1}, "receipt_delay": 0.05},
        "rules": [{"prefix": "55", "outcomes": {"UNDELIV": 1}}],
    },
}


def behaviour(name: str) -> Scenario:
    """The named behaviour as a scenario; :class:`ScenarioError` for an unknown name."""
    data = BEHAVIOURS.get(name)
    if data is None:
        raise ScenarioError(
            f"unknown behaviour {name!r} (known: {', '.join(BEHAVIOURS)})", key="behaviour"
        )
    return parse_scenario({"name": name, **data})


def resolve_scenario(spec: Scenario | str | os.PathLike[str] | None) -> Scenario:
    """A scenario from whatever a caller has: ``None`` (accept and deliver everything), a
    :class:`Scenario`, a behaviour name, or the path of a TOML file."""
    if spec is None:
        return Scenario()
    if isinstance(spec, Scenario):
        return spec
    if isinstance(spec, str) and spec in BEHAVIOURS:
        return behaviour(spec)
    path = Path(spec)
    if isinstance(spec, str) and path.suffix != ".toml" and not path.exists():
        raise ScenarioError(
            f"{spec!r} is neither a behaviour ({', '.join(BEHAVIOURS)}) nor a scenario file",
            key="scenario",
        )
    return load_scenario(path)
