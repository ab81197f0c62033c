"""The catalogue of errors an API caller can receive.

Every input error parcelsms reports is one :class:`ErrorKind` of :data:`CATALOGUE`: a stable
``code`` clients may branch on, the HTTP status the API answers with, a short ``title`` and a
``description`` that tells a person what went wrong and what to do about it. ``docs/errors.md``
is generated from this table (``scripts/generate_error_docs.py``) and a test keeps the two in
step. The entries live by area in :mod:`~parcelsms.domain.request_error_kinds` and
:mod:`~parcelsms.domain.content_account_error_kinds` and
:mod:`~parcelsms.domain.console_error_kinds`; this module is the one lookup.

Code raises catalogued errors through :func:`error`; asking for a code that is not in the
catalogue is a programming error and raises ``KeyError`` at once rather than sending a client
an undocumented code.

The API renders a :class:`~parcelsms.errors.CatalogueError` as::

    {"error": {"code": "missing_param", "message": "...", "field": "params.tracking"}}
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from parcelsms.domain.console_error_kinds import CONSOLE_ERROR_KINDS
from parcelsms.domain.content_account_error_kinds import CONTENT_ACCOUNT_ERROR_KINDS
from parcelsms.domain.error_kind import ErrorKind
from parcelsms.domain.request_error_kinds import REQUEST_ERROR_KINDS
from parcelsms.errors import CatalogueError

_KINDS: tuple[ErrorKind, ...] = (
    REQUEST_ERROR_KINDS + CONTENT_ACCOUNT_ERROR_KINDS + CONSOLE_ERROR_KINDS
)

CATALOGUE: Mapping[str, ErrorKind] = MappingProxyType({kind.code: kind for kind in _KINDS})
"""Every catalogued error by code, in the order documented in ``docs/errors.md``."""


def error(
    code: str,
    message: str | None = None,
    *,
    field: str | None = None,
    **extra: object,
) -> CatalogueError:
    """Build the :class:`CatalogueError` for catalogued ``code`` (to be raised by the caller).

    ``message`` defaults (when ``None`` or empty) to the kind's title. ``field`` names the
    offending input (a JSON path such as ``messages[3].to`` or ``params.tracking``). Keyword
    ``extra`` values travel with the error for the API to add to the body where it
    documents them.

    Raises ``KeyError`` when ``code`` is not catalogued: that is a bug, not an input error.
    """
    kind = CATALOGUE[code]
    return CatalogueError(
        code,
        message or kind.title,
        field=field,
        status=kind.http_status,
        extra=dict(extra),
    )


def internal_error(request_id: str) -> CatalogueError:
    """The ``internal_error`` for an unexpected exception while serving ``request_id``."""
    return error(
        "internal_error",
        f"An internal error occurred; this is a bug in parcelsms. Request id: {request_id}.",
        request_id=request_id,
    )
