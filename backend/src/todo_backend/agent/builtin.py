"""The built-in agent: deterministic, instant and offline. It reads the intent of a message
with a few patterns and acts only through the task tools, like the LLM agent does."""

import re
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

from todo_backend.agent import followups, replies
from todo_backend.agent.base import AgentEvent, ChatTurn, TextDelta, ToolCallEvent
from todo_backend.agent.followups import Action, Pending, PendingChoice, PendingConfirmation
from todo_backend.agent.references import (
    TASK_WORD as _TASK_WORD,
)
from todo_backend.agent.references import (
    Ambiguous,
    Found,
    NotFound,
    TaskRow,
    reference_words,
    resolve,
    strip_quotes,
    task_number,
)
from todo_backend.models import TaskStatus
from todo_backend.tools import TaskToolError, ToolContext, call_tool

_POLITE = r"(?:(?:please|pls|can you|could you|would you|kindly)\s+)*"
_STATUS_WORDS = r"completed|complete|done|finished|checked off|ticked off"
_TODO_VERBS = "|".join(
    [
        "pick",
        "drop",
        "put",
        "call",
        "ring",
        "phone",
        "buy",
        "pay",
        "book",
        "take",
        "get",
        "grab",
        "clean",
        "wash",
        "fix",
        "water",
        "walk",
        "feed",
        "send",
        "email",
        "text",
        "write",
        "file",
        "renew",
        "return",
        "cancel",
        "schedule",
        "order",
        "collect",
        "prepare",
        "cook",
        "bake",
        "mow",
        "vacuum",
        "tidy",
        "sort",
        "empty",
        "fill",
        "charge",
        "check",
        "visit",
        "meet",
        "reply",
        "submit",
        "print",
        "sign",
        "post",
        "mail",
        "ship",
        "pack",
        "unpack",
        "move",
        "plan",
        "organise",
        "organize",
        "review",
        "replace",
        "repair",
        "install",
        "paint",
        "hang",
        "iron",
        "fold",
        "wrap",
        "bring",
        "drive",
        "go",
        "practise",
        "practice",
        "study",
        "learn",
        "exercise",
        "run",
        "apply",
        "register",
        "back",
        "sweep",
        "mop",
        "dust",
        "shop",
        "do",
        "make",
        "start",
        "try",
        "find",
        "look",
        "fetch",
        "hoover",
        "bin",
    ]
)

# ---- message normalisation ----


def _clean(message: str) -> str:
    text = message.strip()
    text = re.sub(r"\s+", " ", text)
    return re.sub(r"[.!?]+$", "", text).strip()


def clean_title(raw: str) -> str:
    """'buy groceries to my list.' -> 'Buy groceries'"""
    title = strip_quotes(raw)
    title = re.sub(
        rf"\s+(?:to|on|in|onto)\s+(?:my\s+|the\s+)?(?:(?:todo|to-do|task)\s+)?(?:list|{_TASK_WORD})$",
        "",
        title,
        flags=re.IGNORECASE,
    )
    title = re.sub(r"\s+please$", "", title, flags=re.IGNORECASE)
    title = re.sub(rf"(?<=\S)\s+{_TASK_WORD}$", "", title, flags=re.IGNORECASE)  # "a dentist task"
    title = strip_quotes(title.strip(" .,;:!"))
    if re.fullmatch(rf"(?:a |an |new )*{_TASK_WORD}", title, flags=re.IGNORECASE):
        return ""  # "Add a task" says nothing about what the task is
    return title[:1].upper() + title[1:]


# ---- intents ----


@dataclass(frozen=True)
class Intent:
    kind: str
    fields: dict[str, str]


