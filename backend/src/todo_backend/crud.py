"""Data functions: the one implementation behind the REST API, the MCP tools and the agent.

Every function is keyword-only and scoped by `user_id`, so no caller can reach another
user's rows by forgetting a filter.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, get_args

from sqlalchemy import (
    BindParameter,
    Insert,
    Integer,
    Select,
    String,
    Table,
    bindparam,
    false,
    func,
    insert,
    text,
    true,
    update,
)
from sqlalchemy import select as sql_select
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlmodel import col, delete, select
from sqlmodel.ext.asyncio.session import AsyncSession

from todo_backend.db import Reads, fetch_all, write_returning
from todo_backend.models import (
    ApiToken,
    ApiTokenPublic,
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


def _typed(**types: Any) -> list[BindParameter[Any]]:
    """Typed parameters for a text() statement (asyncpg is sent the types with them)."""
    return [bindparam(name, type_=type_) for name, type_ in types.items()]


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


def _insert_under_quota(table: Table, values: dict[str, Any], *, user: str, limit: str) -> Insert:
    """`values` inserted into `table` only while the user (bound parameter `user`) owns fewer
    rows there than the bound parameter `limit`: the quota's count and the insert are one
    statement (and one round trip)."""
    owned = sql_select(func.count()).where(table.c.user_id == bindparam(user, type_=String))
    return insert(table).from_select(
        list(values),
        sql_select(*values.values()).where(
            owned.scalar_subquery() < bindparam(limit, type_=Integer)
        ),
    )


# Locks the user's row until the transaction ends: see `_lock_user_for_quota`.
_LOCK_USER = text("SELECT 1 FROM users WHERE id = :user_id FOR UPDATE").bindparams(
    *_typed(user_id=String)
)


async def _lock_user_for_quota(session: AsyncSession, user_id: str) -> None:
    """On PostgreSQL, before a write within a quota: under READ COMMITTED, concurrent writes'
    counts read snapshots taken before any of them inserted, so all of them would see room at
    the quota's edge. With the user's row locked first, each write's count (a later statement,
    with a later snapshot) sees the rows of the write before it. SQLite has one writer at a
    time."""
    if _postgres(session):
        await (await session.connection()).execute(_LOCK_USER, {"user_id": user_id})


# A task, only while its user has fewer than max_tasks; it returns its public fields.
_CREATE_TASK = _insert_under_quota(
    _TASKS,
    {
        "title": bindparam("title", type_=String),
        "description": bindparam("description", type_=String),
        "user_id": bindparam("user_id", type_=String),
        "completed": false(),
        "created_at": bindparam("now", type_=UTCDateTime),
        "updated_at": bindparam("now", type_=UTCDateTime),
    },
    user="user_id",
    limit="max_tasks",
).returning(*(_TASKS.c[name] for name in TASK_FIELDS))


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
    await _lock_user_for_quota(session, user_id)
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


# One statement each, for the task tools: the task is changed only if it is the user's, and
# what it was (id, title) comes back; nothing back means there is no such task of theirs.
_OWNED_TASK = (_TASKS.c.id == bindparam("p_task", type_=Integer)) & (
    _TASKS.c.user_id == bindparam("p_user", type_=String)
)
_COMPLETE_TASK = (
    update(_TASKS)
    .where(_OWNED_TASK)
    .values(completed=True, updated_at=bindparam("p_now", type_=UTCDateTime))
    .returning(_TASKS.c.id, _TASKS.c.title)
)
_DELETE_TASK = delete(_TASKS).where(_OWNED_TASK).returning(_TASKS.c.id, _TASKS.c.title)


def _retitle(title: bool, description: bool) -> Any:
    values: dict[str, Any] = {"updated_at": bindparam("p_now", type_=UTCDateTime)}
    if title:
        values["title"] = bindparam("p_title", type_=String)
    if description:
        values["description"] = bindparam("p_description", type_=String)
    return update(_TASKS).where(_OWNED_TASK).values(**values).returning(_TASKS.c.id, _TASKS.c.title)


_UPDATE_TASK = {(t, d): _retitle(t, d) for t in (False, True) for d in (False, True)}


async def _change_owned_task(
    session: AsyncSession, statement: Any, params: dict[str, Any]
) -> dict[str, Any] | None:
    rows = await write_returning(session, statement, params)
    await session.commit()
    return {"id": rows[0][0], "title": rows[0][1]} if rows else None


async def complete_owned_task(
    session: AsyncSession, *, user_id: str, task_id: int
) -> dict[str, Any] | None:
    """Mark the user's task completed and commit; its id and title, or None if no such task."""
    params = {"p_task": task_id, "p_user": user_id, "p_now": utc_now()}
    return await _change_owned_task(session, _COMPLETE_TASK, params)


