"""/mcp, with the MCP server (`mcp_server`) loaded on its first request.

The MCP SDK takes about 17 MB of memory, a sixth of an idle backend, and most deployments'
clients (the web frontend, the chat agents) never speak MCP: they need not pay for it. The first
MCP request starts the SDK's session manager, which then runs until the app stops.
"""

import asyncio
from typing import TYPE_CHECKING

from starlette.types import ASGIApp, Receive, Scope, Send

from todo_backend.services import Services

if TYPE_CHECKING:
    from mcp.server.streamable_http_manager import StreamableHTTPSessionManager


class LazyMCPApp:
    """The MCP endpoint, made on first use; `aclose` stops its session manager, if started."""

    def __init__(self, services: Services) -> None:
        self.services = services
        self._starting = asyncio.Lock()
        self._app: ASGIApp | None = None
        self._running: asyncio.Task[None] | None = None
        self._stop = asyncio.Event()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        app = self._app or await self._start()
        await app(scope, receive, send)

    async def _start(self) -> ASGIApp:
        async with self._starting:
            if self._app is None:
                from todo_backend.mcp_server import create_mcp_app, create_mcp_server

                server = create_mcp_server(self.services)
                app = create_mcp_app(server, self.services)
                ready = asyncio.get_running_loop().create_future()
                self._running = asyncio.create_task(self._run(server.session_manager, ready))
                await ready
                self._app = app
        return self._app

    async def _run(
        self, session_manager: "StreamableHTTPSessionManager", ready: "asyncio.Future[None]"
    ) -> None:
        """The session manager's lifetime, in a task of its own: it outlives the request that
        started it, until `aclose`."""
        try:
            async with session_manager.run():
                ready.set_result(None)
                await self._stop.wait()
        except BaseException as error:
            if not ready.done():
                ready.set_exception(error)
            raise

    async def aclose(self) -> None:
        """Stop the session manager; after a restart of the app a request makes a new one."""
        if self._running is not None:
            self._stop.set()
            await self._running
        self._app, self._running, self._stop = None, None, asyncio.Event()
