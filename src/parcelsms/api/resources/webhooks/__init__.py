"""Webhooks: the account's endpoints, their subscriptions and secrets, and its deliveries.

* :mod:`.default_endpoint` — ``/v1/webhooks``: the original single endpoint, now the
  account's *default* endpoint (its secret also signs callbacks);
* :mod:`.endpoints` — ``/v1/webhooks/endpoints``: several endpoints, each subscribed to
  event types, secret rotation with an overlap, replay since a moment;
* :mod:`.deliveries` — ``/v1/webhooks/deliveries``: what was sent, how it went, redelivery;
* :mod:`.schemas` — their Structs.
"""

from parcelsms.api.resources.webhooks.default_endpoint import WebhookEndpoints
from parcelsms.api.resources.webhooks.deliveries import WebhookDeliveryEndpoints
from parcelsms.api.resources.webhooks.endpoints import WebhookEndpointResource

__all__ = ["WebhookDeliveryEndpoints", "WebhookEndpointResource", "WebhookEndpoints"]