async def delete_owned_task(
    session: AsyncSession, *, user_id: str, task_id: int
) -> dict[str, Any] | None:
    """Delete the user's task and commit; what its id and title were, or None if no such task."""
    return await _change_owned_task(session, _DELETE_TASK, {"p_task": task_id, "p_user": user_id})


async def update_owned_task(
    session: AsyncSession,
    *,
    user_id: str,
    task_id: int,
    title: str | None = None,
    description: str | None = None,
) -> dict[str, Any] | None:
    """Change the title and/or description (an empty one clears it) of the user's task and
    commit; its id and new title, or None if no such task."""
    params = {
        "p_task": task_id,
        "p_user": user_id,
        "p_now": utc_now(),
        "p_title": title,
        "p_description": description or None,
    }
    statement = _UPDATE_TASK[title is not None, description is not None]
    return await _change_owned_task(session, statement, params)


# ---- API tokens ----

_API_TOKENS = ApiToken.__table__  # type: ignore[attr-defined]  # SQLModel hides it
# What a token's listing holds, in the order of ApiTokenPublic's fields (the API's JSON keys).
API_TOKEN_FIELDS = tuple(ApiTokenPublic.model_fields)
_API_TOKEN_COLUMNS = [_API_TOKENS.c[name] for name in API_TOKEN_FIELDS]

# A token, only while its user has fewer than max_tokens; it returns its public fields.
_CREATE_API_TOKEN = _insert_under_quota(
    _API_TOKENS,
    {
        "user_id": bindparam("user_id", type_=String),
        "name": bindparam("name", type_=String),
        "token_hash": bindparam("token_hash", type_=String),
        "created_at": bindparam("now", type_=UTCDateTime),
        "expires_at": bindparam("expires_at", type_=UTCDateTime),
    },
    user="user_id",
    limit="max_tokens",
).returning(*_API_TOKEN_COLUMNS)
_LIST_API_TOKENS = (
    select(*_API_TOKEN_COLUMNS)
    .where(_API_TOKENS.c.user_id == bindparam("user_id"))
    .order_by(_API_TOKENS.c.id.desc())
)
# What an MCP request's token is: read on every such request, by the unique index.
_FIND_API_TOKEN = select(
    _API_TOKENS.c.id, _API_TOKENS.c.user_id, _API_TOKENS.c.expires_at, _API_TOKENS.c.last_used_at
).where(_API_TOKENS.c.token_hash == bindparam("token_hash"))


@dataclass(frozen=True)
class ApiTokenUse:
    """What an MCP request needs to know of the token it came with."""

    id: int
    user_id: str
    expires_at: datetime
    last_used_at: datetime | None


