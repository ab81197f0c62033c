"""Console page benchmark: every console page and htmx partial on a 1M-message database.

Builds (or reuses, ``--db PATH``) a SQLite database holding ``--messages`` messages over
``--days`` days: ten sender accounts (one busy, nine small), the country, channel and status
mix of ``bench/reports.py``, eight templates, each message with its status events, its
carrier part, its ledger reserve and settle/refund and (one in five) a webhook delivery.
The rows are written straight into the tables, in the shape the accept, dispatch and
receipt transactions leave them; the accounts, templates and webhook endpoint are made
through the storage ports, and the report rollups are derived from the messages by the
platform's own rebuild (``parcelsms reports rebuild``), so the dashboard's figures are the
messages' figures.

Then it starts a real ``parcelsms serve`` on that database, adds an owner of the busy
account and an operator (``parcelsms console-user add``), logs both in over HTTP, and asks
each console page ``--repeat`` times in turn. It prints, per page: the median and worst wall
time from request to full HTML (client side, loopback), the server's median CPU time per
request (the serve processes' CPU over the page's requests), and ``SLOW`` past 300 ms (the
target of issue 13).

    python bench/console_pages.py [--messages 1000000] [--days 30] [--repeat 15]
                                  [--db PATH] [--api-workers N]

``--db PATH`` keeps the generated database there and, given again, measures it without
generating (a database made for other figures is refused).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

REPOSITORY = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPOSITORY))

from reports import CHANNELS, COUNTRIES, LATENCY_WEIGHTS, PRICE, STATUSES  # noqa: E402
from tests.support.console_users import CONSOLE_PASSWORD, CSRF_TOKEN  # noqa: E402
from tests.support.platform_process import mobile_numbers, start_serve  # noqa: E402

from parcelsms.adapters.storage.sql_storage import open_storage  # noqa: E402
from parcelsms.domain.ids import first_id_at  # noqa: E402
from parcelsms.pipeline.account_security_ports import Actor  # noqa: E402
from parcelsms.pipeline.webhook_policy import StatusWebhookPolicy  # noqa: E402

TARGET_MS = 300.0
BUSY_NAME = "bench-busy-sender"
SMALL_SENDERS = 9
OWNER = "owner@bench.example"
OPERATOR = "operator@bench.example"
NUMBERS_PER_COUNTRY = 3000
TEMPLATE_WEIGHTS = (40, 25, 15, 8, 5, 4, 2, 1)
_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_FINAL = {"delivered", "undelivered", "expired", "rejected", "failed"}
_STAT = {
    "delivered": "DELIVRD",
    "undelivered": "UNDELIV",
    "expired": "EXPIRED",
    "rejected": "REJECTD",
}

CONFIG = """
[server]
host = "127.0.0.1"
port = 0

[database]
url = "sqlite:///{database}"

