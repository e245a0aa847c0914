"""Tasks: one write path per operation, for the REST API, the MCP tools and the agents alike.

Core statements, built once (`functools.cache` for those with variants): the ORM's attributes
would send every execution through its compile and loading steps, and building a statement
anew costs about as much as running it. Every one returns the task's public fields
(TaskPublic's, the API's JSON keys), as a dict.

A task's tags are rows of `task_tags`, read with the task as one aggregated column, a sorted
list: no Python runs per row of a list."""

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any, Literal, get_args

from sqlalchemy import (
    ColumnElement,
    Integer,
    Select,
    String,
    Table,
    Text,
    TypeDecorator,
    and_,
    bindparam,
    case,
    cast,
    delete,
    false,
    func,
    insert,
    not_,
    null,
    or_,
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
from todo_backend.models import Task, TaskPublic, TaskStatus, TaskTag, UTCDateTime, utc_now
from todo_backend.task_fields import DEFAULT_PRIORITY, PRIORITY_RANK, Priority

_TASKS: Table = Task.__table__  # type: ignore[attr-defined]  # SQLModel hides it
_TAGS: Table = TaskTag.__table__  # type: ignore[attr-defined]


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


_TAGS_OF_TASK = (
    select(_TagList(_TAGS.c.tag)).where(_TAGS.c.task_id == _TASKS.c.id).scalar_subquery()
)
_PUBLIC = [
    _TAGS_OF_TASK.label("tags") if name == "tags" else _TASKS.c[name]
    for name in TaskPublic.model_fields
]
# A new task has no tags yet (and in an INSERT's RETURNING the subquery would not correlate).
_PUBLIC_NEW = [null().label("tags") if c.name == "tags" else c for c in _PUBLIC]
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
        "due_at": bindparam("p_due_at", type_=UTCDateTime),
        "priority": bindparam("p_priority", type_=String),
    },
    user="p_user_id",
    limit="p_max_tasks",
).returning(*_PUBLIC_NEW)
_GET_TASK = select(*_PUBLIC).where(_OWNED)
_TOGGLE_TASK = (
    update(_TASKS)
    .where(_OWNED)
    .values(completed=not_(_TASKS.c.completed), updated_at=_NOW)
    .returning(*_PUBLIC)
)
_DELETE_TASK = delete(_TASKS).where(_OWNED).returning(*_PUBLIC)
_CLEAR_TAGS = delete(_TAGS).where(_TAGS.c.task_id == bindparam("p_task_id", type_=Integer))
_ADD_TAG = insert(_TAGS).values(
    task_id=bindparam("p_task_id", type_=Integer),
    user_id=bindparam("p_user_id", type_=String),
    tag=bindparam("p_tag", type_=String),
)

# ---- lists: filters and orders ----

Sort = Literal["-created_at", "created_at", "due_at", "-due_at", "priority", "-priority", "title"]
SORTS: tuple[Sort, ...] = get_args(Sort)


@dataclass(frozen=True)
class TaskFilter:
    """Which of a user's tasks a list returns, and in what order."""

    status: TaskStatus = "all"
    priorities: tuple[Priority, ...] = ()  # any of them
    tags: tuple[str, ...] = ()  # all of them
    due_before: datetime | None = None
    due_after: datetime | None = None
    overdue_at: datetime | None = None  # pending and due before this moment
    words: tuple[str, ...] = ()  # each in the title or the description, in any case
    sort: Sort = "-created_at"


@dataclass(frozen=True)
class _SortKey:
    """One key of an order: its expression of a row, the same expression of the bound value
    `p_after_<field>`, and how that value is taken from the last task of the page before."""

    field: str
    of_row: ColumnElement[Any]
    of_bound: ColumnElement[Any]
    value_of: Callable[[dict[str, Any]], Any]
    descending: bool


def _rank(priority: str) -> int:
    return PRIORITY_RANK[priority]


_RANK = case(PRIORITY_RANK, value=_TASKS.c.priority)
_NO_DUE_DATE = case((_TASKS.c.due_at.is_(None), 1), else_=0)  # due dates first, then the rest


