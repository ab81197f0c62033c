"""The daily thresholds, counted and decided inside the accept transaction.

Items carrying a :class:`~parcelsms.domain.daily_rule.DailyRule` (a sender's messages to an
account with a daily limit; others carry none, cost nothing here and are not counted) are
checked against the day's use of their account as the database holds it — written by every
process, read under the engine's single write lock — plus the items accepted before them in
the same group. One statement reads the group's accounts' rows for the day; one upsert adds
the group's use at its end. A row missing for the day (the account's first limited message
today, or its limits were just changed: :func:`restart_day_usage`) is started from the day's
stored messages and warnings, so nothing sent earlier — while no limit counted — is forgotten.

Warnings: when the day's use reaches the rule's warning level of a limit whose warning the row
has not recorded, the ``account.threshold_warning`` event is written in the same transaction
and the row remembers it — so each limit warns exactly once per account and day, whichever
process accepted the message.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from parcelsms.adapters.storage.billing.notification_rows import write_account_events
from parcelsms.adapters.storage.engine.query_results import run_query
from parcelsms.adapters.storage.engine.schema.billing_tables import notifications
from parcelsms.adapters.storage.engine.schema.message_tables import messages
from parcelsms.adapters.storage.engine.schema.shared_limit_tables import account_day_usage
from parcelsms.domain.account_events import THRESHOLD_WARNING, AccountEvent, threshold_warning
from parcelsms.domain.daily_rule import daily_refusal, utc_day, warnings_due
from parcelsms.domain.ids import first_id_at, new_id_at
from parcelsms.errors import CatalogueError
from parcelsms.pipeline.message_ports import NewMessage

# Ids carry their creation time; a little margin for clocks of other processes.
_ID_CLOCK_MARGIN_MS = 60_000


@dataclass(slots=True)
class _Day:
    messages: int
    spend: int
    warned_messages: bool
    warned_spend: bool
    stored: bool  # the row exists (else it is inserted)
    added_messages: int = 0
    added_spend: int = 0
    warned_changed: bool = False


class DailyUsageCounts:
    """The day's use per account of the group's items that carry a daily rule."""

    def __init__(self, day: int, days: dict[str, _Day], now: datetime) -> None:
        self._day = day
        self._days = days
        self._now = now
        self._events: list[AccountEvent] = []

    @classmethod
    def load(
        cls, connection: Connection, items: list[NewMessage], now: datetime
    ) -> DailyUsageCounts:
        """One query for the accounts whose items carry a rule (none when no item does)."""
        day = utc_day(now)
        accounts = sorted({item.account_id for item in items if item.daily_rule is not None})
        days: dict[str, _Day] = {}
        if not accounts:
            return cls(day, days, now)
        rows = run_query(
            connection,
            select(account_day_usage).where(
                account_day_usage.c.account_id.in_(accounts), account_day_usage.c.day == day
            ),
        )
        for row in rows:
            days[row.account_id] = _Day(
                messages=row.messages,
                spend=row.spend_micros,
                warned_messages=bool(row.warned_messages),
                warned_spend=bool(row.warned_spend),
                stored=True,
            )
        missing = [account_id for account_id in accounts if account_id not in days]
        if missing:
            days.update(_started_from_messages(connection, missing, now))
        return cls(day, days, now)

    def refusal(self, item: NewMessage) -> CatalogueError | None:
        """``daily_limit_reached`` when ``item`` would pass its account's daily limit."""
        rule = item.daily_rule
        if rule is None:
            return None
        used = self._days[item.account_id]
        return daily_refusal(
            rule, used.messages, used.spend, item.price_micros, item.currency, self._now
        )

    def add(self, item: NewMessage, charged_micros: int) -> None:
        """Count the accepted ``item`` (``charged_micros``: 0 when a package paid); record a
        warning when it brings the day's use to a limit's warning level."""
        rule = item.daily_rule
        if rule is None:
            return
        used = self._days[item.account_id]
        used.messages += 1
        used.spend += charged_micros
        used.added_messages += 1
        used.added_spend += charged_micros
        for name, amount, limit in warnings_due(rule, used.messages, used.spend):
            if name == "daily_messages":
                if used.warned_messages:
                    continue
                used.warned_messages = True
            else:
                if used.warned_spend:
                    continue
                used.warned_spend = True
            used.warned_changed = True
            self._events.append(
                threshold_warning(
                    new_id_at("evt", self._now),
                    item.account_id,
                    limit=name,
                    used=amount,
                    limit_value=limit,
                    percent=rule.warning_percent,
                    currency=item.currency,
                    day=self._now.astimezone(UTC).date().isoformat(),
                    at=self._now,
                )
            )

    def write(self, connection: Connection) -> None:
        """Add the group's use to the day's rows and write the warnings it reached."""
        rows = [
            {
                "account_id": account_id,
                "day": self._day,
                # A new row holds the whole day so far (started from the stored messages).
                "messages": used.added_messages if used.stored else used.messages,
                "spend_micros": used.added_spend if used.stored else used.spend,
                "warned_messages": used.warned_messages,
                "warned_spend": used.warned_spend,
            }
            for account_id, used in self._days.items()
            if used.added_messages or used.warned_changed or not used.stored
        ]
        if rows:
            insert = postgresql.insert if connection.dialect.name == "postgresql" else sqlite.insert
            statement = insert(account_day_usage)
            # Added, not set: the row may only have been read (the write lock makes the two
            # the same, and adding stays right even where a writer did not hold it).
            connection.execute(
                statement.on_conflict_do_update(
                    index_elements=[account_day_usage.c.account_id, account_day_usage.c.day],
                    set_={
                        "messages": account_day_usage.c.messages + statement.excluded.messages,
                        "spend_micros": account_day_usage.c.spend_micros
                        + statement.excluded.spend_micros,
                        "warned_messages": statement.excluded.warned_messages,
                        "warned_spend": statement.excluded.warned_spend,
                    },
                ),
                rows,
            )
        write_account_events(connection, self._events)
        self._events = []


