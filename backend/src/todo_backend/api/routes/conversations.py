"""A user's conversations with the assistant: list, read with messages, delete."""

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request, Response, status
from sqlmodel.ext.asyncio.session import AsyncSession

from todo_backend.api.deps import ConversationIdPath, OwnerId, ReadSessionDep, SessionDep
from todo_backend.api.errors import error_responses
from todo_backend.api.paging import PageLimit, next_page_link, parse_time_cursor, time_cursor
from todo_backend.data import conversations
from todo_backend.models import Conversation, ConversationDetail, ConversationPublic, MessagePublic

router = APIRouter(
    prefix="/api/{user_id}/conversations",
    tags=["conversations"],
    responses=error_responses(401, 403),
)


async def _owned_conversation(
    session: AsyncSession, user_id: str, conversation_id: int
) -> Conversation:
    conversation = await conversations.get_conversation(
        session, user_id=user_id, conversation_id=conversation_id
    )
    if conversation is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "Conversation not found")
    return conversation


@router.get("", responses=error_responses(422))
async def list_conversations(
    request: Request,
    response: Response,
    user_id: OwnerId,
    session: ReadSessionDep,
    limit: PageLimit = None,
    cursor: Annotated[
        str | None, Query(max_length=40, description="Where to go on: from the Link header.")
    ] = None,
) -> list[ConversationPublic]:
    """The user's conversations, most recently active first. With `limit`, one page: a `Link`
    header (rel="next") gives the next page while more remain."""
    found = await conversations.list_conversations(
        session,
        user_id=user_id,
        limit=None if limit is None else limit + 1,  # one more tells whether more remain
        after=None if cursor is None else parse_time_cursor(cursor),
    )
    page = [ConversationPublic.model_validate(c, from_attributes=True) for c in found]
    if limit is not None and len(page) > limit:
        page = page[:limit]
        response.headers["Link"] = next_page_link(
            request, time_cursor(page[-1].updated_at, page[-1].id)
        )
    return page


@router.get("/{conversation_id}", responses=error_responses(404))
async def read_conversation(
    user_id: OwnerId, conversation_id: ConversationIdPath, session: ReadSessionDep
) -> ConversationDetail:
    """A conversation with all its messages, oldest first."""
    conversation = await _owned_conversation(session, user_id, conversation_id)
    messages = await conversations.list_messages(
        session, user_id=user_id, conversation_id=conversation_id
    )
    return ConversationDetail.model_validate(
        {
            **conversation.model_dump(),
            "messages": [MessagePublic.model_validate(m, from_attributes=True) for m in messages],
        }
    )


@router.delete(
    "/{conversation_id}", status_code=status.HTTP_204_NO_CONTENT, responses=error_responses(404)
)
async def delete_conversation(
    user_id: OwnerId, conversation_id: ConversationIdPath, session: SessionDep
) -> Response:
    conversation = await _owned_conversation(session, user_id, conversation_id)
    await conversations.delete_conversation(session, conversation=conversation)
    await session.commit()
    return Response(status_code=status.HTTP_204_NO_CONTENT)