def _keys(sort: Sort) -> tuple[list[_SortKey], bool]:
    """An order's keys before the id, and whether the id (the last tie-breaker) descends. Ids
    grow with time: the creation order is the id's."""
    descending = sort.startswith("-")
    name = sort.removeprefix("-")

    def bound(field: str, type_: Any) -> Any:
        return bindparam(f"p_after_{field}", type_=type_)

    if name == "due_at":
        return [
            _SortKey(
                "no_due",
                _NO_DUE_DATE,
                bound("no_due", Integer),
                lambda task: int(task["due_at"] is None),
                False,
            ),
            _SortKey(
                "due_at",
                _TASKS.c.due_at,
                bound("due_at", UTCDateTime),
                lambda task: task["due_at"],
                descending,
            ),
        ], descending
    if name == "priority":
        return [
            _SortKey(
                "rank",
                _RANK,
                bound("rank", Integer),
                lambda task: _rank(task["priority"]),
                descending,
            )
        ], descending
    if name == "title":
        # lower() in SQL on both sides: SQLite's is ASCII-only and Python's is not, so the
        # cursor keeps the title itself.
        return [
            _SortKey(
                "title",
                func.lower(_TASKS.c.title),
                func.lower(cast(bound("title", String), String)),
                lambda task: task["title"],
                descending,
            )
        ], descending
    return [], descending


def _after_cursor(keys: list[_SortKey], id_descending: bool) -> ColumnElement[bool]:
    """The rows after the cursor's row in the order of `keys`, then the id: after it in the
    first key, or equal in the first and after it in the next, and so on."""
    columns = [(key.of_row, key.of_bound, key.descending) for key in keys]
    columns.append((_TASKS.c.id, bindparam("p_after_id", type_=Integer), id_descending))
    alternatives = []
    for index, (column, value, descending) in enumerate(columns):
        equal_before = [c.is_not_distinct_from(v) for c, v, _ in columns[:index]]
        beyond = column < value if descending else column > value
        alternatives.append(and_(*equal_before, beyond))
    return or_(*alternatives)


def _ordered(keys: list[_SortKey], id_descending: bool) -> list[ColumnElement[Any]]:
    orders: list[ColumnElement[Any]] = [
        key.of_row.desc() if key.descending else key.of_row.asc() for key in keys
    ]
    orders.append(_TASKS.c.id.desc() if id_descending else _TASKS.c.id.asc())
    return orders


@cache
def _list_statement(
    status: TaskStatus,
    priorities: int,
    tags: int,
    due_before: bool,
    due_after: bool,
    overdue: bool,
    words: int,
    sort: Sort,
    after_cursor: bool,
    limited: bool,
) -> Select[Any]:
    """One statement per kind of list: its filters (how many values of each), order, cursor and
    limit. Values are bound one parameter each (not an expanding IN), so the statement compiles
    once."""
    query = select(*_PUBLIC).where(_TASKS.c.user_id == bindparam("p_user_id"))
    if status != "all":
        query = query.where(_TASKS.c.completed == (status == "completed"))
    if priorities:
        query = query.where(
            _TASKS.c.priority.in_([bindparam(f"p_priority_{i}") for i in range(priorities)])
        )
    if tags:
        # The tasks that have every one of the tags: the (user_id, tag) index finds them.
        tagged = (
            select(_TAGS.c.task_id)
            .where(
                _TAGS.c.user_id == bindparam("p_user_id"),
                _TAGS.c.tag.in_([bindparam(f"p_tag_{i}") for i in range(tags)]),
            )
            .group_by(_TAGS.c.task_id)
            .having(func.count() == tags)
        )
        query = query.where(_TASKS.c.id.in_(tagged))
    if due_before:
        query = query.where(_TASKS.c.due_at < bindparam("p_due_before", type_=UTCDateTime))
    if due_after:
        query = query.where(_TASKS.c.due_at >= bindparam("p_due_after", type_=UTCDateTime))
    if overdue:
        query = query.where(
            _TASKS.c.completed == false(),
            _TASKS.c.due_at < bindparam("p_overdue_at", type_=UTCDateTime),
        )
    for i in range(words):
        pattern = bindparam(f"p_word_{i}", type_=String)
        query = query.where(
            or_(
                _TASKS.c.title.ilike(pattern, escape="\\"),
                _TASKS.c.description.ilike(pattern, escape="\\"),
            )
        )
    keys, id_descending = _keys(sort)
    if after_cursor:
        query = query.where(_after_cursor(keys, id_descending))
    if limited:
        query = query.limit(bindparam("p_limit"))
    statement: Select[Any] = query.order_by(*_ordered(keys, id_descending))
    return statement


