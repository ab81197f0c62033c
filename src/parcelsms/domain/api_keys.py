"""API keys: how they look, how they are parsed and how their secrets are stored.

A key handed to a user is ``psk_<id-body>.<secret>``: ``<id-body>`` is the 26-character body of
the key's id (``key_<id-body>``) so the server can find the key's row without scanning, and
``<secret>`` is ``secrets.token_urlsafe(32)`` (32 random bytes, 43 characters).

Only ``HMAC-SHA256(pepper, secret)`` (hex) is stored. The pepper lives in the configuration, not
in the database, so a stolen database alone cannot be used to test guessed secrets. Secrets are
compared with :func:`hmac.compare_digest`.
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
