"""The chat agents: an LLM agent (`llm`: the OpenAI Agents SDK over the MCP tools) and the
built-in one (`builtin`); `base` is the interface both implement."""

from collections.abc import Callable
from typing import TYPE_CHECKING

from todo_backend.agent.base import ChatAgent
from todo_backend.agent.builtin import BuiltinAgent
from todo_backend.settings import Settings

if TYPE_CHECKING:
    from mcp.server.mcpserver import MCPServer


def create_agent(settings: Settings, mcp_server: Callable[[], "MCPServer"]) -> ChatAgent:
    """The LLM agent when one is configured (AGENT_PROVIDER), otherwise the built-in agent,
    which needs no MCP server: `mcp_server` makes it (and loads the MCP SDK) only when asked."""
    if not settings.agent_uses_llm:
        return BuiltinAgent()
    # Imported only here: the Agents SDK and openai cost about 50 MB and a second of start-up.
    from todo_backend.agent.llm import LlmAgent

    return LlmAgent(settings, mcp_server())