async def create_api_token(
    session: AsyncSession,
    *,
    user_id: str,
    name: str,
    token_hash: str,
    expires_at: datetime,
    max_tokens: int,
) -> dict[str, Any] | None:
    """A new token's public fields, committed; None when the user already has `max_tokens`."""
    params = {
        "user_id": user_id,
        "name": name,
        "token_hash": token_hash,
        "now": utc_now(),
        "expires_at": expires_at,
        "max_tokens": max_tokens,
    }
    await _lock_user_for_quota(session, user_id)
    rows = await write_returning(session, _CREATE_API_TOKEN, params)
    if not rows:
        return None
    await session.commit()
    return dict(zip(API_TOKEN_FIELDS, rows[0], strict=True))


async def list_api_tokens(reads: Reads | AsyncSession, *, user_id: str) -> list[dict[str, Any]]:
    """The user's tokens, newest first, as dicts of ApiTokenPublic's fields."""
    rows = await fetch_all(reads, _LIST_API_TOKENS, {"user_id": user_id})
    return [dict(zip(API_TOKEN_FIELDS, row, strict=True)) for row in rows]


async def delete_api_token(session: AsyncSession, *, user_id: str, token_id: int) -> bool:
    """Revoke the user's token and commit; False when the user has no such token."""
    result = await session.exec(
        delete(ApiToken).where(col(ApiToken.id) == token_id, col(ApiToken.user_id) == user_id)
    )
    await session.commit()
    return bool(result.rowcount)


async def find_api_token(reads: Reads | AsyncSession, *, token_hash: str) -> ApiTokenUse | None:
    rows = await fetch_all(reads, _FIND_API_TOKEN, {"token_hash": token_hash})
    return ApiTokenUse(*rows[0]) if rows else None


async def mark_api_token_used(session: AsyncSession, *, token_id: int, now: datetime) -> None:
    await session.exec(
        update(ApiToken).where(col(ApiToken.id) == token_id).values(last_used_at=now)
    )
    await session.commit()


# ---- conversations ----


async def create_conversation(session: AsyncSession, *, user_id: str, title: str) -> Conversation:
    """An empty conversation (a ChatKit thread is created before its first message)."""
    now = utc_now()
    conversation = Conversation(user_id=user_id, title=title, created_at=now, updated_at=now)
    session.add(conversation)
    await session.flush()
    return conversation


async def count_conversations(session: AsyncSession, *, user_id: str) -> int:
    """The user's conversations, for a write within their quota: the user's row stays locked
    until the caller's transaction ends (`_lock_user_for_quota`)."""
    await _lock_user_for_quota(session, user_id)
    result = await session.exec(select(func.count()).where(col(Conversation.user_id) == user_id))
    return result.one()


async def count_messages(session: AsyncSession, *, user_id: str, conversation_id: int) -> int:
    """A conversation's messages, for a write within its quota: the user's row stays locked
    until the caller's transaction ends (`_lock_user_for_quota`)."""
    await _lock_user_for_quota(session, user_id)
    result = await session.exec(
        select(func.count()).where(
            col(Message.conversation_id) == conversation_id, col(Message.user_id) == user_id
        )
    )
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


async def rename_conversation(
    session: AsyncSession, *, conversation: Conversation, title: str
) -> None:
    conversation.title = title
    await session.commit()


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


# ---- chat turns: each step one statement on PostgreSQL ----
#
# A turn stores the user's message before the agent runs (a failed turn loses nothing) and
# the reply after. On PostgreSQL each of those is one statement, its checks included (the
# caller's token is still current, the conversation is the user's, the quota has room), with
# the conversation touched in the same statement (a WITH of several): the database commits each
# as it completes. Elsewhere (SQLite) the same steps take a few statements in one transaction.

_CONVERSATIONS = Conversation.__table__  # type: ignore[attr-defined]  # SQLModel hides it
_MESSAGES = Message.__table__  # type: ignore[attr-defined]


class CallerNotCurrentError(Exception):
    """The token's user is gone, or has signed out since it was issued: nothing was written.
    (`identity.confirm_current`'s rule, checked inside the statement that stores a turn.)"""


