"""Signed requests: the canonical text a client signs, and the checks on what it sends.

A signed request carries four headers instead of ``Authorization``:

=========================  =======================================================
``X-Parcelsms-Key-Id``     the key's id, ``key_…`` (the part before the ``.`` of the
                           API key, with ``psk_`` replaced by ``key_``)
``X-Parcelsms-Timestamp``  Unix time in whole seconds, within 5 minutes of the server
``X-Parcelsms-Nonce``      16 to 64 characters of ``A-Z a-z 0-9 - _``, never reused
``X-Parcelsms-Signature``  lower-case hex ``HMAC-SHA256(signing_key, canonical)``
=========================  =======================================================

``canonical`` is six lines joined by ``\\n`` (no trailing newline)::

    PARCELSMS-HMAC-SHA256
    <METHOD, upper case>
    <path and query exactly as sent on the request line, e.g. /v1/messages?status=queued>
    <the timestamp header's value>
    <the nonce header's value>
    <lower-case hex SHA-256 of the body bytes (of b"" when there is no body)>

``signing_key`` is derived from the API key (:func:`parcelsms.domain.api_keys.derive_signing_key`).
"""

from __future__ import annotations

import hashlib
import hmac
import re
from typing import Final

from parcelsms.domain.error_catalogue import error

ALGORITHM: Final = "PARCELSMS-HMAC-SHA256"
HEADER_KEY_ID: Final = "X-Parcelsms-Key-Id"
HEADER_TIMESTAMP: Final = "X-Parcelsms-Timestamp"
HEADER_NONCE: Final = "X-Parcelsms-Nonce"
HEADER_SIGNATURE: Final = "X-Parcelsms-Signature"
MAX_SKEW_SECONDS: Final = 300
"""A request is refused when its timestamp is further than this from the server's clock,
in either direction; nonces are remembered at least this long after the timestamp."""

_NONCE: Final = re.compile(r"[A-Za-z0-9_-]{16,64}")
_TIMESTAMP: Final = re.compile(r"[0-9]{1,12}")
_SIGNATURE: Final = re.compile(r"[0-9a-f]{64}")


def body_digest(body: bytes) -> str:
    """Lower-case hex SHA-256 of ``body``."""
    return hashlib.sha256(body).hexdigest()


def canonical_request(
    method: str, path_and_query: str, timestamp: str, nonce: str, body: bytes
) -> bytes:
    """The bytes that are signed (see the module docstring)."""
    lines = (ALGORITHM, method.upper(), path_and_query, timestamp, nonce, body_digest(body))
    return "\n".join(lines).encode("utf-8")


def sign_request(
    signing_key: bytes, method: str, path_and_query: str, timestamp: str, nonce: str, body: bytes
) -> str:
    """The ``X-Parcelsms-Signature`` value for a request (what a client computes)."""
    canonical = canonical_request(method, path_and_query, timestamp, nonce, body)
    return hmac.new(signing_key, canonical, hashlib.sha256).hexdigest()


def signature_matches(expected: str, presented: str) -> bool:
    """Constant-time comparison of two hex signatures."""
    return hmac.compare_digest(expected.encode("ascii"), presented.encode("ascii"))


def check_signature_headers(timestamp: str, nonce: str, signature: str, now: float) -> int:
    """Check the shape of the signing headers and the timestamp's age; return the timestamp.

    Raises ``unauthorized`` for a malformed header and ``signature_expired`` for a
    timestamp more than :data:`MAX_SKEW_SECONDS` away from ``now`` (Unix seconds).
    Messages name the header but never echo its value.
    """
    if not _TIMESTAMP.fullmatch(timestamp):
        raise error("unauthorized", f"{HEADER_TIMESTAMP} must be the Unix time in whole seconds.")
    if not _NONCE.fullmatch(nonce):
        raise error(
            "unauthorized", f"{HEADER_NONCE} must be 16 to 64 characters of A-Z a-z 0-9 - _."
        )
    if not _SIGNATURE.fullmatch(signature):
        raise error("unauthorized", f"{HEADER_SIGNATURE} must be 64 lower-case hex digits.")
    value = int(timestamp)
    if abs(now - value) > MAX_SKEW_SECONDS:
        raise error(
            "signature_expired",
            f"The request's timestamp is more than {MAX_SKEW_SECONDS} seconds away from the "
            f"server's clock ({int(now)}); sign it again with the current time.",
        )
    return value
