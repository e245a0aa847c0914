"""Which task a message means: a task number, an exact title, or one strong fuzzy match.

The agent changes or deletes a task only on a `Found`; anything else makes it ask instead, so a
loose phrase can never destroy the wrong task."""

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from difflib import SequenceMatcher
from functools import lru_cache
from typing import Any, Literal

from todo_backend.task_fields import DEFAULT_PRIORITY, Priority

# Two words are the same word when their stems are equal or this similar (difflib's ratio), and
# both have four letters or more: one letter missing or extra ("plumer" for "plumber", 0.92), or
# one changed in a word of seven letters ("plumbar", 0.86); never one changed in a shorter word
# ("mild" is not "milk", 0.75; "bulls" is not "bills", 0.8; "mum" is not "mom").
WORD_SIMILARITY = 0.85
# A fuzzy match is strong when every word of the reference is in the title and those words are
# at least half of the title's own words: "milk" finds "Buy milk", but "dentist" alone does not
# find "Call the dentist about the crown" without asking first.
TITLE_COVERAGE = 0.5
# How many words' stems, and how many word pairs' likeness, are remembered (each cache holds
# about a megabyte when full).
WORD_CACHE = 4096

TASK_WORD = r"(?:tasks?|todos?|to-dos?|items?|reminders?)"
# Words that point back to the task the agent's last reply named.
PRONOUN = r"(?:it|that|this|that one|this one|the last one|the last task)"
_NUMBER = re.compile(
    rf"^(?:the\s+)?(?:{TASK_WORD}\s*)?(?:number\s+|no\.?\s*|#)?(?P<id>\d+)(?:\s+{TASK_WORD})?$",
    re.IGNORECASE,
)


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Words that say "a task" without saying which one.
_FILLER = _words(
    "the a an my this that task tasks todo todos to-do to-dos item items one reminder reminders "
    "for to on of please it"
)
# Words too common to tell titles apart.
_STOP = _words("the a an my to of for on in at and with from by")
_IRREGULAR = {
    "paid": "pay",
    "bought": "buy",
    "did": "do",
    "done": "do",
    "went": "go",
    "made": "make",
    "took": "take",
    "taken": "take",
    "wrote": "write",
    "written": "write",
    "sent": "send",
    "got": "get",
    "gotten": "get",
    "fed": "feed",
    "read": "read",
    "swept": "sweep",
    "spoke": "speak",
    "met": "meet",
    "brought": "bring",
    "left": "leave",
    "hung": "hang",
    "ran": "run",
    "drove": "drive",
    "driven": "drive",
    "ate": "eat",
    "gave": "give",
    "given": "give",
    "found": "find",
    "told": "tell",
    "sold": "sell",
    "put": "put",
}


@dataclass(frozen=True)
class TaskRow:
    """A task as list_tasks returns it."""

    id: int
    title: str
    completed: bool
    due_at: datetime | None = None
    priority: Priority = DEFAULT_PRIORITY
    tags: tuple[str, ...] = ()

    @classmethod
    def from_tool(cls, row: dict[str, Any]) -> "TaskRow":
        return cls(
            id=row["id"],
            title=row["title"],
            completed=row["completed"],
            due_at=row["due_at"],
            priority=row["priority"],
            tags=tuple(row["tags"]),
        )

    def label(self) -> str:
        """'3. Call mom': how replies and questions name a task."""
        return f"{self.id}. {self.title}"


@dataclass(frozen=True)
class Found:
    task: TaskRow
    how: Literal["title", "fuzzy"]


@dataclass(frozen=True)
class Ambiguous:
    """Several tasks fit, or only one fits loosely: the user must choose."""

    candidates: tuple[TaskRow, ...]


@dataclass(frozen=True)
class NotFound:
    phrase: str


@dataclass(frozen=True)
class NoReference:
    """The words name no task at all ("delete it" with nothing to point back to)."""


Resolution = Found | Ambiguous | NotFound


def strip_quotes(text: str) -> str:
    text = text.strip()
    quotes = "\"'`\u201c\u201d\u2018\u2019"  # straight, back and curly quotes
    if len(text) >= 2 and text[0] in quotes and text[-1] in quotes:
        text = text[1:-1]
    return text.strip()


def task_number(reference: str) -> int | None:
    """'task 3', '#3', 'number 3' -> 3; None when the reference is not a number."""
    match = _NUMBER.match(strip_quotes(reference))
    return int(match["id"]) if match else None


