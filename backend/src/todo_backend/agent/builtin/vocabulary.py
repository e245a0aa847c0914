"""The phrase fragments the intents' patterns share: how a task, a list, a status and a new
to-do are said. Kept apart from the table (`intents`) so that each row reads as its own patterns."""

import re

from todo_backend.agent.builtin.references import PRONOUN, TASK_WORD
from todo_backend.agent.builtin.titles import TODO_VERBS
from todo_backend.models import TaskStatus

LIST_END = rf"(?:list|{TASK_WORD})"
DESTINATION = rf"(?:on|to|in|onto)\s+(?:my|the)\s+(?:[\w-]+\s+)?{LIST_END}"
DONE = r"(?:done|complete|completed|finished|closed|sorted|ticked off|checked off)"
TODO_VERB = "(?:" + "|".join(TODO_VERBS.split()) + ")"
# The past tense of those verbs, to read "I've paid the rent" as finishing "Pay rent".
PAST = r"(?:\w+ed|paid|bought|did|went|made|took|wrote|sent|got|fed|swept|met|brought|drove|ran)"
PENDING = (
    r"pending|left|remaining|outstanding|open|incomplete|unfinished|undone|not done|not finished|"
    r"to do|to-do|still need|still have"
)
COMPLETED = r"completed|complete|finished|finish|done|accomplished|achieved|ticked off|checked off"
STATUS_FILTER = f"(?:{PENDING}|{COMPLETED})"
SEARCH_WORDS = r"(?:about|regarding|with|mentioning|related to)"
# Several task numbers at once: "tasks 1 and 2", "#3, #4 and #5".
NUMBERS = (
    rf"(?:the\s+)?(?:{TASK_WORD}\s+)?(?P<ids>#?\d+(?:\s*(?:,\s*and|,|and|&)\s*#?\d+)+)"
    rf"(?:\s+{TASK_WORD})?"
)
# A reference that names a task as one: a number, a quoted title, "the milk task", "it".
NAMED_TASK = (
    rf"(?:(?:the\s+)?{TASK_WORD}\s+(?:#|number\s+)?\d+|#\d+|\d+|(?:the\s+|my\s+)?.+?\s+{TASK_WORD}|"
    rf"[\"'\u2018\u201c].+?[\"'\u2019\u201d]|{PRONOUN})"
)
# Sentences that start with an everyday verb but are not a new to-do, each with what it is.
NOT_A_NEW_TODO = (
    rf"\w+\s+(?:me\s+)?(?:a\s+|an\s+)?(?:new\s+)?{TASK_WORD}\b",  # "make a task to ...": add
    r"\w+\s+(?:i|you|we)\b",  # "do I have anything about milk": a question
    r"get\s+rid\s+of\b",  # delete
    r"clear\s+(?:out\s+)?(?:all|every|everything)\b",  # "clear all": delete all
    r"(?:check|tick|cross)\s+off\b",  # complete
    rf"(?:make|change)\s+{PRONOUN}\b",  # "make that oat milk": amend
    rf".*\b(?:{TASK_WORD}|list)(?:\s+(?:#|number\s+)?\d+)?$",  # "drop the milk task": names a task
    rf".*\s{DESTINATION}$",  # "put eggs on my list": add to the list
    rf"(?:change|update|edit)\s+{NAMED_TASK}\s+(?:to|into|as)\s",  # "change task 3 to": rename
    r"(?:change|update|set|edit)\s+the\s+(?:description|details|notes?)\s",  # describe
    rf".*\s(?:to|as)\s+{DONE}$",  # "set task 3 to done": complete
    rf".*\s(?:(?:is|are|was|were)\s+)?(?:now\s+)?{DONE}$",  # "call mom (is) done": complete
)
EVERYDAY_TODO = "".join(f"(?!{p})" for p in NOT_A_NEW_TODO) + rf"(?P<title>{TODO_VERB}\b.+)"

PENDING_WORDS = re.compile(rf"\b(?:{PENDING})\b", re.IGNORECASE)
COMPLETED_WORDS = re.compile(rf"\b(?<!not )(?:{COMPLETED})\b", re.IGNORECASE)


def list_status(text: str) -> TaskStatus:
    """Which tasks a list request wants: pending, completed, or all when it says neither or both."""
    pending, completed = bool(PENDING_WORDS.search(text)), bool(COMPLETED_WORDS.search(text))
    if pending == completed:
        return "all"
    return "pending" if pending else "completed"
