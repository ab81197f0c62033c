"""Wiring of the channel leases: several pipeline processes on one PostgreSQL database.

On PostgreSQL every pipeline runs a :class:`~parcelsms.pipeline.channel_leases.LeaseKeeper`
and binds only the channels it holds; its dispatcher sees them through
:class:`~parcelsms.pipeline.channel_leases.LeasedChannel`. On SQLite one pipeline runs: it
holds every channel, and none of this is wired (no lease traffic, the dispatcher as before).
"""

from __future__ import annotations

import os
import socket
from collections.abc import Mapping

from parcelsms.adapters.storage import SqlStorage
from parcelsms.adapters.storage.engine.postgres_engine import is_postgres_url
from parcelsms.config import Settings
from parcelsms.pipeline.channel_leases import ChannelOwnership, LeasedChannel, LeaseKeeper
from parcelsms.pipeline.channel_port import Channel
from parcelsms.pipeline.dispatch import Dispatcher
from parcelsms.pipeline.lease_ports import NodeIdentity


def channel_ownership(
    settings: Settings, channels: Mapping[str, Channel]
) -> ChannelOwnership | None:
    """The ownership the leases keep (nothing held yet), or ``None`` on SQLite."""
    if not is_postgres_url(settings.database.url):
        return None
    return ChannelOwnership(frozenset(channels))


def leased_channels(
    channels: Mapping[str, Channel], ownership: ChannelOwnership | None
) -> dict[str, Channel]:
    """The channels as the dispatcher uses them: behind their lease when there are leases."""
    if ownership is None:
        return dict(channels)
    return {name: LeasedChannel(channel, ownership) for name, channel in channels.items()}


def lease_keeper(
    settings: Settings,
    storage: SqlStorage,
    channels: Mapping[str, Channel],
    ownership: ChannelOwnership | None,
    dispatcher: Dispatcher,
) -> LeaseKeeper | None:
    """The keeper of this node's leases (node id = the dispatcher's claim token)."""
    if ownership is None:
        return None
    takeover = settings.cluster.takeover
    return LeaseKeeper(
        storage.leases,
        NodeIdentity(dispatcher.claim_token, socket.gethostname(), os.getpid()),
        channels,
        ownership,
        takeover=takeover,
        recover=lambda: dispatcher.recover(live_within=takeover),
    )
