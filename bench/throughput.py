"""End-to-end throughput: API → storage → SMPP → simulator → receipts → webhooks.

Runs the whole path as production does, against the project's own carrier simulator: the
simulator (``parcelsms simulate-carrier``, receipts after ``--receipt-delay-ms``), the platform
(``parcelsms serve`` — a supervisor, one pipeline process and ``--api-workers`` API processes;
``--api-workers 0`` runs ``serve --role all``, everything in one process), a webhook receiver
and the load generator (this script; the receiver runs in a process of its own).

    python bench/throughput.py --mode batch  [--count 20000] [--batch 100] [--connections 4]
    python bench/throughput.py --mode single [--count 20000] [--connections 50]
    python bench/throughput.py --paced 1000 [--duration 20]        # open loop, single sends
    common: [--api-workers N] [--events final|all] [--window 100] [--db FILE] [--profile DIR]
            [--key-rate R]  (a key request rate high enough not to refuse: its cost alone)
    PostgreSQL: --database postgres [--database-url URL] [--pipeline-workers N] [--channels N]

Prints, for the measured messages:
* msgs/s accepted (API) and end to end (first request → last final-status webhook), only
  when every message's final webhook arrived;
* CPU ms per message summed over every parcelsms process (supervisor and all it started),
  and per role, so it is clear which process is saturated;
* request latency p50/p99 (paced: from each request's scheduled time, so a server that
  falls behind shows it) and accept → final-webhook latency p50/p99;
* rows and statements written per message, and the rows by table (each parcelsms process
  counts its own writes with ``PARCELSMS_WRITE_STATS``, see
  ``adapters/storage/engine/write_statistics.py``), the machine-wide write lock's wait and
  hold per process and its hold in all as a share of the run (near 100 %: the lock bounds
  it), and each process's writer transactions split by part (each bulk operation, the
  deferred rows, the commit) in µs per message: where the held time goes.
* on PostgreSQL, the server's own CPU per message (its processes, from /proc).
* what held the queue workers (dispatcher, webhooks) back over the run: the share of its
  time each spent awaiting its claim transactions (the storage), with every slot taken and
  with nothing to claim, from ``/metrics`` (``parcelsms_worker_waiting_seconds_total``,
  scraped before the load and after the last final webhook; the processes sample them every
  ``SAMPLE_INTERVAL`` seconds into prometheus-client's multiprocess files, a wait under way
  up to the moment of the sample). The rest of the time the worker was working.
``--db FILE`` starts from a copy of an existing database (say, one already holding 1M
messages). Exits non-zero when a message is missing its final webhook.

``--database postgres`` runs the platform on a throwaway PostgreSQL cluster started for the run
(``tests/support/postgres_cluster.py``: Debian's binaries, fsync on, ``synchronous_commit=off``
like SQLite's ``synchronous=NORMAL``) or, with ``--database-url``, on that server's database
(then its CPU is not measured). ``--pipeline-workers N`` adds N-1 ``serve --role pipeline``
processes beside ``serve``'s own (several pipelines need PostgreSQL: they share the channels by
lease). ``--channels N`` (default: one per pipeline process) configures N SMPP channels, each to
a simulator process of its own, the eight test countries split over them by route, so every
pipeline has a channel to send on.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import re
import secrets
import shutil
import signal
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp
import phonenumbers


def hot_paths() -> str:
    """Whether ``serve`` runs the compiled build (``parcelsms compile``) or plain Python."""
    from parcelsms.compiled_modules import pure_python_requested, running_compiled

    if pure_python_requested():
        return "plain Python (PARCELSMS_PURE_PYTHON)"
    return "compiled" if running_compiled() else "plain Python"


CONFIG = """
[server]
host = "127.0.0.1"
port = 0

[database]
url = "{database_url}"

[security]
key_rate_limit = {key_rate}
key_rate_burst = {key_burst}
admin_token = "{admin_token}"

[metrics]
sample_interval = {sample_interval}

[webhooks]
allow_private_targets = true

