"""HTTP metrics of the API process: requests by route template and status, and their latency.

`ocrmill serve` runs the API in one process (uvicorn without workers), so these live in that process's memory; the
work the worker processes do is measured from the database instead (service.operations.monitoring.DatabaseCollector).
"""

from __future__ import annotations

import time

from prometheus_client import CollectorRegistry, Counter, Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ocrmill.api.access import log_request

# Set by the polling fast path (api.polling), which answers before FastAPI's router could name the route.
ROUTE_KEY = "ocrmill.route"
OTHER = "other"  # paths no route matched (404s, the console's static files): one label, not one per path


class HttpMetrics:
    def __init__(self, registry: CollectorRegistry, *, templates: dict[int, str]) -> None:
        self.templates = templates  # id of a route object -> its full path template (see api.app._include)
        self.requests = Counter(
            "ocrmill_http_requests",
            "HTTP requests answered, by method, route template and status",
            ["method", "route", "status"],
            registry=registry,
        )
        self.latency = Histogram(
            "ocrmill_http_request_duration_seconds",
            "Time to answer an HTTP request, by method and route template",
            ["method", "route"],
            registry=registry,
        )

    def route(self, scope: Scope) -> str:
        """The path template of the route that answered, with its prefix."""
        named = scope.get(ROUTE_KEY)
        if isinstance(named, str):
            return named
        route = scope.get("route")  # set by FastAPI's router on a match
        if route is None:
            return OTHER
        template = self.templates.get(id(route)) or getattr(route, "path_format", None)
        return template if isinstance(template, str) else OTHER


class RequestMetrics:
    """ASGI middleware; outermost, so that it also sees the requests the polling fast path answers. It writes the
    access log too (api.access), with the same status and time."""

    def __init__(self, app: ASGIApp, metrics: HttpMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500  # if the app fails before answering, the server answers 500

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            seconds = time.perf_counter() - start
            route = self.metrics.route(scope)
            method = str(scope.get("method", ""))
            self.metrics.requests.labels(method, route, str(status)).inc()
            self.metrics.latency.labels(method, route).observe(seconds)
            log_request(scope, status=status, seconds=seconds)
