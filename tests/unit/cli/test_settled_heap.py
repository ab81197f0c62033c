"""A started process sets its start-up heap aside from the garbage collector."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from parcelsms.cli.serve_roles import GC_THRESHOLDS, settle_the_heap


@pytest.fixture
def restored_collector() -> Iterator[None]:
    thresholds = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*thresholds)


@pytest.mark.usefixtures("restored_collector")
def test_settling_freezes_what_start_up_made_and_collects_the_young_less_often() -> None:
    made_at_start_up = [{"cached": index} for index in range(1_000)]

    settle_the_heap()

    assert gc.get_freeze_count() >= len(made_at_start_up)
    assert gc.get_threshold() == GC_THRESHOLDS
    assert GC_THRESHOLDS[0] > 700  # fewer young collections than Python's default


@pytest.mark.usefixtures("restored_collector")
def test_objects_made_after_settling_are_still_collected() -> None:
    settle_the_heap()

    class Cycle:
        partner: object

    first, second = Cycle(), Cycle()
    first.partner, second.partner = second, first
    del first, second
    assert gc.collect() >= 2  # a cycle made after start-up is found and freed
