"""The id floor the limit counters are seeded with: ids made since a moment sort after it."""

from __future__ import annotations

import time

from parcelsms.domain.ids import first_id_at, is_valid_id, new_id


def test_ids_made_after_a_moment_sort_at_or_after_its_floor_and_before_a_later_one() -> None:
    now_ms = time.time_ns() // 1_000_000
    made = new_id("msg")

    assert first_id_at("msg", now_ms - 1_000) <= made < first_id_at("msg", now_ms + 1_000)


def test_the_floor_is_a_well_formed_id() -> None:
    assert is_valid_id(first_id_at("msg", 0), "msg")
    assert first_id_at("msg", -5) == first_id_at("msg", 0)
