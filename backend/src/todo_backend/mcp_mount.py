"""/mcp, with the MCP server (`mcp_server`) loaded on its first request.

The MCP SDK takes about 17 MB of memory, a sixth of an idle backend, and most deployments'
clients (the web frontend, the built-in agent) never speak MCP: they need not pay for it. The
first MCP request starts the SDK's session manager, which then runs until the app stops. The
LLM agent (whose SDK loads the MCP SDK anyway) reaches the same server in process.
"""

import asyncio
from typing import TYPE_CHECKING

from starlette.types import ASGIApp, Receive, Scope, Send

from todo_backend.services import Services

if TYPE_CHECKING:
    from mcp.server.mcpserver import MCPServer
    from mcp.server.streamable_http_manager import StreamableHTTPSessionManager


class LazyMCPApp:
    """The MCP endpoint, made on first use; `aclose` stops its session manager, if started."""

    def __init__(self, services: Services) -> None:
        self.services = services
        self._starting = asyncio.Lock()
        self._server: MCPServer | None = None
        self._app: ASGIApp | None = None
        self._running: asyncio.Task[None] | None = None
        self._stop = asyncio.Event()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        app = self._app or await self._start()
        await app(scope, receive, send)

    def server(self) -> "MCPServer":
        """The MCP server, made on first use: by /mcp's first request or the LLM agent."""
        if self._server is None:
            from todo_backend.mcp_server import create_mcp_server

            self._server = create_mcp_server(self.services)
        return self._server

    async def _start(self) -> ASGIApp:
        async with self._starting:
            if self._app is None:
                from todo_backend.mcp_server import create_mcp_app

                server = self.server()
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
        """Stop the session manager; after a restart of the app a request (or the new LLM
        agent) makes a new server."""
        if self._running is not None:
            self._stop.set()
            await self._running
        self._server, self._app, self._running = None, None, None
        self._stop = asyncio.Event()
