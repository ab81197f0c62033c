"""SMPP round-trip benchmark: our client against our carrier simulator, on loopback.

Starts ``parcelsms simulate-carrier --port 0`` as a separate process (so the two sides do
not share one core), binds :class:`parcelsms.protocol.smpp.client.SmppClient` to it from
this process, and pushes ``--count`` submit_sm with registered_delivery=1 through
``--window`` concurrent submitters per bind. Each submit_sm_resp and each delivery receipt
(counted in the client's deliver handler, which acknowledges it) is timed.

Prints: submit round trips per second (first submit to last submit_sm_resp), receipts per
second (first submit to last receipt), p50/p99 submit response latency in ms, total wall
time, and the simulator's own counters. Exits 1 if any submit was not accepted or any
accepted message's receipt did not arrive within ``--receipt-timeout`` seconds.

    python bench/smpp_roundtrip.py                       # 100,000 messages, window 100
    python bench/smpp_roundtrip.py --count 20000 --binds 2
    python bench/smpp_roundtrip.py --profile client.prof # cProfile this (client) process

To profile the simulator side, run it under cProfile and point the benchmark at it:

    python -m cProfile -o simulator.prof -m parcelsms.cli.main simulate-carrier --port 2776 &
    python bench/smpp_roundtrip.py --connect 127.0.0.1:2776; kill -INT %1

Goal on a 2-core machine: at least 15,000 submit round trips per second with window 100.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import cProfile
import json
import re
import signal
import statistics
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from parcelsms.protocol.smpp.client import SmppClient, SmppClientConfig
from parcelsms.protocol.smpp.constants import CommandId
from parcelsms.protocol.smpp.outcome import SubmitOutcomeKind
from parcelsms.protocol.smpp.pdu import Pdu
from parcelsms.protocol.smpp.session_events import SmppTimeouts
from parcelsms.protocol.text.gsm7 import encode_gsm7

_LISTENING = re.compile(r"parcelsms-simulator listening on (?P<host>[^:\s]+):(?P<port>\d+)")


@dataclass
class Results:
    accepted_ids: set[str] = field(default_factory=set)
    not_accepted: dict[str, int] = field(default_factory=dict)
    latencies: list[float] = field(default_factory=list)
    receipt_ids: set[str] = field(default_factory=set)
    receipts: int = 0
    batches: int = 0
    client_cpu: float = 0.0
    first_submit: float = 0.0
    last_response: float = 0.0
    last_receipt: float = 0.0


class _HelpFormatter(argparse.RawDescriptionHelpFormatter, argparse.ArgumentDefaultsHelpFormatter):
    """Keep the docstring's layout and show each option's default."""


def parse_arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__,
        formatter_class=_HelpFormatter,
        epilog="Exit status: 0 when every submit was accepted and every receipt arrived.",
    )
    parser.add_argument("--count", type=int, default=100_000, help="submit_sm to send")
    parser.add_argument("--window", type=int, default=100, help="outstanding submits per bind")
    parser.add_argument("--binds", type=int, default=1, help="transceiver binds to use")
    parser.add_argument(
        "--text",
        help="message text (GSM-7)",
        default="Your parcel PX123456789CN is out for delivery",
    )
    parser.add_argument(
        "--receipt-timeout", type=float, default=30.0, help="seconds to wait for receipts"
    )
    parser.add_argument(
        "--scenario", help="scenario file for the simulator (none: accept and deliver everything)"
    )
    parser.add_argument(
        "--connect",
        metavar="HOST:PORT",
        help="use an already running simulator (say, one run under a profiler) instead of "
        "starting one; its counters are then not shown",
    )
    parser.add_argument("--no-uvloop", action="store_true", help="plain asyncio on both sides")
    parser.add_argument(
        "--one-by-one",
        action="store_true",
        help="hand each deliver_sm to its own handler call (on_deliver), not those read "
        "together to one (on_deliver_batch, as the platform's channels do)",
    )
    parser.add_argument("--profile", metavar="FILE", help="write a cProfile of this process")
    return parser.parse_args()


async def start_simulator(
    arguments: argparse.Namespace,
) -> tuple[asyncio.subprocess.Process, str, int]:
    command = [
        sys.executable, "-m", "parcelsms.cli.main", "simulate-carrier",
        "--host", "127.0.0.1", "--port", "0", "--stats",
    ]  # fmt: skip
    if arguments.scenario:
        command += ["--scenario", arguments.scenario]
    if arguments.no_uvloop:
        command.append("--no-uvloop")
    process = await asyncio.create_subprocess_exec(*command, stdout=asyncio.subprocess.PIPE)
    assert process.stdout is not None
    line = (await asyncio.wait_for(process.stdout.readline(), 15.0)).decode()
    match = _LISTENING.search(line)
    if match is None:
        process.kill()
        raise SystemExit(f"simulator did not start: {line!r}")
    return process, match["host"], int(match["port"])


async def read_stats(process: asyncio.subprocess.Process, last: list[dict[str, object]]) -> None:
    """Keep the simulator's stdout drained; remember its latest stats line."""
    assert process.stdout is not None
    async for raw in process.stdout:
        try:
            last[:] = [json.loads(raw)]
        except ValueError:
            continue