@dataclass(frozen=True)
class TurnStart:
    """What storing a turn's first message found: the conversation's id (None: not the
    user's, or no room for another conversation), the messages it already had (`stored`), its
    latest ones as (role, content), oldest first, and the stored message's id (None: over the
    quota, nothing written)."""

    conversation_id: int | None
    stored: int = 0
    history: list[tuple[str, str]] = field(default_factory=list)
    message_id: int | None = None


_START_CONVERSATION_PG = text(
    """
    WITH caller AS (
        SELECT FROM users WHERE id = :user_id AND token_version = :token_version
    ), conversation AS (
        INSERT INTO conversations (user_id, title, created_at, updated_at)
        SELECT :user_id, :title, :now, :now
        WHERE EXISTS (SELECT FROM caller)
          AND (SELECT count(*) FROM conversations WHERE user_id = :user_id) < :max_conversations
        RETURNING id
    ), message AS (
        INSERT INTO messages (user_id, conversation_id, role, content, created_at)
        SELECT :user_id, id, 'user', :content, :now FROM conversation
        RETURNING id
    )
    SELECT EXISTS (SELECT FROM caller), (SELECT id FROM conversation), (SELECT id FROM message)
    """
).bindparams(
    *_typed(user_id=String, token_version=Integer, title=String, content=String, now=UTCDateTime)
)

_CONTINUE_CONVERSATION_PG = text(
    """
    WITH caller AS (
        SELECT FROM users WHERE id = :user_id AND token_version = :token_version
    ), conversation AS (
        SELECT id FROM conversations
        WHERE id = :conversation_id AND user_id = :user_id AND EXISTS (SELECT FROM caller)
    ), stored AS (
        SELECT count(*) AS n FROM messages
        WHERE conversation_id = :conversation_id AND user_id = :user_id
    ), message AS (
        INSERT INTO messages (user_id, conversation_id, role, content, created_at)
        SELECT :user_id, id, 'user', :content, :now FROM conversation
        WHERE (SELECT n FROM stored) + 2 <= :max_messages
        RETURNING id
    ), touched AS (
        UPDATE conversations SET updated_at = :now
        WHERE id = :conversation_id AND EXISTS (SELECT FROM message)
    ), recent AS (
        SELECT id, role, content FROM messages
        WHERE conversation_id = :conversation_id AND user_id = :user_id
        ORDER BY id DESC LIMIT :history_limit
    )
    SELECT EXISTS (SELECT FROM caller), EXISTS (SELECT FROM conversation), (SELECT n FROM stored),
           (SELECT id FROM message), recent.role, recent.content
    FROM (SELECT) AS one LEFT JOIN recent ON true
    ORDER BY recent.id
    """
).bindparams(
    *_typed(
        user_id=String,
        token_version=Integer,
        content=String,
        now=UTCDateTime,
        conversation_id=Integer,
    )
)

_ADD_MESSAGE_PG = text(
    """
    WITH message AS (
        INSERT INTO messages (user_id, conversation_id, role, content, created_at)
        VALUES (:user_id, :conversation_id, :role, :content, :now)
        RETURNING id
    )
    UPDATE conversations SET updated_at = :now
    WHERE id = :conversation_id AND user_id = :user_id
    RETURNING (SELECT id FROM message)
    """
).bindparams(
    *_typed(user_id=String, role=String, content=String, now=UTCDateTime, conversation_id=Integer)
)

