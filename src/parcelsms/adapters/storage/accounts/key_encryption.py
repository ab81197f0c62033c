"""Signing keys at rest: AES-256-GCM under a key derived from the server pepper.

To check a signed request the server must hold the signing key itself (an HMAC cannot be
verified from a hash of its key), so it is stored encrypted. The encryption key is
``HMAC-SHA256(pepper, "parcelsms signing-key encryption v1")``: like the secret hashes, a
database stolen without the pepper yields nothing usable. The key id is the associated data,
so a sealed key copied onto another key's row does not open. Stored form:
``v1:<URL-safe base64 of nonce (12 bytes) + ciphertext + tag>``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
from typing import Final

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

_LABEL: Final = b"parcelsms signing-key encryption v1"
_VERSION: Final = "v1:"
_NONCE_BYTES: Final = 12


class SigningKeyCipher:
    """Seals and opens signing keys with the pepper-derived key."""

    def __init__(self, pepper: bytes) -> None:
        self._aead = AESGCM(hmac.new(pepper, _LABEL, hashlib.sha256).digest())

    def seal(self, key_id: str, signing_key: bytes) -> str:
        """The stored form of ``signing_key`` for key ``key_id``."""
        nonce = os.urandom(_NONCE_BYTES)
        sealed = self._aead.encrypt(nonce, signing_key, key_id.encode("ascii"))
        return _VERSION + base64.urlsafe_b64encode(nonce + sealed).decode("ascii")

    def open(self, key_id: str, stored: str) -> bytes | None:
        """The signing key, or ``None`` when ``stored`` does not open (another pepper, another
        key's row, damaged data): such a key simply cannot sign."""
        if not stored.startswith(_VERSION):
            return None
        try:
            raw = base64.urlsafe_b64decode(stored[len(_VERSION) :].encode("ascii"))
            return self._aead.decrypt(
                raw[:_NONCE_BYTES], raw[_NONCE_BYTES:], key_id.encode("ascii")
            )
        except (InvalidTag, ValueError, binascii.Error, UnicodeError):
            return None
