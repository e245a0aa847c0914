"""What every agent takes and produces: one chat turn in, a stream of events out."""

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from todo_backend.models import utc_now
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
    # The user's time zone: "tomorrow at 5pm" means 5pm there, and replies give times there.
    zone: ZoneInfo = field(default_factory=lambda: ZoneInfo("UTC"))
    now: datetime = field(default_factory=utc_now)  # one "now" for the whole turn


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
