"""Request middleware (pure ASGI, so streamed responses pass through untouched):
request id, one structured log line per request, Prometheus metrics and a body-size limit."""

import logging
import time
from typing import Any

import orjson
from prometheus_client import CollectorRegistry, Counter, Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from todo_common.request_id import REQUEST_ID_HEADER, request_id_for

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


def _json_error(status: int, detail: str, request_id: str) -> tuple[Message, Message]:
    body = orjson.dumps({"detail": detail, "request_id": request_id})
    start: Message = {
        "type": "http.response.start",
        "status": status,
        "headers": [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
            (REQUEST_ID_HEADER.encode(), request_id.encode()),
        ],
    }
    return start, {"type": "http.response.body", "body": body}


class RequestMiddleware:
    def __init__(
        self, app: ASGIApp, *, metrics: Metrics, max_body_bytes: int, max_drain_bytes: int
    ) -> None:
        self.app = app
        self.metrics = metrics
        self.max_body_bytes = max_body_bytes
        self.max_drain_bytes = max_drain_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        request_id = request_id_for(scope["headers"])
        scope.setdefault("state", {})["request_id"] = request_id
        status = 500

        declared = self._content_length(scope)
        if declared is not None and declared > self.max_body_bytes:
            await self._too_large(scope, receive, send, started, request_id, drain=True)
            return

        if declared is None:
            # A chunked body has no declared size: read it here, up to the limit, and replay it.
            body_or_none, complete = await self._read_limited_body(receive)
            if body_or_none is None:
                await self._too_large(scope, receive, send, started, request_id, drain=not complete)
                return
            receive = self._replay(body_or_none, receive)

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = list(message.get("headers", []))
                headers.append((REQUEST_ID_HEADER.encode(), request_id.encode()))
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            self._record(scope, status, started, request_id)

    async def _too_large(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        started: float,
        request_id: str,
        *,
        drain: bool,
    ) -> None:
        """413 with its JSON body, after discarding what the client is still sending.

        A client that sends its whole body before reading (Python's urllib and requests) saw
        a connection reset, not the 413, when we closed with its body unread. Draining stops
        at `max_drain_bytes`: past that, a reset is the cheaper answer to a flood."""
        drained = 0
        while drain and drained <= self.max_drain_bytes:
            message = await receive()
            if message["type"] != "http.request":
                break
            drained += len(message.get("body", b""))
            if not message.get("more_body", False):
                break
        start, body = _json_error(413, "Request body is too large", request_id)
        await send(start)
        await send(body)
        self._record(scope, 413, started, request_id)

    async def _read_limited_body(self, receive: Receive) -> tuple[bytes | None, bool]:
        """The body, or None past the limit; and whether the client has sent all of it."""
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return b"".join(chunks), True
            chunk = message.get("body", b"")
            size += len(chunk)
            complete = not message.get("more_body", False)
            if size > self.max_body_bytes:
                return None, complete
            chunks.append(chunk)
            if complete:
                return b"".join(chunks), True

    @staticmethod
    def _replay(body: bytes, receive: Receive) -> Receive:
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        return replay

    @staticmethod
    def _content_length(scope: Scope) -> int | None:
        for name, value in scope["headers"]:
            if name == b"content-length":
                try:
                    return int(value)
                except ValueError:
                    return None
        return None

    def _record(self, scope: Scope, status: int, started: float, request_id: str) -> None:
        duration = time.perf_counter() - started
        route: Any = scope.get("route")
        # The route template keeps metric labels bounded (no user ids or task ids in them).
        route_path = getattr(route, "path", None) or "unmatched"
        method = scope["method"]
        self.metrics.requests.labels(method, route_path, str(status)).inc()
        self.metrics.latency.labels(method, route_path).observe(duration)
        logger.info(
            "request",
            extra={
                "method": method,
                "path": scope["path"],
                "route": route_path,
                "status": status,
                "duration_ms": round(duration * 1000, 2),
                "request_id": request_id,
            },
        )
