"""What reports need from storage: sums of the rollups over hours, grouped.

Storage keeps the rollups (message counts per hour × account × country × channel ×
template × status, see :mod:`parcelsms.domain.report_figures`) in the transactions that
change messages; a report reads sums of them, never the message table.
"""

from __future__ import annotations

from typing import Literal, Protocol

import msgspec

Dimension = Literal["hour", "account", "country", "channel", "template"]
"""A rollup column a report can group by (besides status and currency, always kept)."""


class RollupQuery(msgspec.Struct, frozen=True, kw_only=True):
    """Sum the rollups of the hours ``[since_hour, until_hour)`` (hours since the epoch).

    ``account_id``: one account's rollups, or every account's with ``None`` (the operator).
    ``dimensions``: the columns to group by, besides status and currency. ``with_costs``:
    also price the segments that reached a carrier at the operator's channel costs.
    ``days_suffice``: an ``hour`` in the answer may be the first hour of its UTC day
    (the caller folds hours into UTC days or not at all), which lets storage read daily
    sums when the period is whole UTC days.
    """

    since_hour: int
    until_hour: int
    account_id: str | None
    dimensions: tuple[Dimension, ...]
    with_costs: bool = False
    days_suffice: bool = False


class RollupSum(msgspec.Struct, frozen=True, kw_only=True):
    """The sums of one group of rollup rows.

    ``group`` holds the values of the query's dimensions in its order (``hour`` an int,
    the others strings; '' for no channel or no template). ``latency`` is the delivered
    messages' time-to-delivery histogram. ``cost_micros`` (asked with ``with_costs``) is
    the channel cost of the segments that reached a carrier, ``None`` when a channel and
    country of the group has no cost set. Costs add up exactly per group and currency; per
    status only when the query has no dimensions (otherwise a group's cost may sit on one
    of its rows, 0 on the others).
    """

    group: tuple[int | str, ...]
    currency: str
    status: str
    messages: int
    segments: int
    charged_micros: int
    latency: tuple[int, ...]
    cost_micros: int | None = None


class ReportStore(Protocol):
    """Reads of the report rollups."""

    async def sum_rollups(self, query: RollupQuery) -> list[RollupSum]:
        """The rollups of ``query`` summed per group, status and currency (zero sums left out)."""
        ...

    async def rebuild_rollups(self) -> int:
        """Recompute every rollup from the messages (one transaction); returns the rows."""
        ...
