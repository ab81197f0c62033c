"""The in-process instruments (prometheus-client), one definition each.

With ``PROMETHEUS_MULTIPROC_DIR`` set in the environment **before** parcelsms starts, every
process writes its values to files there and whichever process answers ``/metrics``
aggregates them (prometheus-client's multiprocess mode): the pipeline process's channels
and writer are seen through an API process. Gauges then sum over live processes.
Without it, ``/metrics`` shows the answering process's own values.
"""

from __future__ import annotations

from typing import Final

from prometheus_client import Counter, Gauge, Histogram

SUBMIT_LATENCY: Final = Histogram(
    "parcelsms_submit_latency_seconds",
    "Time from a submit_sm on the wire to its response, per channel.",
    ["channel"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
)
SMPP_WINDOW_IN_USE: Final = Gauge(
    "parcelsms_smpp_window_in_use",
    "Requests in flight on a channel's bound sessions.",
    ["channel"],
    multiprocess_mode="livesum",
)
SMPP_WINDOW_SIZE: Final = Gauge(
    "parcelsms_smpp_window_size",
    "The window of a channel's bound sessions together.",
    ["channel"],
    multiprocess_mode="livesum",
)
SMPP_SESSIONS_BOUND: Final = Gauge(
    "parcelsms_smpp_sessions_bound",
    "Bound SMPP sessions per channel.",
    ["channel"],
    multiprocess_mode="livesum",
)
WRITER_FLUSHES: Final = Counter(
    "parcelsms_writer_flushes", "Transactions committed by the storage writer (group commits)."
)
WRITER_ITEMS: Final = Counter(
    "parcelsms_writer_items",
    "Items committed by the storage writer; items / flushes is the mean batch size.",
)
WRITER_LARGEST_BATCH: Final = Gauge(
    "parcelsms_writer_largest_batch",
    "The largest batch the storage writer committed since the process started.",
    multiprocess_mode="max",
)
WORKER_CLAIMED: Final = Counter(
    "parcelsms_worker_claimed",
    "Items a queue worker claimed (dispatcher: messages; webhooks: outbox rows).",
    ["worker"],
)
WORKER_WAITING_SECONDS: Final = Counter(
    "parcelsms_worker_waiting_seconds",
    "Seconds a queue worker spent waiting, by what it waited on: claim (its claim "
    "transactions: the storage), full (max in flight reached) or idle (nothing to claim).",
    ["worker", "on"],
)
WORKER_IN_FLIGHT: Final = Gauge(
    "parcelsms_worker_in_flight",
    "Items a queue worker holds: working (being sent) or recording (results waiting for "
    "their commit).",
    ["worker", "stage"],
    multiprocess_mode="livesum",
)
