"""The LLM agent: the OpenAI Agents SDK with the MCP task tools, on any OpenAI-compatible server."""

import json
import logging
from collections.abc import AsyncIterator
from typing import Any

from agents import Agent, OpenAIChatCompletionsModel, RunConfig, Runner
from mcp.server.mcpserver import MCPServer
from openai import AsyncOpenAI
from openai.types.responses import ResponseTextDeltaEvent

from todo_backend.agent.base import AgentEvent, ChatTurn, TextDelta, ToolCallEvent
from todo_backend.agent.turn_mcp import RESULT_KEY, TurnMCP
from todo_backend.settings import Settings

logger = logging.getLogger("todo_backend.agent")

INSTRUCTIONS = """\
You are the Todo Chatbot, a friendly assistant that manages the user's todo list with tools.
The user's id is {user_id}: pass it as user_id to every tool.
It is now {now} in the user's time zone, {zone}. Read dates the user gives ("tomorrow at 5pm",
"next Friday") in that zone, and pass due_at, due_before and due_after as RFC 3339 date-times
with that zone's offset. Say dates back to the user in that zone, in plain words.
- Tasks have an optional due date, a priority (low, medium or high; "urgent" means high) and
  tags (such as "work"; "#work" in a message is the tag work). Set them with add_task or
  update_task; list_tasks filters by them (overdue, due_before, tags, priority, query) and
  sorts them (sort). clear_due_at removes a due date; reopen_task undoes a completion.
- To add a task, call add_task with a short, clean title (e.g. "I need to remember to pay bills"
  becomes "Pay bills").
- To show tasks, call list_tasks with status all, pending or completed as asked. It returns the
  newest tasks; when `more` is true, older ones exist: call it again with a larger limit if
  the task you need is not among them.
- When the user names a task by words rather than its number, call list_tasks first and pick
  the task whose title matches. If none matches, say plainly that the task was not found. If
  several match, list them and ask which one. Never guess or invent a task id.
- Confirm every action in one short sentence that names the task, e.g. "Added task 3: 'Buy milk'."
- If a tool returns an error, explain it plainly; "not found" means the task does not exist.
Keep answers short. Use plain text, no markdown tables."""


def instructions(turn: ChatTurn) -> str:
    """The system prompt for this turn: the caller's id, and the date and time where they are."""
    local_now = turn.now.astimezone(turn.zone)
    return INSTRUCTIONS.format(
        user_id=turn.tools.caller_id,
        now=local_now.strftime("%A %d %B %Y, %H:%M (UTC%z)"),
        zone=turn.zone.key,
    )


class LlmAgent:
    def __init__(self, settings: Settings, mcp_server: MCPServer) -> None:
        self.settings = settings
        self.mcp_server = mcp_server  # the app's own, which /mcp publishes too
        self.client = AsyncOpenAI(
            api_key=settings.openai_api_key or "not-needed",  # local servers ignore it
            base_url=settings.openai_base_url or None,
            timeout=settings.llm_timeout_seconds,
            max_retries=1,
        )
        self.model = OpenAIChatCompletionsModel(
            model=settings.openai_model, openai_client=self.client
        )
        # Traces carry chat text and task titles to OpenAI's trace store: off unless the operator
        # asks for them (AGENTS_TRACING), and never without a key to send them with.
        self.tracing_disabled = not (settings.agents_tracing and settings.openai_api_key)

    async def aclose(self) -> None:
        await self.client.close()

    async def run(self, turn: ChatTurn) -> AsyncIterator[AgentEvent]:
        mcp = TurnMCP(self.mcp_server, turn.tools, self.settings.llm_timeout_seconds)
        async with mcp:
            agent = Agent(
                name="Todo assistant",
                instructions=instructions(turn),
                model=self.model,
                mcp_servers=[mcp],
            )
            history: list[Any] = [
                {"role": message.role, "content": message.content} for message in turn.history
            ]
            run_input = [*history, {"role": "user", "content": turn.message}]
            run_config = RunConfig(
                tracing_disabled=self.tracing_disabled,
                # The settings' key, which may come from .env rather than the process environment.
                tracing={"api_key": self.settings.openai_api_key},
            )
            if turn.stream:
                streamed = Runner.run_streamed(
                    agent,
                    input=run_input,
                    max_turns=self.settings.llm_max_turns,
                    run_config=run_config,
                )
                tool_calls = _ToolCalls()
                async for event in streamed.stream_events():
                    if event.type == "raw_response_event":
                        if isinstance(event.data, ResponseTextDeltaEvent) and event.data.delta:
                            yield TextDelta(event.data.delta)
                    elif event.type == "run_item_stream_event" and (
                        call := tool_calls.see(event.item)
                    ):
                        yield call
            else:
                result = await Runner.run(
                    agent,
                    input=run_input,
                    max_turns=self.settings.llm_max_turns,
                    run_config=run_config,
                )
                tool_calls = _ToolCalls()
                for item in result.new_items:
                    if call := tool_calls.see(item):
                        yield call
                yield TextDelta(str(result.final_output or ""))


class _ToolCalls:
    """Pairs the SDK's tool-call items with their outputs into one event each."""

    def __init__(self) -> None:
        self._pending: dict[str, tuple[str, Any]] = {}

    def see(self, item: Any) -> ToolCallEvent | None:
        if item.type == "tool_call_item":
            raw = item.raw_item
            self._pending[_call_id(raw)] = (
                getattr(raw, "name", "tool"),
                _arguments(getattr(raw, "arguments", "{}")),
            )
        elif item.type == "tool_call_output_item":
            name, arguments = self._pending.pop(_call_id(item.raw_item), ("tool", {}))
            # A call that reached the server carries its result (`turn_mcp`); one the SDK
            # refused itself (arguments that are no JSON, an unknown tool) has its message.
            custom = item.custom_data or {}
            return ToolCallEvent(name, arguments, custom.get(RESULT_KEY, item.output))
        return None


def _call_id(raw: Any) -> str:
    if isinstance(raw, dict):
        return str(raw.get("call_id") or raw.get("id") or "")
    return str(getattr(raw, "call_id", "") or "")


def _json_or_text(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _arguments(value: Any) -> dict[str, Any]:
    """A call's arguments as the object the contract promises. Models, small local ones most,
    also send invalid JSON, `null` or a list: that is kept, as text, under "raw"."""
    parsed = _json_or_text(value)
    if isinstance(parsed, dict):
        return parsed
    return {"raw": value if isinstance(value, str) else json.dumps(value, default=str)}
