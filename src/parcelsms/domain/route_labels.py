"""Opaque route labels: what a sender is told instead of the operator's channel names.

Channel names ("vodafone-uk-premium") are the operator's business relationships. A sender
still needs to tell attempts apart ("the retry went another way"), so each channel gets a
stable label keyed with a server secret: equal for one channel, unrelated between
channels, and not reversible by guessing names.
"""

from __future__ import annotations

import functools
import hashlib

__all__ = ["route_label"]


@functools.lru_cache(maxsize=4096)
def route_label(channel: str, key: bytes) -> str:
    """The label shown to senders for ``channel`` (``rt_`` and 12 hex digits)."""
    digest = hashlib.blake2b(channel.encode("utf-8"), key=key[:64], digest_size=6)
    return "rt_" + digest.hexdigest()
