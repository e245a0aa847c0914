"""Questions the agent asks before it changes anything, and reading them back a turn later.

The server keeps no state between turns, so a question carries what the answer needs in its own
words: the numbers of the tasks offered and the action waiting. The functions that write those
questions and the one that reads them back live here together, so the two cannot drift apart."""

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, get_args

from todo_backend.agent.base import HistoryMessage
from todo_backend.agent.builtin.dates import WHEN
from todo_backend.agent.builtin.references import TaskRow

# The actions that change a task's status or plan (due date, priority, tags).
PlanAction = Literal["reopen", "reschedule", "clear_due", "prioritise", "tag", "untag", "untag_all"]
Action = Literal["delete", "complete", "rename", "describe", PlanAction]
PLAN_ACTIONS: frozenset[Action] = frozenset(get_args(PlanAction))

_PROMISES: dict[Action, str] = {
    "delete": "delete it",
    "complete": "mark it complete",
    "rename": "rename it to '{}'",
    "describe": "set its description to '{}'",
    "reopen": "mark it as not done",
    "reschedule": "make it due {}",
    "clear_due": "remove its due date",
    "prioritise": "make it {} priority",
    "tag": "tag it {}",
    "untag": "remove {} from it",
    "untag_all": "remove its tags",
}
_NOTHING_YET = "Nothing has changed yet"
_CHOICE = re.compile(
    rf"^(?:Which one do you mean: |Do you mean )(?P<options>.+)\? {_NOTHING_YET}; "
    r"(?:say 'yes'|tell me the number or the title) and I'll (?P<promise>.+)\.$",
    re.DOTALL,
)
_CONFIRMATION = re.compile(
    r"^This will delete \d+ [^:]+: (?P<options>.+)\. Say 'yes' to delete them", re.DOTALL
)
_OPTION_ID = re.compile(r"(?:^|, )(\d+)\. ")
_DATE_EXAMPLES = "For example 'tomorrow at 5pm', 'next Friday' or 'on the 3rd'."
_DATE_QUESTION = re.compile(
    r"^I couldn't read '(?P<phrase>.+?)' as a date in \"(?P<message>.+)\"\. When did you mean\?",
    re.DOTALL,
)
_WHEN = re.compile(WHEN, re.IGNORECASE)


def _phrases(text: str) -> frozenset[str]:
    return frozenset(text.split("|"))


# Whole answers only: "ok so delete task 4" is a new request, not a yes to the last question.
_YES = _phrases(
    "yes|y|yeah|yep|yup|sure|ok|okay|confirm|confirmed|do it|go ahead|yes please|yes do it|"
    "please do|correct|that's right|that one|yes that one|delete them|yes delete them|"
    "delete it|yes delete it"
)
_NO = _phrases(
    "no|n|nope|nah|cancel|never mind|nevermind|stop|don't|dont|keep them|keep it|forget it|"
    "no thanks|no thank you|leave them|leave it|no don't|no dont"
)


def _answer_words(message: str) -> str:
    return " ".join(re.sub(r"[^\w\s']", " ", message.lower()).split())


@dataclass(frozen=True)
class PendingChoice:
    """The agent asked which task to act on; `text` is the new title or description, if any."""

    action: Action
    task_ids: tuple[int, ...]
    text: str | None = None


@dataclass(frozen=True)
class PendingConfirmation:
    """The agent asked before deleting several tasks at once."""

    task_ids: tuple[int, ...]


@dataclass(frozen=True)
class PendingDate:
    """The agent could not read a date in `message`; an answer that is a date takes its place."""

    phrase: str
    message: str

    def with_date(self, answer: str) -> str | None:
        """The message again with the answer for its date; None when the answer is no date."""
        answer = answer.strip().rstrip(".!?")
        if not _WHEN.fullmatch(answer):
            return None
        return self.message.replace(self.phrase, answer, 1)


Pending = PendingChoice | PendingConfirmation | PendingDate


def ask_which(action: Action, candidates: Sequence[TaskRow], text: str | None = None) -> str:
    """'Which one do you mean: 3. Call mom, 7. Call the plumber? Nothing has changed yet; ...'"""
    options = ", ".join(task.label() for task in candidates)
    promise = _PROMISES[action].format(text)
    if len(candidates) == 1:
        return f"Do you mean {options}? {_NOTHING_YET}; say 'yes' and I'll {promise}."
    return (
        f"Which one do you mean: {options}? {_NOTHING_YET}; "
        f"tell me the number or the title and I'll {promise}."
    )


def ask_to_delete(tasks: Sequence[TaskRow], kind: str) -> str:
    """'This will delete 2 completed tasks: 1. Buy milk, 4. Pay rent. Say 'yes' ...'"""
    options = ", ".join(task.label() for task in sorted(tasks, key=lambda t: t.id))
    return (
        f"This will delete {len(tasks)} {kind}: {options}. Say 'yes' to delete them, "
        f"or 'no' to keep them. {_NOTHING_YET}."
    )


def ask_date(phrase: str, message: str | None = None) -> str:
    """'I couldn't read 'on the 45th' as a date in "add dentist on the 45th". When did you mean?
    ...': with the message quoted, the answer to it is read back next turn."""
    where = f' in "{message}"' if message else ""
    return (
        f"I couldn't read '{phrase}' as a date{where}. When did you mean? {_DATE_EXAMPLES} "
        f"{_NOTHING_YET}."
    )


def _promised(promise: str) -> tuple[Action, str | None] | None:
    for action, template in _PROMISES.items():
        pattern = re.escape(template).replace(re.escape("{}"), "(.*)")
        match = re.fullmatch(pattern, promise, re.DOTALL)
        if match:
            return action, (match[1] if match.groups() else None)
    return None


def pending(history: Sequence[HistoryMessage]) -> Pending | None:
    """The question the agent's last reply asked, if it asked one."""
    last = next((m.content for m in reversed(history) if m.role == "assistant"), "")
    choice = _CHOICE.match(last)
    if choice:
        promised = _promised(choice["promise"])
        if promised is None:
            return None
        ids = tuple(int(i) for i in _OPTION_ID.findall(choice["options"]))
        return PendingChoice(promised[0], ids, promised[1])
    confirmation = _CONFIRMATION.match(last)
    if confirmation:
        return PendingConfirmation(tuple(int(i) for i in _OPTION_ID.findall(confirmation[1])))
    date = _DATE_QUESTION.match(last)
    if date:
        return PendingDate(date["phrase"], date["message"])
    return None


def is_yes(message: str) -> bool:
    return _answer_words(message) in _YES


def is_no(message: str) -> bool:
    return _answer_words(message) in _NO


# How replies name a task they acted on ("Added task 5: 'Buy milk'", "Deleted task 5 'Buy
# milk'", "Updated task 5: it is now ..."); an example in a hint ("like 'task 3'") is not one.
_TASK_MENTION = re.compile(r"\b[Tt]ask (\d+)(?=:? '|: it is now ')")


def last_task(history: Sequence[HistoryMessage]) -> int | None:
    """The task 'it' or 'that' means: the one task the agent's last reply named, if just one."""
    last = next((m.content for m in reversed(history) if m.role == "assistant"), "")
    mentioned = set(_TASK_MENTION.findall(last))
    return int(mentioned.pop()) if len(mentioned) == 1 else None
