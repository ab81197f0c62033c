"""Whether an account can sign webhooks: a short in-process cache over the endpoint store.

A positive answer is cached for good (the default endpoint, whose secret signs callbacks, is
replaced or disabled, never removed); a negative one for a few seconds, so registering an
endpoint takes effect quickly in every process.
"""

from __future__ import annotations

from parcelsms.pipeline.ttl_cache import TtlCache
from parcelsms.pipeline.webhook_ports import WebhookEndpointStore

NEGATIVE_TTL_SECONDS = 2.0


class SigningSecretLookup:
    def __init__(self, endpoints: WebhookEndpointStore) -> None:
        self._endpoints = endpoints
        self._known: set[str] = set()
        self._missing: TtlCache[str, bool] = TtlCache(NEGATIVE_TTL_SECONDS)

    async def exists(self, account_id: str) -> bool:
        if account_id in self._known:
            return True
        if self._missing.get(account_id):
            return False
        if await self._endpoints.get_webhook_endpoint(account_id) is not None:
            self._known.add(account_id)
            return True
        self._missing.put(account_id, True)
        return False
