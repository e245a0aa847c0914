"""The five task tools, defined once.

The MCP server publishes these functions (their signatures are the tools' JSON schemas and
their docstrings the descriptions), the LLM agent calls them through MCP, and the built-in
agent calls them directly. They act only through `data.tasks`, like the REST API, and each
commits its change (the data layer's rule: the caller owns the transaction).
"""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
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
from todo_backend.data import tasks
from todo_backend.models import (
    DESCRIPTION_MAX,
    ID_MAX,
    ID_MIN,
    TITLE_MAX,
    TaskStatus,
    reject_nul,
)
from todo_backend.settings import Quotas


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
    status: Literal["created", "completed", "deleted", "updated"]
    title: str


class TaskSummary(BaseModel):
    id: int
    title: str
    completed: bool


class TaskList(BaseModel):
    """Some of the user's tasks, newest first; `more` says that older ones were left out."""

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

_validated = validate_call(
    config=ConfigDict(arbitrary_types_allowed=True, str_strip_whitespace=True)
)


def _check_caller(ctx: ToolContext, user_id: str) -> None:
    if user_id != ctx.caller_id:
        raise TaskToolError("user_id does not match the signed-in user; use your own user id")


@_validated
async def add_task(
    ctx: ToolContext, user_id: UserId, title: Title, description: Description = None
) -> TaskActionResult:
    """Create a new task for the user. Returns the new task's id and title."""
    _check_caller(ctx, user_id)
    try:
        task = await quotas.add_task(
            ctx.session, ctx.quotas, user_id=user_id, title=title, description=description
        )
    except quotas.QuotaExceededError as error:
        raise TaskToolError(str(error)) from None
    await ctx.session.commit()
    return TaskActionResult(task_id=task["id"], status="created", title=task["title"])


@_validated
async def list_tasks(
    ctx: ToolContext,
    user_id: UserId,
    status: Annotated[
        TaskStatus,
        Field(description="Which tasks: all (default), pending or completed."),
    ] = "all",
    limit: Annotated[
        int,
        Field(ge=1, le=LIST_MAX, description="At most this many tasks, the newest first."),
    ] = LIST_DEFAULT,
) -> TaskList:
    """List the user's tasks, newest first, optionally only pending or completed ones.
    `more` is true when older tasks were left out: ask again with a larger limit to see them."""
    _check_caller(ctx, user_id)
    rows = await tasks.list_tasks(ctx.session, user_id=user_id, status=status, limit=limit + 1)
    summaries = [TaskSummary.model_validate(row) for row in rows[:limit]]
    return TaskList(tasks=summaries, more=len(rows) > limit)


async def _changed(
    ctx: ToolContext, task: dict[str, Any] | None, task_id: int, status: str
) -> TaskActionResult:
    """The tool's answer, its change committed (a tool is a whole unit of work)."""
    if task is None:
        raise TaskNotFoundError(task_id)
    await ctx.session.commit()
    return TaskActionResult.model_validate(
        {"task_id": task["id"], "status": status, "title": task["title"]}
    )


@_validated
async def complete_task(ctx: ToolContext, user_id: UserId, task_id: TaskId) -> TaskActionResult:
    """Mark a task as completed."""
    _check_caller(ctx, user_id)
    task = await tasks.update_task(ctx.session, user_id=user_id, task_id=task_id, completed=True)
    return await _changed(ctx, task, task_id, "completed")


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
) -> TaskActionResult:
    """Change a task's title and/or description."""
    if title is None and description is None:
        raise TaskToolError("Nothing to change: give a new title or description")
    _check_caller(ctx, user_id)
    task = await tasks.update_task(
        ctx.session, user_id=user_id, task_id=task_id, title=title, description=description
    )
    return await _changed(ctx, task, task_id, "updated")


TaskTool = Callable[..., Awaitable[Any]]
TASK_TOOLS: dict[str, TaskTool] = {
    tool.__name__: tool for tool in (add_task, list_tasks, complete_task, delete_task, update_task)
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
