"""One chat turn, the same for `/chat`, `/chat/stream` and ChatKit: count it, replay an
idempotent answer, begin (claim the key, check the quotas, store the user's message), run the
agent, then finish (store the reply).

The user's message is committed before the agent runs, so a failed turn loses nothing; each
step raises a domain error (`api/errors.py` maps it to a response), never an HTTP one."""

import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import NoReturn
from zoneinfo import ZoneInfo

from sqlalchemy.exc import IntegrityError
from sqlmodel.ext.asyncio.session import AsyncSession

from todo_backend import idempotency
from todo_backend.agent.base import AgentEvent, ChatTurn, HistoryMessage, TextDelta
from todo_backend.data import turns
from todo_backend.data.engine import Reads
from todo_backend.idempotency import KeyedRequest, StoredResponse
from todo_backend.identity import confirm_current
from todo_backend.models import ChatRequest, ChatResponse, ToolCallPublic
from todo_backend.quotas import no_room_for_a_conversation, no_room_for_a_turn
from todo_backend.ratelimit import RateLimitedError
from todo_backend.security import InvalidTokenError, TokenClaims
from todo_backend.services import Services
from todo_backend.tools import ToolContext

logger = logging.getLogger("todo_backend.chat")
CONVERSATION_TITLE_MAX = 60
AGENT_FAILED_REPLY = (
    "Sorry, I couldn't finish that just now. Your message is saved; please try again in a moment."
)


class ConversationNotFoundError(Exception):
    """The turn names a conversation that is not the caller's (or no longer exists)."""


@dataclass(frozen=True)
class TurnRequest:
    """What a client sends to start a turn, from whichever route."""

    caller: TokenClaims  # a token we issued, for the path's user; whether it is still current
    # is checked in the turn's first statement (`turns.CallerNotCurrentError`)
    body: ChatRequest
    idempotency_key: str | None = None
    stream: bool = True

    def keyed(self) -> KeyedRequest | None:
        # One operation for every route: a turn sent to /chat may be retried on /chat/stream.
        body = self.body.model_dump(mode="json")
        return idempotency.keyed_request(self.caller.subject, self.idempotency_key, "chat", body)


@dataclass
class Turn:
    """A begun turn: its conversation, what the agent gets, and what it has said and done."""

    conversation_id: int
    user_message_id: int
    agent_turn: ChatTurn
    keyed: KeyedRequest | None
    reply: str = ""
    tool_calls: list[ToolCallPublic] = field(default_factory=list)

    def response(self) -> ChatResponse:
        return ChatResponse(
            conversation_id=self.conversation_id, response=self.reply, tool_calls=self.tool_calls
        )


def _title_for(message: str) -> str:
    first_line = message.strip().splitlines()[0]
    if len(first_line) <= CONVERSATION_TITLE_MAX:
        return first_line
    return first_line[: CONVERSATION_TITLE_MAX - 1].rstrip() + "…"


def settled_reply(reply: str) -> str:
    """The reply as stored: the polite failure reply when the agent said nothing."""
    # A model may emit NUL, which PostgreSQL cannot store; it never carries meaning.
    return reply.replace("\x00", "").strip() or AGENT_FAILED_REPLY


