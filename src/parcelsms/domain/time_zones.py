"""Time zone names: the IANA names an account or a console user may choose."""

from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from parcelsms.domain.error_catalogue import error

DEFAULT_TIME_ZONE = "UTC"


def check_time_zone(name: str, field: str = "time_zone") -> str:
    """``name`` when it is an IANA time zone; raises ``invalid_time_zone`` otherwise."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise error("invalid_time_zone", f"Unknown time zone {name!r}.", field=field) from None
    return name
