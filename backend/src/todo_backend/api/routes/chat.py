"""The chat endpoint: one turn with the agent, as JSON or as a stream of server-sent events."""

import logging
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from typing import Any

import orjson
from fastapi import APIRouter, HTTPException, Request, Response, status
from fastapi.responses import StreamingResponse
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from todo_backend import chat, idempotency
from todo_backend.agent.base import ChatTurn, TextDelta
from todo_backend.api.deps import (
    UNAUTHORIZED,
    AgentDep,
    BearerToken,
    LimitsDep,
    SessionDep,
    SettingsDep,
    TurnCaller,
    turn_caller_is_current,
)
from todo_backend.api.errors import error_responses
from todo_backend.api.idempotent import (
    REPLAYED_HEADER,
    IdempotencyKeyHeader,
    previous_response,
    replayed,
)
from todo_backend.data import turns
from todo_backend.data.engine import database_unreachable, open_session
from todo_backend.models import ChatRequest, ChatResponse
from todo_backend.ratelimit import RateLimitedError
from todo_backend.security import TokenClaims
from todo_backend.settings import Settings
from todo_backend.throttle import Limits

logger = logging.getLogger("todo_backend.chat")
router = APIRouter(
    prefix="/api/{user_id}/chat",
    tags=["chat"],
    responses=error_responses(401, 403, 404, 409, 422, 429),
)


async def _count_turn(request: Request, caller: TokenClaims, limits: Limits) -> None:
    """Each valid turn counts against the user's chat limits (429 over). Counted in the route,
    after the body is validated, so that no request that fails before the identity check (a
    revoked token's 422) is counted. The refusal is for the token's rightful holder only: a
    revoked token gets its 401, as anywhere else."""
    try:
        await limits.count_chat_turn(caller.subject)
    except RateLimitedError:
        if not await turn_caller_is_current(request, caller):
            raise UNAUTHORIZED from None
        raise


async def _revoked(limits: Limits, caller: TokenClaims) -> HTTPException:
    """The 401 for a counted turn whose token turned out to be revoked. The turn is given back,
    so that whoever holds an old token cannot use up its user's allowance."""
    await limits.refund_chat_turn(caller.subject)
    return UNAUTHORIZED


def _keyed(user_id: str, key: str | None, body: ChatRequest) -> idempotency.KeyedRequest | None:
    # One operation for both routes: a turn sent to /chat may be retried on /chat/stream.
    return idempotency.keyed_request(user_id, key, "chat", body.model_dump(mode="json"))


async def _stored_answer(
    request: Request,
    session: AsyncSession,
    caller: TokenClaims,
    limits: Limits,
    keyed: idempotency.KeyedRequest | None,
) -> idempotency.StoredResponse | None:
    """The stored answer to a retried turn: only for the holder of a current token, checked
    first, since this answer comes before the turn's first statement."""
    if keyed is None:
        return None
    if not await turn_caller_is_current(request, caller):
        raise await _revoked(limits, caller)
    return await previous_response(session, keyed)


async def _begin(
    session: AsyncSession,
    *,
    caller: TokenClaims,
    body: ChatRequest,
    token: str,
    settings: Settings,
    limits: Limits,
    stream: bool,
    keyed: idempotency.KeyedRequest | None,
) -> tuple[int, ChatTurn]:
    try:
        return await chat.begin_turn(
            session,
            user_id=caller.subject,
            token_version=caller.version,
            conversation_id=body.conversation_id,
            message=body.message,
            token=token,
            history_limit=settings.chat_history_messages,
            stream=stream,
            quotas=settings.quotas,
            keyed=keyed,
        )
    except turns.CallerNotCurrentError:
        raise await _revoked(limits, caller) from None
    except chat.ConversationNotFoundError:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "Conversation not found") from None
    except IntegrityError as error:
        if keyed is None:
            raise
        # A twin with the same key claimed it first: this turn does not run. Its answer is
        # for the client's next retry, once the twin has finished.
        await idempotency.response_of_a_concurrent_twin(session, keyed, error)
        raise idempotency.KeyInProgressError from None


@router.post("", response_model=ChatResponse)
async def send_message(
    request: Request,
    caller: TurnCaller,
    body: ChatRequest,
    token: BearerToken,
    session: SessionDep,
    settings: SettingsDep,
    limits: LimitsDep,
    agent: AgentDep,
    idempotency_key: IdempotencyKeyHeader = None,
) -> ChatResponse | Response:
    """Send a message to the assistant; it may act on tasks and says what it did. With an
    `Idempotency-Key`, a retry gets the first turn's answer and repeats none of its actions."""
    await _count_turn(request, caller, limits)
    user_id = caller.subject
    keyed = _keyed(user_id, idempotency_key, body)
    if previous := await _stored_answer(request, session, caller, limits, keyed):
        return replayed(previous)
    conversation_id, turn = await _begin(
        session,
        caller=caller,
        body=body,
        token=token,
        settings=settings,
        limits=limits,
        stream=False,
        keyed=keyed,
    )
    outcome = chat.TurnOutcome()
    async for event in chat.run_agent(agent, turn):
        outcome.record(event)
    return await chat.finish_turn(
        session, user_id=user_id, conversation_id=conversation_id, outcome=outcome, keyed=keyed
    )


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


async def _replayed_events(stored: idempotency.StoredResponse) -> AsyncIterator[bytes]:
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
    request: Request,
    caller: TurnCaller,
    body: ChatRequest,
    token: BearerToken,
    settings: SettingsDep,
    limits: LimitsDep,
    agent: AgentDep,
    idempotency_key: IdempotencyKeyHeader = None,
) -> StreamingResponse:
    """The same turn as a stream: `conversation` first, then `delta` text pieces and
    `tool_call` events as they happen, and `done` with the whole reply (or `error` with a
    `detail` when the reply could not be stored)."""
    await _count_turn(request, caller, limits)
    user_id = caller.subject
    keyed = _keyed(user_id, idempotency_key, body)
    session_factory: async_sessionmaker[AsyncSession] = request.app.state.session_factory
    # The stream owns its session (a dependency's could close before the stream ends): the
    # stack closes it when the stream is done, or at once if the turn never starts.
    closing = AsyncExitStack()
    session = await closing.enter_async_context(open_session(session_factory))
    try:
        if previous := await _stored_answer(request, session, caller, limits, keyed):
            await closing.aclose()
            return _event_stream(_replayed_events(previous), {REPLAYED_HEADER: "true"})
        conversation_id, turn = await _begin(
            session,
            caller=caller,
            body=body,
            token=token,
            settings=settings,
            limits=limits,
            stream=True,
            keyed=keyed,
        )
    except BaseException:
        await closing.aclose()
        raise

    async def events() -> AsyncIterator[bytes]:
        async with closing:
            yield _sse("conversation", {"conversation_id": conversation_id})
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
            try:
                await chat.finish_turn(
                    session,
                    user_id=user_id,
                    conversation_id=conversation_id,
                    outcome=outcome,
                    keyed=keyed,
                )
            except Exception as error:
                # The 200 is sent: the stream ends with an error event instead of breaking off.
                yield _sse("error", {"detail": _unsaved_reply(error)})
                return
            yield _sse("done", {"conversation_id": conversation_id, "response": outcome.reply})

    return _event_stream(events(), {})