def restart_day_usage(connection: Connection, account_id: str) -> None:
    """Forget ``account_id``'s counters (call when its limits change): its next limited
    message starts the day again from the stored messages and warnings, so a limit set,
    lifted and set again counts what was sent while it was lifted."""
    connection.execute(
        account_day_usage.delete().where(account_day_usage.c.account_id == account_id)
    )


def _started_from_messages(
    connection: Connection, account_ids: list[str], now: datetime
) -> dict[str, _Day]:
    """The day so far of accounts without a row: their messages stored since midnight UTC
    (through the ``(account_id, id)`` index) and the warnings already recorded today."""
    midnight = now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    since_ms = int(midnight.timestamp() * 1000) - _ID_CLOCK_MARGIN_MS
    since_id = first_id_at("msg", since_ms)
    days = {
        account_id: _Day(
            messages=0, spend=0, warned_messages=False, warned_spend=False, stored=False
        )
        for account_id in account_ids
    }
    for account_id, count, spend in run_query(
        connection,
        select(
            messages.c.account_id,
            func.count(),
            func.coalesce(func.sum(messages.c.price_micros), 0),
        )
        .where(
            messages.c.account_id.in_(account_ids),
            messages.c.id >= since_id,
            messages.c.created_at >= midnight,
        )
        .group_by(messages.c.account_id),
    ):
        days[account_id].messages = int(count)
        days[account_id].spend = int(spend)
    warned = run_query(
        connection,
        select(notifications.c.account_id, notifications.c.data).where(
            notifications.c.account_id.in_(account_ids),
            notifications.c.id >= first_id_at("evt", since_ms),
            notifications.c.kind == THRESHOLD_WARNING,
            notifications.c.created_at >= midnight,
            notifications.c.created_at < midnight + timedelta(days=1),
        ),
    )
    for account_id, data in warned:
        limit = data.get("limit") if isinstance(data, dict) else None
        if limit == "daily_messages":
            days[account_id].warned_messages = True
        elif limit == "daily_spend":
            days[account_id].warned_spend = True
    return days
