"""A request-body size limit for both services, enforced while the body is read, before any
route parses it (JSON, forms, multipart): nothing past the limit is ever held in memory.

- A declared Content-Length over the limit answers 413 at once. (The server itself stops a
  body at its declared length, so a declared size within the limit needs no counting.)
- A body without a declared size (chunked) is read here up to the limit and replayed to the
  app; past the limit it answers 413. An HTTP/1 request with neither has no body: it passes.
- Before a 413, what the client is still sending is read and discarded up to
  `max_drain_bytes`: clients that send the whole body before reading the answer (Python's
  urllib and requests) otherwise see a connection reset instead of the 413. Past that bound a
  reset is the cheaper answer to a flood.

Pure ASGI with no dependencies, so both services can wrap their app in it.
"""

import json
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

TOO_LARGE = "Request body is too large"


class BodyLimit:
    def __init__(self, app: ASGIApp, *, max_body_bytes: int, max_drain_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.max_drain_bytes = max_drain_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared, framed = _declared_body(scope)
        if declared is not None:
            if declared > self.max_body_bytes:
                await self._too_large(scope, receive, send, drain=True)
            else:
                await self.app(scope, receive, send)
            return
        if not framed and scope.get("http_version") in _HTTP1:
            # Neither a length nor chunks: an HTTP/1 request without a body (a GET).
            await self.app(scope, receive, send)
            return
        body, complete = await self._read_limited(receive)
        if body is None:
            await self._too_large(scope, receive, send, drain=not complete)
            return
        await self.app(scope, _replay(body, receive), send)

    async def _read_limited(self, receive: Receive) -> tuple[bytes | None, bool]:
        """The body, or None past the limit; and whether the client has sent all of it."""
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return b"".join(chunks), True
            chunk: bytes = message.get("body", b"")
            size += len(chunk)
            complete = not message.get("more_body", False)
            if size > self.max_body_bytes:
                return None, complete
            chunks.append(chunk)
            if complete:
                return b"".join(chunks), True

    async def _too_large(self, scope: Scope, receive: Receive, send: Send, *, drain: bool) -> None:
        drained = 0
        while drain and drained <= self.max_drain_bytes:
            message = await receive()
            if message["type"] != "http.request":
                break
            drained += len(message.get("body", b""))
            if not message.get("more_body", False):
                break
        detail: dict[str, str] = {"detail": TOO_LARGE}
        request_id = scope.get("state", {}).get("request_id")
        if isinstance(request_id, str):
            detail["request_id"] = request_id
        body = json.dumps(detail).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


_HTTP1 = frozenset({"1.0", "1.1"})


def _declared_body(scope: Scope) -> tuple[int | None, bool]:
    """The declared Content-Length (None without a valid one), and whether the request may have
    a body at all: it has none without either a Content-Length or a Transfer-Encoding."""
    length = None
    framed = False
    for name, value in scope["headers"]:
        if name == b"content-length":
            framed = True
            try:
                length = int(value)
            except ValueError:
                length = None
        elif name == b"transfer-encoding":  # chunks: the length is not known up front
            return None, True
    return length, framed


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay
