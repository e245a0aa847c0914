"""The backend's request middleware: the request id and log line both services write
(`todo_common.request_middleware`), plus Prometheus metrics and the route in the log line. The
body-size limit is `todo_common.body_limit`, shared with the frontend.

It runs for every request, so it keeps its own cost down: the metric series of each
(method, route, status) are looked up once and kept, not found again by their labels."""

import logging
from collections.abc import Mapping
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram
from starlette.types import ASGIApp, Scope

from todo_common.request_middleware import RequestMiddleware

logger = logging.getLogger("todo_backend.request")


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


class BackendRequestMiddleware(RequestMiddleware):
    def __init__(self, app: ASGIApp, *, metrics: Metrics) -> None:
        super().__init__(app, logger=logger)
        self.metrics = metrics

    def finished(self, scope: Scope, status: int, seconds: float) -> Mapping[str, object]:
        route: Any = scope.get("route")
        # The route template keeps metric labels bounded (no user ids or task ids in them).
        route_path = getattr(route, "path", None) or "unmatched"
        self.metrics.record(scope["method"], route_path, status, seconds)
        return {"route": route_path}
