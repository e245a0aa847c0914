"""The chat endpoint: one turn with the agent, as JSON or as a stream of server-sent events."""

import logging
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from typing import Any

import orjson
from fastapi import APIRouter, Response
from fastapi.responses import StreamingResponse

from todo_backend.agent.base import TextDelta
from todo_backend.api.deps import SessionDep, TurnCaller, TurnsDep
from todo_backend.api.errors import error_responses
from todo_backend.api.idempotent import REPLAYED_HEADER, IdempotencyKeyHeader, replayed
from todo_backend.chat import TurnRequest
from todo_backend.data.engine import database_unreachable, open_session
from todo_backend.idempotency import StoredResponse
from todo_backend.models import ChatRequest, ChatResponse

logger = logging.getLogger("todo_backend.chat")
router = APIRouter(
    prefix="/api/{user_id}/chat",
    tags=["chat"],
    responses=error_responses(401, 403, 404, 409, 422, 429),
)


@router.post("", response_model=ChatResponse)
async def send_message(
    caller: TurnCaller,
    body: ChatRequest,
    session: SessionDep,
    turns: TurnsDep,
    idempotency_key: IdempotencyKeyHeader = None,
) -> ChatResponse | Response:
    """Send a message to the assistant; it may act on tasks and says what it did. With an
    `Idempotency-Key`, a retry gets the first turn's answer and repeats none of its actions."""
    asked = TurnRequest(caller, body, idempotency_key, stream=False)
    turn = await turns.start(session, asked)
    if isinstance(turn, StoredResponse):
        return replayed(turn)
    async for _ in turns.run(turn):
        pass
    return await turns.finish(session, turn)


def _sse(event: str, data: Any) -> bytes:
    return b"event: " + event.encode() + b"\ndata: " + orjson.dumps(data) + b"\n\n"


def _unsaved_reply(error: Exception) -> str:
    """What a stream says when its reply could not be stored (logged here, never sent)."""
    if database_unreachable(error):
        logger.warning("reply not stored: database unavailable")
        return (
            "The database is unavailable right now, so this reply was not saved; "
            "please try again in a few seconds"
        )
    logger.error("reply not stored", exc_info=error)
    return "Something went wrong on our side, so this reply was not saved; please try again"


def _event_stream(events: AsyncIterator[bytes], headers: dict[str, str]) -> StreamingResponse:
    return StreamingResponse(
        events,
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no", **headers},
    )


async def _replayed_events(stored: StoredResponse) -> AsyncIterator[bytes]:
    """A stored turn told again as the stream would have told it."""
    turn = ChatResponse.model_validate(stored.body)
    yield _sse("conversation", {"conversation_id": turn.conversation_id})
    for call in turn.tool_calls:
        yield _sse("tool_call", call.model_dump(mode="json"))
    yield _sse("delta", {"text": turn.response})
    yield _sse("done", {"conversation_id": turn.conversation_id, "response": turn.response})


@router.post(
    "/stream",
    response_class=StreamingResponse,
    responses={
        200: {
            "content": {"text/event-stream": {}},
            "description": "Events: conversation, delta, tool_call, done (or error).",
        }
    },
)
async def stream_message(
    caller: TurnCaller,
    body: ChatRequest,
    turns: TurnsDep,
    idempotency_key: IdempotencyKeyHeader = None,
) -> StreamingResponse:
    """The same turn as a stream: `conversation` first, then `delta` text pieces and
    `tool_call` events as they happen, and `done` with the whole reply (or `error` with a
    `detail` when the reply could not be stored)."""
    asked = TurnRequest(caller, body, idempotency_key, stream=True)
    # The stream owns its session (a dependency's could close before the stream ends): the
    # stack closes it when the stream is done, or at once if the turn never starts.
    closing = AsyncExitStack()
    session = await closing.enter_async_context(open_session(turns.services.session_factory))
    try:
        turn = await turns.start(session, asked)
    except BaseException:
        await closing.aclose()
        raise
    if isinstance(turn, StoredResponse):
        await closing.aclose()
        return _event_stream(_replayed_events(turn), {REPLAYED_HEADER: "true"})

    async def events() -> AsyncIterator[bytes]:
        async with closing:
            yield _sse("conversation", {"conversation_id": turn.conversation_id})
            async for event in turns.run(turn):
                if isinstance(event, TextDelta):
                    yield _sse("delta", {"text": event.text})
                else:
                    yield _sse(
                        "tool_call",
                        {"name": event.name, "arguments": event.arguments, "result": event.result},
                    )
            try:
                await turns.finish(session, turn)
            except Exception as error:
                # The 200 is sent: the stream ends with an error event instead of breaking off.
                yield _sse("error", {"detail": _unsaved_reply(error)})
                return
            yield _sse("done", {"conversation_id": turn.conversation_id, "response": turn.reply})

    return _event_stream(events(), {})
