"""One chat turn, statelessly: history from the database, the agent's events out, both messages
stored. The user's message is committed before the agent runs, so a failed turn loses nothing."""

import logging
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field

from sqlmodel.ext.asyncio.session import AsyncSession

from todo_backend import idempotency
from todo_backend.agent.base import (
    AgentEvent,
    ChatAgent,
    ChatTurn,
    HistoryMessage,
    TextDelta,
)
from todo_backend.data import conversations, turns
from todo_backend.idempotency import KeyedRequest
from todo_backend.models import ChatResponse, Message, ToolCallPublic
from todo_backend.quotas import (
    check_conversation_room,
    no_room_for_a_conversation,
    no_room_for_a_turn,
)
from todo_backend.settings import Quotas
from todo_backend.tools import ToolContext

logger = logging.getLogger("todo_backend.chat")
CONVERSATION_TITLE_MAX = 60
AGENT_FAILED_REPLY = (
    "Sorry, I couldn't finish that just now. Your message is saved; please try again in a moment."
)


class ConversationNotFoundError(Exception):
    pass


@dataclass
class TurnOutcome:
    """What a finished turn said and did."""

    reply: str = ""
    tool_calls: list[ToolCallPublic] = field(default_factory=list)

    def record(self, event: AgentEvent) -> None:
        if isinstance(event, TextDelta):
            self.reply += event.text
        else:
            self.tool_calls.append(
                ToolCallPublic(name=event.name, arguments=event.arguments, result=event.result)
            )


def _title_for(message: str) -> str:
    first_line = message.strip().splitlines()[0]
    if len(first_line) <= CONVERSATION_TITLE_MAX:
        return first_line
    return first_line[: CONVERSATION_TITLE_MAX - 1].rstrip() + "…"


async def start_conversation(
    session: AsyncSession, quotas: Quotas, *, user_id: str, first_message: str
) -> int:
    """A new conversation, titled by its first message, within the user's quota. Flushed, not
    committed: it is kept by the commit that stores its first message."""
    await check_conversation_room(session, quotas, user_id=user_id)
    conversation = await conversations.create_conversation(
        session, user_id=user_id, title=_title_for(first_message)
    )
    assert conversation.id is not None
    return conversation.id


def history_of(messages: Sequence[Message]) -> list[HistoryMessage]:
    return [HistoryMessage(role=m.role, content=m.content) for m in messages]


def turn_for(
    session: AsyncSession,
    *,
    user_id: str,
    message: str,
    history: Sequence[HistoryMessage],
    token: str,
    stream: bool,
    quotas: Quotas,
) -> ChatTurn:
    """What the agent gets: the message, its history and the caller's tools."""
    return ChatTurn(
        message=message,
        history=history,
        tools=ToolContext(session=session, caller_id=user_id, quotas=quotas),
        token=token,
        stream=stream,
    )


async def begin_turn(
    session: AsyncSession,
    *,
    user_id: str,
    token_version: int,
    conversation_id: int | None,
    message: str,
    token: str,
    history_limit: int,
    stream: bool,
    quotas: Quotas,
    keyed: KeyedRequest | None = None,
) -> tuple[int, ChatTurn]:
    """Find or start the conversation, read its recent history, store the user's message
    (committed before the agent runs: a failed turn loses nothing). All of it only if the
    caller's token (`token_version`) is still current: `turns.CallerNotCurrentError` otherwise.

    Returns the conversation's id: a plain value that stays readable whatever happens to the
    session during the turn (a failed tool rolls it back and expires every loaded object)."""
    if keyed is not None:  # claimed in the same commit as the user's message
        await idempotency.stage_claim(session, keyed)
    if conversation_id is None:
        conversation_id = await turns.start_conversation(
            session,
            user_id=user_id,
            token_version=token_version,
            title=_title_for(message),
            content=message,
            max_conversations=quotas.conversations,
        )
        if conversation_id is None:
            raise no_room_for_a_conversation(quotas)
        history: list[HistoryMessage] = []
    else:
        start = await turns.continue_conversation(
            session,
            user_id=user_id,
            token_version=token_version,
            conversation_id=conversation_id,
            content=message,
            history_limit=history_limit,
            max_messages=quotas.messages_per_conversation,
        )
        if start.conversation_id is None:
            raise ConversationNotFoundError
        if not start.stored_message:
            raise no_room_for_a_turn(start.stored)
        history = [HistoryMessage(role=role, content=content) for role, content in start.history]
    await session.commit()
    turn = turn_for(
        session,
        user_id=user_id,
        message=message,
        history=history,
        token=token,
        stream=stream,
        quotas=quotas,
    )
    return conversation_id, turn


async def run_agent(agent: ChatAgent, turn: ChatTurn) -> AsyncIterator[AgentEvent]:
    """The agent's events; a failure becomes a polite reply and a logged error, never a 500."""
    produced_text = False
    try:
        async for event in agent.run(turn):
            produced_text = produced_text or isinstance(event, TextDelta)
            yield event
    except Exception:
        logger.exception("agent failed", extra={"user_id": turn.tools.caller_id})
        # Undo the failed tool's half-done work, so the session can store the apology.
        await turn.tools.session.rollback()
        yield TextDelta(("\n\n" if produced_text else "") + AGENT_FAILED_REPLY)


async def finish_turn(
    session: AsyncSession,
    *,
    user_id: str,
    conversation_id: int,
    outcome: TurnOutcome,
    keyed: KeyedRequest | None = None,
) -> ChatResponse:
    """Store the assistant's reply (the polite failure reply when the agent said nothing) and,
    in the same commit, the turn's response under its idempotency key."""
    outcome.reply = settled_reply(outcome.reply)
    response = ChatResponse(
        conversation_id=conversation_id, response=outcome.reply, tool_calls=outcome.tool_calls
    )
    if keyed is not None:
        await idempotency.stage_completion(
            session, keyed, status_code=200, body=response.model_dump(mode="json")
        )
    await turns.add_message(
        session,
        user_id=user_id,
        conversation_id=conversation_id,
        role="assistant",
        content=outcome.reply,
    )
    log_turn(conversation_id, outcome)
    return response


def settled_reply(reply: str) -> str:
    """The reply as stored: the polite failure reply when the agent said nothing."""
    # A model may emit NUL, which PostgreSQL cannot store; it never carries meaning.
    return reply.replace("\x00", "").strip() or AGENT_FAILED_REPLY


def log_turn(conversation_id: int, outcome: TurnOutcome) -> None:
    logger.info(
        "chat turn",
        extra={
            "conversation_id": conversation_id,
            "tools": [call.name for call in outcome.tool_calls],
        },
    )
