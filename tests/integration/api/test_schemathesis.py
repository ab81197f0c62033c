"""The OpenAPI document says what the server checks: schemathesis against a started platform.

``st run`` (configured by ``tests/schemathesis/schemathesis.toml``, hooks in
``tests/schemathesis/parcelsms_checks.py``) generates requests for every operation of
``/openapi.json`` — schema-valid ones and deliberately invalid ones, in its examples,
coverage and fuzzing phases — and sends them over HTTP to a real ``parcelsms serve`` (real
SQLite file, embedded carrier simulator), as the demo account on ``/v1`` and the operator
on ``/admin/v1``. Every response must be documented (status, content type, body), no
response may be a server error, invalid requests must be refused, and schema-valid ones
must not be refused as malformed. The run is bounded (25 examples per operation and phase)
and deterministic.

The schemathesis command line runs in a subprocess rather than through its pytest plugin:
the plugin's fixture-loaded schemas do not work with pytest 9.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from demo_platform import DemoPlatform, demo_platform

# The whole bounded run is one test: about 2 min on the 2-core machine beside a second worker.
pytestmark = [pytest.mark.slow, pytest.mark.timeout(480)]

SUITE = Path(__file__).parents[2] / "schemathesis"
# The limits of a real installation would answer most generated sends with 429 after the
# first few: switch them off, as an operator might for a load test.
NO_LIMITS = """\
key_rate_limit = 0
[limits]
recipient_per_hour = 0
recipient_per_day = 0
duplicate_window = 0
"""


@pytest.fixture(scope="module")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoPlatform]:
    with demo_platform(tmp_path_factory.mktemp("schemathesis"), extra_config=NO_LIMITS) as started:
        yield started


def run_schemathesis(platform: DemoPlatform, report: Path) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    env.update(
        PARCELSMS_API_KEY=platform.api_key,
        PARCELSMS_OPERATOR_TOKEN=platform.operator_token,
        PYTHONPATH=os.pathsep.join(filter(None, [str(SUITE), env.get("PYTHONPATH")])),
    )
    st = Path(sys.executable).with_name("st")
    return subprocess.run(
        [
            str(st),
            "--config-file",
            str(SUITE / "schemathesis.toml"),
            "--no-color",
            "run",
            f"{platform.base_url}/openapi.json",
            "--report",
            "junit",
            "--report-junit-path",
            str(report),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def test_every_operation_answers_as_its_schema_says(platform: DemoPlatform, tmp_path: Path) -> None:
    result = run_schemathesis(platform, tmp_path / "junit.xml")
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    selected = re.search(r"Selected: (\d+)/(\d+)", output)
    assert selected is not None, output
    assert selected.group(1) == selected.group(2), output
    assert int(selected.group(1)) >= 70, output
    generated = re.search(r"(\d+) generated", output)
    assert generated is not None, output
    assert int(generated.group(1)) >= 2000, output
    assert platform.serve.error_lines() == []