class ChatTurns:
    """The turn's steps, in order: `start` (count, replay, begin), `run`, `finish`."""

    def __init__(self, services: Services) -> None:
        self.services = services

    async def start(self, session: AsyncSession, request: TurnRequest) -> Turn | StoredResponse:
        """A begun turn, or the stored answer of the first request with the same key."""
        await self._count(request.caller)
        keyed = request.keyed()
        if keyed is not None:
            # Answered before the turn's first statement: the token is checked here first.
            if not await self._caller_is_current(request.caller):
                await self._refund(request.caller)
            if stored := await idempotency.stored_response(session, keyed):
                return stored
        try:
            return await self._begin(session, request, keyed)
        except turns.CallerNotCurrentError:
            await self._refund(request.caller)
        except IntegrityError as error:
            if keyed is None:
                raise
            # A twin with the same key claimed it first: this turn does not run. Its answer is
            # for the client's next retry, once the twin has finished.
            await idempotency.response_of_a_concurrent_twin(session, keyed, error)
            raise idempotency.KeyInProgressError from None

    async def _count(self, caller: TokenClaims) -> None:
        """Each turn counts against the user's chat limits, whichever route sends it. The
        refusal is for the token's rightful holder only: a revoked token gets its 401."""
        try:
            await self.services.limits.count_chat_turn(caller.subject)
        except RateLimitedError:
            if not await self._caller_is_current(caller):
                raise turns.CallerNotCurrentError from None
            raise

    async def _refund(self, caller: TokenClaims) -> NoReturn:
        """The counted turn of a revoked token is given back, so that whoever holds an old
        token cannot use up its user's allowance; then the 401."""
        await self.services.limits.refund_chat_turn(caller.subject)
        raise turns.CallerNotCurrentError

    async def _caller_is_current(self, caller: TokenClaims) -> bool:
        """Whether the token's user still exists and has not signed out since."""
        reads = Reads(self.services.engine)
        try:
            await confirm_current(reads, caller)
        except InvalidTokenError:
            return False
        finally:
            await reads.close()
        return True

    async def _begin(
        self, session: AsyncSession, request: TurnRequest, keyed: KeyedRequest | None
    ) -> Turn:
        """Find or start the conversation, read its recent history and store the user's
        message, within the quotas, committed before the agent runs (with the key's claim)."""
        quotas = self.services.settings.quotas
        user_id = request.caller.subject
        message, conversation_id = request.body.message, request.body.conversation_id
        if keyed is not None:
            await idempotency.stage_claim(session, keyed)
        if conversation_id is None:
            started = await turns.start_conversation(
                session,
                user_id=user_id,
                token_version=request.caller.version,
                title=_title_for(message),
                content=message,
                max_conversations=quotas.conversations,
            )
            if started.conversation_id is None:
                raise no_room_for_a_conversation(quotas)
        else:
            started = await turns.continue_conversation(
                session,
                user_id=user_id,
                token_version=request.caller.version,
                conversation_id=conversation_id,
                content=message,
                history_limit=self.services.settings.chat_history_messages,
                max_messages=quotas.messages_per_conversation,
            )
            if started.conversation_id is None:
                raise ConversationNotFoundError
        if started.message_id is None:
            raise no_room_for_a_turn(started.stored)
        await session.commit()
        agent_turn = ChatTurn(
            message=message,
            history=[HistoryMessage(role, content) for role, content in started.history],
            tools=ToolContext(session=session, caller_id=user_id, quotas=quotas),
            stream=request.stream,
            zone=ZoneInfo(request.body.timezone or started.timezone),
        )
        return Turn(started.conversation_id, started.message_id, agent_turn, keyed)

    async def run(self, turn: Turn) -> AsyncIterator[AgentEvent]:
        """The agent's events, each also kept in `turn`. A failure becomes a polite reply and a
        logged error, never a 500; when the events end, `turn.reply` is the reply to store."""
        try:
            async for event in self.services.agent.run(turn.agent_turn):
                if isinstance(event, TextDelta):
                    turn.reply += event.text
                else:
                    call = ToolCallPublic(
                        name=event.name, arguments=event.arguments, result=event.result
                    )
                    turn.tool_calls.append(call)
                yield event
        except Exception:
            logger.exception("agent failed", extra={"user_id": turn.agent_turn.tools.caller_id})
            # Undo the failed tool's half-done work, so the session can store the apology.
            await turn.agent_turn.tools.session.rollback()
            apology = TextDelta(("\n\n" if turn.reply else "") + AGENT_FAILED_REPLY)
            turn.reply += apology.text
            yield apology
        turn.reply = settled_reply(turn.reply)

    async def finish(self, session: AsyncSession, turn: Turn) -> ChatResponse:
        """Store the reply and, in the same commit, the turn's answer under its key."""
        response = turn.response()
        if turn.keyed is not None:
            await idempotency.stage_completion(
                session, turn.keyed, status_code=200, body=response.model_dump(mode="json")
            )
        await turns.add_message(
            session,
            user_id=turn.agent_turn.tools.caller_id,
            conversation_id=turn.conversation_id,
            role="assistant",
            content=turn.reply,
        )
        await session.commit()
        logger.info(
            "chat turn",
            extra={
                "conversation_id": turn.conversation_id,
                "tools": [call.name for call in turn.tool_calls],
            },
        )
        return response
