"""Lists of a user's tasks: filters, orders and the keyset cursors that page them.

One statement per kind of list (which filters, how many values, which order), built once:
values are bound one parameter each, never an expanding IN, so it compiles once for the
asyncpg fast path. A page goes on after the last task of the page before, compared on the
order's keys and then the id, so paging neither skips nor repeats a task while others are
added."""

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
    and_,
    bindparam,
    case,
    cast,
    false,
    func,
    or_,
)
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from todo_backend.data.engine import Reads, run
from todo_backend.data.tasks import PUBLIC, TAGS, TASKS
from todo_backend.models import TaskStatus, UTCDateTime
from todo_backend.task_fields import PRIORITY_RANK, Priority

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


_RANK = case(PRIORITY_RANK, value=TASKS.c.priority)
_NO_DUE_DATE = case((TASKS.c.due_at.is_(None), 1), else_=0)  # due dates first, then the rest


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
                TASKS.c.due_at,
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
                func.lower(TASKS.c.title),
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
    columns.append((TASKS.c.id, bindparam("p_after_id", type_=Integer), id_descending))
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
    orders.append(TASKS.c.id.desc() if id_descending else TASKS.c.id.asc())
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
    query = select(*PUBLIC).where(TASKS.c.user_id == bindparam("p_user_id"))
    if status != "all":
        query = query.where(TASKS.c.completed == (status == "completed"))
    if priorities:
        query = query.where(
            TASKS.c.priority.in_([bindparam(f"p_priority_{i}") for i in range(priorities)])
        )
    if tags:
        # The tasks that have every one of the tags: the (user_id, tag) index finds them.
        tagged = (
            select(TAGS.c.task_id)
            .where(
                TAGS.c.user_id == bindparam("p_user_id"),
                TAGS.c.tag.in_([bindparam(f"p_tag_{i}") for i in range(tags)]),
            )
            .group_by(TAGS.c.task_id)
            .having(func.count() == tags)
        )
        query = query.where(TASKS.c.id.in_(tagged))
    if due_before:
        query = query.where(TASKS.c.due_at < bindparam("p_due_before", type_=UTCDateTime))
    if due_after:
        query = query.where(TASKS.c.due_at >= bindparam("p_due_after", type_=UTCDateTime))
    if overdue:
        query = query.where(
            TASKS.c.completed == false(),
            TASKS.c.due_at < bindparam("p_overdue_at", type_=UTCDateTime),
        )
    for i in range(words):
        pattern = bindparam(f"p_word_{i}", type_=String)
        query = query.where(
            or_(
                TASKS.c.title.ilike(pattern, escape="\\"),
                TASKS.c.description.ilike(pattern, escape="\\"),
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
    # A value given twice selects nothing more, but would be one more kind of statement cached.
    priorities = tuple(dict.fromkeys(where.priorities))
    words = tuple(dict.fromkeys(where.words))
    query = _list_statement(
        where.status,
        len(priorities),
        len(where.tags),
        where.due_before is not None,
        where.due_after is not None,
        where.overdue_at is not None,
        len(words),
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
    params.update({f"p_priority_{i}": value for i, value in enumerate(priorities)})
    params.update({f"p_tag_{i}": value for i, value in enumerate(where.tags)})
    params.update({f"p_word_{i}": _like_pattern(w) for i, w in enumerate(words)})
    if after is not None:
        params.update(after_params(where.sort, after))
    rows = await run(reads, query, params)
    return [dict(row) for row in rows]
