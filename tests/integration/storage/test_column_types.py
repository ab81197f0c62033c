"""UTC times as SQLite text: the spelling every timestamp column is written in, and back."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import Column, MetaData, Table, create_engine, insert, select

from parcelsms.adapters.storage.engine.schema.column_types import (
    UtcDateTime,
    sqlite_datetime,
    sqlite_text,
)

_OFFSETS = st.builds(
    timezone, st.timedeltas(min_value=timedelta(hours=-23), max_value=timedelta(hours=23))
)
AWARE = st.datetimes(
    min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31), timezones=st.just(UTC)
) | st.datetimes(min_value=datetime(2, 1, 1), max_value=datetime(9999, 12, 30), timezones=_OFFSETS)


@given(AWARE)
def test_a_time_is_written_as_isoformat_writes_its_naive_utc(moment: datetime) -> None:
    expected = moment.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")
    assert sqlite_text(moment) == expected
    assert sqlite_datetime(sqlite_text(moment)) == moment


def test_a_naive_time_is_refused_and_none_is_null() -> None:
    with pytest.raises(ValueError, match="naive"):
        sqlite_text(datetime(2030, 1, 1, 12, 0))
    assert sqlite_text(None) is None


def test_times_go_through_a_sqlite_file_and_sort_as_times(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'times.db'}")
    table = Table("times", MetaData(), Column("at", UtcDateTime()))
    table.metadata.create_all(engine)
    moments = [
        datetime(2030, 1, 1, 12, 0, tzinfo=UTC),
        datetime(2030, 1, 1, 12, 0, 0, 1, tzinfo=UTC),
        datetime(2030, 1, 1, 13, 30, tzinfo=timezone(timedelta(hours=2))),  # 11:30 UTC
        datetime(2029, 12, 31, 23, 59, 59, 999_999, tzinfo=UTC),
    ]
    with engine.begin() as connection:
        connection.execute(insert(table), [{"at": moment} for moment in moments])
        read = connection.execute(select(table.c.at).order_by(table.c.at)).scalars().all()
    engine.dispose()
    assert read == sorted(moments)
    assert all(moment.tzinfo is UTC for moment in read)