# The same steps, statement by statement, for the other databases.
_CREATE_CONVERSATION = _insert_under_quota(
    _CONVERSATIONS,
    {
        "user_id": bindparam("p_user", type_=String),
        "title": bindparam("p_title", type_=String),
        "created_at": bindparam("p_now", type_=UTCDateTime),
        "updated_at": bindparam("p_now", type_=UTCDateTime),
    },
    user="p_user",
    limit="p_max",
).returning(_CONVERSATIONS.c.id)
_INSERT_MESSAGE = insert(_MESSAGES).values(
    user_id=bindparam("p_user", type_=String),
    conversation_id=bindparam("p_conversation", type_=Integer),
    role=bindparam("p_role", type_=String),
    content=bindparam("p_content", type_=String),
    created_at=bindparam("p_now", type_=UTCDateTime),
)
_TOUCH_CONVERSATION = (
    update(_CONVERSATIONS)
    .where(
        _CONVERSATIONS.c.id == bindparam("p_conversation", type_=Integer),
        _CONVERSATIONS.c.user_id == bindparam("p_user", type_=String),
    )
    .values(updated_at=bindparam("p_now", type_=UTCDateTime))
)
_MESSAGES_OF = (_MESSAGES.c.conversation_id == bindparam("p_conversation", type_=Integer)) & (
    _MESSAGES.c.user_id == bindparam("p_user", type_=String)
)
_COUNT_MESSAGES = sql_select(func.count()).where(_MESSAGES_OF)
# A turn's first message, only while the conversation has room for the turn's two.
_INSERT_MESSAGE_WITH_ROOM = insert(_MESSAGES).from_select(
    ["user_id", "conversation_id", "role", "content", "created_at"],
    sql_select(
        bindparam("p_user", type_=String),
        bindparam("p_conversation", type_=Integer),
        bindparam("p_role", type_=String),
        bindparam("p_content", type_=String),
        bindparam("p_now", type_=UTCDateTime),
    ).where(_COUNT_MESSAGES.scalar_subquery() + 2 <= bindparam("p_max", type_=Integer)),
)
_recent = (
    sql_select(_MESSAGES.c.id, _MESSAGES.c.role, _MESSAGES.c.content)
    .where(_MESSAGES_OF)
    .order_by(_MESSAGES.c.id.desc())
    .limit(bindparam("p_limit", type_=Integer))
    .subquery("recent")
)
_CONVERSATION_CONTEXT = (
    sql_select(
        sql_select(func.count()).where(_MESSAGES_OF).scalar_subquery(),
        _recent.c.id,
        _recent.c.role,
        _recent.c.content,
    )
    .select_from(_CONVERSATIONS.outerjoin(_recent, true()))
    .where(
        _CONVERSATIONS.c.id == bindparam("p_conversation", type_=Integer),
        _CONVERSATIONS.c.user_id == bindparam("p_user", type_=String),
    )
)


def _postgres(session: AsyncSession) -> bool:
    return session.bind is not None and session.bind.dialect.name == "postgresql"


async def _confirm_caller(connection: AsyncConnection, user_id: str, token_version: int) -> None:
    """`CallerNotCurrentError` unless the user exists with this token version (in the
    connection's transaction, with the writes that follow)."""
    version = (await connection.execute(_TOKEN_VERSION, {"user_id": user_id})).scalar()
    if version != token_version:
        raise CallerNotCurrentError


async def start_conversation(
    session: AsyncSession,
    *,
    user_id: str,
    token_version: int,
    title: str,
    content: str,
    max_conversations: int,
) -> TurnStart:
    """A new conversation with the user's first message in it, in the session's transaction
    (or, on PostgreSQL as its first statement, committed on its own); no conversation (None)
    when the user already has `max_conversations`. The caller commits.

    Only for the holder of a current token (`token_version`): `CallerNotCurrentError`, with
    nothing written, otherwise."""
    now = utc_now()
    if _postgres(session):
        params = {
            "user_id": user_id,
            "token_version": token_version,
            "title": title,
            "content": content,
            "now": now,
            "max_conversations": max_conversations,
        }
        await _lock_user_for_quota(session, user_id)
        caller_current, started, message_id = (
            await write_returning(session, _START_CONVERSATION_PG, params)
        )[0]
        if not caller_current:
            raise CallerNotCurrentError
        return TurnStart(started, message_id=message_id)
    connection = await session.connection()
    await _confirm_caller(connection, user_id, token_version)
    created = await connection.execute(
        _CREATE_CONVERSATION,
        {"p_user": user_id, "p_title": title, "p_now": now, "p_max": max_conversations},
    )
    conversation_id = created.scalar()
    if conversation_id is None:
        return TurnStart(None)
    inserted = await connection.execute(
        _INSERT_MESSAGE,
        {
            "p_user": user_id,
            "p_conversation": conversation_id,
            "p_role": "user",
            "p_content": content,
            "p_now": now,
        },
    )
    return TurnStart(int(conversation_id), message_id=inserted.lastrowid)


