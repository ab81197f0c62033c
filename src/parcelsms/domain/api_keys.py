"""API keys: how they look, how they are parsed and how their secrets are stored.

A key handed to a user is ``psk_<id-body>.<secret>``: ``<id-body>`` is the 26-character body of
the key's id (``key_<id-body>``) so the server can find the key's row without scanning, and
``<secret>`` is ``secrets.token_urlsafe(32)`` (32 random bytes, 43 characters).

Only ``HMAC-SHA256(pepper, secret)`` (hex) is stored. The pepper lives in the configuration, not
in the database, so a stolen database alone cannot be used to test guessed secrets. Secrets are
compared with :func:`hmac.compare_digest`.

Every key carries **scopes** (:data:`SCOPES`): what it may do. Sender keys get any of
:data:`SENDER_SCOPES`; ``admin`` belongs only to operator keys (keys of the operator
account), never to a sender's.

**Request signing.** A client that signs its requests derives a signing key from the API key it
holds (:func:`derive_signing_key`)::

    signing_key = HMAC-SHA256(key=<the whole API key, UTF-8>, msg="parcelsms-request-signing-v1")

The key itself never travels; the server keeps the derived key encrypted at rest (see
``THREAT_MODEL.md``).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from parcelsms.domain.ids import is_valid_id

KEY_PREFIX = "psk_"
KEY_ID_PREFIX = "key"
_SECRET_BYTES = 32
# token_urlsafe(32) yields 43 characters; anything much longer is not a key of ours and is
# refused before hashing so an attacker cannot make us hash megabytes.
_MAX_SECRET_LENGTH = 128
_URLSAFE = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
_SIGNING_LABEL = b"parcelsms-request-signing-v1"

SCOPES: dict[str, str] = {
    "messages:send": "send messages, one at a time or in batches",
    "messages:read": "read messages, their history and listings",
    "templates": "create and read templates",
    "webhooks": "register and read the webhook endpoint",
    "billing:read": "read the balance, ledger, packages, limits and notifications",
    "account": "read the account, submit company details, manage test numbers and the "
    "low-balance alert",
    "keys": "list, create and revoke the account's API keys",
    "legacy_get": "send messages with GET /v1/messages/send, for systems that can only issue a "
    "GET (never given by default)",
    "admin": "the operator API under /admin/v1 (operator keys only)",
}
"""Every scope a key can hold, with what it allows (shown in docs and OpenAPI)."""

ADMIN_SCOPE = "admin"
LEGACY_GET_SCOPE = "legacy_get"
SENDER_SCOPES: tuple[str, ...] = tuple(scope for scope in SCOPES if scope != ADMIN_SCOPE)
"""The scopes a sender's key may hold."""
DEFAULT_SENDER_SCOPES: tuple[str, ...] = tuple(
    scope for scope in SENDER_SCOPES if scope != LEGACY_GET_SCOPE
)
"""The scopes of a sender key created without a list: all but the opt-in ``legacy_get``."""
OPERATOR_SCOPES: tuple[str, ...] = (ADMIN_SCOPE,)


@dataclass(frozen=True, slots=True)
class ParsedApiKey:
    """A syntactically valid key: the id of its row and the secret to verify."""

    key_id: str
    secret: str


def new_secret() -> str:
    """Return a fresh random secret (32 bytes, URL-safe base64, 43 characters)."""
    return secrets.token_urlsafe(_SECRET_BYTES)


def format_api_key(key_id: str, secret: str) -> str:
    """Return the key as shown to the user: ``psk_<id-body>.<secret>``.

    Raises ``ValueError`` when ``key_id`` is not a ``key_`` id.
    """
    if not is_valid_id(key_id, KEY_ID_PREFIX):
        raise ValueError(f"not an API key id: {key_id!r}")
    return f"{KEY_PREFIX}{key_id.partition('_')[2]}.{secret}"


def parse_api_key(plaintext: str) -> ParsedApiKey | None:
    """Split a presented key into key id and secret; ``None`` when it is not shaped like one.

    Never raises: anything a client sends is either a well-formed key or ``None``.
    """
    if not plaintext.startswith(KEY_PREFIX):
        return None
    body, dot, secret = plaintext[len(KEY_PREFIX) :].partition(".")
    if not dot or not secret or len(secret) > _MAX_SECRET_LENGTH:
        return None
    if not all(character in _URLSAFE for character in secret):
        return None
    key_id = f"{KEY_ID_PREFIX}_{body}"
    if not is_valid_id(key_id, KEY_ID_PREFIX):
        return None
    return ParsedApiKey(key_id=key_id, secret=secret)


def hash_secret(pepper: bytes, secret: str) -> str:
    """Return the stored form of ``secret``: hex ``HMAC-SHA256(pepper, secret)``."""
    return hmac.new(pepper, secret.encode("utf-8"), hashlib.sha256).hexdigest()


def secret_matches(pepper: bytes, secret: str, stored_hash: str) -> bool:
    """True when ``secret`` hashes to ``stored_hash``; the comparison takes constant time."""
    return hmac.compare_digest(hash_secret(pepper, secret), stored_hash)


def canonical_scopes(scopes: list[str] | tuple[str, ...]) -> tuple[str, ...]:
    """``scopes`` without duplicates, in the order of :data:`SCOPES`.

    Raises ``ValueError`` naming the first unknown scope.
    """
    for scope in scopes:
        if scope not in SCOPES:
            raise ValueError(f"unknown scope {scope!r}; known scopes: {', '.join(SCOPES)}")
    wanted = set(scopes)
    return tuple(scope for scope in SCOPES if scope in wanted)


def derive_signing_key(plaintext_key: str) -> bytes:
    """The request-signing key of an API key (what a client computes, see the module doc)."""
    return hmac.new(plaintext_key.encode("utf-8"), _SIGNING_LABEL, hashlib.sha256).digest()
