"""The built-in agent: deterministic, instant and offline. It reads the intent of a message
with a few patterns and acts only through the task tools, like the LLM agent does."""

import re
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

from todo_backend.agent.base import AgentEvent, ChatTurn, TextDelta, ToolCallEvent
from todo_backend.models import ID_MAX, ID_MIN, TITLE_MAX, TaskStatus
from todo_backend.tools import LIST_MAX, TaskToolError, ToolContext, call_tool

HELP = (
    "I can manage your tasks. Try:\n"
    '- "Add a task to buy groceries"\n'
    '- "Show me all my tasks", "What\'s pending?", "What have I completed?"\n'
    '- "Mark task 3 as complete"\n'
    "- \"Change task 1 to 'Call mom tonight'\"\n"
    '- "Delete the meeting task"'
)
NOT_UNDERSTOOD = "Sorry, I didn't catch that. " + HELP

_POLITE = r"(?:(?:please|pls|can you|could you|would you|kindly)\s+)*"
_TASK_WORD = r"(?:tasks?|todos?|to-dos?|items?|reminders?)"

# ---- message normalisation ----


def _clean(message: str) -> str:
    text = message.strip()
    text = re.sub(r"\s+", " ", text)
    return re.sub(r"[.!?]+$", "", text).strip()


def _strip_quotes(text: str) -> str:
    text = text.strip()
    quotes = "\"'`\u201c\u201d\u2018\u2019"  # straight, back and curly quotes
    if len(text) >= 2 and text[0] in quotes and text[-1] in quotes:
        text = text[1:-1]
    return text.strip()


def clean_title(raw: str) -> str:
    """'buy groceries to my list.' -> 'Buy groceries'"""
    title = _strip_quotes(raw)
    title = re.sub(
        rf"\s+(?:to|on|in|onto)\s+(?:my\s+|the\s+)?(?:{_TASK_WORD}\s+)?(?:list|tasks)$",
        "",
        title,
        flags=re.IGNORECASE,
    )
    title = re.sub(r"\s+please$", "", title, flags=re.IGNORECASE)
    title = re.sub(rf"(?<=\S)\s+{_TASK_WORD}$", "", title, flags=re.IGNORECASE)  # "a dentist task"
    title = _strip_quotes(title.strip(" .,;:!"))
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
            "delete",
            rf"^{_POLITE}(?:delete|remove|cancel|drop|erase|trash|get rid of|scrap)\s+(?P<ref>.+)$",
        ),
        (
            "add",
            rf"^{_POLITE}(?:add|create|make|put|insert|save)\s+(?:me\s+)?(?:a\s+|an\s+)?"
            rf"(?:new\s+)?(?:{_TASK_WORD}\s*)?(?:to\s+|:\s*|called\s+|named\s+|titled\s+|for\s+)?"
            r"(?P<title>.+)$",
        ),
        (
            "add",
            r"^(?:(?:please\s+)?remind me to|i need to remember to|remember to|"
            r"don'?t (?:let me )?forget to|i (?:still )?(?:need|have|got|must|should) to|"
            r"i must|i should|i gotta|i want to)\s+(?P<title>.+)$",
        ),
        ("add", rf"^(?:{_TASK_WORD}|new {_TASK_WORD})\s*:\s*(?P<title>.+)$"),
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


# ---- finding the task a message refers to ----

_ID_REFERENCE = re.compile(
    rf"^(?:the\s+)?(?:{_TASK_WORD}\s*)?(?:number\s+|no\.?\s*|#)?(?P<id>\d+)(?:\s+{_TASK_WORD})?$",
    re.IGNORECASE,
)
_FILLER = frozenset(
    {
        "the",
        "a",
        "an",
        "my",
        "this",
        "that",
        "task",
        "tasks",
        "todo",
        "todos",
        "item",
        "items",
        "one",
        "reminder",
        "for",
        "to",
        "on",
        "of",
        "please",
        "it",
    }
)


def reference_words(reference: str) -> list[str]:
    """'the milk task' -> ['milk']"""
    words = re.findall(r"[\w'-]+", _strip_quotes(reference).lower())
    return [word for word in words if word not in _FILLER]


def _describe_task(task: dict[str, Any]) -> str:
    return f"task {task['id']} '{task['title']}'"


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

    async def find(self, reference: str, *, prefer: TaskStatus = "all") -> dict[str, Any] | str:
        """The task the words refer to, or a reply explaining why there isn't exactly one."""
        by_id = _ID_REFERENCE.match(_strip_quotes(reference))
        if by_id:
            task_id = int(by_id["id"])
            if not ID_MIN <= task_id <= ID_MAX:  # no such task can exist: don't ask the tools
                return _task_not_found_reply(task_id)
            return {"id": task_id, "title": None}
        words = reference_words(reference)
        if not words:
            return "Which task? Tell me its number (like 'task 3') or words from its title."
        # As many as the tool gives: the task meant may be an old one.
        listed = await self.tool("list_tasks", status="all", limit=LIST_MAX)
        tasks: list[dict[str, Any]] = listed["tasks"]
        matches = [t for t in tasks if all(word in t["title"].lower() for word in words)]
        phrase = " ".join(words)
        exact = [t for t in matches if t["title"].lower() == phrase]
        if len(exact) == 1:
            return exact[0]
        if prefer != "all" and len(matches) > 1:
            wanted = [t for t in matches if t["completed"] == (prefer == "completed")]
            matches = wanted or matches
        if len(matches) == 1:
            return matches[0]
        if not matches:
            return f"I couldn't find a task matching '{phrase}'. Say 'show my tasks' to see them."
        options = "\n".join(f"- {_describe_task(t)}" for t in matches[:10])
        return (
            f"I found {len(matches)} tasks matching '{phrase}':\n{options}\n"
            "Which one? You can say, for example, 'task "
            f"{matches[0]['id']}'."
        )


