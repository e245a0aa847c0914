"""The ChatKit server: the SDK's request handling over our store, answering with our agent.

A turn is the same as on `/chat` (`todo_backend.chat`): the agent gets the message with the
conversation's recent history and the caller's tools, a failing agent becomes the polite
apology, and the reply is stored as `/chat` stores it. Importing this module loads the Agents
SDK (the ChatKit SDK imports it), so the route imports it on the first ChatKit request."""

import logging
from collections.abc import AsyncIterator

from chatkit.server import ChatKitServer, NonStreamingResult, StreamingResult
from chatkit.types import ChatKitReq, ThreadMetadata, ThreadStreamEvent, UserMessageItem
from pydantic import TypeAdapter

from todo_backend import chat
from todo_backend.agent.base import ChatAgent, HistoryMessage
from todo_backend.chatkit import ids
from todo_backend.chatkit.admission import admit
from todo_backend.chatkit.replies import ReplyEvents
from todo_backend.chatkit.store import ConversationStore, RequestContext, user_text
from todo_backend.data import conversations
from todo_backend.settings import Settings
from todo_backend.throttle import Limits

REQUESTS: TypeAdapter[ChatKitReq] = TypeAdapter(ChatKitReq)


def _quiet_sdk_logs() -> None:
    """The SDK's logger gets a plain-text handler of its own when LOG_LEVEL is set, and logs
    each request at INFO: its lines go through our JSON logs instead, from WARNING."""
    sdk_logger = logging.getLogger("chatkit")
    sdk_logger.handlers.clear()
    sdk_logger.setLevel(max(logging.WARNING, logging.getLogger().level))


class TodoChatKitServer(ChatKitServer[RequestContext]):
    def __init__(self, agent: ChatAgent, settings: Settings, limits: Limits) -> None:
        _quiet_sdk_logs()
        self.conversations = ConversationStore()
        super().__init__(self.conversations)
        self._agent = agent
        self._settings = settings
        self._limits = limits

    async def process(
        self, request: str | bytes | bytearray, context: RequestContext
    ) -> StreamingResult | NonStreamingResult:
        """Check the request (`admission`) before the SDK handles it; a malformed one raises
        pydantic's ValidationError, as the SDK's own parsing does."""
        await admit(
            REQUESTS.validate_json(request),
            context,
            store=self.conversations,
            limits=self._limits,
            quotas=self._settings.quotas,
        )
        return await super().process(request, context)

    async def answer(self, request: bytes, context: RequestContext) -> bytes | AsyncIterator[bytes]:
        """The SDK's answer: a JSON body, or the server-sent events of a stream."""
        result = await self.process(request, context)
        return result.json if isinstance(result, NonStreamingResult) else aiter(result)

    async def respond(
        self,
        thread: ThreadMetadata,
        input_user_message: UserMessageItem | None,
        context: RequestContext,
    ) -> AsyncIterator[ThreadStreamEvent]:
        """One turn: the agent's tool calls and text as they happen, then the whole reply.
        Only user messages start one (`admission` lets no other streaming request through)."""
        assert input_user_message is not None
        conversation_id = await self.conversations.conversation_id(thread.id, context)
        if thread.title is None:
            # A new thread learns the title its conversation was given (the SDK sends the change).
            thread.title = (await self.store.load_thread(thread.id, context)).title
        turn = chat.turn_for(
            context.session,
            user_id=context.user_id,
            message=user_text(input_user_message.content),
            history=await self._history(conversation_id, input_user_message, context),
            token=context.token,
            stream=True,
            quotas=self._settings.quotas,
        )
        replies = ReplyEvents(
            thread.id, lambda kind: self.store.generate_item_id(kind, thread, context)
        )
        outcome = chat.TurnOutcome()
        async for event in chat.run_agent(self._agent, turn):
            outcome.record(event)
            for reply_event in replies.of(event):
                yield reply_event
        for reply_event in replies.finish(chat.settled_reply(outcome.reply)):
            yield reply_event
        chat.log_turn(conversation_id, outcome)

    async def _history(
        self, conversation_id: int, message: UserMessageItem, context: RequestContext
    ) -> list[HistoryMessage]:
        """The recent messages before this one (already stored by the SDK), as `/chat` reads
        them."""
        limit = self._settings.chat_history_messages
        stored = await conversations.list_messages(
            context.session,
            user_id=context.user_id,
            conversation_id=conversation_id,
            limit=limit + 1,
        )
        earlier = [m for m in stored if m.id != ids.message_id_of(message.id)]
        return chat.history_of(earlier[-limit:] if limit else [])
