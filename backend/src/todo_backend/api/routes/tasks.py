"""The task REST API; every route is scoped to the signed-in user."""

from datetime import date, datetime, time
from typing import Annotated, Any, cast
from zoneinfo import ZoneInfo

import orjson
from fastapi import APIRouter, Depends, HTTPException, Request, Response, status
from pydantic import BaseModel, Field

from todo_backend import idempotency, quotas
from todo_backend.api.deps import (
    OwnerId,
    ReadsDep,
    SessionDep,
    SettingsDep,
    TaskIdPath,
)
from todo_backend.api.errors import error_responses
from todo_backend.api.idempotent import (
    IdempotencyKeyHeader,
    commit_or_replay,
    previous_response,
    replayed,
)
from todo_backend.api.paging import (
    PAGE_MAX,
    bad_cursor,
    next_page_link,
    parse_values_cursor,
    values_cursor,
)
from todo_backend.api.query import query_parameters, query_reader
from todo_backend.data import task_lists, tasks, users
from todo_backend.data.task_lists import Sort, TaskFilter
from todo_backend.data.tasks import NewTask, TaskChanges
from todo_backend.models import (
    TITLE_MAX,
    TaskCreate,
    TaskPublic,
    TaskStatus,
    TaskUpdate,
    utc_now,
)
from todo_backend.task_fields import (
    DEFAULT_TIME_ZONE,
    TAGS_MAX,
    Priority,
    aware_utc,
    clean_tags,
)

router = APIRouter(
    prefix="/api/{user_id}/tasks", tags=["tasks"], responses=error_responses(401, 403)
)


JSON = "application/json"
WORDS_MAX = 10  # of a search (`q`): each is one more condition on every task


def _json(rows: object) -> bytes:
    """Our own rows, typed by their columns, written as they are: the TaskPublic that the
    response model documents, without validating each row against it again (the tests hold
    the two to the same JSON). OPT_UTC_Z writes UTC as "Z", as pydantic does."""
    return orjson.dumps(rows, option=orjson.OPT_UTC_Z)


def _not_found(task_id: int) -> HTTPException:
    # Another user's task is "not found" too: existence does not leak.
    return HTTPException(status.HTTP_404_NOT_FOUND, f"Task {task_id} not found")


def _found(task: dict[str, Any] | None, task_id: int) -> TaskPublic:
    if task is None:
        raise _not_found(task_id)
    return TaskPublic.model_validate(task)


def _unprocessable(detail: str) -> HTTPException:
    return HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, detail)


def _moment(name: str, value: str | None, zone: str) -> datetime | None:
    """A query parameter's moment: RFC 3339 with an offset, or a date (its midnight in the
    user's time zone)."""
    if value is None:
        return None
    try:
        if _is_date(value):
            return datetime.combine(date.fromisoformat(value), time(), ZoneInfo(zone))
        return aware_utc(datetime.fromisoformat(value))
    except ValueError:
        raise _unprocessable(
            f"{name}: give a date-time with an offset, like 2026-12-08T17:00:00+01:00, "
            "or a date, like 2026-12-08"
        ) from None


def _tags(values: list[str]) -> tuple[str, ...]:
    try:
        return tuple(cast(list[str], clean_tags(values)))
    except ValueError as error:
        raise _unprocessable(f"tag: {error}") from None


_MOMENT = "An RFC 3339 date-time with an offset, or a date (midnight in the user's time zone)."


class TaskListQuery(BaseModel):
    """What the task list takes; every parameter is optional and they combine with AND."""

    status: TaskStatus = Field(default="all", description="pending, completed or all of them.")
    priority: list[Priority] = Field(default=[], description="Any of these priorities.")
    tag: list[str] = Field(default=[], max_length=TAGS_MAX, description="Every one of these tags.")
    due_before: str | None = Field(default=None, max_length=40, description=_MOMENT)
    due_after: str | None = Field(default=None, max_length=40, description=_MOMENT)
    overdue: bool = Field(default=False, description="Only pending tasks past their due date.")
    q: str | None = Field(
        default=None,
        max_length=TITLE_MAX,
        description="Words that must all be in the title or description, in any case.",
    )
    sort: Sort = Field(
        default="-created_at",
        description="The order; tasks without a due date come last in both due-date orders.",
    )
    limit: int | None = Field(
        default=None, ge=1, le=PAGE_MAX, description="At most this many; without it, all of them."
    )
    cursor: str | None = Field(
        default=None, max_length=2 * TITLE_MAX, description="Where to go on: from the Link header."
    )


