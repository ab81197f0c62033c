"""The database figures of ``/metrics``, each read through an index (cheap at every scrape).

* the queue: ``messages (status, claim_token, next_attempt_at)``;
* the last 24 hours by status, country and channel: the report rollups' hour index;
* webhooks: ``webhook_outbox (status, next_attempt_at)``. A finished row's
  ``next_attempt_at`` is the end of the lease of its last attempt, so "finished in the last
  hour" is counted by it (off by at most one lease).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.engine import Connection

from parcelsms.adapters.storage.engine.schema.message_tables import IS_QUEUED, messages
from parcelsms.adapters.storage.engine.schema.report_tables import LATENCY_COLUMNS, report_rollups
from parcelsms.adapters.storage.engine.schema.webhook_tables import webhook_outbox
from parcelsms.domain.report_figures import hour_of
from parcelsms.pipeline.metrics_ports import PlatformFigures, RecentMessages

_r = report_rollups.c
_w = webhook_outbox.c


def _age(now: datetime, since: datetime | None) -> float | None:
    return None if since is None else max(0.0, (now - since).total_seconds())


# Counts next_attempt_at (never NULL) rather than rows: only the partial index of queued
# messages covers that column, so SQLite counts in it instead of scanning the message
# search's (account_id, status, id) index, which holds every message
# (tests/integration/storage/test_in_flight_index_plans.py).
QUEUE_DEPTH = select(func.count(messages.c.next_attempt_at)).where(IS_QUEUED)


def read_platform_figures(connection: Connection, now: datetime) -> PlatformFigures:
    queued = connection.execute(QUEUE_DEPTH).scalar_one()
    oldest_due = connection.execute(
        select(func.min(messages.c.next_attempt_at)).where(
            IS_QUEUED, messages.c.claim_token.is_(None)
        )
    ).scalar_one()
    messages_sum = func.sum(_r.messages)
    recent_rows = connection.execute(
        select(
            _r.status,
            _r.country,
            _r.channel,
            messages_sum.label("messages"),
            func.sum(_r.segments).label("segments"),
            *(func.sum(_r[name]).label(name) for name in LATENCY_COLUMNS),
        )
        .where(_r.hour >= hour_of(now - timedelta(hours=24)))
        .group_by(_r.status, _r.country, _r.channel)
        .having(messages_sum != 0)
    ).all()
    latency = [0] * len(LATENCY_COLUMNS)
    for row in recent_rows:
        for index, name in enumerate(LATENCY_COLUMNS):
            latency[index] += int(row._mapping[name])
    pending, oldest_webhook = connection.execute(
        select(func.count(), func.min(_w.next_attempt_at)).where(_w.status == "pending")
    ).one()
    finished = connection.execute(
        select(_w.status, func.count())
        .where(
            _w.status.in_(("delivered", "failed")), _w.next_attempt_at >= now - timedelta(hours=1)
        )
        .group_by(_w.status)
    ).all()
    return PlatformFigures(
        queued=int(queued),
        oldest_due_seconds=_age(now, oldest_due),
        recent=[
            RecentMessages(
                status=row.status,
                country=row.country,
                channel=row.channel,
                messages=int(row.messages),
                segments=int(row.segments),
            )
            for row in recent_rows
        ],
        delivery_latency=tuple(latency),
        webhooks_pending=int(pending),
        oldest_webhook_seconds=_age(now, oldest_webhook) if pending else None,
        webhooks_finished={"delivered": 0, "failed": 0} | {row[0]: int(row[1]) for row in finished},
    )
