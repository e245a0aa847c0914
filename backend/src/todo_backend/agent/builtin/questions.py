"""Questions about the list as list_tasks filters: "what's due this week?", "anything
overdue?", "show my high priority tasks", "#work tasks", "which ones have I finished?"."""

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from todo_backend.agent.builtin.dates import period
from todo_backend.agent.builtin.plans import HASHTAG_NAME, PRIORITY, PRIORITY_WORDS, tag_names
from todo_backend.agent.builtin.vocabulary import list_status
from todo_backend.models import TaskStatus
from todo_backend.task_fields import Priority

PERIOD = r"today|tonight|tomorrow|this\s+week|next\s+week|this\s+month|next\s+month|this\s+weekend"
OVERDUE = r"overdue|late|past\s+due|missed"
# Words that ask what comes up next, with no period: sorted by due date.
DUE_SOON = r"due|deadlines?|upcoming|coming\s+up|soon"
# Words that make a list question a filtered one, for the list intent's patterns.
FILTER_WORDS = rf"(?:{DUE_SOON}|{OVERDUE}|{PERIOD}|{PRIORITY}|tagged|#\w+)"

_PERIOD = re.compile(rf"\b(?P<period>{PERIOD})\b", re.IGNORECASE)
_OVERDUE = re.compile(rf"\b(?:{OVERDUE})\b", re.IGNORECASE)
_DUE_SOON = re.compile(rf"\b(?:{DUE_SOON})\b", re.IGNORECASE)
_PRIORITIES = [
    (priority, re.compile(rf"\b(?<!not )(?:{words})\b", re.IGNORECASE))
    for priority, words in PRIORITY_WORDS.items()
]
_TAGS = re.compile(
    r"(?:\btagged\s+(?:with\s+)?|\bwith\s+(?:the\s+)?tags?\s+)(?P<tags>[\w-]+(?:\s+and\s+[\w-]+)*)"
    rf"|#(?P<hashtag>{HASHTAG_NAME})",
    re.IGNORECASE,
)
_SORTS = [
    (
        "due_at",
        re.compile(
            r"\bby\s+(?:due\s+date|deadline|date|when\s+(?:they're|they\s+are)\s+due)\b|\bsoonest\b",
            re.IGNORECASE,
        ),
    ),
    ("-priority", re.compile(r"\bby\s+(?:priority|importance)\b", re.IGNORECASE)),
    ("title", re.compile(r"\b(?:alphabetically|by\s+(?:title|name))\b", re.IGNORECASE)),
    ("created_at", re.compile(r"\boldest\s+first\b", re.IGNORECASE)),
]


@dataclass(frozen=True)
class ListFilter:
    """What a list question asks list_tasks for, and how a reply says it."""

    status: TaskStatus = "all"
    priority: list[Priority] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    due_after: datetime | None = None
    due_before: datetime | None = None
    period: str | None = None  # the words of the due period ("this week")
    overdue: bool = False
    sort: str | None = None

    def arguments(self) -> dict[str, Any]:
        """list_tasks' arguments for this filter: only those that are not its defaults."""
        arguments: dict[str, Any] = {
            "status": self.status if self.status != "all" else None,
            "priority": self.priority or None,
            "tags": self.tags or None,
            "due_after": self.due_after.isoformat() if self.due_after else None,
            "due_before": self.due_before.isoformat() if self.due_before else None,
            "overdue": self.overdue or None,
            "sort": self.sort,
        }
        return {name: value for name, value in arguments.items() if value is not None}

    def filtered(self) -> bool:
        """Whether it asks for more than a status."""
        return bool(self.priority or self.tags or self.period or self.overdue)

    def describe(self) -> tuple[str, str]:
        """The words before and after "task(s)" in a reply: ('high priority', 'due this week')."""
        before = [
            "overdue" if self.overdue else "",
            self.status if self.status != "all" and not self.overdue else "",
            *(f"{priority} priority" for priority in self.priority),
        ]
        after = [
            f"due {self.period}" if self.period else "",
            "tagged " + " ".join(f"#{tag}" for tag in self.tags) if self.tags else "",
        ]
        return " ".join(filter(None, before)), " ".join(filter(None, after))


def read_filter(text: str, now: datetime, zone: ZoneInfo) -> ListFilter:
    """The filter a list question asks for. One that filters lists what is still to do unless it
    names a status: done tasks are not what anyone plans with."""
    priority = [p for p, pattern in _PRIORITIES if pattern.search(text)]
    if "low" in priority and "high" in priority:
        priority.remove("high")  # "not important" says "important" too
    tags: list[str] = []
    for match in _TAGS.finditer(text):
        tags += tag_names(match["tags"] or match["hashtag"])
    found = _PERIOD.search(text)
    span = period(found["period"], now, zone) if found else None
    overdue = bool(_OVERDUE.search(text))
    sort = next((name for name, pattern in _SORTS if pattern.search(text)), None)
    status = list_status(text)
    soon = sort is None and bool(_DUE_SOON.search(text))  # not "by due date", a sort
    if overdue:
        status = "all"  # overdue tasks are pending ones by definition
    elif status == "all" and (priority or tags or span or soon):
        status = "pending"
    if (span or overdue or soon) and sort is None:
        sort = "due_at"
    return ListFilter(
        status=status,
        priority=priority,
        tags=list(dict.fromkeys(tags)),
        due_after=span[0] if span else None,
        due_before=span[1] if span else None,
        period=" ".join(found["period"].lower().split()) if found else None,
        overdue=overdue,
        sort=sort,
    )
