"""CHECK conditions that stay cheap on the rows written for every message.

A column limited to a few words (a message's status, a ledger row's kind) reads most
naturally as ``status IN ('queued', 'submitted', ...)``. SQLite evaluates such a list of more
than two constants through a small temporary index that it builds once per run of the
statement, and a statement run through ``executemany`` runs once per row: the index is built
again for every row inserted, and for every row whose checked column an UPDATE changes.

Measured on the 2-core machine (2026-12-07, SQLite 3.40, 20,000 rows in transactions of 100,
CPU per row): inserting a message row 31 → 19 µs with its two checks written as comparisons,
changing its status 9.0 → 5.5 µs, inserting a ledger row 15.8 → 9.6 µs and a webhook outbox
row 16.2 → 12.0 µs. A message writes one message row, two ledger rows and an outbox row, and
changes its status twice: about 40 µs of the write lock per message.

:func:`one_of` writes the same condition as comparisons joined by ``OR``, which SQLite
evaluates in place. It means the same on every backend, NULL included (a NULL column passes
both forms, as a CHECK that is not false passes). Tables written rarely keep ``IN``.
"""

from __future__ import annotations

from collections.abc import Sequence


def one_of(column: str, values: Sequence[str]) -> str:
    """The CHECK condition "``column`` is one of ``values``", as ``OR``-ed comparisons."""
    if not values:
        raise ValueError("one_of needs at least one value")
    for value in values:
        if "'" in value:
            raise ValueError(f"a value with a quote cannot be written into a check: {value!r}")
    return " OR ".join(f"{column} = '{value}'" for value in values)