[logging]
level = "warning"
"""


def _id(prefix: str, moment: datetime, random_source: random.Random) -> str:
    """An id made at ``moment``: its time digits, then 16 random digits."""
    head = first_id_at(prefix, int(moment.timestamp() * 1000))[: len(prefix) + 11]
    return head + "".join(random_source.choices(_ALPHABET, k=16))


def _text(moment: datetime | None) -> str | None:
    """A time as the UtcDateTime column stores it on SQLite."""
    if moment is None:
        return None
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")


async def _setup(url: str) -> dict[str, Any]:
    """The accounts, templates and webhook endpoint, made through the storage ports."""
    storage = await open_storage(url, webhook_policy=StatusWebhookPolicy(str), pepper=b"bench")
    actor = Actor(name="bench")
    try:
        accounts = []
        for index in range(SMALL_SENDERS + 1):
            name = BUSY_NAME if index == 0 else f"bench-small-sender-{index}"
            profile = await storage.accounts.create_sender_account(
                name, 1_000_000 * 1_000_000, "EUR", verified=True, actor=actor
            )
            accounts.append(profile.account.id)
        templates: dict[str, list[str]] = {}
        for account_id in accounts:
            made = []
            for index in range(len(TEMPLATE_WEIGHTS)):
                template = await storage.content.create_template(
                    account_id,
                    f"parcel_update_{index}",
                    "en",
                    f"Your parcel {{{{tracking}}}} is on its way (update {index}).",
                )
                made.append(template.id)
            templates[account_id] = made
        endpoint = await storage.webhook_endpoints.create_endpoint(
            accounts[0], "https://hooks.bench.example/parcelsms", (), "whsec_" + "0" * 32
        )
        return {"accounts": accounts, "templates": templates, "endpoint": endpoint.id}
    finally:
        await storage.close()


def _insert(table: str, columns: tuple[str, ...]) -> str:
    return f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"  # noqa: S608


_MESSAGE_COLUMNS = (
    "id", "account_id", "to_e164", "country", "template_id", "language", "body", "encoding",
    "segments", "price_micros", "currency", "billing", "sender_id", "client_ref", "status",
    "route_plan", "route_index", "channel", "next_attempt_at", "valid_until", "flags",
    "created_at", "updated_at", "submitted_at", "final_at", "last_error",
)  # fmt: skip
_EVENT_COLUMNS = ("message_id", "status", "at", "detail")
_PART_COLUMNS = (
    "message_id", "part_no", "channel", "carrier_id_raw", "carrier_id", "responded_at_us",
    "status", "stat", "err", "receipt_raw", "submitted_at", "done_at",
)  # fmt: skip
_LEDGER_COLUMNS = (
    "id", "account_id", "message_id", "kind", "amount_micros", "reserved_delta_micros",
    "created_at",
)  # fmt: skip
_OUTBOX_COLUMNS = (
    "id", "account_id", "event_id", "endpoint_id", "event_type", "message_id", "url", "payload",
    "status", "attempts", "next_attempt_at", "last_status", "latency_ms", "created_at",
    "delivered_at",
)  # fmt: skip


def generate(path: Path, messages: int, days: int, seed: int) -> None:
    """Write ``messages`` messages over the ``days`` days up to now, then the rollups."""
    url = f"sqlite:///{path}"
    made = asyncio.run(_setup(url))
    accounts: list[str] = made["accounts"]
    random_source = random.Random(seed)
    numbers = {country: mobile_numbers(country, NUMBERS_PER_COUNTRY) for country, _ in COUNTRIES}
    countries = [country for country, _ in COUNTRIES]
    country_weights = [weight for _, weight in COUNTRIES]
    channels = [channel for channel, _ in CHANNELS]
    channel_weights = [weight for _, weight in CHANNELS]
    statuses = [status for status, _ in STATUSES]
    status_weights = [weight for _, weight in STATUSES]
    # Nine tenths of the traffic is the busy sender's.
    account_weights = [90.0] + [10.0 / SMALL_SENDERS] * SMALL_SENDERS
    latencies = [2 ** (bucket / 2) for bucket in range(len(LATENCY_WEIGHTS))]

    end = datetime.now(UTC) - timedelta(minutes=5)
    start = end - timedelta(days=days)
    step = (end - start) / messages
    connection = sqlite3.connect(path)
    connection.execute("PRAGMA synchronous = OFF")
    inserts = {
        "messages": _insert("messages", _MESSAGE_COLUMNS),
        "message_events": _insert("message_events", _EVENT_COLUMNS),
        "message_parts": _insert("message_parts", _PART_COLUMNS),
        "ledger": _insert("ledger", _LEDGER_COLUMNS),
        "webhook_outbox": _insert("webhook_outbox", _OUTBOX_COLUMNS),
    }
    rows: dict[str, list[tuple[Any, ...]]] = {table: [] for table in inserts}
    started = time.perf_counter()
    batch = 20_000
    for first in range(0, messages, batch):
        count = min(batch, messages - first)
        drawn_accounts = random_source.choices(accounts, account_weights, k=count)
        drawn_countries = random_source.choices(countries, country_weights, k=count)
        drawn_channels = random_source.choices(channels, channel_weights, k=count)
        drawn_statuses = random_source.choices(statuses, status_weights, k=count)
        drawn_latencies = random_source.choices(latencies, LATENCY_WEIGHTS, k=count)
        for offset in range(count):
            index = first + offset
            created = start + step * index
            account_id = drawn_accounts[offset]
            country = drawn_countries[offset]
            channel = drawn_channels[offset]
            status = drawn_statuses[offset]
            if status == "submitted" and end - created > timedelta(hours=1):
                status = "delivered"  # only the last hour still waits for its receipt
            template_id = random_source.choices(made["templates"][account_id], TEMPLATE_WEIGHTS)[0]
            message_id = _id("msg", created, random_source)
            reached = status != "failed"
            submitted = created + timedelta(seconds=1) if reached else None
            final = (
                None
                if status not in _FINAL
                else created + timedelta(seconds=1 + drawn_latencies[offset])
            )
            charged = 0 if status in ("failed",) else PRICE
            error = (
                None
                if status in ("delivered", "submitted")
                else {
                    "detail": f"the carrier reported {status}"
                    if reached
                    else "no channel accepted the message",
                    "stat": _STAT.get(status),
                    "err": "001" if reached else None,
                }
            )
            rows["messages"].append(
                (
                    message_id, account_id, random_source.choice(numbers[country]), country,
                    template_id, "en", "Your parcel is on its way.", "gsm7", 1, PRICE, "EUR",
                    "reserved" if status == "submitted" else ("settled" if charged else "refunded"),
                    "PARCEL", f"order-{index:08d}", status, f'["{channel}"]', 0,
                    channel if reached else None, _text(created),
                    _text(created + timedelta(days=2)), "[]", _text(created),
                    _text(final or submitted or created), _text(submitted), _text(final),
                    None if error is None else _json(error),
                )
            )  # fmt: skip
            events = rows["message_events"]
            events.append((message_id, "queued", _text(created), None))
            if reached:
                events.append(
                    (message_id, "submitted", _text(submitted), f'{{"channel": "{channel}"}}')
                )
            if final is not None:
                events.append((message_id, status, _text(final), None))
            if reached:
                carrier_id = f"{channel}-{index:09d}"
                rows["message_parts"].append(
                    (
                        message_id, 1, channel, carrier_id, carrier_id,
                        int(submitted.timestamp() * 1_000_000) if submitted else 0,
                        status, _STAT.get(status), "000" if status == "delivered" else "001",
                        None, _text(submitted), _text(final),
                    )
                )  # fmt: skip
            ledger = rows["ledger"]
            ledger.append(
                (_id("led", created, random_source), account_id, message_id, "reserve",
                 -PRICE, PRICE, _text(created))
            )  # fmt: skip
            if final is not None:
                kind = "settle" if charged else "refund"
                ledger.append(
                    (_id("led", final, random_source), account_id, message_id, kind,
                     0 if charged else PRICE, -PRICE, _text(final))
                )  # fmt: skip
            if final is not None and account_id == accounts[0] and index % 5 == 0:
                event_id = _id("evt", final, random_source)
                rows["webhook_outbox"].append(
                    (
                        event_id, account_id, event_id, made["endpoint"], f"message.{status}",
                        message_id, "https://hooks.bench.example/parcelsms",
                        f'{{"type": "message.{status}", "data": {{"id": "{message_id}"}}}}',
                        "delivered", 1, _text(final), 200, 35, _text(final), _text(final),
                    )
                )  # fmt: skip
        for table, insert in inserts.items():
            connection.executemany(insert, rows[table])
            rows[table].clear()
        connection.commit()
        if (first // batch) % 10 == 9:
            print(
                f"  {first + count:,} messages, {time.perf_counter() - started:.0f} s",
                file=sys.stderr,
            )
    # The balances the ledger implies (reserved: the messages still in flight).
    connection.execute(
        "UPDATE accounts SET reserved_micros = (SELECT coalesce(sum(reserved_delta_micros), 0) "
        "FROM ledger WHERE ledger.account_id = accounts.id), balance_micros = balance_micros + "
        "(SELECT coalesce(sum(amount_micros), 0) FROM ledger WHERE ledger.account_id = "
        "accounts.id AND message_id IS NOT NULL)"
    )
    connection.commit()
    connection.close()
    print(f"  messages written in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    started = time.perf_counter()
    rollup_rows = asyncio.run(_rebuild(url))
    print(
        f"  rollups rebuilt ({rollup_rows:,} rows) in {time.perf_counter() - started:.0f} s",
        file=sys.stderr,
    )
    connection = sqlite3.connect(path)
    connection.execute("ANALYZE")
    connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    connection.close()


def _json(document: dict[str, Any]) -> str:
    import json

    return json.dumps(document)


async def _rebuild(url: str) -> int:
    storage = await open_storage(url, webhook_policy=StatusWebhookPolicy(str), pepper=b"bench")
    try:
        return await storage.reports.rebuild_rollups()
    finally:
        await storage.close()


def _add_console_users(config: Path, busy_account: str) -> None:
    environment = {**os.environ, "PARCELSMS_CONSOLE_PASSWORD": CONSOLE_PASSWORD}
    command = [sys.executable, "-m", "parcelsms.cli.main", "console-user", "add"]
    for extra in (
        ["--email", OWNER, "--account", busy_account, "--role", "owner"],
        ["--email", OPERATOR, "--operator"],
    ):
        subprocess.run(
            [*command, *extra, "--config", str(config)],
            check=True,
            env=environment,
            capture_output=True,
        )


def _process_tree_cpu(root: int) -> float:
    """User + system CPU seconds of ``root`` and its descendants (Linux /proc)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total, pending = 0.0, [root]
    while pending:
        pid = pending.pop()
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / ticks
            for task in Path(f"/proc/{pid}/task").iterdir():
                pending += [int(child) for child in (task / "children").read_text().split()]
        except FileNotFoundError:
            continue
    return total


