"""The MCP server: the task tools over streamable HTTP at /mcp, behind a user's API token or
sign-in token."""

import functools
import logging
from typing import Any

from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.server.mcpserver.tools import Tool
from mcp.server.transport_security import TransportSecuritySettings
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession
from starlette.datastructures import State
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from todo_backend.api_tokens import authenticate_api_token, is_api_token
from todo_backend.data.engine import Reads, open_session
from todo_backend.identity import authenticate
from todo_backend.ratelimit import RateLimitedError
from todo_backend.security import InvalidTokenError
from todo_backend.settings import Settings
from todo_backend.throttle import TOO_MANY_MCP_REQUESTS, Limits
from todo_backend.tools import TASK_TOOLS, TaskTool, TaskToolError, ToolContext

logger = logging.getLogger("todo_backend.mcp")
CALLER_SCOPE_KEY = "todo.caller_id"


UNAUTHORIZED = "Sign in first: a valid Bearer token is required"


class BearerAuth:
    """Admits an MCP request only with a user's API token (`api_tokens`), or the sign-in token
    of an existing, signed-in user, and records whose it is. Each API token has its own rate
    limit; a request over it is refused with 429 and Retry-After."""

    def __init__(self, app: ASGIApp, settings: Settings, app_state: State) -> None:
        self.app = app
        self.settings = settings
        self.app_state = app_state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        token = ""
        for name, value in scope["headers"]:
            if name == b"authorization":
                scheme, _, token = value.decode("latin-1").partition(" ")
                token = token.strip() if scheme.lower() == "bearer" else ""
        try:
            caller_id = await self._caller(token)
        except InvalidTokenError:
            response = JSONResponse(
                {"detail": UNAUTHORIZED}, status_code=401, headers={"WWW-Authenticate": "Bearer"}
            )
            await response(scope, receive, send)
            return
        except RateLimitedError as error:
            response = JSONResponse(
                {"detail": error.what, "retry_after": error.retry_after},
                status_code=429,
                headers={"Retry-After": str(error.retry_after)},
            )
            await response(scope, receive, send)
            return
        scope[CALLER_SCOPE_KEY] = caller_id
        await self.app(scope, receive, send)

    async def _caller(self, token: str) -> str:
        state = self.app_state
        if is_api_token(token):
            found = await authenticate_api_token(state.engine, state.session_factory, token)
            limits: Limits = state.limits
            await limits.mcp_requests_per_api_token.hit(str(found.id), what=TOO_MANY_MCP_REQUESTS)
            return found.user_id
        reads = Reads(state.engine)
        try:
            return await authenticate(reads, self.settings, token)
        finally:
            await reads.close()


def _caller_id(ctx: Context[Any, Any]) -> str:
    request = ctx.request_context.request
    caller_id = getattr(request, "scope", {}).get(CALLER_SCOPE_KEY)
    if not isinstance(caller_id, str):  # BearerAuth guarantees it; never act without it
        raise ToolError("Not authenticated")
    return caller_id


def _published(tool: TaskTool, app_state: State) -> Tool:
    """The tool as MCP publishes it: same name, schema and description; a session per call."""

    @functools.wraps(tool)
    async def run(ctx: Context[Any, Any], **arguments: Any) -> Any:
        session_factory: async_sessionmaker[AsyncSession] = app_state.session_factory
        settings: Settings = app_state.settings
        async with open_session(session_factory) as session:
            context = ToolContext(
                session=session, caller_id=_caller_id(ctx), quotas=settings.quotas
            )
            try:
                return await tool(context, **arguments)
            except TaskToolError as error:
                logger.info("tool refused", extra={"tool": tool.__name__, "reason": str(error)})
                raise ToolError(str(error)) from None

    return Tool.from_function(run, name=tool.__name__, context_kwarg="ctx")


def create_mcp_server(app_state: State) -> MCPServer:
    return MCPServer(
        name="todo-tasks",
        instructions="Manage a user's todo list: add, list, complete, update and delete tasks.",
        tools=[_published(tool, app_state) for tool in TASK_TOOLS.values()],
    )


def create_mcp_app(server: MCPServer, settings: Settings, app_state: State) -> ASGIApp:
    """The streamable-HTTP endpoint, stateless and answering JSON, to mount at /mcp."""
    security = TransportSecuritySettings(
        enable_dns_rebinding_protection=True,
        allowed_hosts=settings.mcp_host_patterns,
        allowed_origins=[f"http://{host}" for host in settings.mcp_host_patterns],
    )
    starlette_app = server.streamable_http_app(
        streamable_http_path="/",
        stateless_http=True,
        json_response=True,
        transport_security=security,
    )
    return BearerAuth(starlette_app, settings, app_state)
