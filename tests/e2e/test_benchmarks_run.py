"""Every benchmark in ``bench/`` runs to the end and prints its figures.

The benchmarks are how this project measures speed (README, "Benchmarks"), and nothing else
runs them: in 2026-12 ``bench/storage_cycle.py`` had failed for a session on a receipt
built with a status name where the port now takes a ``MessageStatus``, and nobody knew until
someone wanted its figures. Each runs here on a few hundred messages, as a subprocess of the
project's interpreter from the checkout's root, exactly as its docstring says to run it; the
test reads the figures it prints, so a benchmark that stops measuring (no messages through,
messages lost) fails as surely as one that crashes. How fast anything is does not matter
here.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.e2e]

ROOT = Path(__file__).resolve().parents[2]

NUMBER = r"[0-9][0-9,.]*"

# (script and arguments, patterns its output must match)
SMALL_RUNS: list[tuple[list[str], list[str]]] = [
    (
        ["api_requests.py", "--requests", "200", "--batch", "10"],
        [
            rf"single: 200 requests, 200 messages in {NUMBER} s",
            rf"batch of 10: 20 requests, 200 messages in {NUMBER} s",
            rf"writer +{NUMBER} µs/request +{NUMBER} µs/message",
            rf"per request, besides its message \(event loop\): +-?{NUMBER} µs",
            r"answers by status: \{202: [0-9]+, 200: 20\}",
        ],
    ),
    (
        ["channels_tps.py", "--tps", "20", "--seconds", "2"],
        [r"carrier-1 +20 +[1-9][0-9]* "],
    ),
    (
        ["router.py", "--routes", "10", "--messages", "200", "--repeat", "1"],
        [rf"plans per second: {NUMBER}", rf"routes looked at per message: {NUMBER} \(of 10\)"],
    ),
    (
        ["smpp_roundtrip.py", "--count", "500"],
        [
            rf"submit latency +p50 {NUMBER} ms",
            rf"client CPU +{NUMBER} µs per message",
            rf"receipts per call +{NUMBER} \(on_deliver_batch\)",
            r'"submits_accepted":500',
            r'"receipts_acked":500',
        ],
    ),
    (
        ["storage_accept.py", "--messages", "500"],
        [rf"calls of 1,000 messages +500 msgs +{NUMBER} s +{NUMBER} accepted/s"],
    ),
    (
        ["storage_cycle.py", "--messages", "400", "--round", "200"],
        [
            rf"400 messages in {NUMBER} s: {NUMBER} messages/s \(full cycle\)",
            rf"{NUMBER} µs per message; webhooks: 800,",
        ],
    ),
    (
        ["reports.py", "--messages", "500", "--days", "2", "--repeat", "1"],
        [r"generated 500 messages over 2 days", rf"sender +day +{NUMBER} +{NUMBER} +{NUMBER}"],
    ),
    (
        ["console_pages.py", "--messages", "2000", "--days", "2", "--repeat", "1"],
        [rf"operator prices +{NUMBER} +{NUMBER}"],
    ),
    (
        ["throughput.py", "--mode", "batch", "--count", "300"],
        [
            r"accepted: 300  refused: 0  missing final webhook: 0",
            rf"end-to-end msgs/s: +{NUMBER}",
            rf"CPU ms per message \(all\): +{NUMBER}",
            rf"rows per message by table: +messages {NUMBER}",
            rf"dispatcher +claim +{NUMBER} %  full +{NUMBER} %  idle +{NUMBER} %  \(claimed 300\)",
            rf"pipeline +{NUMBER} µs: .*SubmissionOperation {NUMBER}",
            rf"api +{NUMBER} µs: AcceptOperation {NUMBER}",
            rf"all +held {NUMBER} s, {NUMBER} % of the {NUMBER} s from the first request",
        ],
    ),
    (
        ["throughput.py", "--mode", "single", "--paced", "100", "--duration", "2"],
        [
            r"accepted: 200  refused: 0  missing final webhook: 0",
            rf"request latency p50/p99 ms: +{NUMBER} / {NUMBER}",
        ],
    ),
]


@pytest.mark.parametrize(
    ("arguments", "patterns"), SMALL_RUNS, ids=[" ".join(run[0][:3]) for run in SMALL_RUNS]
)
def test_a_benchmark_runs_and_prints_its_figures(arguments: list[str], patterns: list[str]) -> None:
    finished = subprocess.run(
        [sys.executable, str(ROOT / "bench" / arguments[0]), *arguments[1:]],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    output = finished.stdout + finished.stderr
    assert finished.returncode == 0, output[-3000:]
    missing = [pattern for pattern in patterns if not re.search(pattern, output)]
    assert not missing, f"not printed: {missing}\n{output[-3000:]}"