_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    (kind, re.compile(pattern, re.IGNORECASE))
    for kind, pattern in [
        (
            "greeting",
            r"^(?:hi|hello|hey|hiya|yo|howdy|good (?:morning|afternoon|evening))\b.{0,20}$",
        ),
        ("thanks", r"^(?:thanks|thank you|thx|cheers|great|perfect|awesome)\b.{0,20}$"),
        (
            "help",
            r"^(?:help|\?|commands|what can you do|how does this work|"
            r"how do (?:i|you) use (?:this|you)).*$",
        ),
        (
            "describe",
            rf"^{_POLITE}(?:change|update|set|edit)\s+the\s+(?:description|details|notes?)\s+"
            r"(?:of|for|on)\s+(?P<ref>.+?)\s+to\s+(?P<description>.+)$",
        ),
        (
            "complete",
            rf"^{_POLITE}(?:change|set|update|switch|move|mark)\s+(?P<ref>.+?)\s+(?:to|as)\s+"
            r"(?:done|complete|completed|finished)$",
        ),
        (
            "update",
            rf"^{_POLITE}(?:change|rename|update|edit|modify|retitle|reword)\s+(?P<ref>.+?)\s+"
            r"(?:to|into|as)\s+(?P<title>.+)$",
        ),
        (
            "complete",
            rf"^{_POLITE}(?:mark|set|flag)\s+(?P<ref>.+?)\s+(?:as\s+)?"
            r"(?:complete|completed|done|finished|closed)$",
        ),
        (
            "complete",
            rf"^{_POLITE}(?:complete|finish|check off|tick off|cross off|close)\s+(?P<ref>.+)$",
        ),
        (
            "complete",
            r"^i(?:'ve| have)?\s+(?:just\s+)?(?:finished|completed|done|did)\s+(?P<ref>.+)$",
        ),
        ("complete", r"^(?P<ref>.+?)\s+is\s+(?:now\s+)?(?:done|complete|completed|finished)$"),
        (
            "delete_all",
            rf"^{_POLITE}(?:delete|remove|clear(?:\s+out)?|erase|get rid of)\s+"
            r"(?:all|every|everything)\b(?:\s+(?:of\s+)?(?:my|the))?\s*"
            rf"(?:(?P<status>{_STATUS_WORDS})\s*)?(?:{_TASK_WORD}|ones)?"
            r"(?:\s+(?:on|from|in)\s+my\s+list)?$",
        ),
        (
            "delete_all",
            rf"^{_POLITE}(?:delete|remove|clear(?:\s+out)?|erase|get rid of)\s+"
            rf"(?:my\s+|the\s+)?(?P<status>{_STATUS_WORDS})\s+(?:tasks|todos|to-dos|items|ones)$",
        ),
        (
            "delete",
            rf"^{_POLITE}(?:delete|remove|erase|trash|scrap|get rid of)\s+(?P<ref>.+)$",
        ),
        (
            # "drop" and "cancel" also start new to-dos ("Drop off the kids", "Cancel the gym"):
            # they delete only when they name a task ("drop the milk task", "cancel task 3").
            "delete",
            rf"^{_POLITE}(?:drop|cancel)\s+(?P<ref>(?:the\s+)?(?:{_TASK_WORD}\s+)?(?:#|number\s+)?\d+"
            rf"|.+?\s+{_TASK_WORD})$",
        ),
        (
            "add",
            rf"^{_POLITE}(?:add|create)\s+(?:me\s+)?(?:a\s+|an\s+)?"
            rf"(?:new\s+)?(?:{_TASK_WORD}\s*)?(?:to\s+|:\s*|called\s+|named\s+|titled\s+|for\s+)?"
            r"(?P<title>.+)$",
        ),
        (
            # "make", "put", "save" add only with a task word or a list: "Put the bins out" is a
            # to-do of its own.
            "add",
            rf"^{_POLITE}(?:make|put|insert|save)\s+(?:me\s+)?(?:a\s+|an\s+)?(?:new\s+)?"
            rf"{_TASK_WORD}\s*(?:to\s+|:\s*|called\s+|named\s+|titled\s+|for\s+)?"
            r"(?P<title>.+)$",
        ),
        (
            "add",
            rf"^{_POLITE}(?:put|insert|save)\s+(?P<title>.+?\s+(?:on|to|in|onto)\s+(?:my|the)\s+"
            rf"(?:(?:todo|to-do|task)\s+)?(?:list|{_TASK_WORD}))$",
        ),
        (
            "add",
            r"^(?:(?:please\s+)?remind me to|i need to remember to|remember to|"
            r"don'?t (?:let me )?forget to|i (?:still )?(?:need|have|got|must|should) to|"
            r"i must|i should|i gotta|i want to)\s+(?P<title>.+)$",
        ),
        ("add", rf"^(?:{_TASK_WORD}|new {_TASK_WORD})\s*:\s*(?P<title>.+)$"),
        # A sentence that starts with an everyday verb is a new to-do, verb and all.
        ("add", rf"^(?P<title>(?:{_TODO_VERBS})\b.+)$"),
    ]
]