async def _log_in(client: httpx.AsyncClient, email: str) -> str:
    login = await client.get("/console/login")
    token = CSRF_TOKEN.search(login.text)
    assert token is not None
    answer = await client.post(
        "/console/login",
        data={"email": email, "password": CONSOLE_PASSWORD, "csrf_token": token.group(1)},
    )
    assert answer.status_code == 303, answer.text
    return str(answer.headers["location"])


def _sender_pages(database: Path, busy_account: str) -> list[tuple[str, str]]:
    """The sender pages, with searches that hit and that miss, and a deep cursor."""
    connection = sqlite3.connect(database)
    newest, number, client_ref, template_id = connection.execute(
        "SELECT id, to_e164, client_ref, template_id FROM messages WHERE account_id = ? "
        "ORDER BY id DESC LIMIT 1",
        (busy_account,),
    ).fetchone()
    (old_day,) = connection.execute(
        "SELECT substr(min(created_at), 1, 10) FROM messages WHERE account_id = ?",
        (busy_account,),
    ).fetchone()
    connection.close()
    day = datetime.fromisoformat(old_day) + timedelta(days=1)
    since = until = day.strftime("%Y-%m-%d")
    return [
        ("dashboard today", "/console/"),
        ("dashboard 7 days", "/console/?period=7d"),
        ("dashboard 30 days", "/console/?period=30d"),
        ("htmx: figures today", "/console/dashboard/figures?period=today"),
        ("htmx: figures 30 days", "/console/dashboard/figures?period=30d"),
        ("messages", "/console/messages"),
        ("messages by number", f"/console/messages?to={number}"),
        ("messages by client_ref", f"/console/messages?client_ref={client_ref}"),
        ("messages status rejected", "/console/messages?status=rejected"),
        ("messages status canceled (none)", "/console/messages?status=canceled"),
        ("messages country JP", "/console/messages?country=JP"),
        ("messages country IL rejected", "/console/messages?country=IL&status=rejected"),
        ("messages one day 29 days ago", f"/console/messages?since={since}&until={until}"),
        ("messages country + old day", f"/console/messages?country=US&since={since}&until={until}"),
        ("message page", f"/console/messages/{newest}"),
        ("templates", "/console/templates"),
        ("template page", f"/console/templates/{template_id}"),
        ("sender IDs", "/console/sender-ids"),
        ("test numbers", "/console/test-numbers"),
        ("keys", "/console/keys"),
        ("webhooks", "/console/webhooks"),
        ("billing", "/console/billing"),
        ("ledger CSV", "/console/billing/ledger.csv"),
        ("limits", "/console/limits"),
        ("team", "/console/team"),
        ("profile", "/console/profile"),
    ]


