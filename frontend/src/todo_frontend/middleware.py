"""The frontend's request middleware: the request id and log line both services write
(`todo_common.request_middleware`), plus security headers on every response and a plain error
page (or JSON, for the API) in place of an unhandled error."""

import json
import logging

from starlette.types import ASGIApp, Scope

from todo_common.request_middleware import Headers, RequestMiddleware

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
SECURITY_HEADERS: Headers = [
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


class FrontendRequestMiddleware(RequestMiddleware):
    def __init__(self, app: ASGIApp) -> None:
        super().__init__(app, logger=logger)

    def add_headers(self, scope: Scope, headers: Headers) -> None:
        headers.extend(SECURITY_HEADERS)
        if not any(name == CSP_HEADER for name, _ in headers):
            # A page that needs a wider policy sets its own (the ChatKit dashboard).
            headers.append((CSP_HEADER, CONTENT_SECURITY_POLICY.encode()))
        if scope.get("scheme") == "https":
            headers.append(STRICT_TRANSPORT_SECURITY)
        if not any(name == b"cache-control" for name, _ in headers):
            # Pages and API answers hold one user's data: keep them out of shared caches.
            headers.append((b"cache-control", b"no-store"))

    def error_response(self, scope: Scope) -> tuple[bytes, bytes]:
        if scope["path"].startswith("/api/") or scope["path"] == "/chatkit":
            return json.dumps({"detail": SERVER_ERROR}).encode(), b"application/json"
        return SERVER_ERROR_PAGE, b"text/html; charset=utf-8"
