"""The chat endpoint: one turn with the agent, as JSON or as a stream of server-sent events."""

from collections.abc import AsyncIterator
from typing import Any

import orjson
from fastapi import APIRouter, Depends, HTTPException, Request, status
from fastapi.responses import StreamingResponse
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from todo_backend import chat
from todo_backend.agent.base import ChatTurn, TextDelta
from todo_backend.api.deps import (
    AgentDep,
    BearerToken,
    LimitsDep,
    OwnerId,
    SessionDep,
    SettingsDep,
)
from todo_backend.api.errors import error_responses
from todo_backend.models import ChatRequest, ChatResponse, Conversation
from todo_backend.settings import Settings

router = APIRouter(
    prefix="/api/{user_id}/chat", tags=["chat"], responses=error_responses(401, 403, 404, 422, 429)
)

TOO_MANY_TURNS = "You are sending messages too quickly; please wait a minute and try again"
DAILY_LIMIT_REACHED = "You have reached today's limit of chat messages; please try again tomorrow"


async def count_turn(user_id: OwnerId, limits: LimitsDep) -> None:
    """Every turn may cost model calls: count it per user, per minute and per day (429 over).

    The minute comes first, so a refused burst does not use up the day's allowance."""
    limits.chat_turns_per_minute.hit(user_id, what=TOO_MANY_TURNS)
    limits.chat_turns_per_day.hit(user_id, what=DAILY_LIMIT_REACHED)


async def _begin(
    session: AsyncSession,
    *,
    user_id: str,
    body: ChatRequest,
    token: str,
    settings: Settings,
    stream: bool,
) -> tuple[Conversation, ChatTurn]:
    try:
        return await chat.begin_turn(
            session,
            user_id=user_id,
            conversation_id=body.conversation_id,
            message=body.message,
            token=token,
            history_limit=settings.chat_history_messages,
            stream=stream,
        )
    except chat.ConversationNotFoundError:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "Conversation not found") from None


@router.post("", dependencies=[Depends(count_turn)])
async def send_message(
    user_id: OwnerId,
    body: ChatRequest,
    token: BearerToken,
    session: SessionDep,
    settings: SettingsDep,
    agent: AgentDep,
) -> ChatResponse:
    """Send a message to the assistant; it may act on tasks and says what it did."""
    conversation, turn = await _begin(
        session, user_id=user_id, body=body, token=token, settings=settings, stream=False
    )
    outcome = chat.TurnOutcome()
    async for event in chat.run_agent(agent, turn):
        outcome.record(event)
    await chat.finish_turn(session, conversation=conversation, outcome=outcome)
    assert conversation.id is not None
    return ChatResponse(
        conversation_id=conversation.id, response=outcome.reply, tool_calls=outcome.tool_calls
    )


def _sse(event: str, data: Any) -> bytes:
    return b"event: " + event.encode() + b"\ndata: " + orjson.dumps(data) + b"\n\n"


@router.post(
    "/stream",
    dependencies=[Depends(count_turn)],
    response_class=StreamingResponse,
    responses={
        200: {
            "content": {"text/event-stream": {}},
            "description": "Events: conversation, delta, tool_call, done (or error).",
        }
    },
)
async def stream_message(
    request: Request,
    user_id: OwnerId,
    body: ChatRequest,
    token: BearerToken,
    settings: SettingsDep,
    agent: AgentDep,
) -> StreamingResponse:
    """The same turn as a stream: `conversation` first, then `delta` text pieces and
    `tool_call` events as they happen, and `done` with the whole reply."""
    session_factory: async_sessionmaker[AsyncSession] = request.app.state.session_factory
    session = session_factory()
    try:
        conversation, turn = await _begin(
            session, user_id=user_id, body=body, token=token, settings=settings, stream=True
        )
    except HTTPException:
        await session.close()
        raise

    async def events() -> AsyncIterator[bytes]:
        # The stream owns the session: a dependency's session could close before it ends.
        async with session:
            yield _sse("conversation", {"conversation_id": conversation.id})
            outcome = chat.TurnOutcome()
            async for event in chat.run_agent(agent, turn):
                outcome.record(event)
                if isinstance(event, TextDelta):
                    yield _sse("delta", {"text": event.text})
                else:
                    yield _sse(
                        "tool_call",
                        {"name": event.name, "arguments": event.arguments, "result": event.result},
                    )
            await chat.finish_turn(session, conversation=conversation, outcome=outcome)
            yield _sse("done", {"conversation_id": conversation.id, "response": outcome.reply})

    return StreamingResponse(
        events(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
