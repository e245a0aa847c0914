"""A chat turn's statements: the user's message stored before the agent runs (a failed turn
loses nothing), the reply after.

A step's checks (the caller's token is still current, the conversation is the user's, the
quota has room) are made in its statements, after the user's row is locked (`users.lock_user`,
which also reads the token version). On PostgreSQL the rest of a step is one statement, a WITH
of several writes; SQLite has no writes in a WITH, so there it takes a few statements in one
transaction. That is the one place where the dialects differ, and why: a turn on PostgreSQL
sends 3 statements besides its tools' (`make bench`, sql_count.py: a new conversation's first
turn 3 statements and 5 round trips; a turn that lists the tasks 4 and 6); step by step, as on
SQLite, a first turn would send 5 and every later one 6, each statement a round trip."""

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Integer,
    Select,
    String,
    Table,
    bindparam,
    exists,
    func,
    insert,
    select,
    true,
    update,
)
from sqlmodel.ext.asyncio.session import AsyncSession

from todo_backend.data.engine import run
from todo_backend.data.users import insert_under_quota, lock_user
from todo_backend.models import Conversation, Message, Role, UTCDateTime, utc_now
from todo_backend.task_fields import DEFAULT_TIME_ZONE

_CONVERSATIONS: Table = Conversation.__table__  # type: ignore[attr-defined]  # SQLModel hides it
_MESSAGES: Table = Message.__table__  # type: ignore[attr-defined]

_USER = bindparam("p_user_id", type_=String)
_CONVERSATION = bindparam("p_conversation_id", type_=Integer)
_NOW = bindparam("p_now", type_=UTCDateTime)
_ROLE = bindparam("p_role", type_=String)
_CONTENT = bindparam("p_content", type_=String)
_MESSAGE_COLUMNS = ["user_id", "conversation_id", "role", "content", "created_at"]


def _message_row(conversation_id: ColumnElement[Any]) -> Select[Any]:
    """A message's row (the bound user, role, content and time) in `conversation_id`, to insert."""
    row: Select[Any] = select(_USER, conversation_id, _ROLE, _CONTENT, _NOW)
    return row


class CallerNotCurrentError(Exception):
    """The token's user is gone, or has signed out since it was issued: nothing was written.
    (`identity.confirm_current`'s rule, checked inside the step that stores a turn.)"""


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
    timezone: str = DEFAULT_TIME_ZONE  # the user's, read with the lock that checks the caller


_NEW_CONVERSATION = insert_under_quota(
    _CONVERSATIONS,
    {
        "user_id": _USER,
        "title": bindparam("p_title", type_=String),
        "created_at": _NOW,
        "updated_at": _NOW,
    },
    user="p_user_id",
    limit="p_max_conversations",
).returning(_CONVERSATIONS.c.id)
_MESSAGES_OF = (_MESSAGES.c.conversation_id == _CONVERSATION) & (_MESSAGES.c.user_id == _USER)
_OWNED = (_CONVERSATIONS.c.id == _CONVERSATION) & (_CONVERSATIONS.c.user_id == _USER)
_STORED = select(func.count()).where(_MESSAGES_OF).scalar_subquery()
_MESSAGE = (
    insert(_MESSAGES)
    .values(
        user_id=_USER,
        conversation_id=_CONVERSATION,
        role=_ROLE,
        content=_CONTENT,
        created_at=_NOW,
    )
    .returning(_MESSAGES.c.id)
)
# A turn's first message, only while the conversation has room for the turn's two.
_MESSAGE_WITH_ROOM = (
    insert(_MESSAGES)
    .from_select(
        _MESSAGE_COLUMNS,
        _message_row(_CONVERSATION).where(
            bindparam("p_max_messages", type_=Integer) >= _STORED + 2
        ),
    )
    .returning(_MESSAGES.c.id)
)
_TOUCH = update(_CONVERSATIONS).where(_OWNED).values(updated_at=_NOW)
_recent = (
    select(_MESSAGES.c.id, _MESSAGES.c.role, _MESSAGES.c.content)
    .where(_MESSAGES_OF)
    .order_by(_MESSAGES.c.id.desc())
    .limit(bindparam("p_history_limit", type_=Integer))
    .subquery("recent")
)
# The conversation's count and recent messages: no row when it is not the user's.
_CONTEXT = (
    select(_STORED.label("stored"), _recent.c.id, _recent.c.role, _recent.c.content)
    .select_from(_CONVERSATIONS.outerjoin(_recent, true()))
    .where(_OWNED)
    .order_by(_recent.c.id)
)

# ---- the same steps, each as one statement on PostgreSQL ----

_new = _NEW_CONVERSATION.cte("conversation")
_first = (
    insert(_MESSAGES)
    .from_select(
        _MESSAGE_COLUMNS,
        _message_row(_new.c.id),
    )
    .returning(_MESSAGES.c.id)
    .cte("message")
)
_START_IN_ONE = select(
    select(_new.c.id).scalar_subquery().label("conversation_id"),
    select(_first.c.id).scalar_subquery().label("message_id"),
)

