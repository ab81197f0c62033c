"""Who may call the operator API (``/admin/v1``): the holder of the operator token.

The operator sets ``[security] admin_token`` (or ``PARCELSMS_SECURITY__ADMIN_TOKEN``) to a
random secret of at least 32 characters and sends it as ``Authorization: Bearer <token>``.
The presented token is compared with :func:`hmac.compare_digest` over SHA-256 digests of
both values, so the comparison takes the same time whatever the token's length or content.
Without a configured token the admin API refuses every request: it is off by default.

This is a stop-gap until operator API keys with an ``admin`` scope exist; that change
replaces :class:`AdminAuthenticator` and nothing else (handlers only call
:meth:`AdminAuthenticator.authenticate`).
"""

from __future__ import annotations

import hashlib
import hmac

from starlette.requests import Request

from parcelsms.domain.error_catalogue import error

_MAX_TOKEN_LENGTH = 512


class AdminAuthenticator:
    """Checks the operator token of an ``/admin/v1`` request."""

    def __init__(self, token: str | None) -> None:
        self._digest = (
            hashlib.sha256(token.encode("utf-8")).digest() if token is not None else None
        )

    @property
    def enabled(self) -> bool:
        """True when an operator token is configured."""
        return self._digest is not None

    def authenticate(self, request: Request) -> None:
        """Return when ``request`` carries the operator token; else raise ``unauthorized``."""
        if self._digest is None:
            raise error(
                "unauthorized",
                "The admin API is disabled: the operator has not set [security] admin_token.",
            )
        header = request.headers.get("authorization", "")
        scheme, _, token = header.strip().partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token or len(token) > _MAX_TOKEN_LENGTH:
            raise error("unauthorized", "Send the operator token as `Authorization: Bearer …`.")
        # Headers arrive latin-1 decoded, so this encoding never fails.
        presented = hashlib.sha256(token.encode("latin-1")).digest()
        if not hmac.compare_digest(presented, self._digest):
            raise error("unauthorized", "The operator token is not valid.")
