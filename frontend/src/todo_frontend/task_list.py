"""What the dashboard's task list shows: the filters and sort read from the page's URL (the same
names and values as the API's list parameters), the tasks they select, the counts, the tags in
use, and each due date as a person reads it in their own time zone."""

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from typing import Literal
from urllib.parse import urlencode
from zoneinfo import ZoneInfo
from zoneinfo import available_timezones as available_time_zones

from starlette.datastructures import QueryParams

from todo_frontend.backend import Priority, Task

Status = Literal["all", "pending", "completed"]
STATUSES: dict[Status, str] = {"all": "All", "pending": "Pending", "completed": "Completed"}
PRIORITIES: dict[Priority, str] = {"high": "High", "medium": "Medium", "low": "Low"}
SORTS = {
    "-created_at": "Newest first",
    "created_at": "Oldest first",
    "due_at": "Due date, soonest first",
    "-due_at": "Due date, latest first",
    "-priority": "Priority, high to low",
    "priority": "Priority, low to high",
    "title": "Title, A to Z",
}
DEFAULT_SORT = "-created_at"
TAG = re.compile(r"[a-z0-9_-]{1,32}")
MAX_TAGS = 10
MAX_SEARCH_LENGTH = 200


@cache
def _time_zones() -> frozenset[str]:
    return frozenset(available_time_zones())


def is_time_zone(name: str) -> bool:
    """Whether `name` is an IANA time zone name (the backend refuses any other)."""
    return name in _time_zones()


def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name) if is_time_zone(name) else ZoneInfo("UTC")


@dataclass(frozen=True)
class TaskQuery:
    """The list's filters and sort. Values a URL may carry but the API would refuse are dropped,
    so an edited or outdated link still shows a list."""

    status: Status = "all"
    priorities: tuple[Priority, ...] = ()
    tags: tuple[str, ...] = ()
    overdue: bool = False
    text: str = ""
    sort: str = DEFAULT_SORT

    @classmethod
    def of(cls, params: QueryParams) -> "TaskQuery":
        """From a URL's query (priority and tag may repeat)."""
        statuses: list[Status] = [name for name in STATUSES if name == params.get("status")]
        priorities = tuple(name for name in PRIORITIES if name in params.getlist("priority"))
        tags = tuple(dict.fromkeys(t for t in params.getlist("tag") if TAG.fullmatch(t)))
        sort = params.get("sort", DEFAULT_SORT)
        return cls(
            status=statuses[0] if statuses else "all",
            priorities=priorities,
            tags=tags[:MAX_TAGS],
            overdue=params.get("overdue") == "true",
            text=" ".join(params.get("q", "").split())[:MAX_SEARCH_LENGTH],
            sort=sort if sort in SORTS else DEFAULT_SORT,
        )

    @property
    def narrows(self) -> bool:
        """Whether anything but the status leaves tasks out."""
        return bool(self.priorities or self.tags or self.overdue or self.text)

    def api_parameters(self) -> list[tuple[str, str]]:
        """The API's list parameters, all but the status: the counts of each status come from
        the one list."""
        parameters: list[tuple[str, str]] = [("priority", name) for name in self.priorities]
        parameters += [("tag", tag) for tag in self.tags]
        if self.overdue:
            parameters.append(("overdue", "true"))
        if self.text:
            parameters.append(("q", self.text))
        if self.sort != DEFAULT_SORT:
            parameters.append(("sort", self.sort))
        return parameters

    def href_with_status(self, status: Status) -> str:
        """The dashboard's URL for this query showing `status` (a link that works without the
        page's script)."""
        parameters = self.api_parameters()
        if status != "all":
            parameters.insert(0, ("status", status))
        return f"/dashboard?{urlencode(parameters)}" if parameters else "/dashboard"


def due_text(due_at: datetime, zone: ZoneInfo, now: datetime) -> str:
    """A due date as a person says it in `zone`: "today at 5:00 PM", "Tue, Dec 8 at 9:30 AM"."""
    local, today = due_at.astimezone(zone), now.astimezone(zone).date()
    days_away = (local.date() - today).days
    time = f"{local:%I:%M %p}".lstrip("0")
    relative = {-1: "yesterday", 0: "today", 1: "tomorrow"}
    if days_away in relative:
        day = relative[days_away]
    elif local.year == today.year:
        day = f"{local:%a, %b} {local.day}"
    else:
        day = f"{local:%a, %b} {local.day}, {local.year}"
    return f"{day} at {time}"


@dataclass(frozen=True)
class TaskList:
    """What the task-list fragment shows: one query's tasks, the counts of each status, the
    user's tags, or an error."""

    query: TaskQuery
    tasks: list[Task]
    counts: dict[Status, int]
    tags_in_use: list[str]
    zone: ZoneInfo = field(default_factory=lambda: ZoneInfo("UTC"))
    now: datetime = field(default_factory=lambda: datetime.now(UTC))
    unavailable: bool = False

    @classmethod
    def of(
        cls,
        query: TaskQuery,
        tasks: list[Task],
        *,
        every_tag: Iterable[str],
        zone_name: str,
        now: datetime,
    ) -> "TaskList":
        """`tasks`: the query's tasks of every status; `every_tag`: the tags of all the user's
        tasks."""
        by_status: dict[Status, list[Task]] = {
            "all": tasks,
            "pending": [task for task in tasks if not task.completed],
            "completed": [task for task in tasks if task.completed],
        }
        counts = {name: len(shown) for name, shown in by_status.items()}
        return cls(
            query=query,
            tasks=by_status[query.status],
            counts=counts,
            tags_in_use=sorted({*every_tag, *query.tags}),
            zone=_zone(zone_name),
            now=now,
        )

    @classmethod
    def failed(cls, query: TaskQuery) -> "TaskList":
        return cls(query=query, tasks=[], counts={}, tags_in_use=[], unavailable=True)

    def is_overdue(self, task: Task) -> bool:
        return task.due_at is not None and not task.completed and task.due_at < self.now

    def due_text(self, task: Task) -> str:
        assert task.due_at is not None
        return due_text(task.due_at, self.zone, self.now)


def tags_of(tasks: Sequence[Task]) -> set[str]:
    return {tag for task in tasks for tag in task.tags}
