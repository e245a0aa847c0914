"""The built-in agent: deterministic, instant and offline. It reads a message's intent from the
table in `intents` (through `parser`), runs that intent's handler, which acts only through the
task tools (`actions`) and says what it did (`replies`); a question it asked last turn is read
back from the conversation history."""

import re
from collections.abc import AsyncIterator

from todo_backend.agent.base import AgentEvent, ChatTurn, TextDelta
from todo_backend.agent.builtin import followups, replies
from todo_backend.agent.builtin.actions import TaskActions
from todo_backend.agent.builtin.intents import Parsed
from todo_backend.agent.builtin.parser import Unclear, intent, parse
from todo_backend.tools import TaskNotFoundError, TaskToolError


async def respond(work: TaskActions, message: str) -> str:
    """The reply to one message: an answer to the last question, or the message's own intent."""
    question = followups.pending(work.history)
    if question is not None:
        answer = await work.answer(question, message)
        if answer is not None:
            return answer
    if isinstance(question, followups.PendingDate):
        message = question.with_date(message) or message
    parsed = parse(message)
    if isinstance(parsed, Unclear):
        return replies.unclear(parsed.intents)
    if not isinstance(parsed, Parsed):
        return replies.NOT_UNDERSTOOD
    return await intent(parsed.intent).handler(work, parsed)


def _refusal(error: TaskToolError) -> str:
    if isinstance(error, TaskNotFoundError):
        return replies.no_such_number(error.task_id)
    return replies.tool_refused(str(error))


class BuiltinAgent:
    async def aclose(self) -> None:
        """Nothing to release: no network, no state."""

    async def run(self, turn: ChatTurn) -> AsyncIterator[AgentEvent]:
        work = TaskActions(turn.tools, turn.history, turn.now, turn.zone)
        try:
            reply = await respond(work, turn.message)
        except TaskToolError as error:
            reply = _refusal(error)
        for event in work.events:
            yield event
        # A streamed reply comes word by word, as an LLM's would.
        for piece in re.findall(r"\S+\s*", reply) if turn.stream else [reply]:
            yield TextDelta(piece)
