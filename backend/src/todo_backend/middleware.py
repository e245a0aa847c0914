"""Request middleware (pure ASGI, so streamed responses pass through untouched):
request id, one structured log line per request and Prometheus metrics. The body-size limit is
`todo_common.body_limit`, shared with the frontend.

It runs for every request, so it keeps its own cost down: the metric series of each
(method, route, status) are looked up once and kept, not found again by their labels."""

import logging
import time
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from todo_common.logs import log_request
from todo_common.request_id import REQUEST_ID_HEADER, request_id_for

logger = logging.getLogger("todo_backend.request")
_REQUEST_ID_HEADER = REQUEST_ID_HEADER.encode()


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "http_requests_total",
            "HTTP requests by method, route and status.",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "http_request_duration_seconds",
            "HTTP request latency by method and route.",
            ["method", "route"],
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
            registry=self.registry,
        )
        # (method, route, status) -> (its request counter, its latency histogram). The labels
        # are bounded (route templates, not paths), and so is this.
        self._series: dict[tuple[str, str, int], tuple[Any, Any]] = {}

    def record(self, method: str, route: str, status: int, seconds: float) -> None:
        series = self._series.get((method, route, status))
        if series is None:
            series = (
                self.requests.labels(method, route, str(status)),
                self.latency.labels(method, route),
            )
            self._series[method, route, status] = series
        series[0].inc()
        series[1].observe(seconds)


class RequestMiddleware:
    def __init__(self, app: ASGIApp, *, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        request_id = request_id_for(scope["headers"])
        scope.setdefault("state", {})["request_id"] = request_id
        id_header = (_REQUEST_ID_HEADER, request_id.encode())
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message = {**message, "headers": [*message.get("headers", ()), id_header]}
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            self._record(scope, status, started, request_id)

    def _record(self, scope: Scope, status: int, started: float, request_id: str) -> None:
        duration = time.perf_counter() - started
        route: Any = scope.get("route")
        # The route template keeps metric labels bounded (no user ids or task ids in them).
        route_path = getattr(route, "path", None) or "unmatched"
        method = scope["method"]
        self.metrics.record(method, route_path, status, duration)
        log_request(
            logger,
            {
                "method": method,
                "path": scope["path"],
                "route": route_path,
                "status": status,
                "duration_ms": round(duration * 1000, 2),
                "request_id": request_id,
            },
        )
