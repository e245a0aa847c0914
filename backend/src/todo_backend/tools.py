"""The six task tools, defined once.

The MCP server publishes these functions (their signatures are the tools' JSON schemas and
their docstrings the descriptions), the LLM agent calls them through MCP, and the built-in
agent calls them directly. They act only through `data.tasks`, like the REST API, and each
commits its change (the data layer's rule: the caller owns the transaction).
"""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    validate_call,
)
from sqlmodel.ext.asyncio.session import AsyncSession

from todo_backend import quotas
from todo_backend.data import task_lists, tasks
from todo_backend.data.task_lists import Sort, TaskFilter
from todo_backend.data.tasks import NewTask, TaskChanges
from todo_backend.models import (
    DESCRIPTION_MAX,
    ID_MAX,
    ID_MIN,
    TITLE_MAX,
    TaskStatus,
    reject_nul,
    utc_now,
)
from todo_backend.settings import Quotas
from todo_backend.task_fields import DEFAULT_PRIORITY, DueAt, Priority
from todo_backend.task_fields import Tags as TagList


@dataclass(frozen=True)
class ToolContext:
    """What every tool call runs with: a database session, the authenticated caller and the
    quotas that bound what the caller may keep."""

    session: AsyncSession
    caller_id: str
    quotas: Quotas


class TaskToolError(Exception):
    """A tool refused or failed; the message is meant for the user (or the model) to read."""


class TaskNotFoundError(TaskToolError):
    """No task with this id belongs to the caller; callers can tell this refusal by its type."""

    def __init__(self, task_id: int) -> None:
        super().__init__(f"Task {task_id} not found")
        self.task_id = task_id


class TaskActionResult(BaseModel):
    task_id: int
    status: Literal["created", "completed", "reopened", "deleted", "updated"]
    title: str
    due_at: datetime | None = None
    priority: Priority = DEFAULT_PRIORITY
    tags: list[str] = []


class TaskSummary(BaseModel):
    id: int
    title: str
    completed: bool
    due_at: datetime | None
    priority: Priority
    tags: list[str]


class TaskList(BaseModel):
    """Some of the user's tasks, in the order asked for; `more` says that some were left out."""

    tasks: list[TaskSummary]
    more: bool


LIST_DEFAULT = 50  # enough for a conversation, small enough for a small model's context
LIST_MAX = 1000


# The same rules as the REST API's: text without NUL characters, ids in the database's range.
_NoNul = BeforeValidator(reject_nul)
UserId = Annotated[str, Field(description="The id of the user whose tasks these are."), _NoNul]
TaskId = Annotated[
    int,
    Field(ge=ID_MIN, le=ID_MAX, description="The task's numeric id, as list_tasks returns it."),
]
Title = Annotated[
    str,
    Field(min_length=1, max_length=TITLE_MAX, description="Short title of the task."),
    _NoNul,
]
NewTitle = Annotated[
    str | None,
    Field(min_length=1, max_length=TITLE_MAX, description="The new title, if it changes."),
    _NoNul,
]
Description = Annotated[
    str | None,
    Field(max_length=DESCRIPTION_MAX, description="Optional longer description."),
    _NoNul,
]
DueDate = Annotated[
    DueAt | None,
    Field(
        description="When the task is due: an RFC 3339 date-time with the user's offset, "
        "like 2026-12-08T17:00:00+01:00."
    ),
]
PriorityField = Annotated[Priority, Field(description="How important the task is.")]
NewPriority = Annotated[Priority | None, Field(description="The new priority, if it changes.")]
TaskTags = Annotated[
    TagList | None,
    Field(
        description="Tags: up to 10 lowercase words of letters, digits, '-' or '_', like "
        '["work", "errands"].'
    ),
]
NewTags = Annotated[
    TagList | None,
    Field(description="The task's whole new set of tags, if it changes; [] removes them all."),
]

_validated = validate_call(
    config=ConfigDict(arbitrary_types_allowed=True, str_strip_whitespace=True)
)


def _check_caller(ctx: ToolContext, user_id: str) -> None:
    if user_id != ctx.caller_id:
        raise TaskToolError("user_id does not match the signed-in user; use your own user id")


@_validated
async def add_task(
    ctx: ToolContext,
    user_id: UserId,
    title: Title,
    description: Description = None,
    due_at: DueDate = None,
    priority: PriorityField = DEFAULT_PRIORITY,
    tags: TaskTags = None,
) -> TaskActionResult:
    """Create a new task for the user, optionally with a due date, a priority and tags.
    Returns the new task."""
    _check_caller(ctx, user_id)
    new = NewTask(title, description, due_at, priority, tags or ())
    try:
        task = await quotas.add_task(ctx.session, ctx.quotas, user_id=user_id, task=new)
    except quotas.QuotaExceededError as error:
        raise TaskToolError(str(error)) from None
    await ctx.session.commit()
    return _result(task, "created")


