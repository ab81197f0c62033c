"""Verifying a signed request (see :mod:`parcelsms.domain.request_signing` for the format).

Checks run cheapest first and the nonce is recorded only for a request whose signature is
valid, so nobody can burn another client's nonces:

1. the four headers are present and well-formed, the timestamp within 5 minutes
   (``unauthorized`` / ``signature_expired``);
2. the key exists, is not revoked and has a signing key (``unauthorized``);
3. the body is read (within the size limit) and the signature compared in constant time
   (``unauthorized``);
4. the nonce is recorded, persistently, until the timestamp's window has passed; a nonce the
   key used before is ``replayed_request``.

The body read here is handed back to the request, so the endpoint reads it as usual.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Protocol

from starlette.requests import Request
from starlette.types import Message

from parcelsms.api.request_body import read_body_within
from parcelsms.domain import request_signing as signing
from parcelsms.domain.error_catalogue import error
from parcelsms.pipeline.account_security_ports import KeyGrant

SIGNATURE_HEADERS = (
    signing.HEADER_KEY_ID,
    signing.HEADER_TIMESTAMP,
    signing.HEADER_NONCE,
    signing.HEADER_SIGNATURE,
)


class SigningKeys(Protocol):
    """The parts of the storage port signed requests need."""

    async def signing_grant(self, key_id: str) -> tuple[KeyGrant, bytes] | None: ...

    async def remember_nonce(self, key_id: str, nonce: str, expires_at: datetime) -> bool: ...


def is_signed(request: Request) -> bool:
    """True when the request carries a signature header (and must then be fully signed)."""
    return signing.HEADER_SIGNATURE.lower() in request.headers


def path_and_query(request: Request) -> str:
    """The request target as sent on the request line (percent-encoding preserved)."""
    scope = request.scope
    raw_path = scope.get("raw_path")
    path = raw_path.decode("latin-1") if isinstance(raw_path, bytes) else scope.get("path", "")
    query = scope.get("query_string", b"")
    return f"{path}?{query.decode('latin-1')}" if query else path


class SignatureVerifier:
    """Authenticates signed requests against the keys' signing keys."""

    def __init__(
        self,
        keys: SigningKeys,
        *,
        max_body_bytes: int,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self._keys = keys
        self._max_body_bytes = max_body_bytes
        self._wall_clock = wall_clock

    async def verify(self, request: Request) -> KeyGrant:
        """The grant of the key that signed ``request``; raises the errors listed above."""
        headers = request.headers
        values = [headers.get(name.lower()) for name in SIGNATURE_HEADERS]
        if any(value is None for value in values):
            raise error(
                "unauthorized",
                "A signed request needs all of " + ", ".join(SIGNATURE_HEADERS) + ".",
            )
        key_id, timestamp, nonce, signature = (value.strip() for value in values if value)
        seconds = signing.check_signature_headers(timestamp, nonce, signature, self._wall_clock())
        found = await self._keys.signing_grant(key_id)
        if found is None:
            raise error("unauthorized", "The key is not valid, was revoked, or cannot sign.")
        grant, signing_key = found
        body = await _buffered_body(request, self._max_body_bytes)
        expected = signing.sign_request(
            signing_key, request.method, path_and_query(request), timestamp, nonce, body
        )
        if not signing.signature_matches(expected, signature):
            raise error("unauthorized", "The request signature does not match.")
        expires_at = datetime.fromtimestamp(seconds + signing.MAX_SKEW_SECONDS + 1, UTC)
        if not await self._keys.remember_nonce(grant.key_id, nonce, expires_at):
            raise error(
                "replayed_request",
                "This nonce was already used with this key; sign again with a new nonce.",
            )
        return grant


async def _buffered_body(request: Request, max_bytes: int) -> bytes:
    body = await read_body_within(request, max_bytes)
    delivered = False

    async def replay() -> Message:
        nonlocal delivered
        if delivered:
            return {"type": "http.disconnect"}
        delivered = True
        return {"type": "http.request", "body": body, "more_body": False}

    # The endpoint reads the body through request.receive; hand it the bytes read here.
    request._receive = replay
    return body
