"""Who gets a core first on a busy machine: the database writer, then the event loops.

On SQLite every parcelsms process writes in turn (:mod:`parcelsms.adapters.storage.engine.
write_lock`): while one writer thread holds the turn, the writers of all other processes wait.
Measured on 2 cores with ``bench/throughput.py`` (2026-12-05), a writer holding the turn spent a
quarter (batch API) to a third (single-message API) of that time ready to run but waiting for a
core. Linux's fair scheduler lets a thread that wakes up — an event loop with a request or an
SMPP PDU to read — take the core from a thread that has been running for a while, and the
writer, which runs in long stretches, is the one that loses it.

So the event loop threads of ``parcelsms serve`` run under ``SCHED_BATCH``
(:func:`run_as_batch`) and the database writer thread under the normal policy
(:func:`run_as_normal`, see :mod:`parcelsms.adapters.storage.engine.database`). A batch thread
keeps its full share of the CPU (same nice value, same weight: unlike a lower priority it
starves nothing), but when it wakes up it does not preempt the thread that is running; it waits
for that thread's slice to end. A writer that wakes up (its turn came) still preempts an event
loop. Threads inherit the policy of the thread that starts them, so reader threads, the WAL
checkpointer and the supervisor's children start as batch too; only the writer switches back.

Any user may move its own threads between these two policies: no privilege is needed. A thread
that runs under another policy (an operator's ``chrt``) is left as it is, and elsewhere than
Linux nothing changes. Written here because no library does it: ``os.sched_setscheduler`` is
the whole mechanism.
"""

from __future__ import annotations

import os

_BATCH: int | None = getattr(os, "SCHED_BATCH", None)
_NORMAL: int | None = getattr(os, "SCHED_OTHER", None)


def _switch(current: int | None, wanted: int | None) -> bool:
    """Move the calling thread from policy ``current`` to ``wanted``; True when it did."""
    if current is None or wanted is None:
        return False
    try:
        if os.sched_getscheduler(0) != current:
            return False
        os.sched_setscheduler(0, wanted, os.sched_param(0))
    except OSError:  # a sandbox that forbids it: scheduling stays as it was
        return False
    return True


def run_as_batch() -> bool:
    """Run the calling thread (and the threads it starts from now on) as ``SCHED_BATCH``.

    Only from the normal policy. Returns True when the thread was moved."""
    return _switch(_NORMAL, _BATCH)


def run_as_normal() -> bool:
    """Move the calling thread back from ``SCHED_BATCH`` to the normal policy.

    Returns True when the thread was moved (it had been started by a batch thread)."""
    return _switch(_BATCH, _NORMAL)