async def continue_conversation(
    session: AsyncSession,
    *,
    user_id: str,
    token_version: int,
    conversation_id: int,
    content: str,
    history_limit: int,
    max_messages: int,
) -> TurnStart:
    """Store the user's message in their conversation, if it is theirs and has room for the
    turn's two messages (`max_messages`); with the latest `history_limit` messages before it.
    The caller commits. Only for the holder of a current token, as `start_conversation`."""
    now = utc_now()
    if _postgres(session):
        params = {
            "user_id": user_id,
            "token_version": token_version,
            "conversation_id": conversation_id,
            "content": content,
            "now": now,
            "max_messages": max_messages,
            "history_limit": history_limit,
        }
        await _lock_user_for_quota(session, user_id)
        rows = await write_returning(session, _CONTINUE_CONVERSATION_PG, params)
        caller_current, found, stored, message_id = rows[0][:4]
        if not caller_current:
            raise CallerNotCurrentError
        history = [(row[4], row[5]) for row in rows if row[4] is not None]
        return TurnStart(conversation_id if found else None, stored, history, message_id)
    ids = {"p_user": user_id, "p_conversation": conversation_id}
    connection = await session.connection()
    await _confirm_caller(connection, user_id, token_version)
    context = (
        await connection.execute(_CONVERSATION_CONTEXT, {**ids, "p_limit": history_limit})
    ).all()
    if not context:
        return TurnStart(None)
    stored = int(context[0][0])
    history = [(row[2], row[3]) for row in sorted(context, key=lambda row: row[1] or 0)]
    history = [message for message in history if message[0] is not None]
    if stored + 2 > max_messages:
        return TurnStart(conversation_id, stored, history)
    # Counted again in the insert: another turn may have stored its message since the count.
    inserted = await connection.execute(
        _INSERT_MESSAGE_WITH_ROOM,
        {**ids, "p_role": "user", "p_content": content, "p_now": now, "p_max": max_messages},
    )
    if not inserted.rowcount:
        stored = int((await connection.execute(_COUNT_MESSAGES, ids)).scalar_one())
        return TurnStart(conversation_id, stored, history)
    await connection.execute(_TOUCH_CONVERSATION, {**ids, "p_now": now})
    return TurnStart(conversation_id, stored, history, inserted.lastrowid)


async def add_message(
    session: AsyncSession, *, user_id: str, conversation_id: int, role: Role, content: str
) -> int:
    """Store a message and touch the conversation, and commit (with whatever else is in the
    session's transaction: a turn's idempotency key); the message's id.

    Takes plain ids, not the Conversation: after a rollback its attributes are expired, and
    reading them would need I/O that an async session cannot do implicitly."""
    now = utc_now()
    if _postgres(session):
        params = {
            "user_id": user_id,
            "conversation_id": conversation_id,
            "role": role,
            "content": content,
            "now": now,
        }
        message_id = (await write_returning(session, _ADD_MESSAGE_PG, params))[0][0]
    else:
        ids = {"p_user": user_id, "p_conversation": conversation_id, "p_now": now}
        connection = await session.connection()
        inserted = await connection.execute(
            _INSERT_MESSAGE, {**ids, "p_role": role, "p_content": content}
        )
        message_id = inserted.lastrowid
        await connection.execute(_TOUCH_CONVERSATION, ids)
    await session.commit()
    return int(message_id)
