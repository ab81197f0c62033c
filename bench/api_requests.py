"""Benchmark: what one API request costs the API process, apart from HTTP and the network.

    python bench/api_requests.py [--requests 6000] [--concurrency 50] [--batch 100]
                                 [--repeat 1] [--profile DIR]

Builds the API exactly as ``parcelsms serve --role api`` does (``build_platform``, a SQLite
file, the account, key and approved template ``bench/throughput.py`` uses) and calls the ASGI
application directly, ``--concurrency`` requests at a time, with ready-made request bodies:
``POST /v1/messages`` (one message each), then ``POST /v1/messages/batch`` (``--batch``
messages each). ``--repeat K`` sends K messages to each recipient (a parcel's recipient gets
one as it ships, clears customs, goes out for delivery and arrives), spread through the run;
the default, 1, gives every message a recipient of its own. No HTTP server, no client
library, no socket: what is measured is the application's own work.

Prints, per request and per message, the CPU time of the event-loop thread (routing,
authentication, decoding, composing, answering: what the API process spends per request
before and after the database) and of the database writer thread (the accept transaction,
under the machine-wide write lock), read from ``/proc`` for each thread, and the part of a
single request's event-loop CPU that is the request's rather than its message's (a single
request less a batched message: routing, authentication, body, answer, waiting for the
commit). ``--profile DIR``
writes a cProfile of the event-loop thread for each kind of request (``single.prof``,
``batch.prof``; the writer thread is not in them).
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import msgspec

from parcelsms.adapters.storage.engine.checkpointer import Checkpointer
from parcelsms.bootstrap import Role, build_platform
from parcelsms.config import load_config

sys.path.insert(0, str(Path(__file__).parent))
from throughput import TEMPLATE_PARAMS, numbers

CONFIG = """
[database]
url = "sqlite:///{database}"

[security]
key_rate_limit = 0
key_rate_burst = 1

