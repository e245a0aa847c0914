"""What every agent takes and produces: one chat turn in, a stream of events out."""

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from todo_backend.tools import ToolContext


@dataclass(frozen=True)
class HistoryMessage:
    role: str  # "user" or "assistant"
    content: str


@dataclass(frozen=True)
class ChatTurn:
    """One user message with what the agent needs to answer it."""

    message: str
    history: Sequence[HistoryMessage]
    tools: ToolContext  # the caller's identity, authorized by the turn, and its database session
    stream: bool = True  # whether the reply is wanted piece by piece as it is produced


@dataclass(frozen=True)
class TextDelta:
    text: str


@dataclass(frozen=True)
class ToolCallEvent:
    name: str
    arguments: dict[str, Any]
    result: Any = field(default=None)


AgentEvent = TextDelta | ToolCallEvent


class ChatAgent(Protocol):
    def run(self, turn: ChatTurn) -> AsyncIterator[AgentEvent]:
        """Answer the turn: text as it is produced and every tool call with its result."""
        ...

    async def aclose(self) -> None:
        """Release what the agent holds (HTTP connections); called at shutdown."""
        ...
