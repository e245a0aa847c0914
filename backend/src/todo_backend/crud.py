"""Data functions: the one implementation behind the REST API, the MCP tools and the agent.

Every function is keyword-only and scoped by `user_id`, so no caller can reach another
user's rows by forgetting a filter.
"""

from collections.abc import Sequence
from datetime import datetime
from typing import Any, get_args

from sqlalchemy import Integer, Select, String, bindparam, false, func, insert, update
from sqlalchemy import select as sql_select
from sqlmodel import col, delete, select
from sqlmodel.ext.asyncio.session import AsyncSession

from todo_backend.db import Reads, fetch_all, write_returning
from todo_backend.models import (
    Conversation,
    Message,
    Role,
    Task,
    TaskPublic,
    TaskStatus,
    User,
    UserCreate,
    UTCDateTime,
    utc_now,
)

# ---- users ----


async def get_user_by_email(session: AsyncSession, *, email: str) -> User | None:
    result = await session.exec(select(User).where(User.email == email))
    return result.first()


async def get_user(session: AsyncSession, *, user_id: str) -> User | None:
    return await session.get(User, user_id)


_USERS = User.__table__  # type: ignore[attr-defined]  # SQLModel hides it
_TOKEN_VERSION = select(_USERS.c.token_version).where(_USERS.c.id == bindparam("user_id"))


async def get_token_version(reads: Reads | AsyncSession, *, user_id: str) -> int | None:
    """The user's token version (what sign-out raises), or None when there is no such user.
    One column, not the user: it is read on every authenticated request."""
    rows = await fetch_all(reads, _TOKEN_VERSION, {"user_id": user_id})
    return int(rows[0][0]) if rows else None


async def create_user(
    session: AsyncSession, *, user_create: UserCreate, password_hash: str
) -> User:
    user = User(email=user_create.email, name=user_create.name, password_hash=password_hash)
    session.add(user)
    await session.commit()
    return user


async def revoke_tokens(session: AsyncSession, *, user_id: str) -> None:
    """Raise the user's token version, so every token issued so far stops working."""
    await session.exec(
        update(User)
        .where(col(User.id) == user_id)
        .values(token_version=col(User.token_version) + 1)
    )
    await session.commit()


# ---- tasks ----

_TASKS = Task.__table__  # type: ignore[attr-defined]  # SQLModel hides it
# What a task list row holds, in the order of TaskPublic's fields (the API's JSON keys).
TASK_FIELDS = tuple(TaskPublic.model_fields)


# Core statements, built once: the ORM's attributes would send every execution through its
# compile and loading steps, and building a statement anew costs about as much as running it.
# One per kind of list: (status, from a cursor, with a limit).
def _task_list(status: TaskStatus, after_cursor: bool, limited: bool) -> Select[Any]:
    query = (
        select(*(_TASKS.c[name] for name in TASK_FIELDS))
        .where(_TASKS.c.user_id == bindparam("user_id"))
        .order_by(_TASKS.c.id.desc())
    )
    if status != "all":
        query = query.where(_TASKS.c.completed == (status == "completed"))
    if after_cursor:
        query = query.where(_TASKS.c.id < bindparam("before_id"))
    if limited:
        query = query.limit(bindparam("limit"))
    statement: Select[Any] = query
    return statement


_LIST_TASKS = {
    (status, after_cursor, limited): _task_list(status, after_cursor, limited)
    for status in get_args(TaskStatus)
    for after_cursor in (False, True)
    for limited in (False, True)
}


# A task inserted only while its user has fewer than max_tasks: the quota's count and the
# insert are one statement (and one round trip). It returns the new task's public fields.
_CREATE_TASK = (
    insert(_TASKS)
    .from_select(
        ["title", "description", "user_id", "completed", "created_at", "updated_at"],
        sql_select(
            bindparam("title", type_=String),
            bindparam("description", type_=String),
            bindparam("user_id", type_=String),
            false(),
            bindparam("now", type_=UTCDateTime),
            bindparam("now", type_=UTCDateTime),
        ).where(
            sql_select(func.count())
            .where(_TASKS.c.user_id == bindparam("user_id", type_=String))
            .scalar_subquery()
            < bindparam("max_tasks", type_=Integer)
        ),
    )
    .returning(*(_TASKS.c[name] for name in TASK_FIELDS))
)


async def create_task(
    session: AsyncSession,
    *,
    user_id: str,
    title: str,
    description: str | None = None,
    max_tasks: int,
    commit: bool = True,
) -> dict[str, Any] | None:
    """A new task, as a dict of TASK_FIELDS; None when the user already has `max_tasks` tasks
    (their quota). With `commit=False` it is left in the session's transaction, for the caller
    to commit together with something else (the request's idempotency key)."""
    params = {
        "title": title,
        "description": description or None,
        "user_id": user_id,
        "now": utc_now(),
        "max_tasks": max_tasks,
    }
    rows = await write_returning(session, _CREATE_TASK, params)
    if not rows:
        return None
    if commit:
        await session.commit()
    return dict(zip(TASK_FIELDS, rows[0], strict=True))


