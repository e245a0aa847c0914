"""The MCP server: the task tools over streamable HTTP at /mcp, behind a user's API token or
sign-in token, and in process to the LLM agent's turns (`agent/turn_mcp.py`)."""

import functools
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.server.mcpserver.tools import Tool
from mcp.server.transport_security import TransportSecuritySettings
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from todo_backend.api.errors import SIGN_IN_FIRST
from todo_backend.api_tokens import authenticate_api_token, is_api_token
from todo_backend.data.engine import Reads, open_session
from todo_backend.identity import authenticate
from todo_backend.ratelimit import RateLimitedError
from todo_backend.security import InvalidTokenError
from todo_backend.services import Services
from todo_backend.throttle import TOO_MANY_MCP_REQUESTS
from todo_backend.tools import TASK_TOOLS, TaskTool, TaskToolError, ToolContext

logger = logging.getLogger("todo_backend.mcp")
CALLER_SCOPE_KEY = "todo.caller_id"

# The tools of the agent turn that is calling in process: the turn authorized its caller in its
# first statement and holds a session, so the call needs neither BearerAuth nor a session of
# its own. Set only around one call, in the calling task (`serving_turn`): no HTTP request sees it.
_TURN_TOOLS: ContextVar[ToolContext | None] = ContextVar("todo_turn_tools", default=None)


@contextmanager
def serving_turn(tools: ToolContext) -> Iterator[None]:
    """Tool calls made in process within this block (the MCP client's direct dispatch runs the
    tool in the calling task) act for the turn that `tools` belongs to."""
    token = _TURN_TOOLS.set(tools)
    try:
        yield
    finally:
        _TURN_TOOLS.reset(token)


class BearerAuth:
    """Admits an MCP request only with a user's API token (`api_tokens`), or the sign-in token
    of an existing, signed-in user, and records whose it is. Each API token has its own rate
    limit; a request over it is refused with 429 and Retry-After."""

    def __init__(self, app: ASGIApp, services: Services) -> None:
        self.app = app
        self.services = services

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
                {"detail": SIGN_IN_FIRST}, status_code=401, headers={"WWW-Authenticate": "Bearer"}
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
        services = self.services
        if is_api_token(token):
            found = await authenticate_api_token(services.engine, services.session_factory, token)
            await services.limits.mcp_requests_per_api_token.hit(
                str(found.id), what=TOO_MANY_MCP_REQUESTS
            )
            return found.user_id
        reads = Reads(services.engine)
        try:
            return await authenticate(reads, services.settings, token)
        finally:
            await reads.close()


def _caller_id(ctx: Context[Any, Any]) -> str:
    request = ctx.request_context.request
    caller_id = getattr(request, "scope", {}).get(CALLER_SCOPE_KEY)
    if not isinstance(caller_id, str):  # BearerAuth guarantees it; never act without it
        raise ToolError("Not authenticated")
    return caller_id


def _published(tool: TaskTool, services: Services) -> Tool:
    """The tool as MCP publishes it: same name, schema and description. An HTTP client's call
    gets a session of its own; an agent turn's call runs in the turn's session."""

    @functools.wraps(tool)
    async def run(ctx: Context[Any, Any], **arguments: Any) -> Any:
        turn_tools = _TURN_TOOLS.get()
        if turn_tools is not None:
            return await _called_in_turn(tool, turn_tools, arguments)
        async with open_session(services.session_factory) as session:
            context = ToolContext(
                session=session, caller_id=_caller_id(ctx), quotas=services.settings.quotas
            )
            return await _called(tool, context, arguments)

    return Tool.from_function(run, name=tool.__name__, context_kwarg="ctx")


async def _called(tool: TaskTool, context: ToolContext, arguments: dict[str, Any]) -> Any:
    try:
        return await tool(context, **arguments)
    except TaskToolError as error:
        logger.info("tool refused", extra={"tool": tool.__name__, "reason": str(error)})
        raise ToolError(str(error)) from None


async def _called_in_turn(tool: TaskTool, tools: ToolContext, arguments: dict[str, Any]) -> Any:
    """The call ends its transaction in the turn's session, as closing a session of its own
    would: rolled back when the tool fails (a refused add_task holds the user's row lock, a
    failed statement leaves the session unusable), committed otherwise (a list_tasks read would
    keep the turn's connection from the pool while the model thinks)."""
    try:
        result = await _called(tool, tools, arguments)
    except Exception:
        await tools.session.rollback()
        raise
    await tools.session.commit()
    return result


def create_mcp_server(services: Services) -> MCPServer:
    return MCPServer(
        name="todo-tasks",
        instructions="Manage a user's todo list: add, list, complete, update and delete tasks.",
        tools=[_published(tool, services) for tool in TASK_TOOLS.values()],
    )


def create_mcp_app(server: MCPServer, services: Services) -> ASGIApp:
    """The streamable-HTTP endpoint, stateless and answering JSON, to mount at /mcp."""
    settings = services.settings
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
    return BearerAuth(starlette_app, services)
