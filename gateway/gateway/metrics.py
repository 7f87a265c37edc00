"""Prometheus metrics: requests by route template, method and status; latency by route.

Latency is measured to the start of the response: for a JSON reply that is the whole
exchange, for Server-Sent Events the time until the stream is open.
"""

import time

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gateway.proxy import ROUTE_TEMPLATE_KEY

# Unrouted paths share one label, so that scanners cannot grow the label set without bound.
UNMATCHED = "unmatched"
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


class Metrics:
    """The gateway's collectors, in a registry of its own so that apps (and tests) do not share counts."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "gateway_http_requests",
            "HTTP requests by route template, method and status code.",
            ["route", "method", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "gateway_http_request_duration_seconds",
            "Time from the request to the start of the response, by route template and method.",
            ["route", "method"],
            registry=self.registry,
        )

    async def endpoint(self, request: Request) -> Response:
        return Response(generate_latest(self.registry), media_type=CONTENT_TYPE_LATEST)


class MetricsMiddleware:
    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500
        method = scope["method"] if scope["method"] in METHODS else "OTHER"

        async def send_and_measure(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                self.metrics.latency.labels(route_label(scope), method).observe(time.perf_counter() - started)
            await send(message)

        try:
            await self.app(scope, receive, send_and_measure)
        finally:
            self.metrics.requests.labels(route_label(scope), method, str(status)).inc()


def route_label(scope: Scope) -> str:
    """The matched template: the proxy's, or the path of one of the gateway's own routes."""
    if ROUTE_TEMPLATE_KEY in scope:
        return scope[ROUTE_TEMPLATE_KEY]
    route = scope.get("route")
    return getattr(route, "path", "") or UNMATCHED
