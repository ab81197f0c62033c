"""Log output for the commands: structlog JSON lines (or readable console lines) on stderr.

Every log record of the package and its libraries goes through structlog's formatter, so
operators get one JSON object per line with ``timestamp``, ``level``, ``logger``, ``event``
and the record's extra fields. Callers pass masked values; as a safety net every rendered
field goes through :func:`parcelsms.domain.log_redaction.redact` (phone numbers masked, API
keys, webhook secrets and credentials removed) before the line is written.
"""

from __future__ import annotations

import logging
import sys
from typing import Any

import structlog

from parcelsms.domain.log_redaction import redact

_RESERVED = frozenset(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {"message"}


def _add_extras(
    logger: Any, method_name: str, event_dict: structlog.types.EventDict
) -> structlog.types.EventDict:
    record = event_dict.get("_record")
    if record is not None:
        for key, value in record.__dict__.items():
            if key not in _RESERVED and not key.startswith("_"):
                event_dict.setdefault(key, value)
    return event_dict


def _redacted(value: Any) -> Any:
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {key: _redacted(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_redacted(item) for item in value]
    if isinstance(value, bool) or value is None or isinstance(value, float):
        return value
    if isinstance(value, int):
        # A long integer may be a phone number written without its +.
        return redact(str(value)) if abs(value) >= 10**10 else value
    return redact(str(value))


def redact_event(
    logger: Any, method_name: str, event_dict: structlog.types.EventDict
) -> structlog.types.EventDict:
    """Mask phone numbers and remove secrets in every value of a log event."""
    return {key: _redacted(value) for key, value in event_dict.items()}


def configure_logging(level: str = "info", fmt: str = "json") -> None:
    """Route stdlib logging through structlog's formatter to stderr."""
    renderer: Any = (
        structlog.processors.JSONRenderer()
        if fmt == "json"
        else structlog.dev.ConsoleRenderer(colors=False)
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=[
            structlog.stdlib.add_log_level,
            structlog.stdlib.add_logger_name,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            _add_extras,
        ],
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            redact_event,
            renderer,
        ],
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # Access logs would print every request path; uvicorn's own errors still come through.
    logging.getLogger("uvicorn.access").setLevel(logging.WARNING)
    # Migration steps are noise at start-up; failures still surface as errors.
    logging.getLogger("alembic").setLevel(logging.WARNING)
