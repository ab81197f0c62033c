"""Catalogued errors of the web console's users (part of the catalogue).

The console shows these beside the form field they name; ``parcelsms console-user`` prints
them. They follow the content and account errors in ``docs/errors.md``.
"""

from __future__ import annotations

from parcelsms.domain.error_kind import ErrorKind

CONSOLE_ERROR_KINDS: tuple[ErrorKind, ...] = (
    ErrorKind(
        "console_user_exists",
        409,
        "This e-mail already has a console log-in.",
        "Each e-mail address holds one console log-in. Sign in with it, or choose another address.",
    ),
    ErrorKind(
        "weak_password",
        422,
        "The password is too short.",
        "Console passwords have at least 12 characters (at most 1024). A passphrase of a few "
        "unrelated words is easy to remember and hard to guess.",
    ),
    ErrorKind(
        "wrong_password",
        403,
        "The current password is not correct.",
        "Changing the password needs the current one. If it is lost, ask an owner of the "
        "account (or the operator) to create a new log-in.",
    ),
    ErrorKind(
        "invalid_time_zone",
        422,
        "Unknown time zone.",
        "Give an IANA time zone name such as `Europe/Berlin`, `Asia/Shanghai` or `UTC`.",
    ),
    ErrorKind(
        "invalid_console_role",
        422,
        "Unknown console role.",
        "Account members are `owner`, `developer` or `viewer`; operators have no account.",
    ),
    ErrorKind(
        "csrf_token_invalid",
        403,
        "The form's security token is missing or stale.",
        "Reload the page and submit the form again. Forms of the console only work from the "
        "console's own pages.",
    ),
    ErrorKind(
        "too_many_login_attempts",
        429,
        "Too many failed log-ins.",
        "After several wrong passwords for one e-mail or from one address, log-ins pause for "
        "a few minutes. Wait, then try again.",
    ),
)
