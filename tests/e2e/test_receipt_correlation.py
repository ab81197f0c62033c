"""Every receipt lands on the message whose submit produced its id (issue 8, "Must show").

The whole platform as an operator runs it — ``parcelsms serve`` (a real process: HTTP API,
SQLite file, dispatcher, SMPP channel over TCP, receipt handling) — against the carrier
simulator started here, in this process, so the test can restart it and read its own
record of every submit. The simulator numbers ids the ways real SMSCs do (from 1, in
lower-case hex, in decimal, hex in the response and decimal in the receipt, UUIDs) and
sends each receipt 1–50 ms after the response, with a mix of final states so that a
receipt applied to the wrong message changes a final status.

Ground truth is the simulator's :class:`~parcelsms.simulator.SubmitRecord` of each
submit: every message carries a unique tracking number, so the platform's message and
the carrier's record of its submit are matched by text, never by re-deriving ids. For
each message: its part's carrier id (``message_parts.carrier_id_raw`` on the channel)
must be the id the simulator answered that submit with, and its final status the state
the simulator's receipt for that submit reported. Stuck (not final) and misattributed
messages are counted, and both must be 0.

``hex_padded`` (the simulator's default: ids that read only one way) is the control: it
shows the harness finds nothing wrong where nothing is ambiguous. The 20,000-message runs
are marked slow (CI runs them; 11–20 s each on the 2-core machine); the ``-m "not slow"``
variants send 1,000 messages each (2–5 s). Run them with::

    .venv/bin/python -m pytest tests/e2e/test_receipt_correlation.py -s   # -s: the counts
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import sqlite3
import time
from collections import Counter
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import aiohttp
import pytest
from platform_process import ServeProcess, mobile_numbers, start_serve

from parcelsms.simulator import CarrierSimulator, MessageIdStyle, SubmitRecord, parse_scenario
from parcelsms.testing import wait_until

STYLES = [
    MessageIdStyle.HEX_PADDED,
    MessageIdStyle.HEX_SEQUENTIAL,
    MessageIdStyle.DECIMAL_SEQUENTIAL,
    MessageIdStyle.HEX_RESPONSE_DECIMAL_RECEIPT,
    MessageIdStyle.UUID,
]
FULL, QUICK = 20_000, 1_000
COUNTS = [
    pytest.param(QUICK, id="1k"),
    pytest.param(FULL, id="20k", marks=[pytest.mark.slow, pytest.mark.timeout(900)]),
]

SCENARIO = {
    "name": "correlation",
    "seed": 8,
    "defaults": {
        "outcomes": {"DELIVRD": 0.90, "UNDELIV": 0.07, "REJECTD": 0.03},
        "receipt_delay": [0.001, 0.05],
    },
}
CHANNEL = "carrier-a"
CONFIG = """
[server]
host = "127.0.0.1"
port = 0

[database]
url = "sqlite+aiosqlite:///./parcelsms.db"

[security]
key_rate_limit = 0

[limits]
recipient_per_hour = 0
recipient_per_day = 0
duplicate_window = 0

[[channels]]
name = "{channel}"
host = "127.0.0.1"
port = {port}
system_id = "parcelsms"
password = "secret"
window = 100
tps = 5000

[prices]
default = "0.001"

