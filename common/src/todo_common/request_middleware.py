"""What both services do for every request (pure ASGI, so streamed responses pass through
untouched): give it a request id, echo the id on the response, and write one structured log
line when it ends. Each service subclasses `RequestMiddleware` for what it adds: the backend
its metrics, the frontend its security headers and error page."""

import logging
import time
from collections.abc import Mapping
from types import MappingProxyType

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from todo_common.logs import log_request
from todo_common.request_id import REQUEST_ID_HEADER, request_id_for

_REQUEST_ID_HEADER = REQUEST_ID_HEADER.encode()
Headers = list[tuple[bytes, bytes]]
_NO_FIELDS: Mapping[str, object] = MappingProxyType({})


def request_id_of(scope: Scope) -> str:
    """The id `RequestMiddleware` gave the request."""
    request_id: str = scope["state"]["request_id"]
    return request_id


class RequestMiddleware:
    def __init__(self, app: ASGIApp, *, logger: logging.Logger) -> None:
        self.app = app
        self.logger = logger

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        request_id = request_id_for(scope["headers"])
        scope.setdefault("state", {})["request_id"] = request_id
        id_header = (_REQUEST_ID_HEADER, request_id.encode())
        status = 500
        response_started = False

        async def send_with_headers(message: Message) -> None:
            nonlocal status, response_started
            if message["type"] == "http.response.start":
                status = message["status"]
                response_started = True
                headers = [*message.get("headers", ()), id_header]
                self.add_headers(scope, headers)
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        except Exception:
            error = self.error_response(scope)
            if error is None:
                raise
            # Logged with its trace for us; the person sees a plain apology, never the trace.
            self.logger.exception("unhandled error", extra={"request_id": request_id})
            status = 500
            if not response_started:
                await _send_error(send_with_headers, *error)
        finally:
            seconds = time.perf_counter() - started
            log_request(
                self.logger,
                {
                    "method": scope["method"],
                    "path": scope["path"],
                    **self.finished(scope, status, seconds),
                    "status": status,
                    "duration_ms": round(seconds * 1000, 2),
                    "request_id": request_id,
                },
            )

    def add_headers(self, scope: Scope, headers: Headers) -> None:
        """Add a service's own headers to a response's, which already carry the request id."""

    def error_response(self, scope: Scope) -> tuple[bytes, bytes] | None:
        """The body and content type a service answers an unhandled error with (if nothing was
        sent yet), after logging it; None lets the error go on to the server, which logs it."""
        return None

    def finished(self, scope: Scope, status: int, seconds: float) -> Mapping[str, object]:
        """A service's own work once a request has ended (the backend's metrics); returns the
        fields it adds to the request's log line, after the path."""
        return _NO_FIELDS


async def _send_error(send: Send, body: bytes, content_type: bytes) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": 500,
            "headers": [
                (b"content-type", content_type),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