_LIST_VERBS = re.compile(
    r"\b(?:show|list|display|see|view|what|which|give me|tell me|get|read|print|how many)\b"
    r"|what's|whats",
    re.IGNORECASE,
)
_LIST_NOUNS = re.compile(
    rf"\b(?:{_TASK_WORD}|list|pending|left|remaining|outstanding|open|complete|completed|done|"
    r"finished|to do|agenda|plate)\b",
    re.IGNORECASE,
)
_PENDING = re.compile(
    r"\b(?:pending|left|remaining|outstanding|open|incomplete|unfinished|not done|to do|"
    r"still (?:need|have)|undone)\b",
    re.IGNORECASE,
)
_COMPLETED = re.compile(
    r"\b(?:completed|complete|finished|done|accomplished|achieved|ticked off|checked off)\b",
    re.IGNORECASE,
)


def list_status(text: str) -> TaskStatus:
    if _PENDING.search(text):
        return "pending"
    if _COMPLETED.search(text):
        return "completed"
    return "all"


def parse_intent(message: str) -> Intent:
    text = _clean(message)
    if not text:
        return Intent("help", {})
    for kind, pattern in _PATTERNS:
        match = pattern.match(text)
        if match:
            return Intent(kind, {k: v for k, v in match.groupdict().items() if v is not None})
    if _LIST_VERBS.search(text) and _LIST_NOUNS.search(text):
        return Intent("list", {"status": list_status(text)})
    return Intent("unknown", {})


# ---- acting on the intent ----


class _Turn:
    """One message's work: tool calls are recorded as they happen and become events."""

    def __init__(self, ctx: ToolContext) -> None:
        self.ctx = ctx
        self.events: list[AgentEvent] = []

    async def tool(self, name: str, **arguments: Any) -> Any:
        arguments = {"user_id": self.ctx.caller_id, **arguments}
        try:
            result = await call_tool(self.ctx, name, arguments)
        except TaskToolError as error:
            self.events.append(ToolCallEvent(name, arguments, {"error": str(error)}))
            raise
        self.events.append(ToolCallEvent(name, arguments, result))
        return result

    async def tasks(self, status: TaskStatus = "all") -> list[TaskRow]:
        rows: list[dict[str, Any]] = await self.tool("list_tasks", status=status)
        return [TaskRow.from_tool(row) for row in rows]

    async def act(self, action: Action, task: TaskRow | int, text: str | None = None) -> str:
        """Do `action` to one task the user has named for sure; the reply says what changed."""
        if isinstance(task, TaskRow):
            if action == "complete" and task.completed:
                return replies.already_complete(task)
            task = task.id
        if action == "delete":
            return replies.done(await self.tool("delete_task", task_id=task))
        if action == "complete":
            return replies.done(await self.tool("complete_task", task_id=task))
        if action == "rename":
            return replies.done(await self.tool("update_task", task_id=task, title=text))
        return replies.described(await self.tool("update_task", task_id=task, description=text))

    async def act_on_reference(
        self, action: Action, reference: str, text: str | None = None
    ) -> str:
        """Act when the reference names one task for sure; otherwise ask, changing nothing."""
        number = task_number(reference)
        if number is not None:
            return await self.act(action, number, text)
        if not reference_words(reference):
            return replies.WHICH_TASK  # asked before listing: there is nothing to look for
        found = resolve(reference, await self.tasks(), prefer_pending=action == "complete")
        if isinstance(found, Found):
            return await self.act(action, found.task, text)
        if isinstance(found, Ambiguous):
            return followups.ask_which(action, found.candidates, text)
        if isinstance(found, NotFound):
            return replies.not_found(found.phrase)
        return replies.WHICH_TASK

    async def answer(self, question: Pending, message: str) -> str | None:
        """The reply when `message` answers the agent's last question, else None."""
        if followups.is_no(message):
            return replies.kept()
        if isinstance(question, PendingConfirmation):
            if not followups.is_yes(message):
                return None
            results = []
            for task_id in question.task_ids:
                try:
                    results.append(await self.tool("delete_task", task_id=task_id))
                except TaskToolError:
                    continue  # already gone: nothing to delete
            return replies.deleted_several(results) if results else replies.kept()
        return await self._choose(question, message)

    async def _choose(self, question: PendingChoice, message: str) -> str | None:
        if len(question.task_ids) == 1 and followups.is_yes(message):
            return await self.act(question.action, question.task_ids[0], question.text)
        number = task_number(_clean(message))
        if number is not None:
            if number not in question.task_ids:
                return None
            return await self.act(question.action, number, question.text)
        options = [t for t in await self.tasks() if t.id in question.task_ids]
        found = resolve(_clean(message), options)
        if isinstance(found, Found):
            return await self.act(question.action, found.task, question.text)
        return None