_stored = select(_STORED.label("n")).cte("stored")
_owned = select(_CONVERSATIONS.c.id).where(_OWNED).cte("owned")
_turn_message = (
    insert(_MESSAGES)
    .from_select(
        _MESSAGE_COLUMNS,
        _message_row(_owned.c.id).where(
            select(_stored.c.n).scalar_subquery() + 2 <= bindparam("p_max_messages", type_=Integer)
        ),
    )
    .returning(_MESSAGES.c.id)
    .cte("message")
)
_touched = _TOUCH.where(exists(select(_turn_message.c.id))).cte("touched")
_CONTINUE_IN_ONE = (
    select(
        exists(select(_owned.c.id)).label("found"),
        _stored.c.n.label("stored"),
        select(_turn_message.c.id).scalar_subquery().label("message_id"),
        _recent.c.role,
        _recent.c.content,
    )
    .select_from(_stored.outerjoin(_recent, true()))
    .order_by(_recent.c.id)
    .add_cte(_touched)
)
_reply = _MESSAGE.cte("message")
_ADD_IN_ONE = _TOUCH.returning(select(_reply.c.id).scalar_subquery().label("id")).add_cte(_reply)


def _in_one_statement(session: AsyncSession) -> bool:
    """Whether the database runs a WITH of several writes as one statement (PostgreSQL)."""
    return session.bind is not None and session.bind.dialect.name == "postgresql"


async def _lock_caller(session: AsyncSession, user_id: str, token_version: int) -> str:
    """Lock the caller's row if their token is current (`CallerNotCurrentError` if not); their
    time zone."""
    caller = await lock_user(session, user_id=user_id)
    if caller is None or caller.token_version != token_version:
        raise CallerNotCurrentError
    return caller.timezone


async def start_conversation(
    session: AsyncSession,
    *,
    user_id: str,
    token_version: int,
    title: str,
    content: str,
    max_conversations: int,
) -> TurnStart:
    """A new conversation with the user's first message in it, in the session's transaction;
    no conversation (None) when the user already has `max_conversations`. The caller commits.

    Only for the holder of a current token (`token_version`): `CallerNotCurrentError`, with
    nothing written, otherwise."""
    params: dict[str, Any] = {
        "p_user_id": user_id,
        "p_title": title,
        "p_role": "user",
        "p_content": content,
        "p_now": utc_now(),
        "p_max_conversations": max_conversations,
    }
    zone = await _lock_caller(session, user_id, token_version)
    if _in_one_statement(session):
        started = (await run(session, _START_IN_ONE, params))[0]
        return TurnStart(
            started["conversation_id"], message_id=started["message_id"], timezone=zone
        )
    created = await run(session, _NEW_CONVERSATION, params)
    if not created:
        return TurnStart(None, timezone=zone)
    conversation_id = created[0]["id"]
    stored = await run(session, _MESSAGE, {**params, "p_conversation_id": conversation_id})
    return TurnStart(conversation_id, message_id=stored[0]["id"], timezone=zone)


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
    params: dict[str, Any] = {
        "p_user_id": user_id,
        "p_conversation_id": conversation_id,
        "p_role": "user",
        "p_content": content,
        "p_now": utc_now(),
        "p_max_messages": max_messages,
        "p_history_limit": history_limit,
    }
    zone = await _lock_caller(session, user_id, token_version)
    if _in_one_statement(session):
        rows = await run(session, _CONTINUE_IN_ONE, params)
        if not rows[0]["found"]:
            return TurnStart(None, timezone=zone)
        message_id = rows[0]["message_id"]
    else:
        rows = await run(session, _CONTEXT, params)
        if not rows:
            return TurnStart(None, timezone=zone)
        # The count again in the insert: on SQLite the read above ran before this transaction.
        stored = await run(session, _MESSAGE_WITH_ROOM, params)
        message_id = stored[0]["id"] if stored else None
        if message_id is not None:
            await run(session, _TOUCH, params)
    history = [(row["role"], row["content"]) for row in rows if row["role"] is not None]
    return TurnStart(conversation_id, int(rows[0]["stored"]), history, message_id, zone)


async def add_message(
    session: AsyncSession, *, user_id: str, conversation_id: int, role: Role, content: str
) -> int:
    """Store a message and touch the conversation; the message's id. The caller commits.

    Takes plain ids, not the Conversation: after a rollback its attributes are expired, and
    reading them would need I/O that an async session cannot do implicitly."""
    params: dict[str, Any] = {
        "p_user_id": user_id,
        "p_conversation_id": conversation_id,
        "p_role": role,
        "p_content": content,
        "p_now": utc_now(),
    }
    if _in_one_statement(session):
        message_id = (await run(session, _ADD_IN_ONE, params))[0]["id"]
    else:
        message_id = (await run(session, _MESSAGE, params))[0]["id"]
        await run(session, _TOUCH, params)
    return int(message_id)
