"""The LLM agent's MCP connection for one turn: the app's own MCP server, in process.

The agent speaks MCP (tools/list, tools/call) to the same server that /mcp publishes, through
the MCP client's in-process dispatch rather than HTTP: no request, no BearerAuth, no JSON text
on the way. That dispatch runs a tool in the calling task, where `serving_turn` hands it the
turn's tools: the caller the turn authorized once, and the turn's database session."""

import asyncio
from contextlib import AsyncExitStack
from types import TracebackType
from typing import Any, cast

from agents import AgentBase, RunContextWrapper
from agents.mcp import MCPServer as AgentsMCPServer
from agents.mcp import MCPToolCustomDataContext
from mcp import Client
from mcp.server.mcpserver import MCPServer
from mcp.types import (
    CallToolResult,
    GetPromptResult,
    ListPromptsResult,
    RequestParamsMeta,
    Tool,
)

from todo_backend.mcp_server import serving_turn
from todo_backend.tools import ToolContext

RESULT_KEY = "result"  # where a tool call's output item carries the tool's result


def _result(call: MCPToolCustomDataContext) -> dict[str, Any]:
    """The tool's result as the server sent it: its structured content, the JSON object the
    tool returned; a refusal has only text, which is kept as it is."""
    if call.structured_content is not None and not call.is_error:
        return {RESULT_KEY: dict(call.structured_content)}
    output = call.tool_output
    parts = output if isinstance(output, list) else [output]
    text = [part if isinstance(part, str) else str(part.get("text", "")) for part in parts]
    return {RESULT_KEY: "".join(text)}


class TurnMCP(AgentsMCPServer):
    """The MCP server as the Agents SDK sees it, for one turn."""

    def __init__(self, server: MCPServer, tools: ToolContext, timeout_seconds: float) -> None:
        super().__init__(custom_data_extractor=_result)
        self._server = server
        self._tools = tools
        self._timeout_seconds = timeout_seconds
        self._client: Client | None = None
        self._closing = AsyncExitStack()
        self._listed: list[Tool] | None = None
        # The SDK runs the tool calls of one model response concurrently, but they share the
        # turn's database session, which runs one statement at a time: they take turns.
        self._one_call_at_a_time = asyncio.Lock()

    @property
    def name(self) -> str:
        return "todo-tasks"

    async def connect(self) -> None:
        client = Client(self._server, read_timeout_seconds=self._timeout_seconds, cache=None)
        self._client = await self._closing.enter_async_context(client)

    async def cleanup(self) -> None:
        self._client = None
        await self._closing.aclose()

    async def __aenter__(self) -> "TurnMCP":
        await self.connect()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.cleanup()

    def _connected(self) -> Client:
        if self._client is None:
            raise RuntimeError("connect first: `async with TurnMCP(...)`")
        return self._client

    async def list_tools(
        self, run_context: RunContextWrapper[Any] | None = None, agent: AgentBase | None = None
    ) -> list[Tool]:
        # Asked before every model call; the tools do not change during a turn.
        if self._listed is None:
            self._listed = (await self._connected().list_tools()).tools
        return self._listed

    async def call_tool(
        self, tool_name: str, arguments: dict[str, Any] | None, meta: dict[str, Any] | None = None
    ) -> CallToolResult:
        async with self._one_call_at_a_time:
            with serving_turn(self._tools):
                return await self._connected().call_tool(
                    tool_name, arguments, meta=cast(RequestParamsMeta | None, meta)
                )

    async def list_prompts(self) -> ListPromptsResult:
        return await self._connected().list_prompts()

    async def get_prompt(
        self, name: str, arguments: dict[str, Any] | None = None
    ) -> GetPromptResult:
        return await self._connected().get_prompt(name, arguments)
