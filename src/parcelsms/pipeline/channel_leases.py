"""Several pipeline nodes on one database: each channel's binds on the node holding its lease.

A pipeline process (node) on PostgreSQL runs a :class:`LeaseKeeper`. Its contract:

* **Joining.** It registers the node (``pipeline_nodes``, id = the dispatcher's claim token),
  resolves the claims of dead nodes, waits one heartbeat (so that nodes started together
  all count each other before anyone takes a channel), then takes its fair share of the
  free channels (:func:`parcelsms.domain.channel_leases.plan_leases`) and binds them.
* **Heartbeat** every ``takeover / 5``: renews the node and its leases for ``takeover``
  minus one heartbeat (database clock), takes free channels (a dead node's, once its lease
  expired), gives up a surplus, and resolves the claims of dead nodes
  (:meth:`Dispatcher.recover`). A dead node's lease thus expires at most ``takeover``
  minus one heartbeat after its last round, and the others' next heartbeat, at most one
  heartbeat later, takes the channel: within ``takeover`` (then the bind).
* **Fencing.** A lease is only ever renewed to ``takeover`` minus one heartbeat after the
  round that renewed it began, so the node stops using a channel one heartbeat before the
  lease could expire: a channel whose lease a round did not renew (stolen, expired) is
  stopped at once, and every channel is stopped when no round has succeeded for
  ``takeover`` minus two heartbeats (the database unreachable: three missed heartbeats).
  Stopping means: no more submits at once (:class:`LeasedChannel` refuses them), then
  unbind.
* **Leaving** (graceful stop): after the dispatcher stopped and the channels unbound, the
  node's leases and row are deleted, so the other nodes take its channels at their next
  heartbeat instead of waiting for the expiry.

Claims follow ownership: the dispatcher claims no message standing at a channel this node
does not hold (:attr:`ChannelOwnership.elsewhere`), and hands a message on to such a
channel instead of sending it (:class:`~parcelsms.pipeline.message_ports.HandedOver`).
On SQLite only one pipeline runs: it holds every channel and no keeper runs.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from datetime import timedelta

from parcelsms.domain.failover import SendResultKind
from parcelsms.pipeline.channel_port import Channel, ChannelResult, OutboundSms
from parcelsms.pipeline.lease_ports import LeaseRound, LeaseStore, NodeIdentity

_log = logging.getLogger(__name__)

HEARTBEATS_PER_TAKEOVER = 5
"""Heartbeats in ``takeover_seconds``: a lease lasts four of them, and a node fences itself
after three missed ones."""


class ChannelOwnership:
    """Which configured channels this node holds now (the rest are ``elsewhere``)."""

    def __init__(self, channels: frozenset[str], owned: frozenset[str] = frozenset()) -> None:
        self.channels = channels
        self.owned = owned
        self.elsewhere = channels - owned

    def set_owned(self, owned: frozenset[str]) -> None:
        self.owned = owned & self.channels
        self.elsewhere = self.channels - self.owned


class LeasedChannel:
    """A channel usable only while this node holds its lease (implements ``Channel``)."""

    def __init__(self, inner: Channel, ownership: ChannelOwnership) -> None:
        self.inner = inner
        self.name = inner.name
        self._ownership = ownership

    @property
    def is_available(self) -> bool:
        return self.name in self._ownership.owned and self.inner.is_available

    @property
    def send_rate(self) -> float | None:
        return self.inner.send_rate

    async def send(self, sms: OutboundSms) -> ChannelResult:
        if self.name not in self._ownership.owned:
            return ChannelResult(SendResultKind.NOT_SENT, detail="channel lease not held")
        return await self.inner.send(sms)

    async def start(self) -> None:
        await self.inner.start()

    async def close(self) -> None:
        await self.inner.close()


class LeaseKeeper:
    """Holds this node's channel leases (see the module). ``await join()``, then
    ``await run()`` until cancelled; ``await leave()`` at a graceful stop."""

    def __init__(
        self,
        store: LeaseStore,
        node: NodeIdentity,
        channels: Mapping[str, Channel],
        ownership: ChannelOwnership,
        *,
        takeover: timedelta,
        recover: Callable[[], Awaitable[int]],
        monotonic: Callable[[], float] = time.monotonic,
        settle_seconds: float | None = None,
    ) -> None:
        """``settle_seconds``: how long a joining node waits for the nodes started with it
        to register (default: one heartbeat)."""
        self._store = store
        self.node = node
        self._channels = channels
        self._ownership = ownership
        self.interval = takeover.total_seconds() / HEARTBEATS_PER_TAKEOVER
        self._lease = takeover - timedelta(seconds=self.interval)
        self._settle = self.interval if settle_seconds is None else settle_seconds
        self._recover = recover
        self._monotonic = monotonic
        self._fence_at = 0.0
        self._closing: dict[str, asyncio.Task[None]] = {}
        self._releasing: set[str] = set()  # stopping, then their leases are deleted
        self.rounds = 0
        self.recovered = 0

    @property
    def owned(self) -> frozenset[str]:
        return self._ownership.owned

    async def join(self) -> None:
        """Register, resolve dead nodes' claims, wait one heartbeat, take a share."""
        await self._round(acquire=False)
        await self._resolve_dead_claims()
        await asyncio.sleep(self._settle)
        await self._round(acquire=True)

    async def run(self) -> None:
        while True:
            started = self._monotonic()
            next_beat = started + self.interval
            try:
                await self.heartbeat()
            except Exception:  # the next beat tries again; the fence deadline still holds
                _log.warning("lease heartbeat failed", exc_info=True, extra=self._extra())
            await self._fence_if_overdue()
            await asyncio.sleep(max(0.0, next_beat - self._monotonic()))

    async def heartbeat(self) -> None:
        """One heartbeat: a lease round, then the dead nodes' claims resolved."""
        # Without an answer by the fence deadline the node fences itself and keeps waiting.
        beat = asyncio.ensure_future(self._round(acquire=True))
        try:
            timeout = max(0.0, self._fence_at - self._monotonic())
            done, _ = await asyncio.wait({beat}, timeout=timeout)
            if not done:
                await self._fence_if_overdue()
            await beat
        except asyncio.CancelledError:
            beat.cancel()  # a round finishing after a stop would bind channels again
            raise
        await self._resolve_dead_claims()

    async def _resolve_dead_claims(self) -> None:
        count = await self._recover()
        self.recovered += count
        if count:
            _log.warning(
                "resolved messages left claimed by a dead pipeline node",
                extra={**self._extra(), "count": count},
            )

    async def _round(self, *, acquire: bool) -> LeaseRound:
        started = self._monotonic()
        result = await self._store.lease_round(
            self.node, sorted(self._ownership.channels), self._lease, acquire=acquire
        )
        self.rounds += 1
        # Renewed to ``lease`` after the database's now(), which is after ``started``.
        self._fence_at = started + self._lease.total_seconds() - self.interval
        before = self._ownership.owned
        keep = result.owned - frozenset(result.surplus) - self._releasing
        self._ownership.set_owned(keep)
        for channel in sorted(before - result.owned):
            _log.warning(
                "channel lease lost; channel stopped",
                extra={**self._extra(), "channel": channel, "holder": result.holders.get(channel)},
            )
            self._stop(channel)
        for channel in result.surplus:
            if channel in self._releasing:
                continue
            _log.info("channel lease given up for another node", extra=self._leased(channel))
            self._stop(channel, release=True)
        for channel in sorted(keep - before):
            _log.info("channel lease acquired; binding", extra=self._leased(channel))
            await self._start(channel)
        return result

    async def _fence_if_overdue(self) -> None:
        if self._ownership.owned and self._monotonic() >= self._fence_at:
            _log.warning(
                "leases not renewed in time; every channel stopped",
                extra={**self._extra(), "channels": sorted(self._ownership.owned)},
            )
            owned = self._ownership.owned
            self._ownership.set_owned(frozenset())
            for channel in owned:
                self._stop(channel)

    async def _start(self, name: str) -> None:
        closing = self._closing.pop(name, None)
        if closing is not None:
            with contextlib.suppress(Exception):
                await closing
        channel = self._channels.get(name)
        if channel is not None:
            await channel.start()

    def _stop(self, name: str, *, release: bool = False) -> None:
        channel = self._channels.get(name)
        if channel is None or name in self._closing:
            return
        if release:
            self._releasing.add(name)
        self._closing[name] = asyncio.create_task(
            self._close(channel, release), name=f"lease-stop-{name}"
        )

    async def _close(self, channel: Channel, release: bool) -> None:
        try:
            await channel.close()
            if release:
                await self._store.release_leases(self.node.node_id, [channel.name])
        except Exception:
            _log.warning("channel not stopped cleanly", exc_info=True, extra=self._extra())
        finally:
            self._releasing.discard(channel.name)
            if self._closing.get(channel.name) is asyncio.current_task():
                del self._closing[channel.name]

    async def wait_stopped(self) -> None:
        """Wait for channels being stopped (for tests and a graceful stop)."""
        while self._closing:
            await asyncio.gather(*self._closing.values(), return_exceptions=True)

    async def leave(self) -> None:
        """Stop every channel, then give up the leases and the node's row at once."""
        owned = self._ownership.owned
        self._ownership.set_owned(frozenset())
        for channel in owned:
            self._stop(channel)
        await self.wait_stopped()
        await self._store.leave(self.node.node_id)
        if owned:
            _log.info(
                "channel leases released at stop",
                extra={**self._extra(), "channels": sorted(owned)},
            )

    def _extra(self) -> dict[str, object]:
        return {"node": self.node.node_id}

    def _leased(self, channel: str) -> dict[str, object]:
        return {"node": self.node.node_id, "channel": channel}