[logging]
level = "warning"
"""
CHANNEL = """
[[channels]]
name = "{name}"
host = "127.0.0.1"
port = {port}
system_id = "bench"
password = "bench"
bind = "transceiver"
window = {window}
tps = 1000000
sessions = 1
"""
ROUTE = """
[[routes]]
countries = {countries}
channels = ["{name}"]
"""
SCENARIO = """
name = "bench"
[defaults]
outcomes = {{ DELIVRD = 1.0 }}
receipt_delay = {delay}
"""
RECEIVER = r"""
import json, socket, sys, time
from aiohttp import web
final = {}
async def hook(request):
    body = await request.json()
    data = body.get("data", body)
    status = data.get("status")
    if status in ("delivered", "undelivered", "expired", "rejected", "failed"):
        final.setdefault(data.get("id") or data.get("message_id"), time.time())
    return web.Response(status=204)
async def stats(request):
    return web.json_response(final)
app = web.Application()
app.router.add_post("/hook", hook)
app.router.add_get("/final", stats)
listener = socket.socket()
listener.bind(("127.0.0.1", 0))
port = listener.getsockname()[1]
web.run_app(app, sock=listener, print=lambda *a: print(f"ready on {port}", flush=True))
"""
TEMPLATE_PARAMS = {"shop": "Acme", "tracking_number": "1Z999AA1", "carrier": "DHL", "eta": "2 Dec"}
FINAL = ("delivered", "undelivered", "expired", "rejected", "failed")


REGIONS = ["ES", "US", "GB", "DE", "FR", "MX", "BR", "IT"]
ADMIN_TOKEN = secrets.token_hex(24)  # the operator token of this run's /metrics scrapes
SAMPLE_INTERVAL = 0.25
WAITS = ("claim", "full", "idle")


async def worker_waits(session: aiohttp.ClientSession, base: str) -> dict[tuple[str, str], float]:
    """``parcelsms_worker_waiting_seconds_total`` by (worker, on), and the claimed items as
    (worker, "claimed"), from ``/metrics`` (empty when it cannot be read)."""
    headers = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    async with session.get(f"{base}/metrics", headers=headers) as response:
        if response.status != 200:
            return {}
        text = await response.text()
    found: dict[tuple[str, str], float] = {}
    for line in text.splitlines():
        waited = re.match(
            r'parcelsms_worker_waiting_seconds_total\{on="(\w+)",worker="(\w+)"\} (\S+)', line
        )
        if waited:
            found[(waited.group(2), waited.group(1))] = float(waited.group(3))
        claimed = re.match(r'parcelsms_worker_claimed_total\{worker="(\w+)"\} (\S+)', line)
        if claimed:
            found[(claimed.group(1), "claimed")] = float(claimed.group(2))
    return found


def wait_lines(
    before: dict[tuple[str, str], float], after: dict[tuple[str, str], float], seconds: float
) -> list[str]:
    """One line per worker: the share of ``seconds`` it waited on each thing."""
    lines = []
    for worker in sorted({worker for worker, _ in after}):
        waited = {on: after.get((worker, on), 0.0) - before.get((worker, on), 0.0) for on in WAITS}
        shares = "  ".join(f"{on} {100 * waited[on] / seconds:3.0f} %" for on in WAITS)
        claimed = after.get((worker, "claimed"), 0.0) - before.get((worker, "claimed"), 0.0)
        lines.append(f"  {worker:<12} {shares}  (claimed {claimed:,.0f})")
    return lines


def channels_config(ports: list[int], window: int) -> str:
    """One channel per simulator port; with several, the regions split over them by route."""
    names = (
        ["bench-carrier"] if len(ports) == 1 else [f"bench-carrier-{i}" for i in range(len(ports))]
    )
    text = "".join(
        CHANNEL.format(name=name, port=port, window=window)
        for name, port in zip(names, ports, strict=True)
    )
    if len(ports) > 1:
        for index, name in enumerate(names):
            countries = json.dumps(REGIONS[index :: len(names)])
            text += ROUTE.format(countries=countries, name=name)
    return text


def numbers(count: int) -> list[str]:
    """``count`` distinct valid mobile numbers over eight countries (interleaved, so every
    stretch of the list reaches every channel)."""
    regions = REGIONS
    by_region: list[list[str]] = []
    per_region = count // len(regions) + 1
    for region in regions:
        example = phonenumbers.example_number_for_type(region, phonenumbers.PhoneNumberType.MOBILE)
        assert example is not None
        base = phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.E164)
        made = suffix = 0
        found: list[str] = []
        while made < per_region:
            candidate = base[:-5] + f"{(int(base[-5:]) + suffix) % 100000:05d}"
            suffix += 1
            if phonenumbers.is_valid_number(phonenumbers.parse(candidate)):
                found.append(candidate)
                made += 1
        by_region.append(found)
    return [number for group in zip(*by_region, strict=True) for number in group][:count]


_STARTED: list[Any] = []
"""Every process this script started: :func:`stop_all` ends those still running, however
the run ends (a process that fails to start must not leave the others behind)."""


async def start(*args: str, cwd: Path, pattern: str, env: dict[str, str] | None = None) -> Any:
    process = await asyncio.create_subprocess_exec(
        *args, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, cwd=cwd, env=env
    )
    _STARTED.append(process)
    assert process.stdout is not None
    regex = re.compile(pattern)
    lines: list[str] = []
    while True:
        raw = await asyncio.wait_for(process.stdout.readline(), 120)
        if not raw:
            assert process.stderr is not None
            raise SystemExit(f"{args[:4]} exited early:\n{(await process.stderr.read()).decode()}")
        line = raw.decode().rstrip()
        lines.append(line)
        if match := regex.search(line):
            _DRAINS.add(asyncio.create_task(_drain(process)))
            return process, match, lines


_DRAINS: set[asyncio.Task[None]] = set()


async def stop_all() -> None:
    """SIGTERM to every started process still running (the latest first), SIGKILL after 20 s."""
    for process in reversed(_STARTED):
        if process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(process.wait(), 20)
            except TimeoutError:
                with contextlib.suppress(ProcessLookupError):
                    process.kill()
                await process.wait()


async def _drain(process: Any) -> None:
    async def pump(stream: Any) -> None:
        while stream is not None and await stream.read(65536):
            pass

    await asyncio.gather(pump(process.stdout), pump(process.stderr))


def process_tree(root: int) -> list[int]:
    """``root`` and all its descendants."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(parent, []).append(int(entry.name))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, []))
    return found


