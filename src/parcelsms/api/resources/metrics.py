"""``/metrics``: Prometheus text (docs/operator.md, "Metrics").

An operator route (the operator token or an operator key, as a Bearer token in the scrape
configuration) unless ``[metrics] public = true`` opens it, for an API bound to a private
address only. Absent when ``[metrics] enabled = false``.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from parcelsms.api.route_table import ApiRoute, admin_route
from parcelsms.pipeline.metrics_ports import MetricsText


class MetricsEndpoints:
    """The handler of ``/metrics``."""

    def __init__(self, metrics: MetricsText, *, public: bool) -> None:
        self._metrics = metrics
        self._public = public

    async def get_metrics(self, request: Request) -> Response:
        """Every metric in the Prometheus text format."""
        return Response(await self._metrics.render(), media_type=self._metrics.content_type)

    def routes(self) -> list[ApiRoute]:
        """The route table entries of this handler."""
        description = (
            "Queue, message volume and delivery by country and channel, time to delivery, "
            "webhooks, SMPP window use, submit latency and writer batches, in the Prometheus "
            "text format. See docs/operator.md."
        )
        if self._public:
            return [
                ApiRoute(
                    method="GET",
                    path="/metrics",
                    handler=self.get_metrics,
                    summary="Prometheus metrics",
                    description=description,
                    tag="meta",
                    media_type="text/plain",
                    authenticated=False,
                )
            ]
        return [
            admin_route(
                method="GET",
                path="/metrics",
                handler=self.get_metrics,
                summary="Prometheus metrics",
                description=description,
                media_type="text/plain",
            )
        ]