async def list_tasks(
    reads: Reads | AsyncSession,
    *,
    user_id: str,
    status: TaskStatus = "all",
    limit: int | None = None,
    before_id: int | None = None,
) -> list[dict[str, Any]]:
    """The user's tasks, newest first, as dicts of TASK_FIELDS (TaskPublic's fields, in its
    order); with `before_id`, only older ones (ids grow with time), and at most `limit` of them.

    Plain values, not ORM objects: listing is the hottest path and nothing here changes them."""
    query = _LIST_TASKS[status, before_id is not None, limit is not None]
    params = {"user_id": user_id, "before_id": before_id, "limit": limit}
    rows = await fetch_all(reads, query, params)
    # Not strict=True: the rows have TASK_FIELDS' columns by construction, and checking costs.
    return [dict(zip(TASK_FIELDS, row, strict=False)) for row in rows]


async def get_task(session: AsyncSession, *, user_id: str, task_id: int) -> Task | None:
    result = await session.exec(select(Task).where(Task.id == task_id, Task.user_id == user_id))
    return result.first()


async def update_task(
    session: AsyncSession,
    *,
    task: Task,
    title: str | None = None,
    description: str | None = None,
    completed: bool | None = None,
    clear_description: bool = False,
) -> Task:
    if title is not None:
        task.title = title
    if description is not None or clear_description:
        task.description = description or None
    if completed is not None:
        task.completed = completed
    task.updated_at = utc_now()
    session.add(task)
    await session.commit()
    return task


async def delete_task(session: AsyncSession, *, task: Task) -> None:
    await session.delete(task)
    await session.commit()


# ---- conversations ----


async def create_conversation(session: AsyncSession, *, user_id: str, title: str) -> Conversation:
    now = utc_now()
    conversation = Conversation(user_id=user_id, title=title, created_at=now, updated_at=now)
    session.add(conversation)
    await session.flush()
    return conversation


async def count_conversations(session: AsyncSession, *, user_id: str) -> int:
    result = await session.exec(select(func.count()).where(col(Conversation.user_id) == user_id))
    return result.one()


async def get_conversation(
    session: AsyncSession, *, user_id: str, conversation_id: int
) -> Conversation | None:
    result = await session.exec(
        select(Conversation).where(
            Conversation.id == conversation_id, Conversation.user_id == user_id
        )
    )
    return result.first()


async def list_conversations(
    session: AsyncSession,
    *,
    user_id: str,
    limit: int | None = None,
    after: tuple[datetime, int] | None = None,
) -> Sequence[Conversation]:
    """The user's conversations, most recently active first; with `after` (the updated_at and
    id of the last one seen), only those that come after it, and at most `limit` of them."""
    query = select(Conversation).where(Conversation.user_id == user_id)
    if after is not None:
        updated_at, conversation_id = after
        query = query.where(
            (col(Conversation.updated_at) < updated_at)
            | (
                (col(Conversation.updated_at) == updated_at)
                & (col(Conversation.id) < conversation_id)
            )
        )
    query = query.order_by(col(Conversation.updated_at).desc(), col(Conversation.id).desc())
    if limit is not None:
        query = query.limit(limit)
    result = await session.exec(query)
    return result.all()


async def delete_conversation(session: AsyncSession, *, conversation: Conversation) -> None:
    await session.exec(delete(Message).where(col(Message.conversation_id) == conversation.id))
    await session.delete(conversation)
    await session.commit()


async def list_messages(
    session: AsyncSession, *, user_id: str, conversation_id: int, limit: int | None = None
) -> list[Message]:
    """The conversation's messages in order; with `limit`, only the most recent ones."""
    query = select(Message).where(
        Message.conversation_id == conversation_id, Message.user_id == user_id
    )
    if limit is None:
        result = await session.exec(query.order_by(col(Message.id)))
        return list(result.all())
    result = await session.exec(query.order_by(col(Message.id).desc()).limit(limit))
    return list(reversed(result.all()))


async def count_messages(session: AsyncSession, *, user_id: str, conversation_id: int) -> int:
    result = await session.exec(
        select(func.count()).where(
            col(Message.conversation_id) == conversation_id, col(Message.user_id) == user_id
        )
    )
    return result.one()


async def add_message(
    session: AsyncSession, *, user_id: str, conversation_id: int, role: Role, content: str
) -> Message:
    """Store a message and touch the conversation, in one commit.

    Takes plain ids, not the Conversation: after a rollback its attributes are expired, and
    reading them would need I/O that an async session cannot do implicitly."""
    message = Message(
        user_id=user_id,
        conversation_id=conversation_id,
        role=role,
        content=content,
    )
    session.add(message)
    await session.exec(
        update(Conversation)
        .where(col(Conversation.id) == conversation_id, col(Conversation.user_id) == user_id)
        .values(updated_at=message.created_at)
    )
    await session.commit()
    return message
