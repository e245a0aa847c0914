"""How both services run: uvicorn, and a stop on SIGTERM that loses no request sent on a
kept-alive connection.

HTTP/1.1 has a race wherever a server closes an idle connection: the client may have just sent
its next request on it, and that request is lost with the connection (during a rolling upgrade
the frontend's proxy answered such a request 503). uvicorn closes every idle connection as soon
as it starts to shut down. So on SIGTERM the server first drains:
- it stops accepting connections (a refused connection is safe for any client to retry);
- every answer from then on carries `Connection: close`, so each kept-alive connection is
  closed by its next answer, where the client expects the close;
- it waits until no connection is left, or until an idle one would have timed out anyway.
Then uvicorn's own graceful shutdown lets what is still running finish. Ctrl-C (SIGINT) and a
second SIGTERM skip the drain.

The port is bound before the app starts (`listening_socket`), so a port someone else has stops
the service at once, with one line naming the port, before any migration runs.
"""

import errno
import logging
import signal
import socket
import time
from types import FrameType

import uvicorn

from todo_common.body_limit import ASGIApp, Message, Receive, Scope, Send

# How long the server keeps an idle connection open. Clients that keep connections (the
# frontend's proxy) drop theirs sooner, so they never send on one the server is closing.
SERVER_KEEP_ALIVE_SECONDS = 5
CLIENT_KEEP_ALIVE_SECONDS = 2
# The drain ends once every idle connection has timed out on the server's side.
DRAIN_SECONDS = SERVER_KEEP_ALIVE_SECONDS + 1
# Then the requests still running (a streamed chat reply) get this long to finish.
GRACEFUL_SHUTDOWN_SECONDS = 20
CONNECTION_CLOSE = (b"connection", b"close")


class PortUnavailableError(Exception):
    """A port the service must listen on cannot be had; the message names it, says why and
    which setting to change."""


def port_unavailable(error: OSError, host: str, port: int, advice: str) -> PortUnavailableError:
    """The one-line explanation of a failed bind of host:port; `advice` says which variable to
    set, e.g. "set PORT"."""
    if error.errno == errno.EADDRINUSE:
        return PortUnavailableError(f"port {port} is in use ({advice})")
    return PortUnavailableError(
        f"cannot listen on {host}:{port}: {error.strerror} (check HOST; {advice})"
    )


def listening_socket(host: str, port: int, advice: str) -> socket.socket:
    """A socket bound to host:port for `serve`, or PortUnavailableError (see `port_unavailable`)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET  # as uvicorn decides
    listener = socket.socket(family, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        listener.bind((host, port))
    except OSError as error:
        listener.close()
        raise port_unavailable(error, host, port, advice) from None
    return listener


class ClosingConnections:
    """The app; once `closing` is set, each answer asks the client to close its connection."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.closing = False

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not self.closing:
            await self.app(scope, receive, send)
            return

        async def send_closing(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [*message.get("headers", ()), CONNECTION_CLOSE]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_closing)


class DrainingServer(uvicorn.Server):
    """uvicorn's server with the drain described above between SIGTERM and its shutdown."""

    def __init__(self, config: uvicorn.Config, app: ClosingConnections) -> None:
        super().__init__(config)
        self.app = app
        self.drain_deadline = 0.0  # set by SIGTERM

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        # A signal handler: it only notes the request; on_tick, in the event loop, acts on it.
        if sig == signal.SIGTERM and not self.drain_deadline:
            self.drain_deadline = time.monotonic() + DRAIN_SECONDS
            return
        super().handle_exit(sig, frame)

    async def on_tick(self, counter: int) -> bool:
        if self.drain_deadline and not self.should_exit:
            self._drain()
        return await super().on_tick(counter)

    def _drain(self) -> None:
        if not self.app.closing:
            self.app.closing = True
            for listener in self.servers:
                listener.close()
        if not self.server_state.connections or time.monotonic() >= self.drain_deadline:
            # uvicorn's own exit from here on, which re-raises SIGTERM once it has stopped.
            super().handle_exit(signal.SIGTERM, None)


def serve(app: ASGIApp, *, listener: socket.socket, forwarded_allow_ips: str) -> None:
    """Run `app` on `listener` (from `listening_socket`) until SIGTERM (drained, then graceful)
    or Ctrl-C."""
    closing_app = ClosingConnections(app)
    config = uvicorn.Config(
        closing_app,
        log_config=None,
        access_log=False,  # each service logs every request itself, with more detail
        proxy_headers=True,
        # Only these may set the client's address and scheme (X-Forwarded-For, -Proto).
        forwarded_allow_ips=forwarded_allow_ips,
        timeout_keep_alive=SERVER_KEEP_ALIVE_SECONDS,
        timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_SECONDS,
    )
    host, port = listener.getsockname()[:2]
    # What uvicorn says when it binds the port itself.
    logging.getLogger("uvicorn.error").info("Uvicorn running on http://%s:%d", host, port)
    DrainingServer(config, closing_app).run(sockets=[listener])