[logging]
level = "warning"
"""
STATUS_OF_STATE = {
    "DELIVRD": "delivered",
    "UNDELIV": "undelivered",
    "REJECTD": "rejected",
    "EXPIRED": "expired",
}
FINAL = {"delivered", "undelivered", "expired", "rejected", "failed", "canceled"}
BATCH = 1000
TRACKING = re.compile(r"CX\d{6}")
SETTLE_SECONDS = 3.0  # no change in the database for this long after the carrier went quiet


@cache
def _destinations() -> tuple[str, ...]:
    return tuple(mobile_numbers("US", 10_000) + mobile_numbers("ES", 10_000))


def _tracking_number(index: int) -> str:
    return f"CX{index:06d}"


@dataclass
class Verdict:
    """What the run came to: counts, and the first offenders of each kind."""

    count: int
    stuck: list[str]
    wrong_id: list[str]
    wrong_status: list[str]
    unaccepted: list[str]
    statuses: Counter[str]

    @property
    def misattributed(self) -> int:
        return len(self.wrong_id) + len(self.wrong_status)

    def summary(self, label: str) -> str:
        return (
            f"{label}: {self.count} messages, {len(self.stuck)} stuck, "
            f"{self.misattributed} misattributed ({len(self.wrong_id)} with another submit's "
            f"carrier id, {len(self.wrong_status)} with another receipt's status), "
            f"{len(self.unaccepted)} never accepted by the carrier; statuses {dict(self.statuses)}"
        )

    def offenders(self) -> str:
        lines = [*self.stuck[:5], *self.wrong_id[:5], *self.wrong_status[:5]]
        return "\n  ".join(["first offenders:", *lines])


async def _send_all(serve: ServeProcess, count: int) -> dict[str, str]:
    """Send ``count`` messages through the batch API; returns message id → tracking number."""
    destinations = _destinations()
    headers = {"Authorization": f"Bearer {serve.api_key}"}
    tracking_of: dict[str, str] = {}

    async def post(session: aiohttp.ClientSession, start: int) -> None:
        indexes = range(start, min(start + BATCH, count))
        payload = {
            "template": "shipped",
            "language": "en",
            "messages": [
                {
                    "to": destinations[index % len(destinations)],
                    "params": {
                        "shop": "Acme",
                        "tracking_number": _tracking_number(index),
                        "carrier": "DHL",
                        "eta": "2 Dec",
                    },
                }
                for index in indexes
            ],
        }
        async with session.post(
            f"{serve.base_url}/v1/messages/batch", json=payload, headers=headers
        ) as response:
            assert response.status == 200, await response.text()
            body = await response.json()
        assert body["rejected"] == 0, body
        for index, result in zip(indexes, body["results"], strict=True):
            tracking_of[result["message"]["id"]] = _tracking_number(index)

    async with aiohttp.ClientSession() as session:
        starts = iter(range(0, count, BATCH))

        async def sender() -> None:
            for start in starts:
                await post(session, start)

        await asyncio.gather(*(sender() for _ in range(2)))  # serve runs an API process per core
    return tracking_of


def _status_counts(database: Path) -> Counter[str]:
    with contextlib.closing(sqlite3.connect(f"file:{database}?mode=ro", uri=True)) as db:
        return Counter(
            dict(db.execute("SELECT status, COUNT(*) FROM messages GROUP BY status").fetchall())
        )


async def _wait_until_settled(
    database: Path, simulator: CarrierSimulator, count: int, timeout: float
) -> None:
    """Until every message is final, or the carrier has nothing left to send and the
    database stopped changing (the messages still not final are stuck for good)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    last: Counter[str] | None = None
    unchanged_since = loop.time()
    while loop.time() < deadline:
        counts = await asyncio.to_thread(_status_counts, database)
        if sum(n for status, n in counts.items() if status in FINAL) == count:
            return
        waiting = counts["queued"] + counts["scheduled"]
        if counts != last or waiting or simulator.pending_deliveries or simulator.restarting:
            last, unchanged_since = counts, loop.time()
        elif loop.time() - unchanged_since >= SETTLE_SECONDS:
            return
        await asyncio.sleep(0.25)


def _verdict(database: Path, tracking_of: dict[str, str], records: list[SubmitRecord]) -> Verdict:
    """Compare each message with the simulator's record of the submit that carried it."""
    accepted: dict[str, list[SubmitRecord]] = {}
    for record in records:
        if record.message_id:
            match = TRACKING.search(record.text)
            assert match, record.text
            accepted.setdefault(match[0], []).append(record)
    with contextlib.closing(sqlite3.connect(f"file:{database}?mode=ro", uri=True)) as db:
        statuses = dict(db.execute("SELECT id, status FROM messages").fetchall())
        parts: dict[str, list[tuple[int, str, str]]] = {}
        for message_id, part_no, channel, carrier_id in db.execute(
            "SELECT message_id, part_no, channel, carrier_id_raw FROM message_parts"
        ):
            parts.setdefault(message_id, []).append((part_no, channel, carrier_id))
    verdict = Verdict(len(tracking_of), [], [], [], [], Counter(statuses.values()))
    for message_id, tracking in sorted(tracking_of.items(), key=lambda item: item[1]):
        status = statuses.get(message_id, "missing")
        submits = accepted.get(tracking, [])
        if not submits:
            verdict.unaccepted.append(f"{message_id} ({tracking}): status {status}")
            continue
        # A message the platform had to send again carries the id of its last submit.
        truth = submits[-1]
        expected_status = STATUS_OF_STATE[truth.state or ""]
        got = parts.get(message_id, [])
        where = f"{message_id} ({tracking}, carrier id {truth.message_id!r}, {truth.state})"
        if got != [(1, CHANNEL, truth.message_id)]:
            verdict.wrong_id.append(f"{where}: parts {got}, status {status}")
        elif status not in FINAL:
            verdict.stuck.append(f"{where}: stuck in {status}")
        elif status != expected_status:
            verdict.wrong_status.append(f"{where}: ended {status}, expected {expected_status}")
    return verdict


async def _run(
    tmp_path: Path, style: MessageIdStyle, count: int, *, restart_halfway: bool
) -> Verdict:
    simulator = CarrierSimulator(
        parse_scenario(SCENARIO), message_id_style=style, submit_log_size=2 * count
    )
    port = await simulator.start("127.0.0.1", 0)
    config = tmp_path / "parcelsms.toml"
    config.write_text(CONFIG.format(channel=CHANNEL, port=port))
    serve: ServeProcess | None = None
    restarter: asyncio.Task[None] | None = None
    try:
        serve = await start_serve(config, demo=True)
        assert serve.api_key, serve.stdout_lines
        if restart_halfway:

            async def restart_when_half_submitted() -> None:
                await wait_until(
                    lambda: simulator.stats.submits_accepted >= count // 2, timeout=600
                )
                await simulator.restart()

            restarter = asyncio.create_task(restart_when_half_submitted())
        tracking_of = await _send_all(serve, count)
        assert len(tracking_of) == count
        if restarter is not None:
            await asyncio.wait_for(restarter, 600)
        await _wait_until_settled(tmp_path / "parcelsms.db", simulator, count, timeout=600)
    finally:
        if restarter is not None:
            restarter.cancel()
        if serve is not None:
            await serve.stop()
        await simulator.close()
    if restart_halfway:
        assert simulator.stats.restarts == 1
    records = list(simulator.submits)
    return await asyncio.to_thread(_verdict, tmp_path / "parcelsms.db", tracking_of, records)


@pytest.mark.parametrize("count", COUNTS)
@pytest.mark.parametrize("style", STYLES, ids=str)
async def test_every_receipt_lands_on_the_message_whose_submit_got_its_id(
    tmp_path: Path, style: MessageIdStyle, count: int
) -> None:
    started = time.monotonic()
    verdict = await _run(tmp_path, style, count, restart_halfway=False)
    summary = verdict.summary(f"{style} in {time.monotonic() - started:.0f} s")
    print(summary)

    assert verdict.unaccepted == [], summary
    assert (len(verdict.stuck), verdict.misattributed) == (0, 0), (
        f"{summary}\n  {verdict.offenders()}"
    )


@pytest.mark.parametrize("count", COUNTS)
async def test_a_carrier_restarting_mid_run_and_numbering_from_1_again_misattributes_nothing(
    tmp_path: Path, count: int
) -> None:
    started = time.monotonic()
    verdict = await _run(tmp_path, MessageIdStyle.HEX_SEQUENTIAL, count, restart_halfway=True)
    summary = verdict.summary(f"hex_sequential, restarted, in {time.monotonic() - started:.0f} s")
    print(summary)

    assert verdict.unaccepted == [], summary
    assert (len(verdict.stuck), verdict.misattributed) == (0, 0), (
        f"{summary}\n  {verdict.offenders()}"
    )
