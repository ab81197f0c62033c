"""End-to-end benchmark: batch API → storage → SMPP → simulator → receipts → webhooks.

Three processes, as in production: the carrier simulator (``parcelsms simulate-carrier``),
the platform (``parcelsms serve`` with a SQLite file and one SMPP channel to the simulator),
and this script, which sends N messages through ``POST /v1/messages/batch`` and runs the
webhook receiver that counts final statuses.

Prints accepted messages/s (API), end-to-end messages/s (first accept to last final
webhook), and p50/p99 accept-to-delivered latency. Exits non-zero if any message did not
reach its final status or any webhook is missing.

    python bench/e2e.py [--count 20000] [--batch 500] [--concurrency 4] [--tps 20000]
                        [--profile DIR]

It also prints the CPU seconds each process (and the platform's main thread) used during
the run, which tells which one is saturated, and when the platform's last submission, last
final status and last delivered webhook happened, which tells which stage the run waited
for. With ``--profile DIR`` it records py-spy profiles (raw, collapsed stacks) of the
platform and the simulator into DIR (``--profile-gil``: only the thread holding the GIL).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import re
import signal
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import aiohttp
import phonenumbers
from aiohttp import web

CONFIG = """
[server]
host = "127.0.0.1"
port = 0

[database]
url = "sqlite+aiosqlite:///./parcelsms.db"

[[channels]]
name = "bench-carrier"
host = "127.0.0.1"
port = {port}
system_id = "bench"
password = "bench"
window = {window}
tps = {tps}
sessions = {sessions}

[webhooks]
allow_private_targets = true