def _operator_pages(busy_account: str) -> list[tuple[str, str]]:
    return [
        ("operator reviews", "/console/operator/reviews"),
        ("operator accounts", "/console/operator/accounts"),
        ("operator account page", f"/console/operator/accounts/{busy_account}"),
        ("operator channels", "/console/operator/channels"),
        ("htmx: operator channel rows", "/console/operator/channels"),
        ("operator prices", "/console/operator/prices"),
        ("operator audit", "/console/operator/audit"),
    ]


async def _time_pages(
    client: httpx.AsyncClient,
    pages: list[tuple[str, str]],
    repeat: int,
    serve_pid: int,
) -> list[tuple[str, int, float, float, float]]:
    """Per page: name, HTTP status, median and worst ms, server CPU ms per request. Pages
    named ``htmx: …`` are asked as htmx asks for its partials."""
    results = []
    for name, path in pages:
        headers = {"HX-Request": "true"} if name.startswith("htmx:") else None
        answer = await client.get(path, headers=headers)  # warm: templates compiled, caches
        status = answer.status_code
        timings = []
        cpu_before = _process_tree_cpu(serve_pid)
        for _ in range(repeat):
            started = time.perf_counter()
            answer = await client.get(path, headers=headers)
            _ = answer.content
            timings.append((time.perf_counter() - started) * 1000)
        cpu = (_process_tree_cpu(serve_pid) - cpu_before) * 1000 / repeat
        results.append((name, status, statistics.median(timings), max(timings), cpu))
    return results