def cpu_seconds(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def cpu_seconds_with_children(pid: int) -> float:
    """``pid``'s CPU and that of its children that exited (a server's ended backends)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    ticks = sum(int(value) for value in fields[11:15])  # utime stime cutime cstime
    return ticks / os.sysconf("SC_CLK_TCK")


def server_cpu_seconds(postmaster: int | None) -> float | None:
    """CPU of the PostgreSQL server so far: the postmaster with its ended children, and its
    live ones (``None`` when the server is not one this script started)."""
    if postmaster is None:
        return None
    return cpu_seconds_with_children(postmaster) + sum(
        cpu_seconds(pid) for pid in process_tree(postmaster) if pid != postmaster
    )


def _py_spy() -> str:
    """py-spy from PATH, else the one installed beside this interpreter (the project's venv)."""
    beside = Path(sys.executable).parent / "py-spy"
    return shutil.which("py-spy") or str(beside)


def role_of(pid: int) -> str:
    try:
        command = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return "?"
    if b"--role" in command:
        return command[command.index(b"--role") + 1].decode()
    return "supervisor"


def percentile(values: list[float], fraction: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


async def setup_account(base: str, hook_url: str, events: str, workdir: Path, config: Path) -> str:
    """An account with a key, credit, an approved template and a webhook endpoint."""
    cli = [sys.executable, "-m", "parcelsms.cli.main"]

    async def run(*args: str) -> str:
        process = await asyncio.create_subprocess_exec(
            *cli, *args, "--config", str(config), stdout=asyncio.subprocess.PIPE, cwd=workdir
        )
        out, _ = await process.communicate()
        if process.returncode:
            raise SystemExit(f"parcelsms {' '.join(args)} failed")
        return out.decode()

    name = f"bench{int(time.time())}"
    await run("accounts", "create", name, "--balance", "1000000", "--verified")
    key = (await run("keys", "create", name)).strip().splitlines()[-1].strip()
    headers = {"Authorization": f"Bearer {key}"}
    async with aiohttp.ClientSession(headers=headers) as session:
        body: dict[str, Any] = {"url": hook_url}
        path = "/v1/webhooks"
        if events == "final":
            path, body["event_types"] = "/v1/webhooks/endpoints", ["message.final"]
        async with session.post(f"{base}{path}", json=body) as response:
            if response.status >= 300:
                raise SystemExit(f"webhook setup: {response.status} {await response.text()}")
        template = {
            "name": "bench_shipped",
            "language": "en",
            "body": "Your {shop} parcel {tracking_number} has shipped with {carrier}, "
            "arriving {eta}.",
        }
        async with session.post(f"{base}/v1/templates", json=template) as response:
            template_id = (await response.json())["id"]
    await run("templates", "approve", template_id)
    return key


class Load:
    """Sends the messages and records when each was accepted."""

    def __init__(self, base: str, key: str, recipients: list[str]) -> None:
        self.base = base
        self.headers = {"Authorization": f"Bearer {key}"}
        self.recipients = recipients
        self.accepted: dict[str, float] = {}
        self.request_latencies: list[float] = []
        self.refused = 0
        self.problem: str | None = None

    def _item(self, to: str) -> dict[str, Any]:
        return {"to": to, "template": "bench_shipped", "language": "en", "params": TEMPLATE_PARAMS}

    async def batch(self, session: aiohttp.ClientSession, size: int, connections: int) -> None:
        chunks = [self.recipients[i : i + size] for i in range(0, len(self.recipients), size)]
        queue: asyncio.Queue[list[str]] = asyncio.Queue()
        for chunk in chunks:
            queue.put_nowait(chunk)

        async def worker() -> None:
            while not queue.empty():
                chunk = queue.get_nowait()
                body = {
                    "template": "bench_shipped",
                    "language": "en",
                    "messages": [{"to": to, "params": TEMPLATE_PARAMS} for to in chunk],
                }
                started = time.perf_counter()
                async with session.post(f"{self.base}/v1/messages/batch", json=body) as response:
                    answer = await response.json()
                    if response.status >= 300 and self.problem is None:
                        self.problem = f"{response.status} {answer}"
                self.request_latencies.append(time.perf_counter() - started)
                now = time.time()
                for result in answer.get("results", []):
                    if result.get("status") == "accepted":
                        self.accepted[result["message"]["id"]] = now
                    else:
                        self.refused += 1

        await asyncio.gather(*(worker() for _ in range(connections)))

    async def _one(self, session: aiohttp.ClientSession, to: str, scheduled: float) -> None:
        async with session.post(f"{self.base}/v1/messages", json=self._item(to)) as response:
            answer = await response.json()
        self.request_latencies.append(time.perf_counter() - scheduled)
        if response.status < 300:
            self.accepted[answer["id"]] = time.time()
        else:
            self.refused += 1
            if self.problem is None:
                self.problem = f"{response.status} {answer}"

    async def single(self, session: aiohttp.ClientSession, connections: int) -> None:
        queue: asyncio.Queue[str] = asyncio.Queue()
        for to in self.recipients:
            queue.put_nowait(to)

        async def worker() -> None:
            while not queue.empty():
                await self._one(session, queue.get_nowait(), time.perf_counter())

        await asyncio.gather(*(worker() for _ in range(connections)))

    async def paced(self, session: aiohttp.ClientSession, rate: float) -> None:
        """Open loop: request i is due at start + i / rate, whatever the answers do."""
        start = time.perf_counter()
        tasks = []
        for index, to in enumerate(self.recipients):
            due = start + index / rate
            delay = due - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(self._one(session, to, due)))
        await asyncio.gather(*tasks)


WriterParts = list[tuple[str, dict[str, int]]]
"""Per process (its role), the microseconds its writer's transactions spent on each part."""


def write_statistics(
    stats_dir: Path, roles: dict[int, str]
) -> tuple[dict[str, int], list[str], WriterParts, float]:
    """The counts of every process summed, a line per process on the write lock, the time
    of each process's transactions by part (operation, deferred rows, commit), and the
    seconds the lock was held in all (over each process's whole life)."""
    totals: dict[str, int] = {}
    lock_lines = []
    held_in_all = 0
    writer_parts: WriterParts = []
    for path in sorted(stats_dir.glob("*.json")):
        counts = json.loads(path.read_text())
        parts: dict[str, int] = {}  # writer_us:<part>; writer_items:<part> is not printed
        for name in [name for name in counts if name.startswith("writer_")]:
            kind, _, part = name.partition(":")
            value = counts.pop(name)
            if kind == "writer_us":
                parts[part] = value
        wait, held = counts.pop("lock_wait_us", 0), counts.pop("lock_held_us", 0)
        held_cpu = counts.pop("lock_held_cpu_us", 0)
        runnable = counts.pop("lock_held_runnable_us", 0)
        longest = counts.pop("lock_held_max_us", 0)
        over_10ms = counts.pop("lock_holds_over_10ms", 0)
        role = roles.get(int(path.stem), "?")
        held_in_all += held
        if wait or held:
            lock_lines.append(
                f"  {role:<12} waited {wait / 1e6:.1f} s, held {held / 1e6:.1f} s"
                f" (writer thread CPU {held_cpu / 1e6:.1f} s, runnable {runnable / 1e6:.1f} s),"
                f" {counts.get('commit', 0):,} transactions,"
                f" {counts.get('statements', 0):,} statements;"
                f" longest hold {longest / 1000:.1f} ms, {over_10ms:,} over 10 ms"
            )
        if parts:
            writer_parts.append((role, parts))
        for name, value in counts.items():
            totals[name] = totals.get(name, 0) + int(value)
    return totals, lock_lines, writer_parts, held_in_all / 1e6


def writer_part_lines(writer_parts: WriterParts, messages: int, shown: int = 5) -> list[str]:
    """A line per writing process: its transactions' µs per message sent, by part, the
    largest first (the rest summed as ``other``); figures under half a µs, and processes
    that spent under 1 µs, are left out."""
    lines = []
    for role, parts in sorted(writer_parts, key=lambda entry: -sum(entry[1].values())):
        total = sum(parts.values()) / messages
        if total < 1:
            continue
        ranked = sorted(parts.items(), key=lambda part: -part[1])
        figures = [
            f"{name} {us / messages:.0f}" for name, us in ranked[:shown] if us / messages >= 0.5
        ]
        rest = sum(us for _, us in ranked[shown:]) / messages
        if rest >= 0.5:
            figures.append(f"other {rest:.0f}")
        lines.append(f"  {role:<12} {total:.0f} µs: " + ", ".join(figures))
    return lines


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--mode", choices=["batch", "single"], default="batch")
    parser.add_argument("--count", type=int, default=20000)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--connections", type=int, default=None, help="batch: 4, single: 50")
    parser.add_argument("--paced", type=float, default=None, help="requests/s, single sends")
    parser.add_argument("--duration", type=float, default=20.0, help="seconds, with --paced")
    parser.add_argument("--api-workers", type=int, default=None, help="0: serve --role all")
    parser.add_argument(
        "--webhook-workers", type=int, choices=(0, 1), default=None, help="default: serve's"
    )
    parser.add_argument("--events", choices=["final", "all"], default="final")
    parser.add_argument(
        "--key-rate",
        type=float,
        default=0.0,
        help="requests/s per API key, burst the same (default 0: no limit, no rate cost)",
    )
    parser.add_argument("--window", type=int, default=100)
    parser.add_argument("--receipt-delay-ms", type=float, default=50.0)
    parser.add_argument("--db", type=Path, default=None, help="start from a copy of this DB")
    parser.add_argument("--profile", type=Path, default=None, help="py-spy output directory")
    parser.add_argument("--profile-rate", type=int, default=100, help="py-spy samples/s")
    parser.add_argument(
        "--profile-native",
        action="store_true",
        help="py-spy --native: C frames too (compiled modules, SQLite); pauses each sample",
    )
    parser.add_argument("--keep-db", type=Path, default=None, help="copy the database here")
    parser.add_argument("--timeout", type=float, default=600.0)
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument(
        "--database-url", default=None, help="postgresql+psycopg://… (default: a throwaway cluster)"
    )
    parser.add_argument("--pipeline-workers", type=int, default=1, help="more than 1: PostgreSQL")
    parser.add_argument(
        "--channels", type=int, default=None, help="default: one per pipeline process"
    )
    parser.add_argument(
        "--no-write-stats",
        action="store_true",
        help="do not count statements (counting costs about 1 µs per statement)",
    )
    args = parser.parse_args()
    if args.paced:
        args.mode = "single"
        args.count = int(args.paced * args.duration)
    connections = args.connections or (4 if args.mode == "batch" else 50)
    if args.database_url:
        args.database = "postgres"
    if args.database == "postgres" and (args.db or args.keep_db):
        raise SystemExit("--db and --keep-db are for SQLite")
    if args.pipeline_workers > 1 and args.database != "postgres":
        raise SystemExit("several pipeline processes need PostgreSQL (--database postgres)")
    channel_count = args.channels or args.pipeline_workers

    workdir = Path(tempfile.mkdtemp(prefix="parcelsms-throughput-"))
    database = workdir / "parcelsms.db"
    database_url, cluster = start_database(args, database)
    try:
        return await run(args, connections, channel_count, workdir, database, database_url, cluster)
    finally:
        await stop_all()
        if cluster is not None:
            cluster.stop()
        shutil.rmtree(workdir, ignore_errors=True)


def start_database(args: argparse.Namespace, database: Path) -> tuple[str, Any]:
    """The database URL, and the throwaway PostgreSQL cluster started for it (or ``None``)."""
    if args.database != "postgres":
        return f"sqlite:///{database}", None
    if args.database_url:
        return str(args.database_url), None
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests" / "support"))
    from postgres_cluster import ThrowawayCluster

    cluster = ThrowawayCluster()
    cluster.start(durable=True)
    return cluster.create_database(), cluster


async def run(
    args: argparse.Namespace,
    connections: int,
    channel_count: int,
    workdir: Path,
    database: Path,
    database_url: str,
    cluster: Any,
) -> int:
    """Start the processes, send, wait for the final webhooks, print the figures."""
    if args.db is not None:
        shutil.copy(args.db, database)
        pepper = args.db.parent / "parcelsms.pepper"
        if pepper.exists():
            shutil.copy(pepper, workdir / "parcelsms.pepper")
    (workdir / "scenario.toml").write_text(SCENARIO.format(delay=args.receipt_delay_ms / 1000))
    python = sys.executable
    ports = []
    for _ in range(channel_count):
        _, match, _ = await start(
            python,
            "-m",
            "parcelsms.cli.main",
            "simulate-carrier",
            "--port",
            "0",
            "--scenario",
            "scenario.toml",
            cwd=workdir,
            pattern=r"listening on [\d.]+:(\d+)",
        )
        ports.append(int(match.group(1)))
    config = workdir / "parcelsms.toml"
    config.write_text(
        CONFIG.format(
            database_url=database_url,
            key_rate=args.key_rate,
            key_burst=max(1, int(args.key_rate)),
            admin_token=ADMIN_TOKEN,
            sample_interval=SAMPLE_INTERVAL,
        )
        + channels_config(ports, args.window)
    )
    _, match, _ = await start(python, "-c", RECEIVER, cwd=workdir, pattern=r"ready on (\d+)")
    receiver_port = int(match.group(1))
    stats_dir = workdir / "write-stats"
    stats_dir.mkdir()
    env = dict(os.environ)
    env["PROMETHEUS_MULTIPROC_DIR"] = str(workdir / "prometheus")
    (workdir / "prometheus").mkdir()
    if not args.no_write_stats:
        env["PARCELSMS_WRITE_STATS"] = str(stats_dir)
    role = ["--role", "all"] if args.api_workers == 0 else []
    workers = [] if args.api_workers in (None, 0) else ["--api-workers", str(args.api_workers)]
    if args.webhook_workers is not None and args.api_workers != 0:
        workers += ["--webhook-workers", str(args.webhook_workers)]
    serve_command = (python, "-m", "parcelsms.cli.main", "serve", "--config", str(config))
    serve, match, _lines = await start(
        *serve_command,
        *role,
        *workers,
        cwd=workdir,
        pattern=r"listening on (http://[\d.:]+)",
        env=env,
    )
    base = match.group(1)
    # Further pipelines, as on other machines; webhooks stay with serve's webhook process
    # when it runs one (its default on more than one core).
    cores = os.cpu_count() or 1
    webhook_process = args.api_workers != 0 and (
        args.webhook_workers if args.webhook_workers is not None else cores > 1
    )
    pipelines = []
    for _ in range(args.pipeline_workers - 1):
        pipeline, _match, _lines = await start(
            *serve_command,
            "--role",
            "pipeline",
            *(["--webhooks-apart"] if webhook_process else []),
            cwd=workdir,
            pattern="pipeline running",
            env=env,
        )
        pipelines.append(pipeline)
    await asyncio.sleep(1.0)  # the rest of the announcement; channels bind
    hook_url = f"http://127.0.0.1:{receiver_port}/hook"
    key = await setup_account(base, hook_url, args.events, workdir, config)
    recipients = numbers(args.count)
    tree = [pid for root in (serve, *pipelines) for pid in process_tree(root.pid)]
    postmaster = cluster.postmaster_pid if cluster is not None else None
    roles = {pid: role_of(pid) for pid in tree}
    before = {pid: cpu_seconds(pid) for pid in tree}
    server_before = server_cpu_seconds(postmaster)
    profilers = []
    if args.profile is not None:
        args.profile.mkdir(parents=True, exist_ok=True)
        for pid in tree:
            profilers.append(
                await asyncio.create_subprocess_exec(
                    _py_spy(),
                    "record",
                    "-p",
                    str(pid),
                    "-f",
                    "raw",
                    "-r",
                    str(args.profile_rate),
                    *(["--native"] if args.profile_native else ["--nonblocking"]),
                    "-o",
                    str(args.profile / f"{roles[pid]}-{pid}.txt"),
                    stdout=asyncio.subprocess.DEVNULL,
                    stderr=asyncio.subprocess.DEVNULL,
                )
            )
    load = Load(base, key, recipients)
    connector = aiohttp.TCPConnector(limit=max(connections, 64) if args.paced else connections)
    async with aiohttp.ClientSession() as scraper:
        waits_before = await worker_waits(scraper, base)
    # Both scrapes read samples up to SAMPLE_INTERVAL old: the time between the scrapes is
    # the time between the samples they read, on average.
    started = time.time()
    async with aiohttp.ClientSession(headers=load.headers, connector=connector) as session:
        if args.paced:
            await load.paced(session, args.paced)
        elif args.mode == "batch":
            await load.batch(session, args.batch, connections)
        else:
            await load.single(session, connections)
        sent = time.time()
        finals: dict[str, float] = {}
        deadline = time.time() + args.timeout
        while time.time() < deadline:
            async with session.get(f"http://127.0.0.1:{receiver_port}/final") as response:
                finals = await response.json()
            if all(message_id in finals for message_id in load.accepted):
                break
            await asyncio.sleep(0.25)
    after = {pid: cpu_seconds(pid) for pid in tree}
    server_after = server_cpu_seconds(postmaster)
    await asyncio.sleep(SAMPLE_INTERVAL)  # the last samples reach the files
    async with aiohttp.ClientSession() as scraper:
        waits_after = await worker_waits(scraper, base)
    sampled_for = time.time() - started
    for profiler in profilers:
        profiler.send_signal(signal.SIGINT)
        await profiler.wait()
    await stop_all()  # the platform's processes write their statistics as they exit

    accepted = len(load.accepted)
    missing = [m for m in load.accepted if m not in finals]
    last_final = max((finals[m] for m in load.accepted if m in finals), default=started)
    cpu_by_role: dict[str, float] = {}
    for pid in tree:
        cpu_by_role[roles[pid]] = cpu_by_role.get(roles[pid], 0.0) + after[pid] - before[pid]
    cpu_total = sum(cpu_by_role.values())
    writes, lock_lines, writer_parts, lock_held = write_statistics(stats_dir, roles)
    to_final = [finals[m] - at for m, at in load.accepted.items() if m in finals]
    workers_label = "role all" if args.api_workers == 0 else f"{args.api_workers or 'default'}"
    mode = f"paced {args.paced:g}/s" if args.paced else args.mode
    print(
        f"mode: {mode}  messages: {args.count}  connections: {connections}  "
        f"api workers: {workers_label}  webhook workers: "
        f"{'default' if args.webhook_workers is None else args.webhook_workers}  "
        f"webhooks: {args.events}"
    )
    print(
        f"database: {args.database}  pipeline processes: {args.pipeline_workers}  "
        f"channels: {channel_count}  hot paths: {hot_paths()}"
    )
    print(f"accepted: {accepted}  refused: {load.refused}  missing final webhook: {len(missing)}")
    if load.problem:
        print(f"first refusal: {load.problem[:300]}")
    print(f"accepted msgs/s (API):        {accepted / max(sent - started, 1e-9):,.0f}")
    if not missing and accepted:
        print(f"end-to-end msgs/s:            {accepted / (last_final - started):,.0f}")
    print(f"CPU ms per message (all):     {1000 * cpu_total / max(accepted, 1):.3f}")
    for name, seconds in sorted(cpu_by_role.items()):
        print(f"  {name:<12} {1000 * seconds / max(accepted, 1):.3f} ms/msg, {seconds:.1f} s")
    if args.pipeline_workers > 1:  # how the work split over the pipelines
        for pid in tree:
            if roles[pid] == "pipeline":
                print(f"    pipeline {pid}: {after[pid] - before[pid]:.1f} s")
    if server_before is not None and server_after is not None:
        server = server_after - server_before
        print(
            f"PostgreSQL CPU per message:   {1000 * server / max(accepted, 1):.3f} ms"
            f" ({server:.1f} s)"
        )
    requests = len(load.request_latencies)
    if requests and "api" in cpu_by_role:
        # With batches, per request minus (per message x batch) is the per-request overhead.
        print(f"API CPU per request:          {1000 * cpu_by_role['api'] / requests:.3f} ms")
    p50, p99 = percentile(load.request_latencies, 0.5), percentile(load.request_latencies, 0.99)
    print(f"request latency p50/p99 ms:   {1000 * p50:.1f} / {1000 * p99:.1f}")
    f50, f99 = percentile(to_final, 0.5), percentile(to_final, 0.99)
    print(f"accept->final webhook p50/p99 ms: {1000 * f50:.0f} / {1000 * f99:.0f}")
    if writes and accepted:
        per = {k: v / accepted for k, v in writes.items() if not k.startswith("rows:")}
        print(
            "written per message:          "
            + ", ".join(f"{name} {value:.2f}" for name, value in sorted(per.items()))
        )
        by_table = sorted(
            (
                (v / accepted, k[5:])
                for k, v in writes.items()
                if k.startswith("rows:") and v / accepted >= 0.005
            ),
            reverse=True,
        )
        print(
            "rows per message by table:    "
            + ", ".join(f"{table} {value:.2f}" for value, table in by_table)
        )
    if lock_lines:
        print("write lock (machine-wide), during the whole run:")
        print("\n".join(lock_lines))
        window = last_final - started
        if window > 0:
            # On SQLite one writer at a time: a share near 100 % means the lock is what
            # bounds the run. Holds outside the window count too, so it is an upper bound.
            print(
                f"  all          held {lock_held:.1f} s, {100 * lock_held / window:.0f} % of the"
                f" {window:.1f} s from the first request to the last final webhook (at most)"
            )
    part_lines = writer_part_lines(writer_parts, accepted) if accepted else []
    if part_lines:
        print(
            "writer transactions, µs per message sent (on SQLite, the write lock is held for them):"
        )
        print("\n".join(part_lines))
    if waits_after:
        print("queue workers, share of the run spent waiting on (claim: the storage):")
        print("\n".join(wait_lines(waits_before, waits_after, sampled_for)))
    if args.paced:
        lag = last_final - (started + args.duration)
        print(f"last final webhook after the last scheduled request: {lag:.2f} s")
    if args.keep_db is not None:
        shutil.copy(database, args.keep_db)
        shutil.copy(workdir / "parcelsms.pepper", args.keep_db.parent / "parcelsms.pepper")
    return 1 if missing or not accepted else 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
