"""SQLite databases whose planner sees given ``ANALYZE`` statistics, for plan tests."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy.engine import Engine

from parcelsms.adapters.storage.engine.sqlite_engine import create_sqlite_engine


def with_statistics(url: str, statistics: Iterable[tuple[str, str, str]]) -> Engine:
    """An engine on the (migrated) database ``url`` whose ``sqlite_stat1`` holds exactly
    ``statistics`` (table, index, stat), as ``ANALYZE`` writes them."""
    engine = create_sqlite_engine(url)
    with engine.connect() as connection:
        connection.exec_driver_sql("ANALYZE")  # creates sqlite_stat1
        connection.exec_driver_sql("DELETE FROM sqlite_stat1")
        for row in statistics:
            connection.exec_driver_sql(
                "INSERT INTO sqlite_stat1 (tbl, idx, stat) VALUES (?, ?, ?)", row
            )
        connection.commit()
    engine.dispose()
    return create_sqlite_engine(url)  # new connections read the statistics
