"""The check every webhook URL a sender gives passes (endpoints; callbacks have their own)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from parcelsms.domain.error_catalogue import error
from parcelsms.errors import CatalogueError


@dataclass(frozen=True, slots=True)
class WebhookUrlCheck:
    """``check_url`` reads the URL alone; ``check_host`` also resolves its host name."""

    check_url: Callable[[str], None]
    check_host: Callable[[str], Awaitable[None]] | None = None

    async def __call__(self, url: str) -> None:
        """Raises ``invalid_webhook_url`` (field ``url``) for a URL that must not be called."""
        try:
            self.check_url(url)
            if self.check_host is not None:
                await self.check_host(url)
        except CatalogueError as problem:
            raise error("invalid_webhook_url", problem.message, field="url") from None
