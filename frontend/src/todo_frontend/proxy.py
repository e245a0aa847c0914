"""The browser's API: /api/* (and /chatkit, for the ChatKit web component) forwarded to the
backend with the session's token attached.

Answers are relayed chunk by chunk as the backend produces them, so a streamed chat reply
(server-sent events) reaches the browser token by token instead of all at the end.
"""

import logging
from collections.abc import AsyncIterator

import httpx
from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse, StreamingResponse

from todo_common.request_middleware import request_id_of
from todo_frontend.security import CSRF_HEADER
from todo_frontend.services import services_of

logger = logging.getLogger("todo_frontend.proxy")
router = APIRouter()

STATE_CHANGING_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
FORWARDED_REQUEST_HEADERS = ("content-type", "accept", "idempotency-key")
FORWARDED_RESPONSE_HEADERS = (
    "content-type",
    "content-encoding",
    "content-length",
    "cache-control",
    "retry-after",
    "idempotent-replayed",
    "x-accel-buffering",
)
UNSENDABLE_PATH = "The path may not contain '?', '#' or control characters, even percent-encoded."
BACKEND_DOWN = "The task service is unavailable right now. Please try again in a moment."
STREAM_BROKE_OFF = b'event: error\ndata: {"detail": "The reply was cut off; please try again."}\n\n'


def json_error(status_code: int, detail: str) -> JSONResponse:
    return JSONResponse({"detail": detail}, status_code=status_code)


def _has_dot_segments(path: str) -> bool:
    """`.` or `..` among the (already percent-decoded) segments: the backend would resolve them
    to another path than the one checked here (`/api/%2e%2e/metrics` is `/metrics`)."""
    return any(segment in {".", ".."} for segment in path.split("/"))


def _issues_tokens(path: str) -> bool:
    # Sign-in and sign-up answer with the token itself; those go through the frontend's forms,
    # which keep the token in the HttpOnly cookie.
    return path.startswith("auth/") and path != "auth/me"


async def _relay(upstream: httpx.Response, *, request_id: str) -> AsyncIterator[bytes]:
    try:
        async for chunk in upstream.aiter_raw():
            yield chunk
    except httpx.HTTPError as error:
        logger.warning(
            "backend answer broke off", extra={"error": str(error), "request_id": request_id}
        )
        if upstream.headers.get("content-type", "").startswith("text/event-stream"):
            yield STREAM_BROKE_OFF
    finally:
        await upstream.aclose()


@router.api_route("/api/{path:path}", methods=sorted({"GET", *STATE_CHANGING_METHODS}))
async def proxy(path: str, request: Request) -> Response:
    if _has_dot_segments(path):
        return json_error(400, "The path may not contain '.' or '..' segments.")
    if _issues_tokens(path):
        return json_error(404, "Not found; sign in and sign up through the /sign-in page.")
    return await _forward(request, f"/api/{path}")


@router.post("/chatkit")
async def chatkit(request: Request) -> Response:
    """The ChatKit web component's endpoint (CHAT_UI=chatkit): the backend's /chatkit, as the
    signed-in user; its streamed turns are relayed as they come."""
    return await _forward(request, "/chatkit")


async def _forward(request: Request, backend_path: str) -> Response:
    """The request sent on to the backend with the session's token, the answer relayed back."""
    services = services_of(request)
    session = services.sessions.read(request)
    if session is None:
        return json_error(401, "You are not signed in.")
    if request.method in STATE_CHANGING_METHODS and not services.csrf.is_valid(
        request, session, request.headers.get(CSRF_HEADER)
    ):
        return json_error(403, "Missing or invalid CSRF token; reload the page and try again.")

    body = await request.body()  # at most MAX_BODY_BYTES: BodyLimit stops it as it is read
    request_id = request_id_of(request.scope)
    headers = {
        name: request.headers[name] for name in FORWARDED_REQUEST_HEADERS if name in request.headers
    }
    headers["authorization"] = f"Bearer {session.token}"
    headers["x-request-id"] = request_id
    # Relayed byte for byte, so the backend may only compress in a way the browser accepts.
    headers["accept-encoding"] = request.headers.get("accept-encoding", "identity")

    try:
        # The path arrives percent-decoded: a `%3F`, `%23` or `%00` in it is now a character
        # that no URL path can carry.
        url = httpx.URL(path=backend_path, query=request.url.query.encode())
    except httpx.InvalidURL:
        return json_error(400, UNSENDABLE_PATH)
    client = services.client
    upstream_request = client.build_request(
        request.method,
        url,
        content=body,
        headers=headers,
        timeout=services.settings.backend_stream_timeout_seconds,
    )
    try:
        upstream = await client.send(upstream_request, stream=True)
    except httpx.TimeoutException:
        return json_error(504, "The task service took too long to answer. Please try again.")
    except httpx.HTTPError as error:
        logger.warning("backend unreachable", extra={"error": str(error), "request_id": request_id})
        return json_error(503, BACKEND_DOWN)

    response = StreamingResponse(
        _relay(upstream, request_id=request_id),
        status_code=upstream.status_code,
        headers={
            name: upstream.headers[name]
            for name in FORWARDED_RESPONSE_HEADERS
            if name in upstream.headers
        },
    )
    if upstream.status_code == 401:
        # The backend no longer accepts this token (expired, or its secret changed).
        services.sessions.clear(response)
    return response
