"""The port the lease keeper (:mod:`.channel_leases`) owns: pipeline nodes and channel leases
in storage.

Every time in it is the database's clock, never the node's: nodes whose clocks disagree
still agree on who is live and whose lease ran out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Protocol


@dataclass(frozen=True, slots=True)
class NodeIdentity:
    """A pipeline node: its id (the dispatcher's claim token), host and process id."""

    node_id: str
    host: str
    pid: int


@dataclass(frozen=True, slots=True)
class LeaseRound:
    """What one heartbeat found and did.

    ``owned``: the channels this node holds after the round (renewed or acquired);
    ``acquired``: those newly taken in it; ``surplus``: channels it should give up (stop,
    then :meth:`LeaseStore.release_leases`) so that a node under its share gets them;
    ``elsewhere``: channels another live node holds; ``live_nodes``: how many nodes are
    live, this one included.
    """

    owned: frozenset[str]
    acquired: tuple[str, ...] = ()
    surplus: tuple[str, ...] = ()
    elsewhere: frozenset[str] = field(default_factory=frozenset)
    holders: dict[str, str] = field(default_factory=dict)
    live_nodes: int = 1


class LeaseStore(Protocol):
    async def lease_round(
        self,
        node: NodeIdentity,
        channels: Sequence[str],
        lease: timedelta,
        *,
        acquire: bool,
    ) -> LeaseRound:
        """One heartbeat, in one transaction: register or renew the node, renew its
        unexpired leases for ``lease``, forget nodes silent for longer than ``lease``;
        with ``acquire``, take free channels by
        :func:`parcelsms.domain.channel_leases.plan_leases`. A lease that had already
        expired is not renewed (its channel is free; the plan may take it again)."""
        ...

    async def release_leases(self, node_id: str, channels: Sequence[str]) -> None:
        """Give up these leases of the node at once (another node may take them)."""
        ...

    async def leave(self, node_id: str) -> None:
        """The node stops: its leases and its row go (its leftover claims are then
        resolved by the other nodes' recovery at their next heartbeat)."""
        ...
