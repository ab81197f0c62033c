"""No garbage collection while a process holds the database's write turn.

Python's cyclic garbage collector runs when enough objects have been allocated since the
last collection, in whichever thread allocates next. A write transaction allocates a great
deal (rows, states, events, payloads), so collections landed inside it: in 20,000 messages of
``bench/storage_cycle.py``, 140 collections and 0.2 s, about 6 % of the time the writer thread
held the write turn; on SQLite every other process waits out that time. The collections are not
needed there: what a transaction allocates is freed by reference counting, and a collection
right after the commit finds the same garbage.

:func:`collections_held_back` switches automatic collection off for the span it guards and
back on when the last such span of the process ends (two threads of a process may write two
databases at once: the collector is switched on again only when neither does). It never
switches on a collector that was off when the first span began (a test or an embedding
application that turned it off keeps it off). The work of the collector is not skipped, only
moved: the allocations counted meanwhile start a collection at the next allocation after the
span, outside the turn.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_guard = threading.Lock()
_spans = 0
_switch_back_on = False


@contextmanager
def collections_held_back() -> Iterator[None]:
    """Guard a span of work from automatic garbage collection (see the module)."""
    global _spans, _switch_back_on
    with _guard:
        if _spans == 0:
            _switch_back_on = gc.isenabled()
            gc.disable()
        _spans += 1
    try:
        yield
    finally:
        with _guard:
            _spans -= 1
            if _spans == 0 and _switch_back_on:
                gc.enable()