@_validated
async def list_tasks(
    ctx: ToolContext,
    user_id: UserId,
    status: Annotated[
        TaskStatus,
        Field(description="Which tasks: all (default), pending or completed."),
    ] = "all",
    priority: Annotated[
        list[Priority] | None, Field(description="Only tasks of one of these priorities.")
    ] = None,
    tags: Annotated[TagList | None, Field(description="Only tasks with all of these tags.")] = None,
    due_before: Annotated[
        DueAt | None, Field(description="Only tasks due before this RFC 3339 date-time.")
    ] = None,
    due_after: Annotated[
        DueAt | None, Field(description="Only tasks due at or after this RFC 3339 date-time.")
    ] = None,
    overdue: Annotated[
        bool, Field(description="Only pending tasks whose due date has passed.")
    ] = False,
    query: Annotated[
        str | None,
        Field(
            max_length=TITLE_MAX,
            description="Only tasks with every one of these words in the title or description.",
        ),
        _NoNul,
    ] = None,
    sort: Annotated[
        Sort,
        Field(
            description="The order: -created_at (newest first, the default), created_at, "
            "due_at (soonest first, undated last), -due_at, -priority (high first), "
            "priority or title."
        ),
    ] = "-created_at",
    limit: Annotated[
        int,
        Field(ge=1, le=LIST_MAX, description="At most this many tasks."),
    ] = LIST_DEFAULT,
) -> TaskList:
    """List the user's tasks, newest first unless `sort` says otherwise, optionally filtered by
    status, priority, tags, due date or words. `more` is true when some were left out: ask
    again with a larger limit to see them."""
    _check_caller(ctx, user_id)
    where = TaskFilter(
        status=status,
        priorities=tuple(priority or ()),
        tags=tuple(tags or ()),
        due_before=due_before,
        due_after=due_after,
        overdue_at=utc_now() if overdue else None,
        words=tuple(query.split()) if query else (),
        sort=sort,
    )
    rows = await task_lists.list_tasks(ctx.session, user_id=user_id, where=where, limit=limit + 1)
    summaries = [TaskSummary.model_validate(row) for row in rows[:limit]]
    return TaskList(tasks=summaries, more=len(rows) > limit)


def _result(task: dict[str, Any], status: str) -> TaskActionResult:
    return TaskActionResult.model_validate({**task, "task_id": task["id"], "status": status})


async def _changed(
    ctx: ToolContext, task: dict[str, Any] | None, task_id: int, status: str
) -> TaskActionResult:
    """The tool's answer, its change committed (a tool is a whole unit of work)."""
    if task is None:
        raise TaskNotFoundError(task_id)
    await ctx.session.commit()
    return _result(task, status)


async def _mark(
    ctx: ToolContext, user_id: str, task_id: int, *, completed: bool
) -> TaskActionResult:
    _check_caller(ctx, user_id)
    changes = TaskChanges(completed=completed)
    task = await tasks.update_task(ctx.session, user_id=user_id, task_id=task_id, changes=changes)
    return await _changed(ctx, task, task_id, "completed" if completed else "reopened")


@_validated
async def complete_task(ctx: ToolContext, user_id: UserId, task_id: TaskId) -> TaskActionResult:
    """Mark a task as completed."""
    return await _mark(ctx, user_id, task_id, completed=True)


@_validated
async def reopen_task(ctx: ToolContext, user_id: UserId, task_id: TaskId) -> TaskActionResult:
    """Mark a completed task as pending again (it was not done after all)."""
    return await _mark(ctx, user_id, task_id, completed=False)


@_validated
async def delete_task(ctx: ToolContext, user_id: UserId, task_id: TaskId) -> TaskActionResult:
    """Delete a task permanently."""
    _check_caller(ctx, user_id)
    task = await tasks.delete_task(ctx.session, user_id=user_id, task_id=task_id)
    return await _changed(ctx, task, task_id, "deleted")


@_validated
async def update_task(
    ctx: ToolContext,
    user_id: UserId,
    task_id: TaskId,
    title: NewTitle = None,
    description: Description = None,
    due_at: DueDate = None,
    clear_due_at: Annotated[bool, Field(description="True removes the task's due date.")] = False,
    priority: NewPriority = None,
    tags: NewTags = None,
) -> TaskActionResult:
    """Change a task's title, description, due date, priority or tags; what is not given
    stays as it is."""
    changes = TaskChanges(
        title=title,
        description=description,
        due_at=due_at,
        clear_due_at=clear_due_at,
        priority=priority,
        tags=tags,
    )
    if changes == TaskChanges():
        raise TaskToolError(
            "Nothing to change: give a new title, description, due date, priority or tags"
        )
    if due_at is not None and clear_due_at:
        raise TaskToolError("Give a new due_at or clear_due_at, not both")
    _check_caller(ctx, user_id)
    task = await tasks.update_task(ctx.session, user_id=user_id, task_id=task_id, changes=changes)
    return await _changed(ctx, task, task_id, "updated")


TaskTool = Callable[..., Awaitable[Any]]
TASK_TOOLS: dict[str, TaskTool] = {
    tool.__name__: tool
    for tool in (add_task, list_tasks, complete_task, reopen_task, delete_task, update_task)
}


async def call_tool(ctx: ToolContext, name: str, arguments: dict[str, Any]) -> Any:
    """Run a tool by name; invalid arguments become a TaskToolError with a readable message.

    Returns the JSON-ready result (what the MCP server sends as structured content)."""
    try:
        result = await TASK_TOOLS[name](ctx, **arguments)
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in error.errors()
        )
        raise TaskToolError(f"Invalid arguments for {name}: {problems}") from None
    return result.model_dump()
