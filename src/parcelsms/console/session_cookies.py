"""The console's cookies and form tokens.

* The session cookie carries the session token, signed (itsdangerous, with its age checked
  against the session lifetime); storage knows the session by the token's hash and can end
  it (log-out, password change). It is ``HttpOnly``, ``SameSite=Lax``, scoped to
  ``/console`` and ``Secure`` whenever the request came over TLS.
* Every form carries a CSRF token: an HMAC of the session token (signed in), or of a random
  nonce held in a short-lived cookie (the log-in form: double submit). A POST without the
  matching token is refused before anything runs.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta

from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.requests import Request
from starlette.responses import Response

SESSION_COOKIE = "parcelsms_console"
LOGIN_COOKIE = "parcelsms_console_login"
COOKIE_PATH = "/console"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
_LOGIN_NONCE_SECONDS = 3600


class ConsoleCookies:
    """Signs and reads the console's cookies with one secret."""

    def __init__(self, secret: bytes, session_lifetime: timedelta) -> None:
        self._secret = secret
        self._lifetime = session_lifetime
        self._session = URLSafeTimedSerializer(secret, salt="parcelsms-console-session")
        self._login = URLSafeTimedSerializer(secret, salt="parcelsms-console-login")

    def session_token(self, request: Request) -> str | None:
        raw = request.cookies.get(SESSION_COOKIE)
        if not raw:
            return None
        try:
            token = self._session.loads(raw, max_age=int(self._lifetime.total_seconds()))
        except BadSignature:
            return None
        return token if isinstance(token, str) else None

    def set_session(self, request: Request, response: Response, token: str) -> None:
        response.set_cookie(
            SESSION_COOKIE,
            self._session.dumps(token),
            max_age=int(self._lifetime.total_seconds()),
            path=COOKIE_PATH,
            httponly=True,
            samesite="lax",
            secure=_over_tls(request),
        )

    def clear_session(self, response: Response) -> None:
        response.delete_cookie(SESSION_COOKIE, path=COOKIE_PATH)

    def csrf_for_session(self, session_token: str) -> str:
        return self._mac("session", session_token)

    def login_nonce(self, request: Request) -> str | None:
        raw = request.cookies.get(LOGIN_COOKIE)
        if not raw:
            return None
        try:
            nonce = self._login.loads(raw, max_age=_LOGIN_NONCE_SECONDS)
        except BadSignature:
            return None
        return nonce if isinstance(nonce, str) else None

    def login_nonce_or_new(self, request: Request) -> str:
        """The log-in form's nonce: the cookie's, else a new one (set it with
        :meth:`set_login_nonce`); the form's CSRF token is :meth:`csrf_for_login` of it."""
        return self.login_nonce(request) or secrets.token_urlsafe(16)

    def set_login_nonce(self, request: Request, response: Response, nonce: str) -> None:
        response.set_cookie(
            LOGIN_COOKIE,
            self._login.dumps(nonce),
            max_age=_LOGIN_NONCE_SECONDS,
            path=COOKIE_PATH,
            httponly=True,
            samesite="lax",
            secure=_over_tls(request),
        )

    def csrf_for_login(self, nonce: str) -> str:
        return self._mac("login", nonce)

    @staticmethod
    def tokens_match(expected: str, given: str | None) -> bool:
        return given is not None and hmac.compare_digest(expected, given)

    def _mac(self, purpose: str, value: str) -> str:
        message = f"{purpose}:{value}".encode()
        return hmac.new(self._secret, message, hashlib.sha256).hexdigest()


def _over_tls(request: Request) -> bool:
    # uvicorn sets the scheme from X-Forwarded-Proto behind a trusted proxy.
    return request.url.scheme == "https"
