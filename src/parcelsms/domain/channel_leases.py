"""Which pipeline node should hold which channel's lease: the fair-share rule (pure).

Several pipeline processes (nodes) may run on one PostgreSQL database. Each carrier channel's
binds live on exactly one of them, the holder of the channel's lease (``channel_leases``);
:func:`plan_leases` says what one node should do at its heartbeat, given who holds what now:

* **Fair share.** A node holds at most ``ceil(channels / live nodes)`` channels. At each
  heartbeat it takes free channels (no lease, or an expired one) up to its share, in name
  order.
* **Nothing left unowned.** A free channel that no other live node has room for within its
  share is taken anyway, beyond the share: every channel has an owner within a heartbeat of
  becoming free, whatever the count of nodes. (The shares add up to at least the channels,
  so on a consistent view the node then has room anyway; this is the rule that makes sure.)
* **Rebalancing.** A node over its share while another live node is under it gives up the
  surplus (its most recently acquired channels), so that a node that joins (or comes back)
  gets work. The channel is free between the release and the other node's next heartbeat.

Applied in one transaction under the database's writer lock, so two nodes never plan on the
same view.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class LeasePlan:
    """What one node does at its heartbeat: take ``acquire``, give up ``release``."""

    acquire: tuple[str, ...] = ()
    release: tuple[str, ...] = ()


def fair_share(channels: int, live_nodes: int) -> int:
    """The most channels one node should hold: ``ceil(channels / live_nodes)``."""
    if channels <= 0:
        return 0
    return math.ceil(channels / max(1, live_nodes))


def plan_leases(
    node: str,
    channels: Collection[str],
    holders: Mapping[str, str],
    live_nodes: Collection[str],
    acquired_order: Sequence[str] = (),
) -> LeasePlan:
    """The plan of ``node`` (see the module).

    ``channels``: the configured channels; ``holders``: channel → node holding an unexpired
    lease on it (free channels are absent); ``live_nodes``: the nodes whose heartbeat is
    recent (``node`` counts as live); ``acquired_order``: the node's own channels, oldest
    lease first (it releases from the end).
    """
    live = set(live_nodes) | {node}
    share = fair_share(len(channels), len(live))
    counts = dict.fromkeys(live, 0)
    for channel, holder in holders.items():
        if channel in channels and holder in counts:
            counts[holder] += 1
    mine = counts[node]
    free = sorted(channel for channel in channels if channel not in holders)
    others_under = any(count < share for name, count in counts.items() if name != node)
    if mine > share and others_under:
        held = [c for c in acquired_order if holders.get(c) == node]
        held += sorted(c for c, h in holders.items() if h == node and c not in held)
        return LeasePlan(release=tuple(held[share - mine :]))
    room = max(0, share - mine)
    take = free[:room]
    if not others_under:
        take = free  # nobody else has room: beyond the share rather than unowned
    return LeasePlan(acquire=tuple(take))