[logging]
level = "warning"
"""
SCENARIO = """
name = "bench"
[defaults]
outcomes = { DELIVRD = 1.0 }
receipt_delay = 0.01
"""
PARAMS = {"shop": "Acme", "tracking_number": "1Z999AA1", "carrier": "DHL", "eta": "2 Dec"}


def numbers(count: int) -> list[str]:
    regions = ["ES", "US", "GB", "DE", "FR", "MX", "BR", "IT"]
    out: list[str] = []
    per_region = count // len(regions) + 1
    for region in regions:
        example = phonenumbers.example_number_for_type(region, phonenumbers.PhoneNumberType.MOBILE)
        base = phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.E164)
        made = 0
        suffix = 0
        while made < per_region:
            candidate = base[:-5] + f"{(int(base[-5:]) + suffix) % 100000:05d}"
            suffix += 1
            parsed = phonenumbers.parse(candidate)
            if phonenumbers.is_valid_number(parsed):
                out.append(candidate)
                made += 1
    return out[:count]


async def start_process(
    *args: str, cwd: Path, pattern: str
) -> tuple[asyncio.subprocess.Process, re.Match[str], list[str]]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "parcelsms.cli.main",
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        cwd=cwd,
    )
    assert process.stdout is not None
    lines: list[str] = []
    regex = re.compile(pattern)
    while True:
        raw = await asyncio.wait_for(process.stdout.readline(), 60)
        if not raw:
            assert process.stderr is not None
            err = (await process.stderr.read()).decode()
            raise SystemExit(f"{args[0]} exited early:\n{err}")
        line = raw.decode().rstrip()
        lines.append(line)
        match = regex.search(line)
        if match:
            return process, match, lines


def stage_timeline(database: Path) -> str:
    """When the platform's own stages ended, from its database (seconds after the first accept).

    Comparing the last submission, the last final status and the last webhook delivered
    shows which stage the run waited for at the end.
    """
    with sqlite3.connect(database) as connection:
        first, submitted, final = connection.execute(
            "SELECT min(created_at), max(submitted_at), max(final_at) FROM messages"
        ).fetchone()
        (delivered,) = connection.execute(
            "SELECT max(delivered_at) FROM webhook_outbox WHERE status = 'delivered'"
        ).fetchone()
    if first is None:
        return "no messages"
    start = datetime.fromisoformat(first)

    def after(value: str | None) -> str:
        if value is None:
            return "-"
        return f"{(datetime.fromisoformat(value) - start).total_seconds():.2f} s"

    return (
        f"last submitted {after(submitted)}, last final status {after(final)}, "
        f"last webhook delivered {after(delivered)}"
    )


def cpu_seconds(pid: int, thread: int | None = None) -> float:
    """User + system CPU seconds used so far by process ``pid`` or one of its threads."""
    path = f"/proc/{pid}/stat" if thread is None else f"/proc/{pid}/task/{thread}/stat"
    try:
        fields = Path(path).read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    # Fields 14 and 15 of stat (utime, stime); the split above starts at field 3.
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def start_profiler(pid: int, output: Path, gil: bool) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        "py-spy",
        "record",
        *(["--gil"] if gil else []),
        "-p",
        str(pid),
        "-f",
        "raw",
        "-o",
        str(output),
        "--nonblocking",
        "-r",
        "200",
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--count", type=int, default=20000)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--tps", type=float, default=20000)
    parser.add_argument("--window", type=int, default=200)
    parser.add_argument("--sessions", type=int, default=1)
    parser.add_argument("--profile", type=Path, default=None, help="py-spy output directory")
    parser.add_argument(
        "--profile-gil", action="store_true", help="profile only the thread holding the GIL"
    )
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="parcelsms-bench-"))
    (workdir / "scenario.toml").write_text(SCENARIO)
    simulator, match, _ = await start_process(
        "simulate-carrier",
        "--port",
        "0",
        "--scenario",
        "scenario.toml",
        cwd=workdir,
        pattern=r"listening on [\d.]+:(\d+)",
    )
    (workdir / "parcelsms.toml").write_text(
        CONFIG.format(port=match.group(1), tps=args.tps, window=args.window, sessions=args.sessions)
    )
    try:
        serve, match, lines = await start_process(
            "serve",
            "--demo",
            "--config",
            "parcelsms.toml",
            cwd=workdir,
            pattern=r"listening on (http://[\d.]+:\d+)",
        )
    except BaseException:
        simulator.terminate()  # do not leave the simulator running behind a failed start
        await simulator.wait()
        raise
    base = match.group(1)
    assert serve.stdout is not None
    while not any("Demo API key" in line for line in lines):
        lines.append((await serve.stdout.readline()).decode().rstrip())
    key = next(line.split()[-1] for line in lines if "Demo API key" in line)

    delivered_at: dict[str, float] = {}
    all_done = asyncio.Event()
    expected = args.count
    webhooks_received = 0

    async def hook(request: web.Request) -> web.Response:
        nonlocal webhooks_received
        webhooks_received += 1
        data = json.loads(await request.read())["data"]
        if data["status"] in ("delivered", "undelivered", "expired", "rejected", "failed"):
            delivered_at[data["id"]] = time.perf_counter()
            if len(delivered_at) >= expected:
                all_done.set()
        return web.Response(status=204)

    app = web.Application()
    app.router.add_post("/hook", hook)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    hook_url = f"http://127.0.0.1:{runner.addresses[0][1]}/hook"

    top_up = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "parcelsms.cli.main",
        "accounts",
        "top-up",
        "demo",
        str(args.count * 0.05 + 10),
        "--config",
        "parcelsms.toml",
        cwd=workdir,
        stdout=asyncio.subprocess.PIPE,
    )
    await top_up.wait()
    headers = {"Authorization": f"Bearer {key}"}

    recipients = numbers(args.count)
    accepted_at: dict[str, float] = {}
    rejected = 0
    connector = aiohttp.TCPConnector(limit=args.concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:
        async with session.post(
            f"{base}/v1/webhooks", headers=headers, json={"url": hook_url}
        ) as r:
            assert r.status == 201, await r.text()

        batches = [recipients[i : i + args.batch] for i in range(0, len(recipients), args.batch)]
        queue: asyncio.Queue[list[str]] = asyncio.Queue()
        for batch in batches:
            queue.put_nowait(batch)

        async def sender() -> None:
            nonlocal rejected
            while not queue.empty():
                batch = queue.get_nowait()
                payload = {
                    "template": "shipped",
                    "language": "en",
                    "messages": [{"to": n, "params": PARAMS} for n in batch],
                }
                async with session.post(
                    f"{base}/v1/messages/batch", headers=headers, json=payload
                ) as r:
                    body = await r.json()
                now = time.perf_counter()
                for result in body["results"]:
                    if result["status"] == "accepted":
                        accepted_at[result["message"]["id"]] = now
                    else:
                        rejected += 1

        profilers: list[asyncio.subprocess.Process] = []
        if args.profile is not None:
            args.profile.mkdir(parents=True, exist_ok=True)
            for name, process in (("serve", serve), ("simulator", simulator)):
                profilers.append(
                    await start_profiler(
                        process.pid, args.profile / f"{name}.txt", args.profile_gil
                    )
                )
        cpu_before = {
            "serve": cpu_seconds(serve.pid),
            "serve main thread": cpu_seconds(serve.pid, serve.pid),
            "simulator": cpu_seconds(simulator.pid),
            "bench": time.process_time(),
        }
        start = time.perf_counter()
        await asyncio.gather(*(sender() for _ in range(args.concurrency)))
        accept_elapsed = time.perf_counter() - start
        expected = len(accepted_at)
        if len(delivered_at) >= expected:
            all_done.set()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(all_done.wait(), 300)
        end = max(delivered_at.values(), default=time.perf_counter())
        wall = time.perf_counter() - start
        cpu_used: dict[str, Any] = {
            "serve": cpu_seconds(serve.pid) - cpu_before["serve"],
            "serve main thread": cpu_seconds(serve.pid, serve.pid)
            - cpu_before["serve main thread"],
            "simulator": cpu_seconds(simulator.pid) - cpu_before["simulator"],
            "bench": time.process_time() - cpu_before["bench"],
        }
        for profiler in profilers:
            profiler.send_signal(signal.SIGINT)
            await profiler.wait()

    latencies = sorted(
        (delivered_at[i] - accepted_at[i]) * 1000 for i in accepted_at if i in delivered_at
    )
    missing = expected - len([i for i in accepted_at if i in delivered_at])
    print(f"messages: {args.count} (batch {args.batch}, {args.concurrency} concurrent requests)")
    print(f"accepted: {len(accepted_at)}  rejected: {rejected}  missing final webhook: {missing}")
    print(f"accepted messages/s (API):      {len(accepted_at) / accept_elapsed:,.0f}")
    print(f"end-to-end messages/s:          {len(latencies) / (end - start):,.0f}")
    if latencies:
        print(f"accept->delivered latency p50:  {statistics.median(latencies):,.0f} ms")
        print(
            f"accept->delivered latency p99:  {latencies[int(len(latencies) * 0.99) - 1]:,.0f} ms"
        )
    print(f"webhooks received:              {webhooks_received:,}")
    print(
        f"CPU seconds over {wall:.1f} s:       "
        + ", ".join(f"{name} {seconds:.1f}" for name, seconds in cpu_used.items())
    )
    for process in (serve, simulator):
        process.send_signal(signal.SIGTERM)
        await process.wait()
    print(f"stages (after first accept):    {stage_timeline(workdir / 'parcelsms.db')}")
    await runner.cleanup()
    return 1 if missing or rejected else 0


if __name__ == "__main__":
    try:
        import uvloop

        sys.exit(uvloop.run(main()))
    except ImportError:
        sys.exit(asyncio.run(main()))
