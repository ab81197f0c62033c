"""The receipt step: between the carrier channels and storage, it says which submission a
receipt belongs to while the channel still remembers.

Channels report two things, both stamped as they come off the wire on one clock that
never goes backwards: every accepted submit response (:meth:`ReceiptCorrelator.responded`,
called synchronously before the channel's send returns, so a receipt can never be seen
before the response that precedes it on the wire), and every receipt
(:meth:`ReceiptCorrelator.received`). For each channel the correlator keeps the responses
of the last ``memory_seconds`` by key. A receipt then names its submission exactly — the
latest response with its id before it, while that submission is still open — and storage
applies it to that part whatever order the writer records things in. What the memory cannot
decide (a receipt for an older submission, one written before its response, a duplicate)
goes to storage without a submission, where
:func:`parcelsms.domain.receipt_correlation.choose_part` decides once the facts are in.

Ids are read as the channel's ``message_id_format`` says; with ``auto`` the reading is
learned (:class:`~parcelsms.domain.receipt_correlation.IdFormatLearner`) and, until then, a
receipt is placed only when its own writing and every other possible reading agree on one
submission. A receipt that is ambiguous waits in storage until the reading is learned.

:meth:`ReceiptCorrelator.run` sweeps the pending receipts every ``sweep_seconds``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import msgspec

from parcelsms.domain.receipt_correlation import (
    IdFormatLearner,
    MessageIdFormat,
    Reading,
    reading_for_format,
    receipt_key,
)
from parcelsms.pipeline.receipt_ports import ReceiptRecord, ReceiptStore
from parcelsms.protocol.smpp.message_id import exact_key

_log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ReceiptSettings:
    """``early_window``: how long after a receipt its response may still come (also the
    storage's). ``pending_ttl``: how long an unplaced receipt waits before it is set aside.
    ``memory_seconds`` / ``memory_entries``: how much response history each channel keeps."""

    early_window: timedelta = timedelta(seconds=5)
    pending_ttl: timedelta = timedelta(hours=72)
    memory_seconds: float = 120.0
    memory_entries: int = 500_000
    sweep_seconds: float = 1.0


@dataclass(init=False, slots=True, eq=False)
class _Response:
    at_us: int
    key: str
    final: bool = False

    # Written out, not the dataclass's: compiled (parcelsms.compiled_modules).
    def __init__(
        self,
        at_us: int,
        key: str,
        final: bool = False,
    ) -> None:
        self.at_us = at_us
        self.key = key
        self.final = final


@dataclass(slots=True)
class _EarlyReceipt:
    received_at_us: int
    final: bool


@dataclass(slots=True)
class _ChannelMemory:
    """Recent responses of one channel by exact key, oldest first; and the receipts no open
    response claimed, which a response soon after may own."""

    by_key: dict[str, list[_Response]] = field(default_factory=dict)
    order: deque[_Response] = field(default_factory=deque)
    early: dict[str, deque[_EarlyReceipt]] = field(default_factory=dict)

    def remember_early(self, key: str, receipt: _EarlyReceipt) -> None:
        self.early.setdefault(key, deque()).append(receipt)

    def claim_early(self, response: _Response, window_us: int) -> None:
        """A response owns the first unclaimed receipt with its id written within the early
        window before it (storage applies the same rule: ``choose_part``)."""
        waiting = self.early.get(response.key)
        if not waiting:
            return
        while waiting and waiting[0].received_at_us < response.at_us - window_us:
            waiting.popleft()
        if waiting:
            response.final = response.final or waiting.popleft().final
        if not waiting:
            del self.early[response.key]

    def add(self, response: _Response) -> None:
        self.order.append(response)
        self.by_key.setdefault(response.key, []).append(response)

    def forget_before(self, horizon_us: int, max_entries: int) -> None:
        order = self.order
        while order and (order[0].at_us < horizon_us or len(order) > max_entries):
            old = order.popleft()
            entries = self.by_key.get(old.key)
            if entries is not None:
                entries.remove(old)
                if not entries:
                    del self.by_key[old.key]

    def latest_before(self, key: str, at_us: int) -> _Response | None:
        best = None
        for response in self.by_key.get(key, ()):
            if response.at_us <= at_us and (best is None or response.at_us > best.at_us):
                best = response
        return best


def _microseconds_now() -> int:
    return time.time_ns() // 1_000


class ReceiptCorrelator:
    """Stamps responses and receipts and places receipts (see the module docstring)."""

    def __init__(
        self,
        store: ReceiptStore,
        formats: Mapping[str, MessageIdFormat],
        settings: ReceiptSettings | None = None,
        *,
        wire_clock: Callable[[], int] | None = None,
    ) -> None:
        self._store = store
        self._wire_clock = wire_clock or _microseconds_now
        self._settings = settings or ReceiptSettings()
        self._readings: dict[str, Reading] = {}
        self._learners: dict[str, IdFormatLearner] = {}
        for channel, id_format in formats.items():
            reading = reading_for_format(id_format)
            if reading is not None:
                self._readings[channel] = reading
        self._window_us = self._settings.early_window // timedelta(microseconds=1)
        self._memories: dict[str, _ChannelMemory] = {}
        self._last_us = 0
        self._tasks: set[asyncio.Task[None]] = set()
        # Receipts placed exactly, left to storage's rule, waiting for the format; and those
        # set aside as unmatched (the metric an operator watches; issue 13 exports it).
        self.counts: dict[str, int] = {
            "targeted": 0,
            "untargeted": 0,
            "awaiting_format": 0,
            "unmatched": 0,
        }

    async def load(self) -> None:
        """Take the readings learned in earlier runs (configured formats win)."""
        for channel, reading in (await self._store.channel_readings()).items():
            self._readings.setdefault(channel, reading)

    def wire_time(self) -> int:
        """Now, in microseconds since the epoch, strictly after every earlier stamp."""
        now = self._wire_clock()
        self._last_us = now = max(now, self._last_us + 1)
        return now

    def _memory(self, channel: str) -> _ChannelMemory:
        memory = self._memories.get(channel)
        if memory is None:
            memory = self._memories[channel] = _ChannelMemory()
        return memory

    def _learner(self, channel: str) -> IdFormatLearner | None:
        if channel in self._readings:
            return None
        learner = self._learners.get(channel)
        if learner is None:
            learner = self._learners[channel] = IdFormatLearner()
        return learner

    # ---- what channels report ----------------------------------------------------------

    def responded(self, channel: str, carrier_id: str) -> int:
        """Remember an accepted submit response; returns its wire time (microseconds)."""
        at_us = self.wire_time()
        memory = self._memory(channel)
        response = _Response(at_us, exact_key(carrier_id))
        if memory.early:
            memory.claim_early(response, self._window_us)
        memory.add(response)
        settings = self._settings
        memory.forget_before(at_us - int(settings.memory_seconds * 1e6), settings.memory_entries)
        learner = self._learner(channel)
        if learner is not None:
            learner.saw_response(carrier_id)
            self._check_learned(channel, learner)
        return at_us

    async def received(self, receipt: ReceiptRecord) -> None:
        """Place a receipt as far as the memory can, then hand it to storage."""
        await self.received_many([receipt])

    async def received_many(self, receipts: Sequence[ReceiptRecord]) -> None:
        """:meth:`received` for receipts read in a row: placed in order, stored together."""
        await self._store.apply_receipts([self.place(receipt) for receipt in receipts])

    def place(self, receipt: ReceiptRecord) -> ReceiptRecord:
        """``receipt`` with its key and, when known, its submission (no I/O)."""
        channel = receipt.channel
        learner = self._learner(channel)
        if learner is not None:
            learner.saw_receipt(receipt.carrier_id)
            self._check_learned(channel, learner)
        reading = self._readings.get(channel)
        memory = self._memory(channel)
        if reading is not None:
            return self._placed(receipt, memory, reading)
        assert learner is not None
        return self._placed_while_learning(receipt, memory, learner)

    def _placed(
        self, receipt: ReceiptRecord, memory: _ChannelMemory, reading: Reading
    ) -> ReceiptRecord:
        key = receipt_key(receipt.carrier_id, reading)
        if key is None:
            self.counts["untargeted"] += 1
            return receipt  # no part can have this id under the channel's reading
        hit = memory.latest_before(key, receipt.received_at_us)
        if hit is None or hit.final:
            self.counts["untargeted"] += 1
            memory.remember_early(
                key, _EarlyReceipt(receipt.received_at_us, receipt.state is not None)
            )
            return msgspec.structs.replace(receipt, match=key, responded_at_us=None)
        if receipt.state is not None:
            hit.final = True
        self.counts["targeted"] += 1
        return msgspec.structs.replace(receipt, match=key, responded_at_us=hit.at_us)

    def _placed_while_learning(
        self, receipt: ReceiptRecord, memory: _ChannelMemory, learner: IdFormatLearner
    ) -> ReceiptRecord:
        hits: dict[Reading, _Response] = {}
        for reading in learner.possible:
            key = receipt_key(receipt.carrier_id, reading)
            if key is None:
                continue
            hit = memory.latest_before(key, receipt.received_at_us)
            if hit is not None:
                hits[reading] = hit
        if len(hits) == 1:
            learner.vote(next(iter(hits)))
            learned = self._check_learned(receipt.channel, learner)
            if learned is not None:
                return self._placed(receipt, memory, learned)
        distinct = {id(hit) for hit in hits.values()}
        same = hits.get(Reading.SAME)
        if len(distinct) == 1 and same is not None and not same.final:
            # Its own writing names one open submission and no other reading disagrees.
            if receipt.state is not None:
                same.final = True
            self.counts["targeted"] += 1
            key = receipt_key(receipt.carrier_id, Reading.SAME)
            return msgspec.structs.replace(receipt, match=key, responded_at_us=same.at_us)
        self.counts["awaiting_format"] += 1
        return msgspec.structs.replace(receipt, match=None, responded_at_us=None)

    def _check_learned(self, channel: str, learner: IdFormatLearner) -> Reading | None:
        reading = learner.learned
        if reading is None:
            return None
        self._readings[channel] = reading
        del self._learners[channel]
        _log.info(
            "message id format learned",
            extra={
                "channel": channel,
                "reading": reading.value,
                "votes": {voted.value: count for voted, count in learner.votes.items()},
            },
        )
        task = asyncio.get_running_loop().create_task(self._record_reading(channel, reading))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return reading

    async def _record_reading(self, channel: str, reading: Reading) -> None:
        await self._store.record_channel_reading(channel, reading, datetime.now(UTC))

    # ---- the sweep ---------------------------------------------------------------------

    async def sweep(self, now: datetime | None = None) -> int:
        """Decide pending receipts whose early window closed; returns how many were set
        aside as unmatched."""
        return await self._store.sweep_pending_receipts(
            now or datetime.now(UTC), self._settings.pending_ttl
        )

    async def run(self) -> None:
        """Sweep every ``sweep_seconds`` until cancelled; a failed sweep is logged and retried."""
        while True:
            await asyncio.sleep(self._settings.sweep_seconds)
            try:
                unmatched = await self.sweep()
            except Exception:  # a storage hiccup must not end the sweeps
                _log.exception("receipt sweep failed")
                continue
            if unmatched:
                self.counts["unmatched"] += unmatched
                _log.warning("receipts set aside as unmatched", extra={"count": unmatched})

    async def close(self) -> None:
        """Wait for readings being recorded."""
        for task in list(self._tasks):
            with contextlib.suppress(Exception):
                await task