async def measure(database: Path, repeat: int, api_workers: int | None) -> None:
    directory = Path(tempfile.mkdtemp(prefix="console-bench-"))
    config = directory / "parcelsms.toml"
    config.write_text(CONFIG.format(database=database))
    connection = sqlite3.connect(database)
    (busy_account,) = connection.execute(
        "SELECT id FROM accounts WHERE name = ?", (BUSY_NAME,)
    ).fetchone()
    users = connection.execute(
        "SELECT count(*) FROM console_users WHERE email IN (?, ?)", (OWNER, OPERATOR)
    ).fetchone()[0]
    connection.close()
    if users == 0:
        _add_console_users(config, busy_account)
    arguments = [] if api_workers is None else ["--api-workers", str(api_workers)]
    serve = await start_serve(config, *arguments, timeout=180)
    try:
        results = []
        for email, pages in (
            (OWNER, _sender_pages(database, busy_account)),
            (OPERATOR, _operator_pages(busy_account)),
        ):
            async with httpx.AsyncClient(base_url=serve.base_url, timeout=60) as client:
                await _log_in(client, email)
                results += await _time_pages(client, pages, repeat, serve.process.pid)
        print(f"{'page':<34} {'status':>6} {'p50 ms':>8} {'max ms':>8} {'cpu ms':>7}")
        for name, status, median, worst, cpu in results:
            flag = "  SLOW" if median > TARGET_MS else ""
            print(f"{name:<34} {status:>6} {median:>8.1f} {worst:>8.1f} {cpu:>7.1f}{flag}")
    finally:
        await serve.stop()
        errors = serve.error_lines()
        if errors:
            print("\n".join(errors[-10:]), file=sys.stderr)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--api-workers", type=int, default=None)
    parser.add_argument("--db", type=Path, help="Keep the database here (reused when it exists).")
    options = parser.parse_args()
    directory = tempfile.TemporaryDirectory()
    database = (options.db or Path(directory.name) / "console.db").resolve()
    if database.exists():
        connection = sqlite3.connect(database)
        (count,) = connection.execute("SELECT count(*) FROM messages").fetchone()
        connection.close()
        print(f"reusing {database} ({count:,} messages)", file=sys.stderr)
    else:
        print(f"generating {options.messages:,} messages into {database}", file=sys.stderr)
        generate(database, options.messages, options.days, options.seed)
    asyncio.run(measure(database, options.repeat, options.api_workers))
    directory.cleanup()


if __name__ == "__main__":
    main()
