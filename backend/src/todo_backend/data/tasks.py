"""Tasks: one write path per operation, for the REST API, the MCP tools and the agents alike.

Core statements, built once (`functools.cache` for those with variants): the ORM's attributes
would send every execution through its compile and loading steps, and building a statement
anew costs about as much as running it. Every one returns the task's public fields
(TaskPublic's, the API's JSON keys), as a dict."""

from functools import cache
from typing import Any

from sqlalchemy import Integer, Select, String, Table, bindparam, delete, false, not_, update
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from todo_backend.data.engine import Reads, run
from todo_backend.data.users import insert_under_quota, lock_user
from todo_backend.models import Task, TaskPublic, TaskStatus, UTCDateTime, utc_now

_TASKS: Table = Task.__table__  # type: ignore[attr-defined]  # SQLModel hides it
_PUBLIC = [_TASKS.c[name] for name in TaskPublic.model_fields]
_OWNED = (_TASKS.c.id == bindparam("p_task_id", type_=Integer)) & (
    _TASKS.c.user_id == bindparam("p_user_id", type_=String)
)
_NOW = bindparam("p_now", type_=UTCDateTime)

# A task, only while its user has fewer than max_tasks.
_CREATE_TASK = insert_under_quota(
    _TASKS,
    {
        "title": bindparam("p_title", type_=String),
        "description": bindparam("p_description", type_=String),
        "user_id": bindparam("p_user_id", type_=String),
        "completed": false(),
        "created_at": _NOW,
        "updated_at": _NOW,
    },
    user="p_user_id",
    limit="p_max_tasks",
).returning(*_PUBLIC)
_GET_TASK = select(*_PUBLIC).where(_OWNED)
_TOGGLE_TASK = (
    update(_TASKS)
    .where(_OWNED)
    .values(completed=not_(_TASKS.c.completed), updated_at=_NOW)
    .returning(*_PUBLIC)
)
_DELETE_TASK = delete(_TASKS).where(_OWNED).returning(*_PUBLIC)


@cache
def _list_statement(status: TaskStatus, after_cursor: bool, limited: bool) -> Select[Any]:
    """One statement per kind of list: (status, from a cursor, with a limit)."""
    query = select(*_PUBLIC).where(_TASKS.c.user_id == bindparam("p_user_id"))
    if status != "all":
        query = query.where(_TASKS.c.completed == (status == "completed"))
    if after_cursor:
        query = query.where(_TASKS.c.id < bindparam("p_before_id"))
    if limited:
        query = query.limit(bindparam("p_limit"))
    statement: Select[Any] = query.order_by(_TASKS.c.id.desc())
    return statement


@cache
def _update_statement(title: bool, description: bool, completed: bool) -> Any:
    """One statement per set of changed fields."""
    values: dict[str, Any] = {"updated_at": _NOW}
    if title:
        values["title"] = bindparam("p_title", type_=String)
    if description:
        values["description"] = bindparam("p_description", type_=String)
    if completed:
        values["completed"] = bindparam("p_completed")
    return update(_TASKS).where(_OWNED).values(**values).returning(*_PUBLIC)


def _one(rows: Any) -> dict[str, Any] | None:
    return dict(rows[0]) if rows else None


async def create_task(
    session: AsyncSession,
    *,
    user_id: str,
    title: str,
    description: str | None = None,
    max_tasks: int,
) -> dict[str, Any] | None:
    """A new task; None when the user already has `max_tasks` tasks (their quota)."""
    params = {
        "p_title": title,
        "p_description": description or None,
        "p_user_id": user_id,
        "p_now": utc_now(),
        "p_max_tasks": max_tasks,
    }
    await lock_user(session, user_id=user_id)
    return _one(await run(session, _CREATE_TASK, params))


async def list_tasks(
    reads: Reads | AsyncSession,
    *,
    user_id: str,
    status: TaskStatus = "all",
    limit: int | None = None,
    before_id: int | None = None,
) -> list[dict[str, Any]]:
    """The user's tasks, newest first; with `before_id`, only older ones (ids grow with time),
    and at most `limit` of them. Plain values, not ORM objects: listing is the hottest path."""
    query = _list_statement(status, before_id is not None, limit is not None)
    rows = await run(
        reads, query, {"p_user_id": user_id, "p_before_id": before_id, "p_limit": limit}
    )
    return [dict(row) for row in rows]


async def get_task(
    reads: Reads | AsyncSession, *, user_id: str, task_id: int
) -> dict[str, Any] | None:
    return _one(await run(reads, _GET_TASK, {"p_user_id": user_id, "p_task_id": task_id}))


async def update_task(
    session: AsyncSession,
    *,
    user_id: str,
    task_id: int,
    title: str | None = None,
    description: str | None = None,
    completed: bool | None = None,
) -> dict[str, Any] | None:
    """Change the fields given (None: unchanged; an empty description clears it) of the user's
    task; None if they have no such task."""
    params = {
        "p_user_id": user_id,
        "p_task_id": task_id,
        "p_now": utc_now(),
        "p_title": title,
        "p_description": description or None,
        "p_completed": completed,
    }
    statement = _update_statement(title is not None, description is not None, completed is not None)
    return _one(await run(session, statement, params))


async def toggle_task(
    session: AsyncSession, *, user_id: str, task_id: int
) -> dict[str, Any] | None:
    """Turn the user's task from pending to completed or back; None if no such task."""
    params = {"p_user_id": user_id, "p_task_id": task_id, "p_now": utc_now()}
    return _one(await run(session, _TOGGLE_TASK, params))


async def delete_task(
    session: AsyncSession, *, user_id: str, task_id: int
) -> dict[str, Any] | None:
    """Delete the user's task; what it was, or None if no such task."""
    return _one(await run(session, _DELETE_TASK, {"p_user_id": user_id, "p_task_id": task_id}))
