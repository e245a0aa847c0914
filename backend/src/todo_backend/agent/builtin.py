"""The built-in agent: deterministic, instant and offline. It reads a message's intent from the
table in `intents`, acts only through the task tools (`actions`) and says what it did
(`replies`); a question it asked last turn is read back from the conversation history."""

import re
from collections.abc import AsyncIterator, Awaitable, Callable

from todo_backend.agent import followups, replies
from todo_backend.agent.actions import TaskActions
from todo_backend.agent.base import AgentEvent, ChatTurn, TextDelta
from todo_backend.agent.intents import IntentName, Parsed, Unclear, list_status, parse
from todo_backend.agent.references import strip_quotes
from todo_backend.agent.titles import clean_title
from todo_backend.tools import TaskNotFoundError, TaskToolError

Handler = Callable[[TaskActions, Parsed], Awaitable[str]]


async def _greeting(work: TaskActions, parsed: Parsed) -> str:
    return "Hi! " + replies.HELP


async def _thanks(work: TaskActions, parsed: Parsed) -> str:
    return "You're welcome! Anything else on your list?"


async def _help(work: TaskActions, parsed: Parsed) -> str:
    return replies.HELP


async def _add(work: TaskActions, parsed: Parsed) -> str:
    return await work.add(parsed.fields["title"])


async def _list(work: TaskActions, parsed: Parsed) -> str:
    status = list_status(parsed.text)
    return replies.task_list(await work.tasks(status), status)


async def _search(work: TaskActions, parsed: Parsed) -> str:
    return await work.search(parsed.fields["query"])


async def _complete(work: TaskActions, parsed: Parsed) -> str:
    reference = " ".join(filter(None, [parsed.fields["ref"], parsed.fields.get("state")]))
    return await work.act_on_reference("complete", reference)


async def _delete(work: TaskActions, parsed: Parsed) -> str:
    return await work.act_on_reference("delete", parsed.fields["ref"])


async def _delete_all(work: TaskActions, parsed: Parsed) -> str:
    if "ids" in parsed.fields:
        return await work.ask_to_delete_numbers(
            [int(n) for n in re.findall(r"\d+", parsed.fields["ids"])]
        )
    return await work.ask_to_delete_all("completed" if parsed.fields.get("status") else "all")


async def _rename(work: TaskActions, parsed: Parsed) -> str:
    title = clean_title(parsed.fields["title"])
    problem = replies.title_problem(title)
    if problem:
        return problem
    return await work.act_on_reference("rename", parsed.fields["ref"], title)


async def _amend(work: TaskActions, parsed: Parsed) -> str:
    return await work.amend(parsed.fields["title"])


async def _describe(work: TaskActions, parsed: Parsed) -> str:
    description = strip_quotes(parsed.fields["description"])
    return await work.act_on_reference("describe", parsed.fields["ref"], description)


HANDLERS: dict[IntentName, Handler] = {
    "greeting": _greeting,
    "thanks": _thanks,
    "help": _help,
    "add": _add,
    "list": _list,
    "search": _search,
    "complete": _complete,
    "delete": _delete,
    "delete_all": _delete_all,
    "rename": _rename,
    "amend": _amend,
    "describe": _describe,
}


async def respond(work: TaskActions, message: str) -> str:
    """The reply to one message: an answer to the last question, or the message's own intent."""
    question = followups.pending(work.history)
    if question is not None:
        answer = await work.answer(question, message)
        if answer is not None:
            return answer
    parsed = parse(message)
    if isinstance(parsed, Unclear):
        return replies.unclear(parsed.intents)
    if not isinstance(parsed, Parsed):
        return replies.NOT_UNDERSTOOD
    return await HANDLERS[parsed.intent](work, parsed)


def _refusal(error: TaskToolError) -> str:
    if isinstance(error, TaskNotFoundError):
        return replies.no_such_number(error.task_id)
    return replies.tool_refused(str(error))


class BuiltinAgent:
    async def aclose(self) -> None:
        """Nothing to release: no network, no state."""

    async def run(self, turn: ChatTurn) -> AsyncIterator[AgentEvent]:
        work = TaskActions(turn.tools, turn.history)
        try:
            reply = await respond(work, turn.message)
        except TaskToolError as error:
            reply = _refusal(error)
        for event in work.events:
            yield event
        # A streamed reply comes word by word, as an LLM's would.
        for piece in re.findall(r"\S+\s*", reply) if turn.stream else [reply]:
            yield TextDelta(piece)
