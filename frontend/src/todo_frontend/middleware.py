"""Request middleware (pure ASGI, so streamed replies pass through untouched): a request id,
security headers on every response and one structured log line per request."""

import json
import logging
import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from todo_common.logs import log_request
from todo_common.request_id import REQUEST_ID_HEADER, request_id_for

logger = logging.getLogger("todo_frontend.request")

# Every script and style comes from this origin as a file: no inline script can run, even if
# some text slipped into a page unescaped.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
# The dashboard with CHAT_UI=chatkit: ChatKit's script, and the frame it draws the chat in,
# come from OpenAI's CDN. Nothing else widens; the component reaches us through /chatkit.
CHATKIT_HOST = "https://cdn.platform.openai.com"
CHATKIT_CONTENT_SECURITY_POLICY = (
    f"default-src 'self'; script-src 'self' {CHATKIT_HOST}; frame-src {CHATKIT_HOST}; "
    "style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
CSP_HEADER = b"content-security-policy"
SECURITY_HEADERS: list[tuple[bytes, bytes]] = [
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"x-frame-options", b"DENY"),
]
# Sent on HTTPS responses only: browsers ignore it over plain HTTP, and `make run` is HTTP.
STRICT_TRANSPORT_SECURITY = (b"strict-transport-security", b"max-age=31536000")
SERVER_ERROR = "Something went wrong on our side. Please try again."
SERVER_ERROR_PAGE = (
    '<!doctype html><html lang="en"><meta charset="utf-8">'
    '<meta name="viewport" content="width=device-width, initial-scale=1">'
    '<title>Something went wrong</title><link rel="stylesheet" href="/static/css/app.css">'
    f'<main class="page narrow"><h1>Something went wrong</h1><p>{SERVER_ERROR}</p>'
    '<p><a href="/">Back to your tasks</a></p></main></html>'
).encode()


def request_id_of(scope: Scope) -> str:
    request_id: str = scope["state"]["request_id"]
    return request_id


class RequestMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        request_id = request_id_for(scope["headers"])
        scope.setdefault("state", {})["request_id"] = request_id
        status = 500
        response_started = False

        async def send_with_headers(message: Message) -> None:
            nonlocal status, response_started
            if message["type"] == "http.response.start":
                status = message["status"]
                response_started = True
                headers = list(message.get("headers", []))
                headers.append((REQUEST_ID_HEADER.encode(), request_id.encode()))
                headers.extend(SECURITY_HEADERS)
                if not any(name == CSP_HEADER for name, _ in headers):
                    # A page that needs a wider policy sets its own (the ChatKit dashboard).
                    headers.append((CSP_HEADER, CONTENT_SECURITY_POLICY.encode()))
                if scope.get("scheme") == "https":
                    headers.append(STRICT_TRANSPORT_SECURITY)
                if not any(name == b"cache-control" for name, _ in headers):
                    # Pages and API answers hold one user's data: keep them out of shared caches.
                    headers.append((b"cache-control", b"no-store"))
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        except Exception:
            # Logged with its trace for us; the person sees a plain apology, never the trace.
            logger.exception("unhandled error", extra={"request_id": request_id})
            status = 500
            if not response_started:
                await self._send_error(scope, send_with_headers)
        finally:
            log_request(
                logger,
                {
                    "method": scope["method"],
                    "path": scope["path"],
                    "status": status,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 2),
                    "request_id": request_id,
                },
            )

    @staticmethod
    async def _send_error(scope: Scope, send: Send) -> None:
        if scope["path"].startswith("/api/") or scope["path"] == "/chatkit":
            body, content_type = json.dumps({"detail": SERVER_ERROR}).encode(), b"application/json"
        else:
            body, content_type = SERVER_ERROR_PAGE, b"text/html; charset=utf-8"
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
