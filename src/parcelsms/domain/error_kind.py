"""What one catalogued error is: :class:`ErrorKind` (code, HTTP status, title, description).

The entries are in :mod:`parcelsms.domain.request_error_kinds` and
:mod:`parcelsms.domain.content_account_error_kinds`; :mod:`parcelsms.domain.error_catalogue`
is the one lookup and the one way to raise them.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ErrorKind:
    """One catalogued error: stable ``code``, ``http_status``, ``title`` and ``description``.

    ``title`` doubles as the default message when the raiser gives none; ``description`` says
    what the caller should do, and is what ``docs/errors.md`` shows.
    """

    code: str
    http_status: int
    title: str
    description: str
