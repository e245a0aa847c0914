"""The chat agents: an LLM agent (`llm`: the OpenAI Agents SDK over the MCP tools) and the
built-in one (`builtin`); `base` is the interface both implement."""

from starlette.types import ASGIApp

from todo_backend.agent.base import ChatAgent
from todo_backend.agent.builtin import BuiltinAgent
from todo_backend.settings import Settings


def create_agent(settings: Settings, app: ASGIApp) -> ChatAgent:
    """The LLM agent when one is configured (AGENT_PROVIDER), otherwise the built-in agent."""
    if not settings.agent_uses_llm:
        return BuiltinAgent()
    # Imported only here: the Agents SDK and openai cost about 50 MB and a second of start-up.
    from todo_backend.agent.llm import LlmAgent

    return LlmAgent(settings, app)
