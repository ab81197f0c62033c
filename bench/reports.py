"""Report benchmark: 30-day summaries over a generated 10-million-message history.

The history is written straight into the report rollups (``report_rollups``), the table the
reports read, in the shape the platform's transactions leave it: per hour, one busy sender
(and a few small ones) sending to countries with a skewed mix, over three channels and
several templates, with mostly delivered messages and their time-to-delivery histogram.
The daily sums (``report_daily``), hour totals (``report_hours``) and the segments that
reached a carrier (``report_carrier_hours``, ``report_carrier_days``) are derived from those
rows as the writer derives them.
The message table itself is left empty: no report reads it (the property test
``tests/integration/storage/test_report_rollup_properties.py`` shows the rollups equal a
direct count over it), and writing 10M message rows would measure the generator.

Then each report is asked ``--repeat`` times through the real use case and storage
(``Reports.summary`` on the SQL store's reader pool) and the median and worst times are
printed (``sender/tz``: days of Europe/Berlin). ``sender/part country`` covers 30 days
that do not start at midnight UTC, so it reads the full hourly rollups. The target
(issue 13): a 30-day report over 10M messages in under 200 ms.

    python bench/reports.py [--messages 10000000] [--days 30] [--repeat 7] [--keep PATH]

``--keep PATH`` keeps the generated database; a later run given the same path measures it
again without generating (after upgrading it, as the platform would).
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from parcelsms.adapters.storage.engine.schema.report_tables import LATENCY_COLUMNS
from parcelsms.adapters.storage.reports.rollup_rows import (
    CARRIER_DAYS_COLUMNS,
    CARRIER_HOURS_COLUMNS,
    COUNT_COLUMNS,
    DAILY_COLUMNS,
    HOURS_COLUMNS,
    carrier_days_key,
    carrier_hours_key,
    daily_keys,
    hours_keys,
    reached_carrier,
)
from parcelsms.adapters.storage.sql_storage import open_storage
from parcelsms.domain.report_figures import LATENCY_BUCKETS, hour_of
from parcelsms.pipeline.reports import (
    OPERATOR_GROUPINGS,
    SENDER_GROUPINGS,
    GroupBy,
    ReportRequest,
    Reports,
)
from parcelsms.pipeline.webhook_policy import StatusWebhookPolicy

COUNTRIES = [
    ("US", 30), ("GB", 14), ("DE", 10), ("FR", 8), ("ES", 6), ("IT", 5), ("NL", 4),
    ("CA", 4), ("AU", 3), ("PL", 2), ("SE", 2), ("BR", 2), ("MX", 2), ("JP", 1.5),
    ("KR", 1), ("IN", 1), ("AE", 1), ("SG", 1), ("CH", 1), ("BE", 1), ("AT", 0.8),
    ("IE", 0.8), ("PT", 0.6), ("DK", 0.5), ("NO", 0.5), ("FI", 0.4), ("CZ", 0.4),
    ("GR", 0.3), ("NZ", 0.3), ("IL", 0.3),
]  # fmt: skip
CHANNELS = [("eu-carrier", 5), ("us-carrier", 4), ("backup", 1)]
TEMPLATES = [
    (f"tpl_01JBENCH{index:018d}", weight)
    for index, weight in enumerate((40, 25, 15, 8, 5, 4, 2, 1))
]
STATUSES = [
    ("delivered", 92), ("undelivered", 3), ("expired", 1.5), ("rejected", 1), ("failed", 1.5),
    ("submitted", 1),
]  # fmt: skip
LATENCY_WEIGHTS = [1, 3, 20, 30, 18, 12, 8, 4, 2, 1, 0.5, 0.3, 0.1, 0.05, 0.03, 0.02]
PRICE = 40_000
BUSY = "acc_01JBENCHBUSYSENDER00000000"
SMALL = [f"acc_01JBENCHSMALLSENDER{index:07d}" for index in range(9)]


def _keys() -> tuple[list[tuple[str, str, str, str]], list[float]]:
    keys, weights = [], []
    for country, country_weight in COUNTRIES:
        for channel, channel_weight in CHANNELS:
            for template, template_weight in TEMPLATES:
                for status, status_weight in STATUSES:
                    keys.append((country, channel, template, status))
                    weights.append(
                        country_weight * channel_weight * template_weight * status_weight
                    )
    return keys, weights


def generate(path: Path, messages: int, days: int, end_hour: int, seed: int) -> int:
    """Write the rollups of ``messages`` messages over ``days`` days; returns the rows."""
    random_source = random.Random(seed)
    keys, weights = _keys()
    cumulative = list(_accumulate(weights))
    hours = days * 24
    per_hour = messages // hours
    columns = (
        "hour, account_id, currency, country, channel, template_id, status, messages, "
        "segments, charged_micros, " + ", ".join(LATENCY_COLUMNS)
    )
    marks = ", ".join("?" * (10 + LATENCY_BUCKETS))
    insert = f"INSERT INTO report_rollups ({columns}) VALUES ({marks})"  # noqa: S608
    daily_columns = ", ".join((*DAILY_COLUMNS, *COUNT_COLUMNS))
    daily_marks = ", ".join("?" * (len(DAILY_COLUMNS) + len(COUNT_COLUMNS)))
    insert_daily = f"INSERT INTO report_daily ({daily_columns}) VALUES ({daily_marks})"  # noqa: S608
    daily: dict[tuple[object, ...], list[int]] = {}
    hours_columns = ", ".join((*HOURS_COLUMNS, *COUNT_COLUMNS))
    hours_marks = ", ".join("?" * (len(HOURS_COLUMNS) + len(COUNT_COLUMNS)))
    insert_hours = f"INSERT INTO report_hours ({hours_columns}) VALUES ({hours_marks})"  # noqa: S608
    carrier_days: dict[tuple[object, ...], list[int]] = {}
    insert_carrier_hours = (
        f"INSERT INTO report_carrier_hours ({', '.join(CARRIER_HOURS_COLUMNS)}, segments) "  # noqa: S608
        "VALUES (?, ?, ?, ?, ?)"
    )
    insert_carrier_days = (
        f"INSERT INTO report_carrier_days ({', '.join(CARRIER_DAYS_COLUMNS)}, segments) "  # noqa: S608
        "VALUES (?, ?, ?, ?, ?, ?)"
    )
    written = 0
    connection = sqlite3.connect(path)
    connection.execute("PRAGMA synchronous = OFF")
    for hour in range(end_hour - hours, end_hour):
        rows = []
        # Nine tenths of the traffic is the busy sender's, the rest spread over small ones.
        shares = [(BUSY, per_hour * 9 // 10)] + [
            (account, per_hour // 10 // len(SMALL)) for account in SMALL
        ]
        for account, count in shares:
            drawn = Counter(random_source.choices(keys, cum_weights=cumulative, k=count))
            for (country, channel, template, status), number in drawn.items():
                histogram = [0] * LATENCY_BUCKETS
                if status == "delivered":
                    for bucket, n in Counter(
                        random_source.choices(range(LATENCY_BUCKETS), LATENCY_WEIGHTS, k=number)
                    ).items():
                        histogram[bucket] = n
                charged = 0 if status == "failed" else PRICE * number
                rows.append(
                    (hour, account, "EUR", country, channel, template, status, number,
                     number, charged, *histogram)
                )  # fmt: skip
        connection.executemany(insert, rows)
        written += len(rows)
        # The daily sums, hour totals and carrier segments, as RollupDeltas.write keeps them.
        hours: dict[tuple[object, ...], list[int]] = {}
        carrier_hours: dict[tuple[object, ...], list[int]] = {}
        for row in rows:
            slices = [*((k, daily) for k in daily_keys(row[:7])),
                      *((k, hours) for k in hours_keys(row[:7]))]  # fmt: skip
            if reached_carrier(row[6], row[4]):
                slices += [(carrier_hours_key(row[:7])[0], carrier_hours),
                           (carrier_days_key(row[:7])[0], carrier_days)]  # fmt: skip
            for key, into in slices:
                total = into.setdefault(key, [0] * len(COUNT_COLUMNS))
                for index, count in enumerate(row[7:]):
                    total[index] += count
        connection.executemany(insert_hours, [(*k, *v) for k, v in hours.items()])
        connection.executemany(insert_carrier_hours, [(*k, v[1]) for k, v in carrier_hours.items()])
        if hour % 24 == 23:
            connection.executemany(insert_daily, [(*k, *v) for k, v in daily.items()])
            connection.executemany(
                insert_carrier_days, [(*k, v[1]) for k, v in carrier_days.items()]
            )
            daily, carrier_days = {}, {}
    connection.executemany(insert_daily, [(*k, *v) for k, v in daily.items()])
    connection.executemany(insert_carrier_days, [(*k, v[1]) for k, v in carrier_days.items()])
    connection.commit()
    connection.execute("ANALYZE")
    connection.close()
    return written


def _accumulate(weights: list[float]) -> list[float]:
    total, out = 0.0, []
    for weight in weights:
        total += weight
        out.append(total)
    return out


async def measure(path: Path, end: datetime, days: int, repeat: int) -> None:
    storage = await open_storage(
        f"sqlite:///{path}", webhook_policy=StatusWebhookPolicy(str), pepper=b"bench"
    )
    reports = Reports(storage.reports)
    since = end - timedelta(days=days)
    cases: list[tuple[str, str | None, bool, GroupBy]] = [
        *(("sender", BUSY, False, group_by) for group_by in SENDER_GROUPINGS),
        ("sender/tz", BUSY, False, "day"),
        ("sender/part", BUSY, False, "country"),
        ("sender/part", BUSY, False, "template"),
        *(("operator", None, True, group_by) for group_by in OPERATOR_GROUPINGS),
        ("operator/tz", None, True, "day"),
        ("operator/part", None, True, "template"),
    ]
    try:
        print(f"{'report':<13} {'group_by':<9} {'groups':>6} {'messages':>10} "
              f"{'median ms':>9} {'worst ms':>8} {'cpu ms':>6}")  # fmt: skip
        for reader, account_id, operator, group_by in cases:
            shift = timedelta(hours=1) if reader.endswith("/part") else timedelta(0)
            request = ReportRequest(
                since=since - shift,
                until=end - shift,
                group_by=group_by,
                account_id=account_id,
                operator=operator,
                time_zone=ZoneInfo("Europe/Berlin" if reader.endswith("/tz") else "UTC"),
            )
            timings, cpu = [], []
            report = None
            for _ in range(repeat):
                started, started_cpu = time.perf_counter(), time.process_time()
                report = await reports.summary(request)
                timings.append((time.perf_counter() - started) * 1000)
                cpu.append((time.process_time() - started_cpu) * 1000)
            assert report is not None
            total = sum(group.figures.messages for group in report.totals)
            print(
                f"{reader:<13} {group_by:<9} {len(report.groups):>6} {total:>10} "
                f"{statistics.median(timings):>9.1f} {max(timings):>8.1f} "
                f"{statistics.median(cpu):>6.1f}"
            )
    finally:
        await storage.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=10_000_000)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument(
        "--keep", type=Path, help="Write the database here (kept; reused when it exists)."
    )
    options = parser.parse_args()
    directory = tempfile.TemporaryDirectory()
    path = options.keep or Path(directory.name) / "reports.db"
    # The last whole UTC days: what a dashboard's "30 days" asks for.
    end = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)

    async def migrate_only() -> None:
        storage = await open_storage(
            f"sqlite:///{path}", webhook_policy=StatusWebhookPolicy(str), pepper=b"bench"
        )
        await storage.close()

    asyncio.run(migrate_only())
    connection = sqlite3.connect(path)
    (last_hour,) = connection.execute("SELECT max(hour) FROM report_hours").fetchone()
    connection.close()
    if last_hour is not None:
        # A database kept by an earlier run: measure its history again.
        end = datetime.fromtimestamp((last_hour + 1) * 3600, UTC)
        print(f"reusing {path} (history up to {end:%Y-%m-%d %H:%M} UTC)", file=sys.stderr)
    else:
        started = time.perf_counter()
        rows = generate(path, options.messages, options.days, hour_of(end), options.seed)
        print(
            f"generated {options.messages:,} messages over {options.days} days as {rows:,} "
            f"rollup rows in {time.perf_counter() - started:.0f} s "
            f"({path.stat().st_size / 1e6:.0f} MB)",
            file=sys.stderr,
        )
    asyncio.run(measure(path, end, options.days, options.repeat))
    directory.cleanup()


if __name__ == "__main__":
    main()
