"""A user's conversations with the assistant and their messages, as ORM objects: read and
written by the conversation routes and the ChatKit store. (A turn's own statements: `turns`.)"""

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func
from sqlmodel import col, delete, select
from sqlmodel.ext.asyncio.session import AsyncSession

from todo_backend.data.users import lock_user
from todo_backend.models import Conversation, Message, utc_now


async def create_conversation(session: AsyncSession, *, user_id: str, title: str) -> Conversation:
    """An empty conversation (a ChatKit thread is created before its first message), flushed."""
    now = utc_now()
    conversation = Conversation(user_id=user_id, title=title, created_at=now, updated_at=now)
    session.add(conversation)
    await session.flush()
    return conversation


async def count_conversations(session: AsyncSession, *, user_id: str) -> int:
    """The user's conversations, for a write within their quota: the user's row stays locked
    until the caller's transaction ends (`users.lock_user`)."""
    await lock_user(session, user_id=user_id)
    result = await session.exec(select(func.count()).where(col(Conversation.user_id) == user_id))
    return result.one()


async def count_messages(session: AsyncSession, *, user_id: str, conversation_id: int) -> int:
    """A conversation's messages, for a write within its quota: the user's row stays locked
    until the caller's transaction ends (`users.lock_user`)."""
    await lock_user(session, user_id=user_id)
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
    session.add(conversation)


async def delete_conversation(session: AsyncSession, *, conversation: Conversation) -> None:
    await session.exec(delete(Message).where(col(Message.conversation_id) == conversation.id))
    await session.delete(conversation)


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