class BuiltinAgent:
    async def aclose(self) -> None:
        """Nothing to release: no network, no state."""

    async def run(self, turn: ChatTurn) -> AsyncIterator[AgentEvent]:
        work = _Turn(turn.tools)
        try:
            reply = await self._respond(work, turn)
        except TaskToolError as error:
            reply = _tool_error_reply(error)
        for event in work.events:
            yield event
        # A streamed reply comes word by word, as an LLM's would.
        for piece in re.findall(r"\S+\s*", reply) if turn.stream else [reply]:
            yield TextDelta(piece)

    async def _respond(self, work: _Turn, turn: ChatTurn) -> str:
        question = followups.pending(turn.history)
        if question is not None:
            answer = await work.answer(question, turn.message)
            if answer is not None:
                return answer
        intent = parse_intent(turn.message)
        handler: Callable[[_Turn, dict[str, str]], Any] = {
            "greeting": self._greeting,
            "thanks": self._thanks,
            "help": self._help,
            "add": self._add,
            "list": self._list,
            "complete": self._complete,
            "delete": self._delete,
            "delete_all": self._delete_all,
            "update": self._update,
            "describe": self._describe,
            "unknown": self._unknown,
        }[intent.kind]
        reply: str = await handler(work, intent.fields)
        return reply

    async def _greeting(self, work: _Turn, fields: dict[str, str]) -> str:
        return "Hi! " + replies.HELP

    async def _thanks(self, work: _Turn, fields: dict[str, str]) -> str:
        return "You're welcome! Anything else on your list?"

    async def _help(self, work: _Turn, fields: dict[str, str]) -> str:
        return replies.HELP

    async def _unknown(self, work: _Turn, fields: dict[str, str]) -> str:
        return replies.NOT_UNDERSTOOD

    async def _add(self, work: _Turn, fields: dict[str, str]) -> str:
        raw = fields["title"]
        description = None
        with_description = re.match(
            r"^(?P<title>.+?)\s*(?:[,;:-]\s*)?(?:with\s+)?(?:the\s+)?(?:description|details|notes?)"
            r"\s*[:=]?\s*(?P<description>.+)$",
            raw,
            re.IGNORECASE,
        )
        if with_description:
            raw, description = (
                with_description["title"],
                strip_quotes(with_description["description"]),
            )
        title = clean_title(raw)
        problem = replies.title_problem(title)
        if problem:
            return problem
        arguments: dict[str, Any] = {"title": title}
        if description:
            arguments["description"] = description
        return replies.done(await work.tool("add_task", **arguments))

    async def _list(self, work: _Turn, fields: dict[str, str]) -> str:
        status: TaskStatus = fields.get("status", "all")  # type: ignore[assignment]
        return replies.task_list(await work.tasks(status), status)

    async def _complete(self, work: _Turn, fields: dict[str, str]) -> str:
        return await work.act_on_reference("complete", fields["ref"])

    async def _delete(self, work: _Turn, fields: dict[str, str]) -> str:
        return await work.act_on_reference("delete", fields["ref"])

    async def _delete_all(self, work: _Turn, fields: dict[str, str]) -> str:
        status: TaskStatus = "completed" if fields.get("status") else "all"
        kind = "completed tasks" if status == "completed" else "tasks"
        tasks = await work.tasks(status)
        if not tasks:
            return replies.nothing_to_delete(kind)
        return followups.ask_to_delete(tasks, kind)

    async def _update(self, work: _Turn, fields: dict[str, str]) -> str:
        title = clean_title(fields["title"])
        problem = replies.title_problem(title)
        if problem:
            return problem
        return await work.act_on_reference("rename", fields["ref"], title)

    async def _describe(self, work: _Turn, fields: dict[str, str]) -> str:
        description = strip_quotes(fields["description"])
        return await work.act_on_reference("describe", fields["ref"], description)


def _tool_error_reply(error: TaskToolError) -> str:
    not_found = re.fullmatch(r"Task (\d+) not found", str(error))
    if not_found:
        return replies.no_such_number(int(not_found[1]))
    return replies.tool_refused(str(error))
