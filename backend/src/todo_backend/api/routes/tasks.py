"""The task REST API; every route is scoped to the signed-in user."""

from typing import Annotated, Any

import orjson
from fastapi import APIRouter, HTTPException, Query, Request, Response, status

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
from todo_backend.api.paging import PageLimit, next_page_link
from todo_backend.data import tasks
from todo_backend.models import (
    ID_MAX,
    ID_MIN,
    TaskCreate,
    TaskPublic,
    TaskStatus,
    TaskUpdate,
)

router = APIRouter(
    prefix="/api/{user_id}/tasks", tags=["tasks"], responses=error_responses(401, 403)
)


JSON = "application/json"


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


@router.get("", response_model=list[TaskPublic], responses=error_responses(422))
async def list_tasks(
    request: Request,
    user_id: OwnerId,
    reads: ReadsDep,
    status: TaskStatus = "all",
    limit: PageLimit = None,
    cursor: Annotated[
        int | None,
        Query(ge=ID_MIN, le=ID_MAX, description="Where to go on: from the Link header."),
    ] = None,
) -> Response:
    """The user's tasks, newest first; `status` filters pending or completed ones. With
    `limit`, one page: a `Link` header (rel="next") gives the next page while more remain."""
    rows = await tasks.list_tasks(
        reads,
        user_id=user_id,
        status=status,
        limit=None if limit is None else limit + 1,  # one more tells whether more remain
        before_id=cursor,
    )
    headers = None
    if limit is not None and len(rows) > limit:
        rows = rows[:limit]
        headers = {"Link": next_page_link(request, str(rows[-1]["id"]))}
    return Response(_json(rows), media_type=JSON, headers=headers)


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
    task = await quotas.add_task(
        session,
        settings.quotas,
        user_id=user_id,
        title=body.title,
        description=body.description,
    )
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
    """Change the fields sent; a `description` of null or "" clears it."""
    if "title" in body.model_fields_set and body.title is None:
        if await tasks.get_task(session, user_id=user_id, task_id=task_id) is None:
            raise _not_found(task_id)
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, "title: must not be empty")
    sent_description = "description" in body.model_fields_set
    task = await tasks.update_task(
        session,
        user_id=user_id,
        task_id=task_id,
        title=body.title,
        description=(body.description or "") if sent_description else None,
        completed=body.completed,
    )
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