async def run(arguments: argparse.Namespace) -> int:
    wall_start = time.perf_counter()
    simulator_stats: list[dict[str, object]] = []
    process: asyncio.subprocess.Process | None = None
    if arguments.connect:
        host, _, port_text = arguments.connect.rpartition(":")
        port = int(port_text)
    else:
        process, host, port = await start_simulator(arguments)
        reader = asyncio.create_task(read_stats(process, simulator_stats))
    results = Results()
    all_receipts = asyncio.Event()
    count = arguments.count

    async def on_deliver(pdu: Pdu) -> None:
        results.receipts += 1
        receipt_id = pdu.tlv("receipted_message_id")
        if isinstance(receipt_id, str):
            results.receipt_ids.add(receipt_id)
        results.last_receipt = time.perf_counter()
        if results.receipts >= count:
            all_receipts.set()

    async def on_deliver_batch(pdus: Sequence[Pdu]) -> list[int | Exception | None]:
        results.batches += 1
        for pdu in pdus:
            await on_deliver(pdu)
        return [None] * len(pdus)

    clients = [
        SmppClient(
            SmppClientConfig(
                host=host,
                port=port,
                system_id=f"bench{index}",
                password="bench",  # noqa: S106 - the simulator accepts any login
                window=arguments.window,
                timeouts=SmppTimeouts(response=30.0, inactivity=300.0),
            ),
            on_deliver if arguments.one_by_one else None,
            on_deliver_batch=None if arguments.one_by_one else on_deliver_batch,
        )
        for index in range(arguments.binds)
    ]
    for client in clients:
        await client.start()
    for client in clients:
        if not await client.wait_bound(10.0):
            raise SystemExit(f"could not bind: {client.last_error}")

    base_fields: dict[str, int | str | bytes] = {
        "source_addr_ton": 5,
        "source_addr_npi": 0,
        "source_addr": "PARCELSMS",
        "dest_addr_ton": 1,
        "dest_addr_npi": 1,
        "registered_delivery": 1,
        "data_coding": 0,
        "short_message": encode_gsm7(arguments.text),
    }
    numbers = iter(range(count))

    async def submitter(client: SmppClient) -> None:
        latencies = results.latencies
        for number in numbers:
            fields = dict(base_fields)
            fields["destination_addr"] = f"346{number:08d}"
            pdu = Pdu(CommandId.SUBMIT_SM, fields=fields)
            started = time.perf_counter()
            outcome = await client.submit(pdu)
            finished = time.perf_counter()
            latencies.append(finished - started)
            results.last_response = finished
            if outcome.kind is SubmitOutcomeKind.ACCEPTED:
                results.accepted_ids.add(outcome.message_id)
            else:
                reason = f"{outcome.kind.value}: {outcome.reason}"
                results.not_accepted[reason] = results.not_accepted.get(reason, 0) + 1

    results.first_submit = time.perf_counter()
    cpu_start = time.process_time()
    await asyncio.gather(
        *(submitter(client) for client in clients for _ in range(arguments.window))
    )
    with contextlib.suppress(TimeoutError):  # missing receipts are reported below
        await asyncio.wait_for(all_receipts.wait(), arguments.receipt_timeout)
    results.client_cpu = time.process_time() - cpu_start
    for client in clients:
        await client.close()
    if process is not None:
        process.send_signal(signal.SIGINT)
        await asyncio.wait_for(process.wait(), 10.0)
        await reader
    wall = time.perf_counter() - wall_start
    return report(arguments, results, wall, simulator_stats)


def report(
    arguments: argparse.Namespace,
    results: Results,
    wall: float,
    simulator_stats: list[dict[str, object]],
) -> int:
    count = arguments.count
    submit_seconds = results.last_response - results.first_submit
    receipt_seconds = (results.last_receipt or results.last_response) - results.first_submit
    latencies = sorted(results.latencies)
    quantiles = statistics.quantiles(latencies, n=100) if len(latencies) > 1 else latencies * 99
    missing = len(results.accepted_ids - results.receipt_ids)
    print(f"messages           {count} (window {arguments.window}, binds {arguments.binds})")
    print(f"submit round trips {count / submit_seconds:,.0f} /s over {submit_seconds:.2f} s")
    receipt_rate = results.receipts / receipt_seconds
    print(f"receipts           {receipt_rate:,.0f} /s ({results.receipts} received)")
    print(
        f"submit latency     p50 {quantiles[49] * 1000:.2f} ms, p99 {quantiles[98] * 1000:.2f} ms"
    )
    print(
        f"client CPU         {results.client_cpu / count * 1e6:.1f} µs per message "
        f"(submit and receipt; this process)"
    )
    if results.batches:
        print(f"receipts per call  {results.receipts / results.batches:.1f} (on_deliver_batch)")
    print(f"wall time          {wall:.2f} s (simulator start to stop)")
    if simulator_stats:
        print(f"simulator          {json.dumps(simulator_stats[0], separators=(',', ':'))}")
    failed = False
    if results.not_accepted or len(results.accepted_ids) != count:
        refused = count - len(results.accepted_ids)
        print(f"FAIL: {refused} submits not accepted: {results.not_accepted}")
        failed = True
    if missing:
        print(f"FAIL: {missing} accepted messages got no receipt")
        failed = True
    return 1 if failed else 0


def main() -> None:
    arguments = parse_arguments()
    profiler = cProfile.Profile() if arguments.profile else None
    if profiler is not None:
        profiler.enable()
    try:
        if arguments.no_uvloop:
            status = asyncio.run(run(arguments))
        else:
            try:
                import uvloop
            except ImportError:
                status = asyncio.run(run(arguments))
            else:
                status = uvloop.run(run(arguments))
    finally:
        if profiler is not None:
            profiler.disable()
            profiler.dump_stats(arguments.profile)
    sys.exit(status)


if __name__ == "__main__":
    main()
