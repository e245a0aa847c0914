"""Tasks: one write path per operation, for the REST API, the MCP tools and the agents alike
(lists are `task_lists`).

Core statements, built once (`functools.cache` for those with variants): the ORM's attributes
would send every execution through its compile and loading steps, and building a statement
anew costs about as much as running it. Every one returns the task's public fields
(TaskPublic's, the API's JSON keys), as a dict.

A task's tags are rows of `task_tags`, read with the task as one aggregated column, a sorted
list: no Python runs per row of a list."""

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import (
    Integer,
    String,
    Table,
    Text,
    TypeDecorator,
    bindparam,
    delete,
    false,
    insert,
    not_,
    null,
    update,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from todo_backend.data.engine import Reads, run
from todo_backend.data.users import insert_under_quota, lock_user
from todo_backend.models import Task, TaskPublic, TaskTag, UTCDateTime, utc_now
from todo_backend.task_fields import DEFAULT_PRIORITY, Priority

TASKS: Table = Task.__table__  # type: ignore[attr-defined]  # SQLModel hides it
TAGS: Table = TaskTag.__table__  # type: ignore[attr-defined]


class _Tags(TypeDecorator[list[str]]):
    """A task's tags as a sorted list: PostgreSQL's driver returns the array as one already;
    SQLite's JSON array text is read here."""

    impl = Text
    cache_ok = True

    def process_result_value(self, value: Any, dialect: Dialect) -> list[str]:
        if isinstance(value, str):
            return sorted(json.loads(value))
        return value or []


class _TagList(FunctionElement[list[str]]):
    """A task's tags, aggregated (each database has its own aggregate for it)."""

    type = _Tags()
    inherit_cache = True


@compiles(_TagList)
def _json_group_array(element: _TagList, compiler: SQLCompiler, **kw: Any) -> str:
    return f"json_group_array({compiler.process(element.clauses, **kw)})"


@compiles(_TagList, "postgresql")
def _array_agg(element: _TagList, compiler: SQLCompiler, **kw: Any) -> str:
    tag = compiler.process(element.clauses, **kw)
    return f"coalesce(array_agg({tag} ORDER BY {tag}), '{{}}')"


_TAGS_OF_TASK = select(_TagList(TAGS.c.tag)).where(TAGS.c.task_id == TASKS.c.id).scalar_subquery()
PUBLIC = [
    _TAGS_OF_TASK.label("tags") if name == "tags" else TASKS.c[name]
    for name in TaskPublic.model_fields
]
# A new task has no tags yet (and in an INSERT's RETURNING the subquery would not correlate).
_PUBLIC_NEW = [null().label("tags") if c.name == "tags" else c for c in PUBLIC]
_OWNED = (TASKS.c.id == bindparam("p_task_id", type_=Integer)) & (
    TASKS.c.user_id == bindparam("p_user_id", type_=String)
)
_NOW = bindparam("p_now", type_=UTCDateTime)

# A task, only while its user has fewer than max_tasks.
_CREATE_TASK = insert_under_quota(
    TASKS,
    {
        "title": bindparam("p_title", type_=String),
        "description": bindparam("p_description", type_=String),
        "user_id": bindparam("p_user_id", type_=String),
        "completed": false(),
        "created_at": _NOW,
        "updated_at": _NOW,
        "due_at": bindparam("p_due_at", type_=UTCDateTime),
        "priority": bindparam("p_priority", type_=String),
    },
    user="p_user_id",
    limit="p_max_tasks",
).returning(*_PUBLIC_NEW)
_GET_TASK = select(*PUBLIC).where(_OWNED)
_TOGGLE_TASK = (
    update(TASKS)
    .where(_OWNED)
    .values(completed=not_(TASKS.c.completed), updated_at=_NOW)
    .returning(*PUBLIC)
)
_DELETE_TASK = delete(TASKS).where(_OWNED).returning(*PUBLIC)
_CLEAR_TAGS = delete(TAGS).where(TAGS.c.task_id == bindparam("p_task_id", type_=Integer))

# ---- reading rows ----


def _one(rows: Any) -> dict[str, Any] | None:
    if not rows:
        return None
    task = dict(rows[0])
    task["tags"] = task["tags"] or []  # a new task's (none yet)
    return task


@cache
def _update_statement(
    title: bool, description: bool, completed: bool, due_at: bool, priority: bool
) -> Any:
    """One statement per set of changed fields."""
    values: dict[str, Any] = {"updated_at": _NOW}
    if title:
        values["title"] = bindparam("p_title", type_=String)
    if description:
        values["description"] = bindparam("p_description", type_=String)
    if completed:
        values["completed"] = bindparam("p_completed")
    if due_at:
        values["due_at"] = bindparam("p_due_at", type_=UTCDateTime)
    if priority:
        values["priority"] = bindparam("p_priority", type_=String)
    return update(TASKS).where(_OWNED).values(**values).returning(*PUBLIC)


@cache
def _add_tags_statement(count: int) -> Any:
    """One INSERT of `count` tags of a task (one statement per count, as for lists)."""
    task_id = bindparam("p_task_id", type_=Integer)
    user_id = bindparam("p_user_id", type_=String)
    return insert(TAGS).values(
        [
            {"task_id": task_id, "user_id": user_id, "tag": bindparam(f"p_tag_{i}", type_=String)}
            for i in range(count)
        ]
    )


async def _replace_tags(
    session: AsyncSession, task: dict[str, Any], tags: Sequence[str]
) -> dict[str, Any]:
    """The task with exactly these tags (the caller has checked that the task is theirs)."""
    params = {"p_task_id": task["id"], "p_user_id": task["user_id"]}
    if task["tags"]:
        await run(session, _CLEAR_TAGS, params)
    if tags:
        params.update({f"p_tag_{i}": tag for i, tag in enumerate(tags)})
        await run(session, _add_tags_statement(len(tags)), params)
    return {**task, "tags": sorted(tags)}


@dataclass(frozen=True)
class NewTask:
    title: str
    description: str | None = None
    due_at: datetime | None = None
    priority: Priority = DEFAULT_PRIORITY
    tags: Sequence[str] = ()


async def create_task(
    session: AsyncSession, *, user_id: str, task: NewTask, max_tasks: int
) -> dict[str, Any] | None:
    """A new task; None when the user already has `max_tasks` tasks (their quota)."""
    params = {
        "p_title": task.title,
        "p_description": task.description or None,
        "p_user_id": user_id,
        "p_now": utc_now(),
        "p_due_at": task.due_at,
        "p_priority": task.priority,
        "p_max_tasks": max_tasks,
    }
    await lock_user(session, user_id=user_id)
    created = _one(await run(session, _CREATE_TASK, params))
    if created is not None and task.tags:
        created = await _replace_tags(session, created, task.tags)
    return created


async def get_task(
    reads: Reads | AsyncSession, *, user_id: str, task_id: int
) -> dict[str, Any] | None:
    return _one(await run(reads, _GET_TASK, {"p_user_id": user_id, "p_task_id": task_id}))


@dataclass(frozen=True)
class TaskChanges:
    """What an update changes; a field left None stays as it is."""

    title: str | None = None
    description: str | None = None  # "" clears it
    completed: bool | None = None
    due_at: datetime | None = None
    clear_due_at: bool = False
    priority: Priority | None = None
    tags: Sequence[str] | None = None  # the whole new set; () clears it


async def update_task(
    session: AsyncSession, *, user_id: str, task_id: int, changes: TaskChanges
) -> dict[str, Any] | None:
    """Change the fields `changes` gives of the user's task; None if they have no such task."""
    params = {
        "p_user_id": user_id,
        "p_task_id": task_id,
        "p_now": utc_now(),
        "p_title": changes.title,
        "p_description": changes.description or None,
        "p_completed": changes.completed,
        "p_due_at": changes.due_at,
        "p_priority": changes.priority,
    }
    statement = _update_statement(
        changes.title is not None,
        changes.description is not None,
        changes.completed is not None,
        changes.due_at is not None or changes.clear_due_at,
        changes.priority is not None,
    )
    task = _one(await run(session, statement, params))
    if task is not None and changes.tags is not None:
        task = await _replace_tags(session, task, changes.tags)
    return task


async def toggle_task(
    session: AsyncSession, *, user_id: str, task_id: int
) -> dict[str, Any] | None:
    """Turn the user's task from pending to completed or back; None if no such task."""
    params = {"p_user_id": user_id, "p_task_id": task_id, "p_now": utc_now()}
    return _one(await run(session, _TOGGLE_TASK, params))


async def delete_task(
    session: AsyncSession, *, user_id: str, task_id: int
) -> dict[str, Any] | None:
    """Delete the user's task (its tags go with it); what it was, or None if no such task."""
    return _one(await run(session, _DELETE_TASK, {"p_user_id": user_id, "p_task_id": task_id}))