[logging]
level = "warning"
"""
TEMPLATE = {
    "name": "bench_shipped",
    "language": "en",
    "body": "Your {shop} parcel {tracking_number} has shipped with {carrier}, arriving {eta}.",
}


def _params(number: int) -> dict[str, str]:
    """The template's values, the tracking number differing per message (a recipient's
    texts differ: the same text twice within the duplicate window is refused)."""
    return {**TEMPLATE_PARAMS, "tracking_number": f"1Z{number:08d}"}


def _thread_cpu(thread_id: int) -> float:
    """CPU seconds of one thread of this process (Linux ``schedstat``: nanoseconds on a core)."""
    return int(Path(f"/proc/self/task/{thread_id}/schedstat").read_text().split()[0]) / 1e9


def _writer_threads() -> list[int]:
    return [
        thread.native_id
        for thread in threading.enumerate()
        if thread.name.startswith("parcelsms-db-writer") and thread.native_id is not None
    ]


def _cli(config: Path, *args: str) -> str:
    command = [sys.executable, "-m", "parcelsms.cli.main", *args, "--config", str(config)]
    done = subprocess.run(command, capture_output=True, text=True, check=True, cwd=config.parent)
    return done.stdout


class Caller:
    """Calls the ASGI app with prepared requests; counts the answers."""

    def __init__(self, app: Any, key: str) -> None:
        self._app = app
        self._headers = [
            (b"host", b"127.0.0.1"),
            (b"content-type", b"application/json"),
            (b"authorization", f"Bearer {key}".encode()),
        ]
        self.statuses: dict[int, int] = {}
        self.first_problem: bytes | None = None

    async def post(self, path: str, body: bytes) -> None:
        scope = {
            "type": "http",
            "asgi": {"version": "3.0", "spec_version": "2.3"},
            "http_version": "1.1",
            "method": "POST",
            "scheme": "http",
            "path": path,
            "raw_path": path.encode(),
            "query_string": b"",
            "root_path": "",
            "headers": [*self._headers, (b"content-length", str(len(body)).encode())],
            "client": ("127.0.0.1", 40000),
            "server": ("127.0.0.1", 8000),
            "state": {},
        }
        delivered = False

        async def receive() -> dict[str, Any]:
            nonlocal delivered
            if delivered:
                await asyncio.Event().wait()  # no disconnect while the request runs
            delivered = True
            return {"type": "http.request", "body": body, "more_body": False}

        status = 0
        answer = b""

        async def send(message: dict[str, Any]) -> None:
            nonlocal status, answer
            if message["type"] == "http.response.start":
                status = message["status"]
            elif message["type"] == "http.response.body":
                answer += message.get("body", b"")

        await self._app(scope, receive, send)
        self.statuses[status] = self.statuses.get(status, 0) + 1
        if status >= 300 and self.first_problem is None:
            self.first_problem = answer


async def _drive(caller: Caller, path: str, bodies: list[bytes], concurrency: int) -> None:
    queue = list(reversed(bodies))

    async def worker() -> None:
        while queue:
            await caller.post(path, queue.pop())

    await asyncio.gather(*(worker() for _ in range(concurrency)))


async def _measure(
    name: str,
    caller: Caller,
    path: str,
    bodies: list[bytes],
    messages: int,
    concurrency: int,
    profiler: cProfile.Profile | None,
) -> float:
    """Print the figures of one kind of request; return its event-loop µs per message."""
    loop_thread = threading.get_native_id()
    writers = _writer_threads()
    loop_before = _thread_cpu(loop_thread)
    writer_before = sum(_thread_cpu(thread) for thread in writers)
    started = time.perf_counter()
    if profiler is not None:
        profiler.enable()
    await _drive(caller, path, bodies, concurrency)
    if profiler is not None:
        profiler.disable()
    elapsed = time.perf_counter() - started
    loop_cpu = _thread_cpu(loop_thread) - loop_before
    writer_cpu = sum(_thread_cpu(thread) for thread in writers) - writer_before
    requests = len(bodies)
    print(
        f"{name}: {requests} requests, {messages} messages in {elapsed:.2f} s"
        f" ({messages / elapsed:,.0f} msgs/s)"
    )
    print(
        f"  event loop   {loop_cpu * 1e6 / requests:8.0f} µs/request"
        f" {loop_cpu * 1e6 / messages:8.0f} µs/message"
    )
    print(
        f"  writer       {writer_cpu * 1e6 / requests:8.0f} µs/request"
        f" {writer_cpu * 1e6 / messages:8.0f} µs/message"
    )
    return loop_cpu * 1e6 / messages


async def run(args: argparse.Namespace, directory: Path) -> None:
    database = directory / "parcelsms.db"
    config = directory / "parcelsms.toml"
    config.write_text(CONFIG.format(database=database))
    _cli(config, "migrate")
    _cli(config, "accounts", "create", "bench", "--balance", "100000000", "--verified")
    key = _cli(config, "keys", "create", "bench").strip().splitlines()[-1].strip()
    settings = load_config(config, {})
    platform = await build_platform(settings, {}, Role.API)
    assert platform.api is not None
    app = platform.api.app
    # In `parcelsms serve` the pipeline process checkpoints the WAL; an API process alone
    # would do it in its writer's commits instead, which the writer figure must not include.
    checkpointer = Checkpointer(database)
    checkpointer.start()
    try:
        transport = httpx.ASGITransport(app=app)
        headers = {"Authorization": f"Bearer {key}"}
        async with httpx.AsyncClient(transport=transport, base_url="http://api") as client:
            created = await client.post("/v1/templates", json=TEMPLATE, headers=headers)
            created.raise_for_status()
        _cli(config, "templates", "approve", created.json()["id"])

        caller = Caller(app, key)
        encode = msgspec.json.encode
        count = args.requests
        repeat = args.repeat
        batched = count // args.batch * args.batch
        distinct = numbers(100 + -(-count // repeat) + -(-batched // repeat))
        # Each recipient K times in each run, the repeats far apart (as a parcel's texts are).
        single_recipients = distinct[100 : 100 + -(-count // repeat)]
        batch_recipients = distinct[100 + len(single_recipients) :]
        recipients = [
            *distinct[:100],
            *(single_recipients * repeat)[:count],
            *(batch_recipients * repeat)[:batched],
        ]
        warm = [
            encode({"to": to, "template": "bench_shipped", "params": _params(n)})
            for n, to in enumerate(recipients[:100])
        ]
        await _drive(caller, "/v1/messages", warm, args.concurrency)
        singles = [
            encode({"to": to, "template": "bench_shipped", "params": _params(n)})
            for n, to in enumerate(recipients[100 : 100 + count], start=100)
        ]
        profiles: dict[str, cProfile.Profile] = {}
        if args.profile is not None:
            profiles = {"single": cProfile.Profile(), "batch": cProfile.Profile()}
        single = await _measure(
            "single",
            caller,
            "/v1/messages",
            singles,
            count,
            args.concurrency,
            profiles.get("single"),
        )
        rest = recipients[100 + count :]
        batches = [
            encode(
                {
                    "template": "bench_shipped",
                    "messages": [
                        {"to": to, "params": _params(100 + count + start + n)}
                        for n, to in enumerate(rest[start : start + args.batch])
                    ],
                }
            )
            for start in range(0, batched, args.batch)
        ]
        per_message = await _measure(
            f"batch of {args.batch}",
            caller,
            "/v1/messages/batch",
            batches,
            len(batches) * args.batch,
            max(1, args.concurrency // 10),
            profiles.get("batch"),
        )
        # What a request costs besides its message: routing, authentication, the body, the
        # answer, the wait for its commit (a batch shares them among its messages).
        print(
            f"per request, besides its message (event loop): {single - per_message:8.0f} µs"
            f" ({single - per_message:.0f} of {single:.0f} µs of a single request)"
        )
        for name, profile in profiles.items():
            args.profile.mkdir(parents=True, exist_ok=True)
            profile.dump_stats(args.profile / f"{name}.prof")
        print(f"answers by status: {caller.statuses}")
        if caller.first_problem is not None or set(caller.statuses) - {200, 201, 202}:
            raise SystemExit(f"refused requests, first: {caller.first_problem!r}")
    finally:
        checkpointer.stop()
        await platform.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=6000)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=1, help="messages per recipient")
    parser.add_argument("--profile", type=Path, default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        try:
            import uvloop
        except ImportError:
            asyncio.run(run(args, Path(directory)))
        else:
            uvloop.run(run(args, Path(directory)))


if __name__ == "__main__":
    main()