@router.get(
    "",
    response_model=list[TaskPublic],
    responses=error_responses(422),
    openapi_extra={"parameters": query_parameters(TaskListQuery)},
)
async def list_tasks(
    request: Request,
    user_id: OwnerId,
    reads: ReadsDep,
    query: Annotated[TaskListQuery, Depends(query_reader(TaskListQuery))],
) -> Response:
    """The user's tasks, newest first unless `sort` says otherwise, filtered by every parameter
    given. With `limit`, one page: a `Link` header (rel="next") gives the next page while more
    remain."""
    due_before, due_after, limit = query.due_before, query.due_after, query.limit
    zone = DEFAULT_TIME_ZONE
    if _is_date(due_before) or _is_date(due_after):
        zone = await users.get_time_zone(reads, user_id=user_id) or DEFAULT_TIME_ZONE
    words = tuple(query.q.split()) if query.q else ()
    if len(words) > WORDS_MAX:
        raise _unprocessable(f"q: at most {WORDS_MAX} words")
    where = TaskFilter(
        status=query.status,
        priorities=tuple(query.priority),
        tags=_tags(query.tag),
        due_before=_moment("due_before", due_before, zone),
        due_after=_moment("due_after", due_after, zone),
        overdue_at=utc_now() if query.overdue else None,
        words=words,
        sort=query.sort,
    )
    after = None if query.cursor is None else parse_values_cursor(query.cursor)
    try:
        rows = await task_lists.list_tasks(
            reads,
            user_id=user_id,
            where=where,
            limit=None if limit is None else limit + 1,  # one more tells whether more remain
            after=after,
        )
    except ValueError:  # a cursor of another order
        raise bad_cursor() from None
    headers = None
    if limit is not None and len(rows) > limit:
        rows = rows[:limit]
        next_cursor = values_cursor(task_lists.cursor_of(rows[-1], query.sort))
        headers = {"Link": next_page_link(request, next_cursor)}
    return Response(_json(rows), media_type=JSON, headers=headers)


def _is_date(value: str | None) -> bool:
    return value is not None and len(value) == len("2026-12-08")


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=TaskPublic,
    responses=error_responses(409, 422),
)
async def create_task(
    user_id: OwnerId,
    body: TaskCreate,
    session: SessionDep,
    settings: SettingsDep,
    idempotency_key: IdempotencyKeyHeader = None,
) -> TaskPublic | Response:
    """Create a task. With an `Idempotency-Key`, a retry returns the same task, created once."""
    keyed = idempotency.keyed_request(
        user_id, idempotency_key, "create_task", body.model_dump(mode="json")
    )
    if keyed is not None and (previous := await previous_response(session, keyed)):
        return replayed(previous)
    new = NewTask(body.title, body.description, body.due_at, body.priority, body.tags)
    task = await quotas.add_task(session, settings.quotas, user_id=user_id, task=new)
    if keyed is None:  # the row as it is, as for the list
        await session.commit()
        return Response(_json(task), status_code=status.HTTP_201_CREATED, media_type=JSON)
    public = TaskPublic.model_validate(task)
    await idempotency.stage_response(
        session, keyed, status_code=201, body=public.model_dump(mode="json")
    )
    if twin := await commit_or_replay(session, keyed):
        return twin
    return public


@router.get("/{task_id}", responses=error_responses(404))
async def get_task(user_id: OwnerId, task_id: TaskIdPath, reads: ReadsDep) -> TaskPublic:
    return _found(await tasks.get_task(reads, user_id=user_id, task_id=task_id), task_id)


@router.put("/{task_id}", responses=error_responses(404, 422))
async def update_task(
    user_id: OwnerId, task_id: TaskIdPath, body: TaskUpdate, session: SessionDep
) -> TaskPublic:
    """Change the fields sent; a `description` or `due_at` of null clears it (so does a
    `description` of ""), and `tags` replaces the task's tags."""
    sent = body.model_fields_set
    for required in ("title", "priority", "tags"):
        if required in sent and getattr(body, required) is None:
            if await tasks.get_task(session, user_id=user_id, task_id=task_id) is None:
                raise _not_found(task_id)
            raise _unprocessable(f"{required}: must not be null")
    changes = TaskChanges(
        title=body.title,
        description=(body.description or "") if "description" in sent else None,
        completed=body.completed,
        due_at=body.due_at,
        clear_due_at="due_at" in sent and body.due_at is None,
        priority=body.priority,
        tags=body.tags,
    )
    task = await tasks.update_task(session, user_id=user_id, task_id=task_id, changes=changes)
    await session.commit()
    return _found(task, task_id)


@router.delete("/{task_id}", status_code=status.HTTP_204_NO_CONTENT, responses=error_responses(404))
async def delete_task(user_id: OwnerId, task_id: TaskIdPath, session: SessionDep) -> Response:
    _found(await tasks.delete_task(session, user_id=user_id, task_id=task_id), task_id)
    await session.commit()
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.patch("/{task_id}/complete", responses=error_responses(404))
async def toggle_complete(user_id: OwnerId, task_id: TaskIdPath, session: SessionDep) -> TaskPublic:
    """Toggle the task between pending and completed."""
    task = await tasks.toggle_task(session, user_id=user_id, task_id=task_id)
    await session.commit()
    return _found(task, task_id)
