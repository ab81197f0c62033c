"""A request signer written from docs/api.md ("Signed requests"), independently of the
server's code, so the tests check the documented format rather than the implementation
against itself."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time


def signing_key(api_key: str) -> bytes:
    return hmac.new(api_key.encode(), b"parcelsms-request-signing-v1", hashlib.sha256).digest()


def signed_headers(
    api_key: str,
    method: str,
    target: str,
    body: bytes = b"",
    *,
    timestamp: int | None = None,
    nonce: str | None = None,
) -> dict[str, str]:
    """The four headers of a signed request for ``method`` ``target`` (path and query)."""
    key_id = "key_" + api_key.removeprefix("psk_").split(".", 1)[0]
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    nonce = nonce or secrets.token_urlsafe(18)
    canonical = "\n".join(
        [
            "PARCELSMS-HMAC-SHA256",
            method.upper(),
            target,
            stamp,
            nonce,
            hashlib.sha256(body).hexdigest(),
        ]
    )
    signature = hmac.new(signing_key(api_key), canonical.encode(), hashlib.sha256).hexdigest()
    return {
        "X-Parcelsms-Key-Id": key_id,
        "X-Parcelsms-Timestamp": stamp,
        "X-Parcelsms-Nonce": nonce,
        "X-Parcelsms-Signature": signature,
    }
