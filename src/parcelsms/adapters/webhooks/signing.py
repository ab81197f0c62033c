"""Standard Webhooks signatures for outgoing webhook requests.

Every webhook request carries three headers (https://www.standardwebhooks.com):

* ``webhook-id``: the event id, the same on every retry of one event, so a receiver can
  drop duplicates;
* ``webhook-timestamp``: seconds since the Unix epoch, UTC, of this attempt;
* ``webhook-signature``: ``v1,<base64 HMAC-SHA256>`` over ``{id}.{timestamp}.{body}``,
  keyed with the bytes of the endpoint secret. While a rotated secret overlaps its
  successor, one signature per secret, separated by a space (the spec's way: a receiver
  accepts the request when any signature verifies with the secret it holds).

An endpoint secret is ``whsec_`` followed by the base64 of 32 random bytes (the spec asks
for 24 to 64). Signing is done by the ``standardwebhooks`` package, the same code
receivers use to verify.
"""

from __future__ import annotations

import base64
import binascii
import functools
import math
import secrets
from collections.abc import Sequence
from datetime import UTC, datetime

from standardwebhooks.webhooks import Webhook

__all__ = ["SECRET_PREFIX", "new_signing_secret", "sign"]

SECRET_PREFIX = "whsec_"  # noqa: S105 - the format prefix of every secret, not a secret
_SECRET_BYTES = 32
_MIN_SECRET_BYTES = 24
_MAX_SECRET_BYTES = 64


def new_signing_secret() -> str:
    """A fresh endpoint secret: ``whsec_`` + base64 of 32 random bytes."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(_SECRET_BYTES)).decode("ascii")


def _secret_bytes(secret: str) -> bytes:
    """The key inside a ``whsec_`` secret; ValueError when the secret is malformed."""
    if not secret.startswith(SECRET_PREFIX):
        raise ValueError(f"webhook secret must start with {SECRET_PREFIX!r}")
    try:
        key = base64.b64decode(secret[len(SECRET_PREFIX) :], validate=True)
    except binascii.Error as error:
        raise ValueError("webhook secret is not valid base64") from error
    if not _MIN_SECRET_BYTES <= len(key) <= _MAX_SECRET_BYTES:
        raise ValueError(
            f"webhook secret must hold {_MIN_SECRET_BYTES} to {_MAX_SECRET_BYTES} bytes"
        )
    return key


@functools.lru_cache(maxsize=1024)
def _signer(secret: str) -> Webhook:
    """The package's signer for ``secret``, made once per secret: decoding and checking
    the secret and setting up the signer took as long as signing (about 9 µs a webhook)."""
    return Webhook(_secret_bytes(secret))


def sign(
    secret: str | Sequence[str], msg_id: str, timestamp: datetime, body: bytes
) -> dict[str, str]:
    """The three Standard Webhooks headers for one attempt of one event.

    ``secret`` may be several secrets (a rotation's overlap): one signature each, in order.

    ``timestamp`` must be timezone-aware (any zone; it is sent as UTC epoch seconds,
    fractions dropped). ``body`` must be UTF-8 (webhook bodies are JSON). ``msg_id`` must be
    non-empty printable ASCII without spaces, since it travels in a header. Raises
    ValueError for a malformed secret, a naive timestamp, a bad id or a non-UTF-8 body.
    """
    if timestamp.tzinfo is None or timestamp.utcoffset() is None:
        raise ValueError("webhook timestamp must be timezone-aware")
    if not msg_id or not msg_id.isascii() or not msg_id.isprintable() or " " in msg_id:
        raise ValueError("webhook id must be non-empty printable ASCII without spaces")
    secrets_ = (secret,) if isinstance(secret, str) else tuple(secret)
    if not secrets_:
        raise ValueError("a webhook needs at least one secret to be signed with")
    signers = [_signer(one) for one in secrets_]
    # The package sets tzinfo=UTC without converting, so hand it UTC already.
    moment = timestamp.astimezone(UTC)
    data = body.decode("utf-8")
    signature = " ".join(
        [signer.sign(msg_id=msg_id, timestamp=moment, data=data) for signer in signers]
    )
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(math.floor(moment.timestamp())),
        "webhook-signature": signature,
    }
