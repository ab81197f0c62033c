"""The HTTP API (Starlette + msgspec): ``create_app(ApiServices(...))``."""

from parcelsms.api.app import create_app
from parcelsms.api.services import ApiServices

__all__ = ["ApiServices", "create_app"]