# ---- replies ----


def _list_reply(tasks: list[dict[str, Any]], status: TaskStatus, *, more: bool) -> str:
    if more:
        kind = "" if status == "all" else f"{status} "
        heading = (
            f"Your newest {len(tasks)} {kind}tasks (you have more; the task list shows them all):"
        )
        return "\n".join([heading, *_task_lines(tasks)])
    if not tasks:
        return {
            "all": "You have no tasks yet. Try 'Add a task to buy milk'.",
            "pending": "Nothing pending: you're all caught up!",
            "completed": "You haven't completed any tasks yet.",
        }[status]
    heading = {
        "all": f"You have {len(tasks)} task{'s' if len(tasks) != 1 else ''}:",
        "pending": f"You have {len(tasks)} pending task{'s' if len(tasks) != 1 else ''}:",
        "completed": f"You have completed {len(tasks)} task{'s' if len(tasks) != 1 else ''}:",
    }[status]
    return "\n".join([heading, *_task_lines(tasks)])


def _task_lines(tasks: list[dict[str, Any]]) -> list[str]:
    return [
        f"- [{'x' if task['completed'] else ' '}] {task['title']} (task {task['id']})"
        for task in tasks
    ]


def _title_problem(title: str) -> str | None:
    if not title:
        return "What should the task say? For example: 'Add a task to buy milk'."
    if len(title) > TITLE_MAX:
        return f"That title is {len(title)} characters long; please keep it under {TITLE_MAX}."
    return None


class BuiltinAgent:
    async def aclose(self) -> None:
        """Nothing to release: no network, no state."""

    async def run(self, turn: ChatTurn) -> AsyncIterator[AgentEvent]:
        work = _Turn(turn.tools)
        reply = await self._respond(work, parse_intent(turn.message))
        for event in work.events:
            yield event
        # A streamed reply comes word by word, as an LLM's would.
        for piece in re.findall(r"\S+\s*", reply) if turn.stream else [reply]:
            yield TextDelta(piece)

    async def _respond(self, work: _Turn, intent: Intent) -> str:
        handler: Callable[[_Turn, dict[str, str]], Any] = {
            "greeting": self._greeting,
            "thanks": self._thanks,
            "help": self._help,
            "add": self._add,
            "list": self._list,
            "complete": self._complete,
            "delete": self._delete,
            "update": self._update,
            "describe": self._describe,
            "unknown": self._unknown,
        }[intent.kind]
        try:
            reply: str = await handler(work, intent.fields)
        except TaskToolError as error:
            reply = _tool_error_reply(str(error))
        return reply

    async def _greeting(self, work: _Turn, fields: dict[str, str]) -> str:
        return "Hi! " + HELP

    async def _thanks(self, work: _Turn, fields: dict[str, str]) -> str:
        return "You're welcome! Anything else on your list?"

    async def _help(self, work: _Turn, fields: dict[str, str]) -> str:
        return HELP

    async def _unknown(self, work: _Turn, fields: dict[str, str]) -> str:
        return NOT_UNDERSTOOD

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
                _strip_quotes(with_description["description"]),
            )
        title = clean_title(raw)
        problem = _title_problem(title)
        if problem:
            return problem
        arguments: dict[str, Any] = {"title": title}
        if description:
            arguments["description"] = description
        result = await work.tool("add_task", **arguments)
        return f"Added task {result['task_id']}: '{result['title']}'."

    async def _list(self, work: _Turn, fields: dict[str, str]) -> str:
        status: TaskStatus = fields.get("status", "all")  # type: ignore[assignment]
        listed = await work.tool("list_tasks", status=status)
        return _list_reply(listed["tasks"], status, more=listed["more"])

    async def _complete(self, work: _Turn, fields: dict[str, str]) -> str:
        found = await work.find(fields["ref"], prefer="pending")
        if isinstance(found, str):
            return found
        result = await work.tool("complete_task", task_id=found["id"])
        return f"Marked task {result['task_id']} '{result['title']}' as complete."

    async def _delete(self, work: _Turn, fields: dict[str, str]) -> str:
        found = await work.find(fields["ref"])
        if isinstance(found, str):
            return found
        result = await work.tool("delete_task", task_id=found["id"])
        return f"Deleted task {result['task_id']} '{result['title']}'."

    async def _update(self, work: _Turn, fields: dict[str, str]) -> str:
        title = clean_title(fields["title"])
        problem = _title_problem(title)
        if problem:
            return problem
        found = await work.find(fields["ref"])
        if isinstance(found, str):
            return found
        result = await work.tool("update_task", task_id=found["id"], title=title)
        return f"Updated task {result['task_id']}: it is now '{result['title']}'."

    async def _describe(self, work: _Turn, fields: dict[str, str]) -> str:
        found = await work.find(fields["ref"])
        if isinstance(found, str):
            return found
        description = _strip_quotes(fields["description"])
        result = await work.tool("update_task", task_id=found["id"], description=description)
        return f"Updated the description of task {result['task_id']} '{result['title']}'."


def _task_not_found_reply(task_id: int | str) -> str:
    return f"I couldn't find task {task_id}. Say 'show my tasks' to see their numbers."


def _tool_error_reply(message: str) -> str:
    not_found = re.fullmatch(r"Task (\d+) not found", message)
    if not_found:
        return _task_not_found_reply(not_found[1])
    return f"I couldn't do that: {message}"