def _like_pattern(word: str) -> str:
    escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def cursor_of(task: dict[str, Any], sort: Sort) -> list[Any]:
    """Where a list in this order goes on after `task`: the values of its sort fields, then its
    id (JSON-ready; a due date as RFC 3339 text)."""
    keys, _ = _keys(sort)
    values: list[Any] = []
    for key in keys:
        value = key.value_of(task)
        values.append(value.isoformat() if isinstance(value, datetime) else value)
    return [*values, task["id"]]


def after_params(sort: Sort, cursor: Sequence[Any]) -> dict[str, Any]:
    """The bound values of a cursor from `cursor_of`; ValueError for anything else."""
    keys, _ = _keys(sort)
    if len(cursor) != len(keys) + 1:
        raise ValueError("not a cursor of this order")
    params: dict[str, Any] = {}
    for key, value in zip(keys, cursor, strict=False):
        if key.field == "due_at" and value is not None:
            if not isinstance(value, str):
                raise ValueError("not a cursor of this order")
            value = datetime.fromisoformat(value)
            if value.tzinfo is None:
                raise ValueError("not a cursor of this order")
        elif (key.field in ("no_due", "rank") and not isinstance(value, int)) or (
            key.field == "title" and not isinstance(value, str)
        ):
            raise ValueError("not a cursor of this order")
        params[f"p_after_{key.field}"] = value
    row_id = cursor[-1]
    if not isinstance(row_id, int) or isinstance(row_id, bool):
        raise ValueError("not a cursor of this order")
    params["p_after_id"] = row_id
    return params


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
    return update(_TASKS).where(_OWNED).values(**values).returning(*_PUBLIC)


async def _replace_tags(
    session: AsyncSession, task: dict[str, Any], tags: Sequence[str]
) -> dict[str, Any]:
    """The task with exactly these tags (the caller has checked that the task is theirs)."""
    params = {"p_task_id": task["id"], "p_user_id": task["user_id"]}
    if task["tags"]:
        await run(session, _CLEAR_TAGS, params)
    for tag in tags:
        await run(session, _ADD_TAG, {**params, "p_tag": tag})
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


async def list_tasks(
    reads: Reads | AsyncSession,
    *,
    user_id: str,
    where: TaskFilter = TaskFilter(),
    limit: int | None = None,
    after: Sequence[Any] | None = None,
) -> list[dict[str, Any]]:
    """The user's tasks that `where` selects, in its order; with `after` (a `cursor_of`), only
    those after that task, and at most `limit` of them. Plain values, not ORM objects: listing
    is the hottest path."""
    query = _list_statement(
        where.status,
        len(where.priorities),
        len(where.tags),
        where.due_before is not None,
        where.due_after is not None,
        where.overdue_at is not None,
        len(where.words),
        where.sort,
        after is not None,
        limit is not None,
    )
    params: dict[str, Any] = {
        "p_user_id": user_id,
        "p_limit": limit,
        "p_due_before": where.due_before,
        "p_due_after": where.due_after,
        "p_overdue_at": where.overdue_at,
    }
    params.update({f"p_priority_{i}": value for i, value in enumerate(where.priorities)})
    params.update({f"p_tag_{i}": value for i, value in enumerate(where.tags)})
    params.update({f"p_word_{i}": _like_pattern(w) for i, w in enumerate(where.words)})
    if after is not None:
        params.update(after_params(where.sort, after))
    rows = await run(reads, query, params)
    return [dict(row) for row in rows]


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