def reference_words(reference: str) -> list[str]:
    """'the milk task' -> ['milk']: the words that say which task."""
    words = re.findall(r"[\w'-]+", strip_quotes(reference).lower())
    return [word for word in words if word not in _FILLER]


@lru_cache(maxsize=WORD_CACHE)
def stem(word: str) -> str:
    """A crude stem, enough to match 'calling', 'called' and 'calls' with 'call'. Kept, as
    `same_word`'s answers are: the words of a user's titles come back every turn."""
    word = word.lower().strip("'")
    if word in _IRREGULAR:
        return _IRREGULAR[word]
    for suffix in ("ing", "ed", "es", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3 and not word.endswith("ss"):
            word = word[: -len(suffix)]
            if len(word) > 3 and word[-1] == word[-2] and word[-1] not in "lsz":
                word = word[:-1]  # "shopping" -> "shop", but "calling" -> "call"
            break
    return word.removesuffix("e") if len(word) > 3 else word  # "make", "making" -> "mak"


@lru_cache(maxsize=WORD_CACHE)
def same_word(a: str, b: str) -> bool:
    """Whether two stems are the same word (see WORD_SIMILARITY). A name is compared with the
    words of every title a user has, turn after turn, and those repeat: the answers are kept."""
    if a == b:
        return True
    if min(len(a), len(b)) < 4:
        return False
    matcher = SequenceMatcher(None, a, b)
    # difflib's cheap upper bounds of the ratio first, as its get_close_matches does: a pair
    # they rule out could never reach it.
    return (
        matcher.real_quick_ratio() >= WORD_SIMILARITY
        and matcher.quick_ratio() >= WORD_SIMILARITY
        and matcher.ratio() >= WORD_SIMILARITY
    )


def _title_stems(title: str) -> list[str]:
    return [stem(w) for w in re.findall(r"[\w'-]+", title.lower()) if w not in _STOP]


def _wanted(words: Sequence[str]) -> list[str]:
    """The stems a title must hold: the reference's words but the common ones, unless that is
    all of them."""
    return [stem(w) for w in words if w not in _STOP] or [stem(w) for w in words]


def _coverage(wanted: Sequence[str], title: str) -> float | None:
    """The share of the title's words the reference names; None unless it names only these."""
    title_stems = _title_stems(title)
    if not title_stems:
        return None
    if not all(any(same_word(w, t) for t in title_stems) for w in wanted):
        return None
    named = sum(1 for t in title_stems if any(same_word(w, t) for w in wanted))
    return named / len(title_stems)


def mentions(query: str, task: TaskRow) -> bool:
    """Whether every word of the query is in the task's title ('anything about the dentist?')."""
    words = reference_words(query)
    return bool(words) and _coverage(_wanted(words), task.title) is not None


def _normal(text: str) -> str:
    return " ".join(re.findall(r"[\w'-]+", text.lower()))


def resolve(
    reference: str, tasks: Iterable[TaskRow], *, prefer_completed: bool | None = None
) -> Resolution | NoReference:
    """The one task `reference` names for sure, or why there isn't one.

    Exact titles (any case) win outright; otherwise every word of the reference must be in the
    title, and the match is only acted on when it is the one candidate and a strong one."""
    words = reference_words(reference)
    if not words:
        return NoReference()
    tasks = list(tasks)
    for phrase in (_normal(strip_quotes(reference)), " ".join(words)):
        exact = [t for t in tasks if _normal(t.title) == phrase]
        if len(exact) == 1:
            return Found(exact[0], "title")
        if exact:
            return Ambiguous(tuple(sorted(exact, key=lambda t: t.id)))
    wanted = _wanted(words)
    scored = [(t, score) for t in tasks if (score := _coverage(wanted, t.title)) is not None]
    # Completing means a pending task and reopening a completed one, when some fit.
    if prefer_completed is not None and any(t.completed == prefer_completed for t, _ in scored):
        scored = [(t, score) for t, score in scored if t.completed == prefer_completed]
    if not scored:
        return NotFound(" ".join(words))
    if len(scored) == 1 and scored[0][1] >= TITLE_COVERAGE:
        return Found(scored[0][0], "fuzzy")
    return Ambiguous(tuple(sorted((t for t, _ in scored[:10]), key=lambda t: t.id)))
